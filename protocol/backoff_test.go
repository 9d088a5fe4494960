package protocol_test

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// fakeClock stands still; each After is handed to the test, which decides
// when it fires.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan fakeWait
}

type fakeWait struct {
	d  time.Duration
	ch chan time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	f.waits <- fakeWait{d: d, ch: ch}
	return ch
}

func TestManagerBackoffUsesClockAndRand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: every connect is refused

	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fc := &fakeClock{now: t0, waits: make(chan fakeWait)}
	o := protocol.Options{
		Endpoints:      []string{addr},
		Clock:          fc,
		Rand:           func() float64 { return 0.5 },
		BackoffInitial: 10 * time.Second,
		BackoffMax:     60 * time.Second,
		Getenv:         func(string) string { return "" },
	}
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = m.Run(ctx)
	}()
	defer func() {
		cancel()
		// Run may be parked in After: let it see ctx.
		for {
			select {
			case <-done:
				return
			case w := <-fc.waits:
				w.ch <- t0
			}
		}
	}()

	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 30 * time.Second, 30 * time.Second}
	for i, d := range want {
		w := <-fc.waits
		if w.d != d {
			t.Fatalf("retry %d: waits %v, want %v", i, w.d, d)
		}
		st := m.Status().Endpoints[0]
		if st.State != protocol.StateBackoff || !st.NextRetry.Equal(t0.Add(d)) || st.Reconnects != i+1 || !strings.Contains(st.LastError, "connect") {
			t.Fatalf("retry %d: status %+v", i, st)
		}
		w.ch <- t0
	}
}

func BenchmarkCallRoundTrip(b *testing.B) {
	srv, err := fixtures.New(fixtures.Options{HeartbeatInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(context.Background()) }()
	defer srv.Close()
	o := clientOptions(b, srv)
	c, err := protocol.Dial(context.Background(), srv.Addr(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	p := post("chMEM000001", 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Call(context.Background(), protocol.MethodMetricsPost, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNewManagerValidates(t *testing.T) {
	tests := []struct {
		endpoints []string
		want      string
	}{
		{nil, "no endpoints configured"},
		{[]string{"localhost"}, `endpoint "localhost": want host:port`},
		{[]string{"a:1", "a:1"}, "endpoint a:1 listed twice"},
	}
	for _, tt := range tests {
		_, err := protocol.NewManager(protocol.Options{Endpoints: tt.endpoints}, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.endpoints, err, tt.want)
		}
	}
}
