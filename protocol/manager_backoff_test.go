package protocol_test

import (
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// simClock is simulated time: After registers a timer that fires when the
// test advances the clock past it, and tells the test about it on waits.
type simClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []simTimer
	waits  chan time.Duration
}

type simTimer struct {
	at time.Time
	ch chan time.Time
}

func newSimClock() *simClock {
	return &simClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), waits: make(chan time.Duration, 1000)}
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.timers = append(c.timers, simTimer{at: c.now.Add(d), ch: ch})
	c.waits <- d
	return ch
}

// Advance moves time on by d and fires the timers due.
func (c *simClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = kept
}

// TestManagerBackoffResetsOnlyWhenHealthy: an endpoint that accepts the
// handshake and drops the connection 2 s later gets a few reconnects a
// (simulated) minute, not one every 2.5 s; a connection on which a post was
// acknowledged, or that stayed up a minute, resets the backoff.
func TestManagerBackoffResetsOnlyWhenHealthy(t *testing.T) {
	ep := startRefuseEndpoint(t, func(protocol.MetricsPost, int) *protocol.Error { return nil })
	clock := newSimClock()
	o := ep.options(t)
	o.Clock = clock
	o.Rand = func() float64 { return 0.5 }
	o.BackoffInitial = time.Second
	o.BackoffMax = 60 * time.Second
	spool, err := protocol.NewSpool(protocol.SpoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := protocol.NewManager(o, spool)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)

	// backoff waits for the next reconnect delay (heartbeat timers, an hour
	// here, are not it) and lets it pass.
	backoff := func() time.Duration {
		t.Helper()
		for {
			select {
			case d := <-clock.waits:
				if d >= time.Hour {
					continue
				}
				clock.Advance(d)
				return d
			case <-time.After(15 * time.Second):
				t.Fatal("no reconnect")
			}
		}
	}
	connected := func() {
		t.Helper()
		select {
		case <-ep.helloC:
		case <-time.After(15 * time.Second):
			t.Fatal("no handshake")
		}
		eventually(t, "connected", func() bool { return m.Status().Endpoints[0].State == protocol.StateConnected })
	}

	// An endpoint that drops every connection after 2 s, for a minute.
	start := clock.Now()
	var delays []time.Duration
	for {
		connected()
		clock.Advance(2 * time.Second)
		ep.Drop()
		d := backoff()
		if clock.Now().Sub(start) >= time.Minute {
			break
		}
		delays = append(delays, d)
	}
	if len(delays) > 6 {
		t.Errorf("%d reconnects in a simulated minute (delays %v), want at most 6", len(delays), delays)
	}
	for i := 1; i < len(delays); i++ {
		if delays[i] < delays[i-1] {
			t.Errorf("the backoff went down without a healthy connection: %v", delays)
		}
	}

	// An acknowledged post makes the connection healthy: the next delay
	// starts over.
	connected()
	if err := m.Post(post("chA", 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the post acknowledged", func() bool { return m.Status().Spool.Sent == 1 })
	ep.Drop()
	if d := backoff(); d != 500*time.Millisecond {
		t.Errorf("after a connection with an acknowledged post: delay %v, want 500ms", d)
	}

	// So does a minute up without posts, after a few short connections.
	for range 3 {
		connected()
		ep.Drop()
		backoff()
	}
	connected()
	clock.Advance(time.Minute)
	ep.Drop()
	if d := backoff(); d != 500*time.Millisecond {
		t.Errorf("after a connection up a minute: delay %v, want 500ms", d)
	}
	connected()
}
