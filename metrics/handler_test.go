package metrics

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/protocol"
)

func TestHealthz(t *testing.T) {
	snapAt := func(age, elapsed time.Duration) *collector.Snapshot {
		return &collector.Snapshot{Time: scrapeTime.Add(-age), Elapsed: elapsed}
	}
	tests := []struct {
		name     string
		snap     *collector.Snapshot
		wantCode int
		wantBody string
	}{
		{"no snapshot", nil, 503, "no snapshot yet\n"},
		{"fresh", snapAt(time.Second, time.Second), 200, "ok\n"},
		{"first sample", snapAt(0, 0), 200, "ok\n"},
		{"just under the floor", snapAt(9999*time.Millisecond, time.Second), 200, "ok\n"},
		{"at the floor", snapAt(10*time.Second, time.Second), 503,
			"latest snapshot is stale: 10s old (limit 10s)\n"},
		{"long interval, two intervals old", snapAt(2*time.Minute, time.Minute), 200, "ok\n"},
		{"long interval, three intervals old", snapAt(3*time.Minute, time.Minute), 503,
			"latest snapshot is stale: 3m0s old (limit 3m0s)\n"},
		{"clock went back", snapAt(-time.Hour, time.Second), 200, "ok\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := scrape(t, &fakeSource{snap: tt.snap}, "/healthz")
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
	// A spool that is not on disk (a full state dir): working, degraded.
	degraded := &fakeSource{snap: snapAt(time.Second, time.Second), hasEndpoint: true,
		status: protocol.Status{Spool: protocol.SpoolStats{Degraded: "spool in memory only: no space left on device"}}}
	if code, body := scrape(t, degraded, "/healthz"); code != 200 || body != "degraded: spool in memory only: no space left on device\n" {
		t.Errorf("degraded spool: %d %q", code, body)
	}
}

func TestHandlerRoutes(t *testing.T) {
	h := newHandler(sampleSource(), testOpts, fixedNow)
	tests := []struct {
		method, path string
		wantCode     int
		wantType     string
	}{
		{"GET", "/", 200, "text/plain; charset=utf-8"},
		{"GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8"},
		{"GET", "/healthz", 200, "text/plain; charset=utf-8"},
		{"HEAD", "/healthz", 200, "text/plain; charset=utf-8"},
		{"GET", "/nope", 404, ""},
		{"POST", "/metrics", 405, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.wantCode {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, rec.Code, tt.wantCode)
		}
		if tt.wantType != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), tt.wantType) {
			t.Errorf("%s %s: Content-Type %q, want prefix %q", tt.method, tt.path, rec.Header().Get("Content-Type"), tt.wantType)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:9100", true},
		{"127.1.2.3:9100", true},
		{"[::1]:9100", true},
		{"localhost:9100", true},
		{":9100", false},
		{"0.0.0.0:9100", false},
		{"[::]:9100", false},
		{"10.0.0.5:9100", false},
		{"myhost:9100", false},
		{"9100", false},
	}
	for _, tt := range tests {
		if got := isLoopback(tt.addr); got != tt.want {
			t.Errorf("isLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestServeListenerServesAndShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, Handler(sampleSource(), "test"), nil) }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(body), `virgo_build_info{goversion=`) {
		t.Fatalf("status %d, body lacks virgo_build_info:\n%s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeListener after cancel: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Error("listener still accepts after shutdown")
	}
}

func TestServe(t *testing.T) {
	t.Run("bad address", func(t *testing.T) {
		err := Serve(context.Background(), "127.0.0.1:notaport", http.NotFoundHandler(), nil)
		if err == nil || !strings.Contains(err.Error(), "metrics listen 127.0.0.1:notaport") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("loopback, cancelled", func(t *testing.T) {
		var logs strings.Builder
		log := slog.New(slog.NewTextHandler(&logs, nil))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := Serve(ctx, "127.0.0.1:0", http.NotFoundHandler(), log); err != nil {
			t.Fatalf("Serve under a done context: %v", err)
		}
		out := logs.String()
		if !strings.Contains(out, "msg=\"metrics listening\" addr=127.0.0.1:") || !strings.Contains(out, "msg=\"metrics stopped\"") {
			t.Errorf("logs lack listening and stopped lines:\n%s", out)
		}
		if strings.Contains(out, "level=WARN") {
			t.Errorf("loopback address logged a warning:\n%s", out)
		}
	})
}

func TestRuntimeSource(t *testing.T) {
	cfg := config.Default()
	cfg.ConfdDir = t.TempDir()
	cfg.StateDir = t.TempDir()
	rt, err := agent.Build(agent.Setup{Config: cfg, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	src := RuntimeSource(rt)
	if src.Latest() != nil {
		t.Error("Latest before any sample is not nil")
	}
	if _, ok := src.Endpoint(); ok {
		t.Error("Endpoint reports a status without endpoints configured")
	}
	if n := len(src.Notifications()); n != 0 {
		t.Errorf("Notifications has %d notifiers, want 0", n)
	}
	if n := len(src.Checks()); n != 0 {
		t.Errorf("Checks has %d checks before scheduling, want 0", n)
	}
	// /healthz follows the agent: unhealthy before the first sample.
	rec := httptest.NewRecorder()
	Handler(src, "test").ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "no snapshot yet\n" {
		t.Errorf("healthz = %d %q", rec.Code, rec.Body.String())
	}
}

// TestRuntimeSourceLiveScrape samples this machine through a real agent
// and checks the scrape against the snapshot it came from: the exporter
// must cope with whatever a real host has (overmounts, odd names).
func TestRuntimeSourceLiveScrape(t *testing.T) {
	if testing.Short() {
		t.Skip("samples the live host")
	}
	cfg := config.Default()
	cfg.ConfdDir = t.TempDir()
	cfg.StateDir = t.TempDir()
	rt, err := agent.Build(agent.Setup{Config: cfg, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt.Agent.SampleNow(ctx)
	snap := rt.Agent.SampleNow(ctx)
	src := RuntimeSource(rt)
	if src.Latest() != snap {
		t.Fatal("Latest is not the sample just taken")
	}
	h := newHandler(src, testOpts, func() time.Time { return snap.Time })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	fams := parse(t, rec.Body.String())
	if _, failed := snap.Errors[collector.SourceProcesses]; !failed {
		if v, _ := value(fams, "virgo_processes", nil); v != float64(len(snap.Processes)) {
			t.Errorf("virgo_processes = %v, want %d", v, len(snap.Processes))
		}
	}
	if _, failed := snap.Errors[collector.SourceLoad]; !failed {
		if v, _ := value(fams, "node_load1", nil); v != snap.Load.Load1 {
			t.Errorf("node_load1 = %v, want %v", v, snap.Load.Load1)
		}
	}
	if _, failed := snap.Errors[collector.SourceFilesystems]; !failed {
		mounts := map[string]bool{}
		for _, fs := range snap.Filesystems {
			mounts[sanitizeLabel(fs.Mount)] = true
		}
		if got := len(fams["node_filesystem_size_bytes"].GetMetric()); got != len(mounts) {
			t.Errorf("node_filesystem_size_bytes has %d series, want one per mountpoint (%d)", got, len(mounts))
		}
	}
	for source := range snap.Durations {
		_, failed := snap.Errors[source]
		if v, ok := value(fams, "virgo_scrape_collector_success", map[string]string{"collector": source}); !ok || v != boolValue(!failed) {
			t.Errorf("virgo_scrape_collector_success{collector=%q} = %v, %v; want %v", source, v, ok, boolValue(!failed))
		}
	}

	lint(t, NewCollector(src, testOpts))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Errorf("healthz = %d %q", rec.Code, rec.Body.String())
	}
}

// TestConcurrentScrapes runs scrapes in parallel under the race detector:
// Collect keeps no state between calls.
func TestConcurrentScrapes(t *testing.T) {
	h := newHandler(sampleSource(), testOpts, fixedNow)
	const n = 4
	codes := make(chan int, n)
	for range n {
		go func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			codes <- rec.Code
		}()
	}
	for range n {
		if code := <-codes; code != http.StatusOK {
			t.Errorf("status %d", code)
		}
	}
}
