package endpoint

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/endpoint/alertmanager"
	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
	"github.com/virgo-top/virgo-top/protocol"
)

const (
	tokenA = "tokenAAAAAAAAAAAAAAAAAAAA1111"
	tokenB = "tokenBBBBBBBBBBBBBBBBBBBB2222"
)

// fakeOutput is an in-process output: it records what it took, fails with
// err, and waits on gate (when set) before answering.
type fakeOutput struct {
	name      string
	mu        sync.Mutex
	series    []remotewrite.Series
	alerts    []alertmanager.Alert
	err       error
	permanent bool
	gate      chan struct{}
	entered   chan struct{}
	calls     int
}

var errRetry = errors.New("engine down")

func (f *fakeOutput) Name() string { return f.name }
func (f *fakeOutput) Send(ctx context.Context, s []remotewrite.Series, a []alertmanager.Alert) error {
	f.mu.Lock()
	gate, entered := f.gate, f.entered
	f.mu.Unlock()
	if entered != nil {
		entered <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	f.series = append(f.series, s...)
	f.alerts = append(f.alerts, a...)
	return nil
}
func (f *fakeOutput) Permanent(err error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.permanent && err != nil
}
func (f *fakeOutput) Reload() error { return nil }

func (f *fakeOutput) taken() ([]remotewrite.Series, []alertmanager.Alert) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]remotewrite.Series(nil), f.series...), append([]alertmanager.Alert(nil), f.alerts...)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type testEndpoint struct {
	srv   *Server
	out   *fakeOutput
	addr  string
	log   *syncBuffer
	clock *fakeClock
	done  chan error
}

func testConfig() *Config {
	c := &Config{InsecurePlaintext: true, TokenFile: "x", Outputs: Outputs{RemoteWrite: []HTTPOutput{{URL: "http://x"}}}}
	c.setDefaults()
	c.Limits.MaxLineSize = 64 << 10
	return c
}

func startEndpoint(t *testing.T, cfg *Config, scheds *Schedules) *testEndpoint {
	t.Helper()
	if cfg == nil {
		cfg = testConfig()
	}
	toks, err := ParseTokens([]byte(tokenA + " agent-a* shared\n" + tokenB + " agent-b\n"))
	if err != nil {
		t.Fatal(err)
	}
	te := &testEndpoint{out: &fakeOutput{name: "fake"}, log: &syncBuffer{}, clock: &fakeClock{t: time.Unix(1_800_000_000, 0)}, done: make(chan error, 1)}
	te.srv = New(Options{Config: cfg, Tokens: toks, Schedules: scheds, Outputs: []Output{te.out},
		Logger: slog.New(slog.NewTextHandler(te.log, &slog.HandlerOptions{Level: slog.LevelDebug})), Now: te.clock.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	te.addr = ln.Addr().String()
	go func() { te.done <- te.srv.Serve(ln) }()
	t.Cleanup(func() {
		te.srv.Close()
		if err := <-te.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return te
}

// agentConn is a raw line client.
type agentConn struct {
	t  *testing.T
	c  net.Conn
	r  *bufio.Reader
	id int
}

func dialAgent(t *testing.T, addr string) *agentConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // a hang fails the test instead of stalling it
	return &agentConn{t: t, c: c, r: bufio.NewReaderSize(c, 1<<20)}
}

func (a *agentConn) send(line string) {
	a.t.Helper()
	if _, err := a.c.Write([]byte(line + "\n")); err != nil {
		a.t.Fatalf("write: %v", err)
	}
}

// request sends a request and returns its id.
func (a *agentConn) request(method string, params any) int {
	a.t.Helper()
	a.id++
	b, _ := json.Marshal(map[string]any{"v": "1", "id": a.id, "source": "guid-1", "target": "endpoint", "method": method, "params": params})
	a.send(string(b))
	return a.id
}

// read returns the next message.
func (a *agentConn) read() (protocol.Message, error) {
	line, err := a.r.ReadBytes('\n')
	if err != nil {
		return protocol.Message{}, err
	}
	return protocol.Decode(bytes.TrimSpace(line))
}

// response reads until the response to id (endpoint requests are skipped).
func (a *agentConn) response(id int) *protocol.Response {
	a.t.Helper()
	for {
		m, err := a.read()
		if err != nil {
			a.t.Fatalf("reading the response to %d: %v", id, err)
		}
		if m.Response != nil && m.Response.ID.String() == fmt.Sprint(id) {
			return m.Response
		}
	}
}

func (a *agentConn) call(method string, params any) *protocol.Response {
	a.t.Helper()
	return a.response(a.request(method, params))
}

func (a *agentConn) hello(token, agentID string) *protocol.Response {
	a.t.Helper()
	return a.call(protocol.MethodHello, protocol.HelloParams{Token: token, AgentID: agentID, AgentName: "test", ProcessVersion: "1.0.0", BundleVersion: "1.0.0"})
}

// expectClosed reads until EOF; an error other than EOF fails.
func (a *agentConn) expectClosed() {
	a.t.Helper()
	for {
		if _, err := a.r.ReadBytes('\n'); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				a.t.Fatal("connection still open")
			}
			return
		}
	}
}

func cpuPost(checkID string, ts int64, alarms map[string]protocol.AlarmState) protocol.MetricsPost {
	var m protocol.Metrics
	m.Add("", "usage_average", protocol.Double(42.5, "percent"))
	m.Add("", "name", protocol.String("x"))
	return protocol.MetricsPost{CheckID: checkID, CheckType: "agent.cpu", State: "available", Status: "ok", Timestamp: ts, Metrics: m, Alarms: alarms}
}
