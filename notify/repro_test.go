package notify

import (
	"context"
	"sync"
	"testing"
	"time"
)

// chanNotifier records every event and reports each on a channel.
type chanNotifier struct {
	name string
	mu   sync.Mutex
	got  []Event
	ch   chan Event
}

func (c *chanNotifier) Name() string { return c.name }

func (c *chanNotifier) Notify(_ context.Context, ev Event) error {
	c.mu.Lock()
	c.got = append(c.got, ev)
	c.mu.Unlock()
	c.ch <- ev
	return nil
}

func (c *chanNotifier) events() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Event(nil), c.got...)
}

// TestIssue12RateLimitCoalescesNeverDrops is issue 12 item 1, through Run
// and the real worker: with one notification per alarm per minute,
// CRITICAL -> OK -> CRITICAL within 10 s must reach the receiver as
// CRITICAL, OK, then CRITICAL once the window reopens, so its last word is
// CRITICAL. (Before the outbox the third was suppressed for good.)
func TestIssue12RateLimitCoalescesNeverDrops(t *testing.T) {
	clock := newClock()
	n := &chanNotifier{name: "hook", ch: make(chan Event, 10)}
	d, err := NewDispatcher([]Notifier{n}, DispatcherOptions{
		RateLimit: 1, RateWindow: time.Minute,
		Now: clock.Now, Sleep: clock.Sleep, Rand: func() float64 { return 0.5 }, Logger: discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- d.Run(ctx) }()
	defer func() {
		cancel()
		<-runErr
	}()
	ev := func(prev, cur string) Event {
		e := testEvent()
		e.Previous, e.Current, e.Time = prev, cur, clock.Now()
		return e
	}
	wait := func(want string) {
		t.Helper()
		select {
		case got := <-n.ch:
			if got.Current != want {
				t.Fatalf("receiver got %s->%s, want %s", got.Previous, got.Current, want)
			}
		case <-time.After(5 * time.Second): // a hang guard, not a timing assertion
			t.Fatalf("receiver never got %s; it got %v", want, delivered(n.events()))
		}
	}
	d.Enqueue(ev(StateOK, StateCritical))
	wait(StateCritical)
	clock.Set(fixedNow.Add(5 * time.Second))
	d.Enqueue(ev(StateCritical, StateOK))
	wait(StateOK)
	clock.Set(fixedNow.Add(10 * time.Second))
	d.Enqueue(ev(StateOK, StateCritical))
	wait(StateCritical)
	if now := clock.Now(); now.Before(fixedNow.Add(time.Minute)) {
		t.Errorf("third notification at %s, inside the window", now.Sub(fixedNow))
	}
	// Told moves once Notify has returned.
	waitFor(t, "the receiver's last word to be CRITICAL", func() bool {
		told, ok := d.Told("hook", testEvent().Key())
		return told == StateCritical && ok
	})
	if st := d.Stats()["hook"]; st.Sent != 3 || st.Coalesced != 0 {
		t.Errorf("stats %+v, want 3 sent", st)
	}
}
