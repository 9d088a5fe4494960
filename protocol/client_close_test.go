package protocol_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// clientGoroutines returns the stacks of the goroutines that run code of a
// protocol.Client (its methods and the closures they start).
func clientGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("virgo-top/protocol.(*Client)")) {
			out = append(out, string(g))
		}
	}
	return out
}

// noClientGoroutines fails if goroutines of a client are left. A goroutine
// that has just signalled its end (wg.Done, close(done)) may still be on its
// way out, so it polls; a leaked one stays and fails the test.
func noClientGoroutines(t *testing.T, when string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		gs := clientGoroutines()
		if len(gs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d client goroutines left %s:\n%s", len(gs), when, strings.Join(gs, "\n\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestClientEndWaitsForEveryGoroutine ends a client, by Close or by the
// endpoint dropping the connection, while handler code runs on one of its
// goroutines: a check.test that ignores its cancelled context (a worker), or
// a slow ScheduleChanged (the schedule refresher). Close and Done wait for
// it, and once they return no goroutine of the client is left (reader,
// writer, workers, heartbeat, schedule refresher).
func TestClientEndWaitsForEveryGoroutine(t *testing.T) {
	ends := []struct {
		name string
		end  func(*testing.T, *fixtures.Server, *protocol.Client) <-chan struct{} // returns what closes once the client ended
	}{
		{"Close", func(_ *testing.T, _ *fixtures.Server, c *protocol.Client) <-chan struct{} {
			closed := make(chan struct{})
			go func() {
				c.Close()
				close(closed)
			}()
			return closed
		}},
		{"connection dropped", func(t *testing.T, srv *fixtures.Server, c *protocol.Client) <-chan struct{} {
			if srv.DropConnections() != 1 {
				t.Fatal("no connection to drop")
			}
			return c.Done()
		}},
	}
	for _, busy := range []string{"check.test", "ScheduleChanged"} {
		for _, e := range ends {
			t.Run(e.name+" during "+busy, func(t *testing.T) {
				noClientGoroutines(t, "by an earlier test")
				srv := startServer(t, fixtures.Options{HeartbeatInterval: time.Minute})
				h := newBlockingHandler()
				h.blockSchedules = busy == "ScheduleChanged"
				t.Cleanup(h.Release)
				o := clientOptions(t, srv)
				o.Handler = h
				c, err := protocol.Dial(context.Background(), srv.Addr(), o)
				if err != nil {
					t.Fatal(err)
				}
				eventually(t, "the first schedule", func() bool { return h.count() == 1 })
				if busy == "check.test" {
					srv.Push(protocol.MethodCheckTest, protocol.CheckTestParams{CheckParams: `{}`})
					receive(t, "check.test to start", h.entered)
				} else {
					srv.Push(protocol.MethodScheduleChanged, nil)
					receive(t, "ScheduleChanged to start", h.scheduling)
				}

				ended := e.end(t, srv, c)
				if busy == "check.test" {
					receive(t, "the handler's context to end with the connection", h.cancelled)
				} else {
					eventually(t, "the client to close", func() bool { return c.Err() != nil })
				}
				select {
				case <-ended:
					t.Fatalf("the client ended while %s was still running", busy)
				default:
				}
				h.Release()
				receive(t, "the client to end", ended)
				noClientGoroutines(t, "after the end")
				if c.Err() == nil {
					t.Fatal("Err is nil after the end")
				}
				c.Close() // idempotent
			})
		}
	}
}
