package notify

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// fixedNow is the clock every test notifier and dispatcher reads.
var fixedNow = time.Date(2026, 11, 24, 16, 0, 0, 0, time.UTC)

func testEvent() Event {
	return Event{
		Entity:     "web1",
		CheckID:    "chCPU1",
		CheckLabel: "cpu",
		CheckType:  "agent.cpu",
		AlarmName:  "alHighCPU",
		AlarmLabel: "High CPU",
		Previous:   StateWarning,
		Current:    StateCritical,
		Message:    "CPU at 97%",
		Metrics:    map[string]string{"usage_average": "97.20%", "wait_average": "0.10%"},
		Time:       time.Date(2026, 11, 24, 15, 59, 30, 0, time.UTC),
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeNotifier returns scripted errors, one per call, then nil.
type fakeNotifier struct {
	name string
	mu   sync.Mutex
	errs []error
	got  []Event
	// block, when set, makes Notify wait for it or for ctx.
	block chan struct{}
	// started receives once per call, when set.
	started chan struct{}
}

func (f *fakeNotifier) Name() string { return f.name }

func (f *fakeNotifier) Notify(ctx context.Context, ev Event) error {
	if f.started != nil {
		f.started <- struct{}{}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, ev)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	return nil
}

func (f *fakeNotifier) events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.got...)
}

// fakeSleep records requested waits and returns at once.
type fakeSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *fakeSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *fakeSleep) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
