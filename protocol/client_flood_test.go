package protocol_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// blockingHandler is a recordingHandler whose check.test blocks until the
// test releases it. When its context ends first it says so on cancelled and
// still waits for the release, as a plugin that ignores its context would.
// With blockSchedules, every schedule after the first blocks too.
type blockingHandler struct {
	recordingHandler
	blockSchedules bool          // set before the client starts
	entered        chan struct{} // one value per check.test started
	cancelled      chan struct{} // one value per check.test whose ctx ended first
	scheduling     chan struct{} // one value per blocked ScheduleChanged
	release        chan struct{}
	once           sync.Once
}

func newBlockingHandler() *blockingHandler {
	return &blockingHandler{
		entered:    make(chan struct{}, 100),
		cancelled:  make(chan struct{}, 100),
		scheduling: make(chan struct{}, 100),
		release:    make(chan struct{}),
	}
}

func (h *blockingHandler) ScheduleChanged(endpoint string, checks []protocol.CheckDef) {
	h.recordingHandler.ScheduleChanged(endpoint, checks)
	if h.blockSchedules && h.count() > 1 {
		h.scheduling <- struct{}{}
		<-h.release
	}
}

func (h *blockingHandler) CheckTest(ctx context.Context, raw json.RawMessage) (any, error) {
	h.entered <- struct{}{}
	select {
	case <-h.release:
		return h.recordingHandler.CheckTest(ctx, raw)
	case <-ctx.Done():
	}
	h.cancelled <- struct{}{}
	<-h.release
	return nil, ctx.Err()
}

func (h *blockingHandler) Release() { h.once.Do(func() { close(h.release) }) }

// receive waits for one value on ch; the generous guard only turns a
// deadlock into a failure.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// nextWait returns the client's next fakeClock.After, failing if the
// connection drops instead.
func nextWait(t *testing.T, c *protocol.Client, fc *fakeClock, what string) fakeWait {
	t.Helper()
	select {
	case w := <-fc.waits:
		return w
	case <-c.Done():
		t.Fatalf("%s: connection dropped: %v", what, c.Err())
	case <-time.After(15 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	panic("unreachable")
}

// agentReply is one response the agent sent, from the fixture's record.
type agentReply struct {
	ID     uint64          `json:"id"`
	Method string          `json:"method"`
	Result json.RawMessage `json:"result"`
	Error  *protocol.Error `json:"error"`
}

func agentReplies(t *testing.T, rec *syncBuffer) map[uint64]agentReply {
	out := map[uint64]agentReply{}
	for _, r := range rec.Records(t) {
		var m agentReply
		if json.Unmarshal(r.Message, &m) != nil || m.Method != "" {
			continue
		}
		if _, dup := out[m.ID]; dup {
			t.Fatalf("two replies to request %d", m.ID)
		}
		out[m.ID] = m
	}
	return out
}

// TestClientFloodOfSlowRequests floods the agent with 50 check.test requests
// that block until released, then changes the schedule: the schedule is
// fetched again and heartbeats are answered while every worker is busy, the
// requests past the queue are answered "busy", and all the others are
// answered once released. Before the fix the reader served the 9th request
// itself and read nothing more.
func TestClientFloodOfSlowRequests(t *testing.T) {
	const flood = 50
	rec := &syncBuffer{}
	srv := startServer(t, fixtures.Options{Record: rec, HeartbeatInterval: time.Minute})
	h := newBlockingHandler()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fc := &fakeClock{now: t0, waits: make(chan fakeWait)}
	o := clientOptions(t, srv)
	o.Handler = h
	o.Clock = fc
	o.HandshakeTimeout = time.Minute // the handlers' context: not to end during the test
	o.HeartbeatTimeout = 5 * time.Second
	c, err := protocol.Dial(context.Background(), srv.Addr(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.Release()
		closed := make(chan struct{})
		go func() {
			c.Close()
			close(closed)
		}()
		for {
			select {
			case <-closed:
				return
			case <-fc.waits: // the heartbeat loop may be handing over a wait
			}
		}
	})
	hb := nextWait(t, c, fc, "the first heartbeat interval")
	eventually(t, "the first schedule", func() bool { return h.count() == 1 })

	for i := range flood {
		srv.Push(protocol.MethodCheckTest, protocol.CheckTestParams{CheckParams: fmt.Sprintf(`{"n":%d}`, i)})
	}
	srv.Push(protocol.MethodScheduleChanged, nil)
	receive(t, "a check.test handler to start", h.entered)

	eventually(t, "the schedule fetched again while every worker is busy", func() bool {
		return h.count() == 2 && srv.Stats().ScheduleGets == 2
	})
	for i := range 3 {
		hb.ch <- t0
		hb = nextWait(t, c, fc, fmt.Sprintf("heartbeat %d answered", i+1))
	}
	if n := srv.Stats().Heartbeats; n != 3 {
		t.Fatalf("endpoint answered %d heartbeats, want 3", n)
	}
	if _, ok := c.RTT(); !ok {
		t.Fatal("no RTT after 3 heartbeats")
	}
	eventually(t, "busy replies while the workers are blocked", func() bool {
		replies := agentReplies(t, rec)
		for id, r := range replies {
			if id <= flood && r.Error == nil {
				t.Fatalf("request %d answered with a result before any handler was released: %s", id, r.Result)
			}
		}
		return len(replies) > 1
	})

	h.Release()
	eventually(t, "every request answered", func() bool { return srv.Stats().Responses == flood+1 })
	var results, busy int
	for id, r := range agentReplies(t, rec) {
		switch {
		case id == flood+1: // check_schedule.changed
			if r.Error != nil || string(r.Result) != "{}" {
				t.Errorf("check_schedule.changed answered %s %v, want {}", r.Result, r.Error)
			}
		case r.Error == nil:
			results++
		case r.Error.Code == protocol.CodeNonFatal && r.Error.Type == protocol.ErrorTypeBusy:
			busy++
		default:
			t.Errorf("request %d answered with %v", id, r.Error)
		}
	}
	if results+busy != flood || busy == 0 || results == 0 {
		t.Fatalf("%d results and %d busy replies for %d requests", results, busy, flood)
	}
	if st := srv.Stats(); st.Hellos != 1 {
		t.Fatalf("the agent reconnected: %+v", st)
	}
	select {
	case <-c.Done():
		t.Fatalf("connection dropped: %v", c.Err())
	default:
	}
}
