package protocol_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// TestScheduleFetchedOnlyForAnEntity: the schedule is fetched after the
// hello only when its result names an entity, as the original does
// (connection_messages.lua:29-37); an unbound agent fetches it when the
// endpoint sends check_schedule.changed (connection_messages.lua:81-85).
func TestScheduleFetchedOnlyForAnEntity(t *testing.T) {
	for _, unbound := range []bool{false, true} {
		srv := startServer(t, fixtures.Options{Unbound: unbound})
		h := &recordingHandler{}
		o := clientOptions(t, srv)
		o.Handler = h
		m, err := protocol.NewManager(o, nil)
		if err != nil {
			t.Fatal(err)
		}
		runManager(t, m)
		// Three heartbeats answered: the connection has been up long
		// enough for a schedule fetch to have happened.
		eventually(t, "3 heartbeats", func() bool { return srv.Stats().Heartbeats >= 3 })
		gets := srv.Stats().ScheduleGets
		switch {
		case !unbound && (gets != 1 || h.count() != 1):
			t.Errorf("bound: %d schedule fetches, %d schedules, want 1 each", gets, h.count())
		case unbound && (gets != 0 || h.count() != 0):
			t.Errorf("unbound: %d schedule fetches, %d schedules, want none", gets, h.count())
		}
		if st := m.Status(); unbound && st.Endpoints[0].EntityID != "" {
			t.Errorf("unbound: entity %q", st.Endpoints[0].EntityID)
		}
		if unbound {
			srv.Push(protocol.MethodScheduleChanged, nil)
			eventually(t, "a schedule after check_schedule.changed", func() bool { return h.count() == 1 })
		}
	}
}

// fakeResolver answers SRV lookups from a script: each lookup takes the
// next answer (the last one repeats); an empty target is a DNS failure.
type fakeResolver struct {
	mu      sync.Mutex
	answers []string // host:port, or "" to fail
	calls   int
}

func (r *fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.answers[min(r.calls, len(r.answers)-1)]
	r.calls++
	if service != "" || proto != "" || name != "_monitoringagent._tcp.test.example" {
		return "", nil, fmt.Errorf("unexpected lookup %q %q %q", service, proto, name)
	}
	if a == "" {
		return "", nil, &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	host, port, _ := net.SplitHostPort(a)
	p, _ := strconv.Atoi(port)
	return "", []*net.SRV{{Target: host + ".", Port: uint16(p)}, {Target: "unused.example.", Port: 1}}, nil
}

func (r *fakeResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// TestSRVResolvedAtEveryReconnect: an SRV endpoint is looked up before
// every connection attempt (endpoint.lua:45-60 from connection_stream.lua:
// 359): a DNS failure at start is retried, and after a drop the agent
// follows the record to wherever it points now.
func TestSRVResolvedAtEveryReconnect(t *testing.T) {
	a := startServer(t, fixtures.Options{})
	b := startServer(t, fixtures.Options{})
	res := &fakeResolver{answers: []string{"", "", a.Addr(), b.Addr()}}
	o := clientOptions(t, a, b)
	o.Endpoints = nil
	o.SRVNames = []string{"_monitoringagent._tcp.test.example"}
	o.Resolver = res
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)
	eventually(t, "a connection to the first address", func() bool { return a.Stats().Hellos == 1 })
	st := m.Status().Endpoints[0]
	if st.Endpoint != "SRV:_monitoringagent._tcp.test.example" || st.Address != a.Addr() || st.Reconnects != 2 {
		t.Errorf("status after two failed lookups: %+v", st)
	}
	a.DropConnections()
	eventually(t, "a connection to the record's new address", func() bool { return b.Stats().Hellos == 1 })
	if n := res.count(); n != 4 {
		t.Errorf("%d lookups, want 4 (one per attempt)", n)
	}
	if err := m.Post(post("chMEM000001", 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the post at the new address", func() bool { return len(b.AcceptedPosts()) == 1 })
}

// TestProxyFromEnvAsTheOriginal: HTTP_PROXY first, as the original reads it
// (main.lua:267: HTTP_PROXY or HTTPS_PROXY), each lower-case form after its
// upper-case one.
func TestProxyFromEnvAsTheOriginal(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"https_proxy": "http://c:1"}, "http://c:1"},
		{map[string]string{"HTTPS_PROXY": "http://b:1", "https_proxy": "http://c:1"}, "http://b:1"},
		{map[string]string{"http_proxy": "http://d:1", "HTTPS_PROXY": "http://b:1"}, "http://d:1"},
		{map[string]string{"HTTP_PROXY": "http://a:1", "http_proxy": "http://d:1", "HTTPS_PROXY": "http://b:1"}, "http://a:1"},
		{map[string]string{"HTTP_PROXY": "  ", "HTTPS_PROXY": "http://b:1"}, "http://b:1"},
	}
	for _, tt := range tests {
		if got := protocol.ProxyFromEnv(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("ProxyFromEnv(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestProxyBypassed(t *testing.T) {
	tests := []struct {
		noProxy, endpoint string
		want              bool
	}{
		{"", "agent-endpoint.example.com:443", false},
		{"*", "agent-endpoint.example.com:443", true},
		{"example.com", "agent-endpoint.example.com:443", true},
		{".example.com", "agent-endpoint.example.com:443", true},
		{"example.com", "example.com:443", true},
		{"ample.com", "agent-endpoint.example.com:443", false},
		{"other.org, example.com", "x.example.com:443", true},
		{"other.org example.com", "x.example.com:443", true},
		{"EXAMPLE.COM", "x.Example.com.:443", true},
		{"example.com:443", "x.example.com:443", true},
		{"example.com:8443", "x.example.com:443", false},
		{"10.0.0.0/8", "10.1.2.3:443", true},
		{"10.0.0.0/8", "11.1.2.3:443", false},
		{"10.0.0.0/8", "ten.example.com:443", false},
		{"127.0.0.1", "127.0.0.1:50041", true},
		{"::1", "[::1]:50041", true},
		{"[::1]:50041", "[::1]:50041", true},
		{",,", "x.example.com:443", false},
		{".", "x.example.com:443", false},
	}
	for _, tt := range tests {
		if got := protocol.ProxyBypassed(tt.noProxy, tt.endpoint); got != tt.want {
			t.Errorf("ProxyBypassed(%q, %q) = %v, want %v", tt.noProxy, tt.endpoint, got, tt.want)
		}
	}
}

// connectProxy is an HTTP CONNECT proxy on loopback (plain, or TLS with
// httptest's certificate), counting the tunnels it opened.
type connectProxy struct {
	srv   *httptest.Server
	mu    sync.Mutex
	conns int
}

func startConnectProxy(t *testing.T, useTLS bool) *connectProxy {
	t.Helper()
	p := &connectProxy{}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		up, err := net.Dial("tcp", strings.Replace(r.Host, "localhost", "127.0.0.1", 1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer up.Close()
		c, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		p.mu.Lock()
		p.conns++
		p.mu.Unlock()
		_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.Copy(up, brw)
			up.Close()
		}()
		_, _ = io.Copy(c, up)
		c.Close()
		<-done
	}))
	if useTLS {
		p.srv.StartTLS()
	} else {
		p.srv.Start()
	}
	t.Cleanup(p.srv.Close)
	return p
}

func (p *connectProxy) tunnels() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// TestProxyFromTheEnvironment: HTTP_PROXY is honoured (it was ignored:
// only HTTPS_PROXY was read), NO_PROXY sends the endpoint past it, and an
// https:// proxy is spoken to over TLS, then CONNECT.
func TestProxyFromTheEnvironment(t *testing.T) {
	srv := startServer(t, fixtures.Options{})
	plain := startConnectProxy(t, false)
	secure := startConnectProxy(t, true)
	pool := x509.NewCertPool()
	pool.AddCert(secure.srv.Certificate())
	_, port, _ := net.SplitHostPort(srv.Addr())
	endpoint := net.JoinHostPort("localhost", port)

	tests := []struct {
		name          string
		env           map[string]string
		plain, secure int // tunnels expected through each proxy
	}{
		{"HTTP_PROXY", map[string]string{"HTTP_PROXY": plain.srv.URL}, 1, 0},
		{"http_proxy", map[string]string{"http_proxy": plain.srv.URL}, 1, 0},
		{"NO_PROXY", map[string]string{"HTTP_PROXY": plain.srv.URL, "NO_PROXY": "localhost"}, 0, 0},
		{"no_proxy", map[string]string{"HTTP_PROXY": plain.srv.URL, "no_proxy": "*"}, 0, 0},
		{"https proxy", map[string]string{"HTTPS_PROXY": secure.srv.URL}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p0, s0 := plain.tunnels(), secure.tunnels()
			o := clientOptions(t, srv)
			o.Getenv = func(k string) string { return tt.env[k] }
			o.ProxyRootCAs = pool
			c, err := protocol.Dial(context.Background(), endpoint, o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var s protocol.Schedule
			if err := c.Call(context.Background(), protocol.MethodScheduleGet, struct{}{}, &s); err != nil {
				t.Fatal(err)
			}
			if p, s := plain.tunnels()-p0, secure.tunnels()-s0; p != tt.plain || s != tt.secure {
				t.Errorf("tunnels through the plain proxy %d, the TLS proxy %d; want %d, %d", p, s, tt.plain, tt.secure)
			}
		})
	}

	// An https:// proxy whose certificate is not trusted is refused.
	o := clientOptions(t, srv)
	o.ProxyURL = secure.srv.URL
	_, err := protocol.Dial(context.Background(), endpoint, o)
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Fatalf("untrusted https proxy: %v", err)
	}
}

// FuzzProxyBypassed: any NO_PROXY and endpoint text is judged without a
// panic, and "*" bypasses everything.
func FuzzProxyBypassed(f *testing.F) {
	for _, s := range []string{"*", "example.com,.example.org:443", "10.0.0.0/8 ::1", "[::1]:1,,", "a:b:c", "%zz", "/8"} {
		f.Add(s, "x.example.com:443")
		f.Add(s, "[::1]:443")
	}
	f.Fuzz(func(t *testing.T, noProxy, endpoint string) {
		_ = protocol.ProxyBypassed(noProxy, endpoint)
		if !protocol.ProxyBypassed("*", endpoint) {
			t.Fatal(`"*" did not bypass`)
		}
	})
}

// TestCallBound: config_file.post goes only on a connection whose hello
// named an entity (confd.lua:115-121: "not bound to an entity"), and the
// endpoint's reply has the original's shape.
func TestCallBound(t *testing.T) {
	for _, unbound := range []bool{true, false} {
		srv := startServer(t, fixtures.Options{Unbound: unbound})
		m, err := protocol.NewManager(clientOptions(t, srv), nil)
		if err != nil {
			t.Fatal(err)
		}
		runManager(t, m)
		eventually(t, "connected", func() bool { return m.Status().Endpoints[0].State == protocol.StateConnected })
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		var res protocol.ConfigFileResult
		_, err = m.CallBound(ctx, protocol.MethodConfigFilePost, protocol.ConfigFilePost{ConfigData: map[string]string{"a.yaml": "type: agent.cpu\n"}}, &res)
		cancel()
		switch {
		case unbound && (!errors.Is(err, context.DeadlineExceeded) || srv.Stats().ConfigPosts != 0):
			t.Errorf("unbound: %v, %d posts; want no call", err, srv.Stats().ConfigPosts)
		case !unbound && (err != nil || !res.Success || len(res.Values) != 1 || res.Values[0].Location != "a.yaml"):
			t.Errorf("bound: %v, %+v", err, res)
		}
	}
}
