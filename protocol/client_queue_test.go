package protocol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"
)

// stepClock stands still; each After is handed to the test, which decides
// when it fires. The heartbeat loop has one After at a time: with room for
// one in waits, After never blocks.
type stepClock struct {
	now   time.Time
	waits chan chan time.Time
}

func (s *stepClock) Now() time.Time { return s.now }

func (s *stepClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	s.waits <- ch
	return ch
}

// pipeHandler blocks check.test until released or its context ends, and
// hands every schedule to the test.
type pipeHandler struct {
	entered   chan struct{}
	release   chan struct{}
	schedules chan []CheckDef
}

func newPipeHandler() *pipeHandler {
	return &pipeHandler{entered: make(chan struct{}, 100), release: make(chan struct{}), schedules: make(chan []CheckDef, 10)}
}

func (h *pipeHandler) HostInfoTypes() []string                                { return nil }
func (h *pipeHandler) HostInfo(context.Context, string) (any, error)          { return nil, nil }
func (h *pipeHandler) CheckTargets(context.Context, string) ([]string, error) { return nil, nil }
func (h *pipeHandler) SystemInfo(context.Context) (any, error)                { return nil, nil }
func (h *pipeHandler) ScheduleChanged(_ string, checks []CheckDef)            { h.schedules <- checks }
func (h *pipeHandler) CheckTest(ctx context.Context, _ json.RawMessage) (any, error) {
	h.entered <- struct{}{}
	select {
	case <-h.release:
		return map[string]string{"status": "tested"}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// pipeEndpoint is the endpoint's end of a net.Pipe: every write blocks until
// the client has read it, every client write until the endpoint reads it.
type pipeEndpoint struct {
	t     *testing.T
	conn  net.Conn
	codec *Codec
}

// guard turns a deadlock into a failure; nothing measures time.
const guard = 15 * time.Second

// newPipeClient starts a client (without a hello, as if the hello had named
// an entity) on one end of a pipe, with heartbeats and the schedule
// refresher, and returns the other end.
func newPipeClient(t *testing.T, h Handler, clock Clock) (*Client, *pipeEndpoint) {
	a, b := net.Pipe()
	o := Options{Handler: h, Clock: clock, HandshakeTimeout: time.Minute, HeartbeatTimeout: time.Minute, PostTimeout: time.Minute}.withDefaults()
	c := newClient("pipe:1", a, o, o.Logger)
	c.hello = HelloResult{EntityID: "enPipe"} // bound: the schedule is fetched at start
	c.startSession(time.Minute)
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() {
			c.Close()
			close(closed)
		}()
		for {
			select {
			case <-closed:
				b.Close()
				return
			case <-clock.(*stepClock).waits:
			}
		}
	})
	return c, &pipeEndpoint{t: t, conn: b, codec: NewCodec(b, 0)}
}

func (p *pipeEndpoint) write(v any) error {
	_ = p.conn.SetWriteDeadline(time.Now().Add(guard))
	return p.codec.Write(v)
}

func (p *pipeEndpoint) request(id uint64, method string, params any) {
	p.t.Helper()
	raw, _ := json.Marshal(params)
	if err := p.write(Request{V: Version, ID: NumberID(id), Source: "endpoint", Target: "agent", Method: method, Params: raw}); err != nil {
		p.t.Fatalf("send %s %d: %v", method, id, err)
	}
}

func (p *pipeEndpoint) reply(req *Request, result any) {
	p.t.Helper()
	raw, _ := json.Marshal(result)
	if err := p.write(Response{V: Version, ID: req.ID, Source: "endpoint", Target: req.Source, Result: raw}); err != nil {
		p.t.Fatalf("reply to %s: %v", req.Method, err)
	}
}

func (p *pipeEndpoint) read() Message {
	p.t.Helper()
	_ = p.conn.SetReadDeadline(time.Now().Add(guard))
	m, err := p.codec.Read()
	if err != nil {
		p.t.Fatalf("endpoint read: %v", err)
	}
	return m
}

func (p *pipeEndpoint) readRequest(method string) *Request {
	p.t.Helper()
	m := p.read()
	if m.Request == nil || m.Request.Method != method {
		p.t.Fatalf("endpoint read %+v, want a %s request", m, method)
	}
	return m.Request
}

func (p *pipeEndpoint) readResponse(id uint64) *Response {
	p.t.Helper()
	m := p.read()
	if m.Response == nil || m.Response.ID.String() != fmt.Sprint(id) {
		p.t.Fatalf("endpoint read %+v, want the response to %d", m, id)
	}
	return m.Response
}

func wait[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func schedule(id string) Schedule { return Schedule{Checks: []CheckDef{{ID: id, Type: "agent.cpu"}}} }

// TestClientBusyQueueKeepsTheReaderFree fills every worker and the queue
// with blocked check.test requests: the next request is answered busy at
// once, check_schedule.changed is acknowledged and the schedule fetched,
// heartbeats go out and their replies are read, and once released every
// queued request is answered.
func TestClientBusyQueueKeepsTheReaderFree(t *testing.T) {
	h := newPipeHandler()
	clock := &stepClock{now: time.Unix(1e9, 0), waits: make(chan chan time.Time, 1)}
	c, p := newPipeClient(t, h, clock)
	p.reply(p.readRequest(MethodScheduleGet), schedule("first"))
	wait(t, "the first schedule", h.schedules)
	beat := wait(t, "the first heartbeat interval", clock.waits)

	id := uint64(0)
	for range serveWorkers {
		id++
		p.request(id, MethodCheckTest, CheckTestParams{CheckParams: "{}"})
		wait(t, fmt.Sprintf("check.test %d to start", id), h.entered)
	}
	for range serveQueue {
		id++
		p.request(id, MethodCheckTest, CheckTestParams{CheckParams: "{}"})
	}
	id++
	p.request(id, MethodCheckTest, CheckTestParams{CheckParams: "{}"})
	if e := p.readResponse(id).Error; e == nil || e.Code != CodeNonFatal || e.Type != ErrorTypeBusy || e.Fatal() {
		t.Fatalf("request %d past the queue answered %+v, want a non-fatal busy error", id, e)
	}

	id++
	p.request(id, MethodScheduleChanged, nil)
	if r := p.readResponse(id); r.Error != nil || string(r.Result) != "{}" {
		t.Fatalf("check_schedule.changed answered %+v", r)
	}
	p.reply(p.readRequest(MethodScheduleGet), schedule("second"))
	if got := wait(t, "the changed schedule", h.schedules); got[0].ID != "second" {
		t.Fatalf("schedule %+v", got)
	}

	for i := range 3 {
		beat <- clock.now
		p.reply(p.readRequest(MethodHeartbeat), HeartbeatResult{Timestamp: clock.now.UnixMilli()})
		beat = wait(t, fmt.Sprintf("heartbeat %d answered", i+1), clock.waits)
	}
	if _, ok := c.RTT(); !ok {
		t.Fatal("no RTT after 3 heartbeats")
	}

	close(h.release)
	var answered []int
	for range serveWorkers + serveQueue {
		m := p.read()
		if m.Response == nil || m.Response.Error != nil {
			t.Fatalf("after the release: %+v", m)
		}
		var n int
		fmt.Sscan(m.Response.ID.String(), &n)
		answered = append(answered, n)
	}
	sort.Ints(answered)
	for i, n := range answered {
		if n != i+1 {
			t.Fatalf("answered %v, want 1..%d", answered, serveWorkers+serveQueue)
		}
	}
	if err := c.Err(); err != nil {
		t.Fatalf("connection closed: %v", err)
	}
}

// TestClientScheduleChangesCoalesce: changes that arrive during a fetch make
// exactly one more fetch, and a change during that one one more again: none
// is lost and none costs a fetch of its own.
func TestClientScheduleChangesCoalesce(t *testing.T) {
	h := newPipeHandler()
	clock := &stepClock{now: time.Unix(1e9, 0), waits: make(chan chan time.Time, 1)}
	c, p := newPipeClient(t, h, clock)
	first := p.readRequest(MethodScheduleGet)
	for id := uint64(1); id <= 3; id++ {
		p.request(id, MethodScheduleChanged, nil)
		p.readResponse(id)
	}
	p.reply(first, schedule("A"))
	second := p.readRequest(MethodScheduleGet)
	if n := len(c.refresh); n != 0 {
		t.Fatalf("%d refreshes still wanted after 3 changes during one fetch", n)
	}
	p.request(4, MethodScheduleChanged, nil)
	p.readResponse(4)
	p.reply(second, schedule("B"))
	p.reply(p.readRequest(MethodScheduleGet), schedule("C"))
	for _, want := range []string{"A", "B", "C"} {
		if got := wait(t, "schedule "+want, h.schedules); got[0].ID != want {
			t.Fatalf("schedule %s, want %s", got[0].ID, want)
		}
	}
	if n := len(c.refresh); n != 0 {
		t.Fatalf("%d refreshes wanted after the last fetch", n)
	}
}

// TestClientClosesWhenTheEndpointDoesNotRead: an endpoint that sends
// requests without ever reading the replies fills the write queue; the
// reader does not block on it but closes the connection, and every
// goroutine ends.
func TestClientClosesWhenTheEndpointDoesNotRead(t *testing.T) {
	h := newPipeHandler()
	clock := &stepClock{now: time.Unix(1e9, 0), waits: make(chan chan time.Time, 1)}
	c, p := newPipeClient(t, h, clock)
	sent := 0
	for ; sent < 10*(serveWorkers+serveQueue+writeQueue); sent++ {
		raw, _ := json.Marshal(CheckTestParams{CheckParams: "{}"})
		if err := p.write(Request{V: Version, ID: NumberID(uint64(sent)), Source: "endpoint", Method: MethodCheckTest, Params: raw}); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("request %d: the client stopped reading: %v", sent, err)
			}
			break
		}
	}
	wait(t, "the client to close", c.Done())
	if err := c.Err(); !errors.Is(err, errWritesStalled) {
		t.Fatalf("closed with %v, want %v", err, errWritesStalled)
	}
	if sent < serveQueue+writeQueue {
		t.Fatalf("closed after %d requests, before the queues were full", sent)
	}
}

// ignoringHandler is a pipeHandler whose check.test ignores its context:
// it returns only when released.
type ignoringHandler struct{ *pipeHandler }

func (h ignoringHandler) CheckTest(context.Context, json.RawMessage) (any, error) {
	h.entered <- struct{}{}
	<-h.release
	return nil, nil
}

// TestClientCallOnAClosingClientWaitsForDone: between the close and the end
// of its last goroutine a client is closed but not done; a Call that fails
// then returns only once Done is closed, so a caller that picks a client
// among those not done (Manager.best) does not spin on it.
func TestClientCallOnAClosingClientWaitsForDone(t *testing.T) {
	h := ignoringHandler{newPipeHandler()}
	clock := &stepClock{now: time.Unix(1e9, 0), waits: make(chan chan time.Time, 1)}
	c, p := newPipeClient(t, h, clock)
	p.reply(p.readRequest(MethodScheduleGet), schedule("first"))
	p.request(1, MethodCheckTest, CheckTestParams{CheckParams: "{}"})
	wait(t, "check.test to start", h.entered)
	c.closeWith(errors.New("test: closing"))

	type outcome struct {
		err  error
		done bool
	}
	result := make(chan outcome, 1)
	go func() {
		err := c.Call(context.Background(), MethodHeartbeat, HeartbeatParams{}, nil)
		select {
		case <-c.Done():
			result <- outcome{err, true}
		default:
			result <- outcome{err, false}
		}
	}()
	close(h.release)
	got := wait(t, "Call to return", result)
	if !errors.Is(got.err, ErrClosed) || !got.done {
		t.Fatalf("Call on a closing client: %v, Done closed: %v; want ErrClosed after Done", got.err, got.done)
	}
}
