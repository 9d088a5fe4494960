package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/internal/version"
	"github.com/virgo-top/virgo-top/protocol"
)

// linkRun is a Runtime running against a fixture endpoint on loopback.
type linkRun struct {
	fx   *fixtures.Server
	rt   *Runtime
	ctx  context.Context
	done chan error
}

// startLink starts a fixture endpoint with fo and a Runtime reporting to it,
// built from a setup as edit leaves it; both stop when the test ends.
func startLink(t *testing.T, fo fixtures.Options, edit func(*Setup)) *linkRun {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if fo.Logger == nil {
		fo.Logger = slog.New(slog.DiscardHandler)
	}
	fx, err := fixtures.New(fo)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = fx.Serve(ctx)
	}()
	cfg := config.Default()
	cfg.Endpoints = []string{fx.Addr()}
	cfg.MonitoringID = "agentA"
	cfg.Token = "MYTOKEN-0000"
	cfg.Interval = 200 * time.Millisecond
	cfg.ConfdDir = t.TempDir()
	cfg.StateDir = t.TempDir()
	setup := Setup{Config: cfg, Version: "test", CAPEM: fx.CAPEM(), UseStateDir: true}
	if edit != nil {
		edit(&setup)
	}
	rt, err := Build(setup)
	if err != nil {
		cancel()
		<-served
		t.Fatal(err)
	}
	l := &linkRun{fx: fx, rt: rt, ctx: ctx, done: make(chan error, 1)}
	go func() { l.done <- rt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-l.done; err != nil {
			t.Errorf("Run: %v", err)
		}
		fx.Close()
		<-served
	})
	return l
}

// waitFor polls cond until it holds or the run's context ends.
func (l *linkRun) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-l.ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestPostsCarryMinCheckPeriod: every check_metrics.post carries the
// schedule's min_check_period as the original computes it (shortest period
// plus 15 s: schedule/scheduler.lua:61, virgo_messages.lua:63).
func TestPostsCarryMinCheckPeriod(t *testing.T) {
	schedule := []protocol.CheckDef{
		{ID: "chMEM", Type: "agent.memory", Period: 1, Timeout: 1},
		{ID: "chLOAD", Type: "agent.load_average", Period: 30, Timeout: 10},
	}
	l := startLink(t, fixtures.Options{Schedule: schedule}, nil)
	l.waitFor(t, "two posts of chMEM", func() bool { return l.fx.Stats().MetricPosts["chMEM"] >= 2 })
	for _, p := range l.fx.AcceptedPosts() {
		if p.Post.MinCheckPeriod != 16000 {
			t.Errorf("post of %s: min_check_period %d, want 16000 (1 s + 15 s)", p.Post.CheckID, p.Post.MinCheckPeriod)
		}
	}
}

// recordBuffer collects the fixture endpoint's record of received messages.
type recordBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (r *recordBuffer) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.b.Write(p)
}

// requests returns the params of every recorded request of method.
func (r *recordBuffer) requests(t *testing.T, method string) []json.RawMessage {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []json.RawMessage
	for _, line := range bytes.Split(r.b.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var rec fixtures.Record
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		var req struct {
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(rec.Message, &req) == nil && req.Method == method {
			out = append(out, req.Params)
		}
	}
	return out
}

// TestHelloSendsTheReleaseAndFeatures: handshake.hello carries the dotted
// release number of internal/version/VERSION in process_version and
// bundle_version whatever the build passed as Setup.Version (so go build
// without the Makefile sends it too), the features list in the original's
// shape (features.lua: {name, version[, disabled]}) and our agent_name.
func TestHelloSendsTheReleaseAndFeatures(t *testing.T) {
	var rec recordBuffer
	l := startLink(t, fixtures.Options{Record: &rec}, func(s *Setup) { s.Config.Health = false })
	l.waitFor(t, "a hello", func() bool { return l.fx.Stats().Hellos > 0 })
	hellos := rec.requests(t, protocol.MethodHello)
	if len(hellos) == 0 {
		t.Fatal("no hello recorded")
	}
	var p struct {
		AgentName      string          `json:"agent_name"`
		ProcessVersion string          `json:"process_version"`
		BundleVersion  string          `json:"bundle_version"`
		Features       json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(hellos[0], &p); err != nil {
		t.Fatal(err)
	}
	if p.ProcessVersion != version.Version || p.BundleVersion != version.Version || !version.Valid(p.ProcessVersion) {
		t.Errorf("hello versions %q/%q, want the VERSION file's %q", p.ProcessVersion, p.BundleVersion, version.Version)
	}
	if p.AgentName != AgentName {
		t.Errorf("agent_name %q", p.AgentName)
	}
	// The original's shape: disabled only when true (features.lua:32).
	var got []map[string]any
	if err := json.Unmarshal(p.Features, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{{"name": "confd", "version": "1.0.0"}, {"name": "health", "version": "1.0.0", "disabled": true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("features %s, want %v", p.Features, want)
	}
}

// failingOnceResolver fails its first SRV lookup, then points at addr.
type failingOnceResolver struct {
	addr  string
	mu    sync.Mutex
	calls int
}

func (r *failingOnceResolver) LookupSRV(_ context.Context, _, _, name string) (string, []*net.SRV, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls == 1 {
		return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	host, port, _ := net.SplitHostPort(r.addr)
	p, _ := strconv.Atoi(port)
	return "", []*net.SRV{{Target: host + ".", Port: uint16(p)}}, nil
}

// TestQueryEndpointsResolvedAtEveryAttempt: monitoring_query_endpoints are
// looked up before every connection attempt, so a DNS failure at start
// only delays the first connection (the runtime used to resolve them once
// in Build and run with no endpoint at all).
func TestQueryEndpointsResolvedAtEveryAttempt(t *testing.T) {
	res := &failingOnceResolver{}
	l := startLink(t, fixtures.Options{Schedule: []protocol.CheckDef{{ID: "chMEM", Type: "agent.memory", Period: 1, Timeout: 1}}},
		func(s *Setup) {
			s.Config.Endpoints = nil
			s.Config.QueryEndpoints = []string{"_monitoringagent._tcp.test.example"}
			s.Resolver = res
		})
	res.mu.Lock()
	res.addr = l.fx.Addr()
	res.mu.Unlock()
	if l.rt.Manager == nil {
		t.Fatal("no endpoint manager for query endpoints")
	}
	l.waitFor(t, "a post after a failed first lookup", func() bool { return l.fx.Stats().MetricPosts["chMEM"] >= 1 })
	if st := l.rt.Manager.Status().Endpoints[0]; st.Endpoint != "SRV:_monitoringagent._tcp.test.example" || st.Address != l.fx.Addr() {
		t.Errorf("endpoint status %+v", st)
	}
}

// TestCertificatePathTrustsTheEndpoint: certificate_path, the original's key
// for a custom CA (main.lua:245, 256-265), is what the agent trusts.
func TestCertificatePathTrustsTheEndpoint(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	l := startLink(t, fixtures.Options{}, func(s *Setup) {
		if err := os.WriteFile(caFile, s.CAPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		parsed, err := config.Parse(strings.NewReader("certificate_path "+caFile+"\n"), "virgo.cfg")
		if err != nil {
			t.Fatal(err)
		}
		s.CAPEM, s.Config.CAFile = nil, parsed.CAFile
	})
	l.waitFor(t, "a hello over TLS trusted through certificate_path", func() bool { return l.fx.Stats().Hellos > 0 })
}

// TestSameEndpointSeesTheLinkKeys: a reload that changes what the link is
// built from (SRV names, the hello's health feature) makes a new agent, not
// a kept one.
func TestSameEndpointSeesTheLinkKeys(t *testing.T) {
	base := config.Default()
	for name, edit := range map[string]func(*config.Config){
		"query endpoints": func(c *config.Config) { c.QueryEndpoints = []string{"_monitoringagent._tcp.x.example"} },
		"snet region":     func(c *config.Config) { c.SnetRegion = "dfw" },
		"health":          func(c *config.Config) { c.Health = !c.Health },
	} {
		c := config.Default()
		edit(&c)
		if SameEndpoint(base, c) {
			t.Errorf("%s changed: SameEndpoint still true", name)
		}
	}
	if !SameEndpoint(base, config.Default()) {
		t.Error("identical configs differ")
	}
}
