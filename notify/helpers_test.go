package notify

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fixedNow is the clock every test notifier and dispatcher starts from.
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

// logBuffer is a text logger without times, safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
}

// lines returns the log lines containing s.
func (l *logBuffer) lines(s string) []string {
	var out []string
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// fakeNotifier delivers unless fail (or the scripted errs) says otherwise.
type fakeNotifier struct {
	name string
	mu   sync.Mutex
	errs []error // returned one per call, first
	// fail, when set, decides each call after errs run out.
	fail  func(ev Event) error
	calls []Event // every attempt
	got   []Event // the delivered ones
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
			f.mu.Lock()
			f.calls = append(f.calls, ev)
			f.mu.Unlock()
			return ctx.Err()
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, ev)
	var err error
	fail := f.fail
	if len(f.errs) > 0 {
		err, f.errs, fail = f.errs[0], f.errs[1:], nil
	}
	f.mu.Unlock()
	if fail != nil {
		err = fail(ev)
	}
	if err == nil {
		f.mu.Lock()
		f.got = append(f.got, ev)
		f.mu.Unlock()
	}
	return err
}

// events returns the delivered events.
func (f *fakeNotifier) events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.got...)
}

func (f *fakeNotifier) attempts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// virtualClock is a settable clock whose Sleep advances it instead of
// waiting, so time only moves while a worker waits (or the test moves it).
// It records the waits.
type virtualClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newClock() *virtualClock { return &virtualClock{t: fixedNow} }

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *virtualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	return nil
}

func (c *virtualClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// newTestDispatcher fills in a virtual clock at fixedNow, no jitter and a
// silent logger unless o says otherwise.
func newTestDispatcher(t *testing.T, o DispatcherOptions, ns ...Notifier) (*Dispatcher, *virtualClock) {
	t.Helper()
	clock := newClock()
	if o.Now == nil {
		o.Now = clock.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.Rand == nil {
		o.Rand = func() float64 { return 0.5 }
	}
	if o.Logger == nil {
		o.Logger = discardLogger()
	}
	d, err := NewDispatcher(ns, o)
	if err != nil {
		t.Fatal(err)
	}
	return d, clock
}

// pump does synchronously, at the clock's current time, what the workers
// do: expiry, every delivery due (Notify called inline), saving. No worker
// may be running.
func pump(t *testing.T, d *Dispatcher) {
	t.Helper()
	for _, r := range d.routes {
		for i := 0; ; i++ {
			if i > 100000 {
				t.Fatal("pump does not settle")
			}
			now := d.o.Now()
			d.housekeep(r, now)
			d.persist(r, now, false)
			j, _ := d.next(r, now)
			if j == nil {
				break
			}
			err := r.n.Notify(context.Background(), j.ev)
			d.finish(r, j, err, d.o.Now())
		}
	}
}

// advance pumps d and moves clock from due time to due time up to until,
// as the workers would, and leaves the clock at until.
func advance(t *testing.T, d *Dispatcher, clock *virtualClock, until time.Time) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("advance does not settle")
		}
		pump(t, d)
		var next time.Time
		for _, r := range d.routes {
			if _, w := d.next(r, clock.Now()); !w.IsZero() && (next.IsZero() || w.Before(next)) {
				next = w
			}
		}
		if next.IsZero() || next.After(until) {
			break
		}
		clock.Set(next)
	}
	clock.Set(until)
	pump(t, d)
}

// runDispatcher starts d.Run and returns a function that closes d and
// returns Run's result.
func runDispatcher(t *testing.T, d *Dispatcher) func() error {
	t.Helper()
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(context.Background()) }()
	waitFor(t, "Run to start", func() bool {
		d.mu.RLock()
		defer d.mu.RUnlock()
		return d.running
	})
	return func() error {
		if err := d.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		return <-runErr
	}
}

// waitFor polls cond; the deadline only guards against a hang, it is not
// what the test measures.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// delivered renders events as "prev->[worst->]cur@offset (n changes)",
// offset from fixedNow of the event's Time.
func delivered(evs []Event) []string {
	out := []string{}
	for _, e := range evs {
		s := e.AlarmName + ":" + e.Previous + "->"
		if e.Worst != nil {
			s += e.Worst.State + "->"
		}
		s += e.Current
		if e.Changes > 1 {
			s += " (" + strconv.Itoa(e.Changes) + ")"
		}
		out = append(out, s)
	}
	return out
}
