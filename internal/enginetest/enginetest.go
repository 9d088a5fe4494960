// Package enginetest starts real monitoring engines for tests: Prometheus,
// VictoriaMetrics, Alertmanager and node_exporter (the Debian packages that
// .ci/install-deps installs), each as a child process on a free loopback
// port with its data in t.TempDir(), and queries them.
//
// Every Start function waits for the engine's readiness endpoint (a bounded
// wait: a minute, generous for a loaded 2-core machine; no test asserts
// anything about the time) and registers a t.Cleanup that stops the child
// and waits for it. When the test failed, the cleanup logs the tail of the
// engine's output. A missing binary skips the test, except under VIRGO_CI
// (set by .ci/run), where it fails it.
//
// It is for tests only: nothing in the binary imports it.
package enginetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The engines' executables, as the Debian packages install them.
var (
	PrometheusBin      = "/usr/bin/prometheus"
	VictoriaMetricsBin = "/usr/bin/victoria-metrics"
	AlertmanagerBin    = "/usr/bin/prometheus-alertmanager"
	NodeExporterBin    = "/usr/bin/prometheus-node-exporter"
)

// readyWait bounds how long a Start function waits for readiness.
const readyWait = time.Minute

// PrometheusOptions configures StartPrometheus.
type PrometheusOptions struct {
	// RemoteWriteReceiver turns on --web.enable-remote-write-receiver:
	// remote write then goes to BaseURL + "/api/v1/write".
	RemoteWriteReceiver bool
	// ScrapeConfigs is YAML text put under scrape_configs: in the
	// configuration file, e.g.
	//
	//	- job_name: node
	//	  static_configs: [{targets: ["127.0.0.1:9100"]}]
	//
	// Empty means no scraping.
	ScrapeConfigs string
	// ScrapeInterval is the global scrape and evaluation interval; 0 = 1s.
	ScrapeInterval time.Duration
	// Args are further command-line flags.
	Args []string
	// DataDir is an existing TSDB to start on (e.g. blocks promtool
	// backfilled); empty means a fresh one in t.TempDir().
	DataDir string
}

// StartPrometheus starts Prometheus and returns its base URL,
// e.g. http://127.0.0.1:PORT (no trailing slash).
func StartPrometheus(t testing.TB, opts PrometheusOptions) string {
	t.Helper()
	bin := Binary(t, PrometheusBin)
	dir := t.TempDir()
	cfgPath := writeScrapeConfig(t, dir, opts.ScrapeConfigs, opts.ScrapeInterval, true)
	data := opts.DataDir
	if data == "" {
		data = filepath.Join(dir, "data")
	}
	return start(t, "prometheus", bin, "/-/ready", func(addr string) []string {
		args := []string{
			"--config.file=" + cfgPath,
			"--storage.tsdb.path=" + data,
			"--web.listen-address=" + addr,
			"--log.level=warn",
		}
		if opts.RemoteWriteReceiver {
			args = append(args, "--web.enable-remote-write-receiver")
		}
		return append(args, opts.Args...)
	})
}

// writeScrapeConfig writes a Prometheus-format configuration file into dir
// (global interval, default 1s, and scrapeConfigs under scrape_configs:)
// and returns its path. VictoriaMetrics' -promscrape.config reads the same
// format, but without evaluation_interval.
func writeScrapeConfig(t testing.TB, dir, scrapeConfigs string, interval time.Duration, evaluation bool) string {
	t.Helper()
	if interval <= 0 {
		interval = time.Second
	}
	cfg := fmt.Sprintf("global:\n  scrape_interval: %s\n", interval)
	if evaluation {
		cfg += fmt.Sprintf("  evaluation_interval: %s\n", interval)
	}
	if s := strings.TrimSpace(scrapeConfigs); s != "" {
		cfg += "scrape_configs:\n" + indent(scrapeConfigs, "  ")
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// VictoriaMetricsOptions configures StartVictoriaMetrics.
type VictoriaMetricsOptions struct {
	// ScrapeConfigs is YAML text put under scrape_configs: of its
	// -promscrape.config, as PrometheusOptions' (empty: no scraping).
	ScrapeConfigs string
	// ScrapeInterval is the global scrape interval; 0 = 1s.
	ScrapeInterval time.Duration
}

// StartVictoriaMetrics starts single-node VictoriaMetrics and returns its
// base URL. Remote write goes to BaseURL + "/api/v1/write", queries to
// BaseURL + "/api/v1/query". Freshly written samples become searchable
// only after a flush: Query, QueryAt and QueryUntil first call its
// /internal/force_flush (which Prometheus answers with a harmless 404).
func StartVictoriaMetrics(t testing.TB, opts VictoriaMetricsOptions) string {
	t.Helper()
	bin := Binary(t, VictoriaMetricsBin)
	dir := t.TempDir()
	var scrape []string
	if strings.TrimSpace(opts.ScrapeConfigs) != "" {
		scrape = []string{"-promscrape.config=" + writeScrapeConfig(t, dir, opts.ScrapeConfigs, opts.ScrapeInterval, false)}
	}
	return start(t, "victoria-metrics", bin, "/health", func(addr string) []string {
		return append([]string{
			"-storageDataPath=" + filepath.Join(dir, "data"),
			"-httpListenAddr=" + addr,
			"-retentionPeriod=100y",
			"-search.latencyOffset=0s",
			"-search.disableCache",
			"-loggerLevel=ERROR",
		}, scrape...)
	})
}

// StartAlertmanager starts Alertmanager with one null receiver and
// clustering off, and returns its base URL (the v2 API is under
// BaseURL + "/api/v2/").
func StartAlertmanager(t testing.TB) string {
	t.Helper()
	bin := Binary(t, AlertmanagerBin)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	cfg := "route:\n  receiver: \"null\"\nreceivers:\n  - name: \"null\"\n"
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, "alertmanager", bin, "/-/ready", func(addr string) []string {
		return []string{
			"--config.file=" + cfgPath,
			"--storage.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
			"--cluster.listen-address=",
			"--log.level=warn",
		}
	})
}

// StartNodeExporter starts node_exporter and returns its base URL; its
// metrics are at BaseURL + "/metrics".
func StartNodeExporter(t testing.TB) string {
	t.Helper()
	bin := Binary(t, NodeExporterBin)
	return start(t, "node-exporter", bin, "/metrics", func(addr string) []string {
		return []string{
			"--web.listen-address=" + addr,
			"--log.level=warn",
		}
	})
}

// Binary returns path when it is an executable file; otherwise it skips
// the test, or fails it under VIRGO_CI (set by .ci/run).
func Binary(t testing.TB, path string) string {
	t.Helper()
	if st, err := os.Stat(path); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return path
	}
	if os.Getenv("VIRGO_CI") != "" {
		t.Fatalf("%s is not installed, and VIRGO_CI is set: .ci/install-deps installs it", path)
	}
	t.Skipf("%s is not installed: run .ci/install-deps (as root) to install the test engines", path)
	return ""
}

// start runs bin with args(addr) on a free loopback port until readyPath
// answers 200, trying a new port when the child exits first because
// another process took the port in between (freePort cannot reserve it).
func start(t testing.TB, name, bin, readyPath string, args func(addr string) []string) string {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
		p := spawn(t, name, bin, args(addr))
		base := "http://" + addr
		err := p.waitReady(base + readyPath)
		if err == nil {
			return base
		}
		out := tail(p.output(), 4000)
		if errors.Is(err, errExited) && i < attempts && strings.Contains(out, "address already in use") {
			t.Logf("%s: port %s was taken, retrying", name, addr)
			continue
		}
		t.Fatalf("%s: %v\n%s output:\n%s", name, err, name, out)
	}
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a started engine; its output goes to log.
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
}

var errExited = errors.New("exited before it was ready")

// spawn starts bin as a child with its output in a file. The cleanup it
// registers stops the child (SIGTERM, then SIGKILL after 20 s), waits for
// it, and logs the output's tail when the test failed.
func spawn(t testing.TB, name, bin string, args []string) *proc {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), name+"-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	p := &proc{cmd: cmd, log: logf.Name(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		terminate(cmd)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			kill(cmd)
			<-p.done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tail(p.output(), 4000))
		}
	})
	return p
}

func (p *proc) output() []byte {
	b, _ := os.ReadFile(p.log)
	return b
}

// waitReady polls url until it answers 200, the process exits, or
// readyWait passes.
func (p *proc) waitReady(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	var last error
	for {
		last = get(ctx, url)
		if last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w (%v)", errExited, p.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %v", readyWait, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func get(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}
