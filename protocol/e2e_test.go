package protocol_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

const testToken = "0000000000000000secret-token.7777"

// syncBuffer is a record writer the test can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Records(t testing.TB) []fixtures.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []fixtures.Record
	sc := bufio.NewScanner(bytes.NewReader(s.b.Bytes()))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		var r fixtures.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("record line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startServer runs a fixture endpoint on 127.0.0.1 for the test.
func startServer(t *testing.T, opts fixtures.Options) *fixtures.Server {
	t.Helper()
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 100 * time.Millisecond
	}
	srv, err := fixtures.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return srv
}

// recordingHandler is a protocol.Handler that remembers schedules.
type recordingHandler struct {
	mu        sync.Mutex
	schedules [][]protocol.CheckDef
}

func (h *recordingHandler) HostInfoTypes() []string { return []string{"CPU", "MEMORY"} }
func (h *recordingHandler) HostInfo(_ context.Context, typ string) (any, error) {
	if typ != "CPU" {
		return nil, fmt.Errorf("no host info %s", typ)
	}
	return map[string]int{"count": 2}, nil
}
func (h *recordingHandler) CheckTargets(_ context.Context, checkType string) ([]string, error) {
	return []string{checkType + "-target"}, nil
}
func (h *recordingHandler) CheckTest(_ context.Context, raw json.RawMessage) (any, error) {
	return map[string]any{"state": "available", "status": "tested", "metrics": json.RawMessage(raw)}, nil
}
func (h *recordingHandler) SystemInfo(context.Context) (any, error) {
	return map[string]string{"sysinfo": "test"}, nil
}
func (h *recordingHandler) ScheduleChanged(_ string, checks []protocol.CheckDef) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.schedules = append(h.schedules, checks)
}
func (h *recordingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.schedules)
}

func clientOptions(t testing.TB, srvs ...*fixtures.Server) protocol.Options {
	o := protocol.Options{
		Token:            testToken,
		AgentID:          "agentA",
		AgentName:        "virgo-top",
		ProcessVersion:   "0.1.0",
		BundleVersion:    "0.1.0",
		Features:         []protocol.Feature{{Name: "confd", Version: "1.0.0"}},
		ConnectTimeout:   2 * time.Second,
		HandshakeTimeout: 2 * time.Second,
		HeartbeatTimeout: 400 * time.Millisecond,
		PostTimeout:      2 * time.Second,
		BackoffInitial:   30 * time.Millisecond,
		BackoffMax:       150 * time.Millisecond,
		Logger:           testLogger(t),
		Getenv:           func(string) string { return "" },
	}
	var ca []byte
	for _, s := range srvs {
		o.Endpoints = append(o.Endpoints, s.Addr())
		ca = append(ca, s.CAPEM()...)
	}
	o.CAPEM = ca
	return o
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runManager runs m until the test ends. The returned channel receives
// Run's error once.
func runManager(t *testing.T, m *protocol.Manager) (<-chan error, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		errc <- m.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Manager.Run did not return")
		}
	})
	return errc, cancel
}

func post(checkID string, ts int64) protocol.MetricsPost {
	var m protocol.Metrics
	m.Add("", "used", protocol.Gauge(uint64(ts), "bytes"))
	m.Add("eth0", "rx_bytes", protocol.Uint64(42, "bytes"))
	return protocol.MetricsPost{CheckID: checkID, CheckType: "agent.memory", State: protocol.StateAvailable, Status: "success", Timestamp: ts, Metrics: m}
}

func TestManagerEndToEnd(t *testing.T) {
	rec := &syncBuffer{}
	srv := startServer(t, fixtures.Options{Record: rec})
	h := &recordingHandler{}
	o := clientOptions(t, srv)
	o.Handler = h
	logs := &syncBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if strings.Contains(logs.String(), testToken) {
			t.Errorf("token in the logs:\n%s", logs.String())
		}
	})
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)
	eventually(t, "schedule", func() bool { return h.count() >= 1 })
	h.mu.Lock()
	got := h.schedules[0]
	h.mu.Unlock()
	want := fixtures.DefaultSchedule("", "")
	if len(got) != len(want) || got[0].ID != want[0].ID || got[0].Alarms["default"].Criteria != want[0].Alarms["default"].Criteria {
		t.Fatalf("schedule %+v", got)
	}
	for i := 1; i <= 5; i++ {
		if err := m.Post(post("chMEM000001", int64(i))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "5 posts", func() bool { return len(srv.AcceptedPosts()) == 5 })
	eventually(t, "2 heartbeats", func() bool { return srv.Stats().Heartbeats >= 2 })
	eventually(t, "rtt", func() bool { st := m.Status(); return st.Endpoints[0].RTTKnown })
	for i, p := range srv.AcceptedPosts() {
		if p.Post.CheckID != "chMEM000001" || p.Post.Timestamp != int64(i+1) {
			t.Errorf("post %d: %+v", i, p.Post)
		}
		if v, _ := p.Post.Metrics.Get("eth0", "rx_bytes"); v.Value != "42" {
			t.Errorf("post %d rx_bytes %+v", i, v)
		}
	}
	st := m.Status()
	if st.Spool.Sent != 5 || st.Spool.Depth != 0 || st.Endpoints[0].State != protocol.StateConnected || !st.Endpoints[0].Active || st.Endpoints[0].EntityID != "enFixture" {
		t.Fatalf("status %+v", st)
	}
	if strings.Contains(rec.String(), testToken) {
		t.Fatal("token in the record")
	}
	if !strings.Contains(rec.String(), `"token":"****7777"`) {
		t.Fatal("masked token missing from the record")
	}

	// check_schedule.changed: acked with {} and the schedule fetched again.
	gets := srv.Stats().ScheduleGets
	if n := srv.Push(protocol.MethodScheduleChanged, nil); n != 1 {
		t.Fatalf("pushed to %d connections", n)
	}
	eventually(t, "schedule re-fetch", func() bool { return h.count() >= 2 && srv.Stats().ScheduleGets == gets+1 })

	// Endpoint requests the agent answers, and one it does not know.
	srv.Push(protocol.MethodCheckTargets, protocol.CheckTargetsParams{Type: "agent.disk"})
	srv.Push(protocol.MethodHostInfo, protocol.HostInfoParams{Type: "NOPE"})
	srv.Push("no.such.method", nil)
	eventually(t, "3 responses", func() bool { return srv.Stats().Responses >= 4 })
	var results, errs []string
	for _, r := range rec.Records(t) {
		var resp struct {
			Method string          `json:"method"`
			Result json.RawMessage `json:"result"`
			Error  *protocol.Error `json:"error"`
		}
		_ = json.Unmarshal(r.Message, &resp)
		if resp.Method != "" {
			continue
		}
		if resp.Error != nil {
			errs = append(errs, resp.Error.Message)
		} else {
			results = append(results, string(resp.Result))
		}
	}
	sort.Strings(errs)
	if strings.Join(results, " ") != `{} {"targets":["agent.disk-target"]}` || strings.Join(errs, "|") != "no host info NOPE|unknown method no.such.method" {
		t.Fatalf("results %q errors %q", results, errs)
	}
	if srv.Stats().Hellos != 1 {
		t.Fatalf("reconnected after an unknown method: %+v", srv.Stats())
	}
}

// proxy is a minimal HTTP CONNECT proxy on loopback that records the
// CONNECT targets and the Proxy-Authorization it saw.
type proxy struct {
	ln      net.Listener
	mu      sync.Mutex
	targets []string
	auth    []string
}

func startProxy(t *testing.T) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go p.serve()
	t.Cleanup(func() { ln.Close() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *proxy) handle(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.RequestURI)
	p.auth = append(p.auth, req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	// Resolve the name as a proxy would; the agent did not.
	up, err := net.Dial("tcp", strings.Replace(req.RequestURI, "localhost", "127.0.0.1", 1))
	if err != nil {
		fmt.Fprintf(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	fmt.Fprintf(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() {
		_, _ = io.Copy(up, br)
		up.Close()
	}()
	_, _ = io.Copy(c, up)
}

func TestClientThroughProxy(t *testing.T) {
	srv := startServer(t, fixtures.Options{})
	p := startProxy(t)
	_, port, _ := net.SplitHostPort(srv.Addr())
	endpoint := net.JoinHostPort("localhost", port)
	o := clientOptions(t, srv)
	// The proxy comes from the injected environment, with credentials.
	o.Getenv = func(k string) string {
		if k == "https_proxy" {
			return "http://agent:s3cret@" + p.ln.Addr().String()
		}
		return ""
	}
	c, err := protocol.Dial(context.Background(), endpoint, o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var s protocol.Schedule
	if err := c.Call(context.Background(), protocol.MethodScheduleGet, struct{}{}, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Checks) != 6 {
		t.Fatalf("schedule through proxy: %d checks", len(s.Checks))
	}
	p.mu.Lock()
	targets, auth := p.targets, p.auth
	p.mu.Unlock()
	if len(targets) != 1 || targets[0] != endpoint {
		t.Fatalf("proxy saw CONNECT %q, want the host name %q", targets, endpoint)
	}
	if auth[0] != "Basic YWdlbnQ6czNjcmV0" { // agent:s3cret
		t.Fatalf("proxy auth %q", auth[0])
	}

	// A refused CONNECT names the proxy without its password.
	o.ProxyURL = "http://agent:s3cret@" + p.ln.Addr().String()
	_, err = protocol.Dial(context.Background(), "localhost:1", o)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "502") {
		t.Fatalf("dial through proxy to a bad host: %v", err)
	}
}

func TestClientRejectsUnknownCA(t *testing.T) {
	srv := startServer(t, fixtures.Options{})
	o := clientOptions(t, srv)
	o.CAPEM = nil
	o.CAFile = filepath.Join(t.TempDir(), "other-ca.pem")
	other := startServer(t, fixtures.Options{})
	if err := other.WriteCA(o.CAFile); err != nil {
		t.Fatal(err)
	}
	_, err := protocol.Dial(context.Background(), srv.Addr(), o)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("dial with the wrong CA: %v", err)
	}
	o.Insecure = true
	logs := &syncBuffer{}
	o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var c *protocol.Client
	for range 2 {
		if c, err = protocol.Dial(context.Background(), srv.Addr(), o); err != nil {
			t.Fatalf("insecure dial: %v", err)
		}
		c.Close()
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"TLS certificate verification is disabled (insecure)\""); n != 2 {
		t.Fatalf("%d insecure warnings for 2 connects:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), testToken) || !strings.Contains(logs.String(), "token=****7777") {
		t.Fatalf("token handling in logs:\n%s", logs.String())
	}
	if !errors.Is(c.Call(context.Background(), protocol.MethodHeartbeat, protocol.HeartbeatParams{}, nil), protocol.ErrClosed) {
		t.Fatal("call on a closed client did not fail with ErrClosed")
	}
}
