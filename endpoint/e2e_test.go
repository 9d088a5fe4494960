package endpoint_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/internal/enginetest"
)

// TestEndpointE2E is issue 17's "Done when": three `virgo-top --daemon`
// agents through two `virgo-top endpoint` instances into Prometheus (its
// remote-write receiver on), VictoriaMetrics and Alertmanager, all real
// processes on loopback. Each agent's CPU is queried by PromQL in both
// engines, the CRITICAL alarm appears in Alertmanager, then one endpoint
// is killed (SIGKILL) and no result is lost: every cpu result the agents
// recorded is a sample in Prometheus.
func TestEndpointE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("starts engines, endpoints and agents")
	}
	prom := enginetest.StartPrometheus(t, enginetest.PrometheusOptions{RemoteWriteReceiver: true})
	vm := enginetest.StartVictoriaMetrics(t, enginetest.VictoriaMetricsOptions{})
	am := enginetest.StartAlertmanager(t)
	bin := buildVirgoTop(t)
	dir := t.TempDir()

	// TLS: a throwaway CA and a 127.0.0.1 certificate (the fixture
	// endpoint's generator, kept in a dir).
	tlsDir := filepath.Join(dir, "tls")
	fx, err := fixtures.New(fixtures.Options{TLSDir: tlsDir})
	if err != nil {
		t.Fatal(err)
	}
	fx.Close()

	agents := []string{"agent-1", "agent-2", "agent-3"}
	var tokens strings.Builder
	for i, a := range agents {
		fmt.Fprintf(&tokens, "e2e-token-%d-0123456789abcdef %s\n", i, a)
	}
	write(t, filepath.Join(dir, "tokens"), tokens.String())
	sched := filepath.Join(dir, "schedules")
	write(t, filepath.Join(sched, "default", "cpu.yaml"), `type: agent.cpu
period: 2
alarms:
  busy:
    criteria: |
      if (metric['usage_average'] >= 0) { return new AlarmStatus(CRITICAL, 'cpu at #{usage_average}%'); }
      return new AlarmStatus(OK);
`)

	type endpointProc struct {
		addr, metrics string
		p             *child
	}
	var eps []*endpointProc
	for i := range 2 {
		ep := &endpointProc{addr: freeAddr(t), metrics: freeAddr(t)}
		cfg := filepath.Join(dir, fmt.Sprintf("endpoint-%d.yaml", i))
		write(t, cfg, fmt.Sprintf(`listen: %s
metrics_listen: %s
tls: {cert_file: tls/cert.pem, key_file: tls/key.pem}
token_file: tokens
schedule_dir: schedules
schedule_poll: 500ms
heartbeat_interval: 2s
drain_timeout: 5s
outputs:
  remote_write:
    - {name: prometheus, url: %s/api/v1/write}
    - {name: victoriametrics, url: %s/api/v1/write}
  alertmanager: {url: %s}
`, ep.addr, ep.metrics, prom, vm, am))
		if out, err := exec.Command(bin, "endpoint", "--config", cfg, "--check-config").CombinedOutput(); err != nil {
			t.Fatalf("--check-config: %v\n%s", err, out)
		}
		ep.p = startChild(t, bin, "endpoint", "--config", cfg)
		eps = append(eps, ep)
	}
	for _, ep := range eps {
		waitHTTP(t, "http://"+ep.metrics+"/healthz")
	}

	var daemons []*child
	for i, a := range agents {
		ad := filepath.Join(dir, a)
		write(t, filepath.Join(ad, "token"), fmt.Sprintf("e2e-token-%d-0123456789abcdef\n", i))
		if err := os.MkdirAll(filepath.Join(ad, "confd"), 0o700); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(ad, "virgo-top.cfg")
		write(t, cfg, fmt.Sprintf(`monitoring_id %s
monitoring_token_file %s
monitoring_endpoints %s,%s
monitoring_ca %s
state_dir %s
confd_dir %s
plugin_dir %s
interval 500ms
metrics_listen %s
`, a, filepath.Join(ad, "token"), eps[0].addr, eps[1].addr, filepath.Join(tlsDir, "ca.pem"),
			filepath.Join(ad, "state"), filepath.Join(ad, "confd"), filepath.Join(ad, "plugins"), freeAddr(t)))
		daemons = append(daemons, startChild(t, bin, "--daemon", "--config", cfg))
	}

	// Each agent's CPU, by PromQL, in both engines.
	q := `max by (agent_id) (virgo_check_metric{check_type="agent.cpu",metric="usage_average",check_id="cpu"})`
	for _, engine := range []string{prom, vm} {
		got := enginetest.QueryUntil(t, engine, q, time.Time{}, func(s []enginetest.Sample) bool { return len(s) == len(agents) })
		for _, s := range got {
			if s.Value < 0 || s.Value > 100 {
				t.Errorf("%s: cpu of %s = %v", engine, s.Metric["agent_id"], s.Value)
			}
		}
		t.Logf("%s: %s -> %d agents", engine, q, len(got))
	}
	// The CRITICAL alarm, in Alertmanager.
	waitFor(t, "the busy alert of every agent in Alertmanager", func() bool {
		return len(enginetest.Alerts(t, am, `alertname="busy"`, `severity="critical"`)) == len(agents)
	})

	// Kill one endpoint: the agents move to the other, losing nothing.
	waitFor(t, "a few results of every agent before the kill", func() bool {
		n := storedCPU(t, prom)
		for _, a := range agents {
			if n[a] < 5 {
				return false
			}
		}
		return true
	})
	// The victim is the instance that acknowledged more posts so far.
	posts := []float64{scrapeValue(t, eps[0].metrics, "virgo_endpoint_posts_total"), scrapeValue(t, eps[1].metrics, "virgo_endpoint_posts_total")}
	victim, survivor := eps[0], eps[1]
	if posts[1] > posts[0] {
		victim, survivor = eps[1], eps[0]
	}
	t.Logf("posts acknowledged before the kill: %v; killing %s", posts, victim.addr)
	before := storedCPU(t, prom)
	if err := victim.p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = victim.p.cmd.Wait()
	waitFor(t, "every agent's results to keep arriving after the kill", func() bool {
		now := storedCPU(t, prom)
		for _, a := range agents {
			if now[a] < before[a]+8 {
				return false
			}
		}
		return true
	})
	// Stop the results at the source: an empty schedule is pushed to the
	// agents (check_schedule.changed), then their spools drain.
	if err := os.Remove(filepath.Join(sched, "default", "cpu.yaml")); err != nil {
		t.Fatal(err)
	}
	for i, a := range agents {
		ad := filepath.Join(dir, a)
		waitFor(t, a+"'s cpu check to stop and its spool to drain", func() bool {
			n1 := recordedCPU(t, bin, filepath.Join(ad, "state"))
			if !spoolEmpty(t, daemons[i]) {
				return false
			}
			time.Sleep(3 * time.Second) // no cpu result for longer than its period
			return recordedCPU(t, bin, filepath.Join(ad, "state")) == n1 && spoolEmpty(t, daemons[i])
		})
	}
	produced, stored := 0, 0
	final := storedCPU(t, prom)
	for _, a := range agents {
		n := recordedCPU(t, bin, filepath.Join(dir, a, "state"))
		produced += n
		stored += min(final[a], n)
		if final[a] < n {
			t.Errorf("%s: produced %d cpu results, %d stored", a, n, final[a])
		}
	}
	// With its check gone, no post renews the alert: it ends 3 periods
	// after the last one (no endpoint instance remembered it).
	waitFor(t, "the busy alerts to end on their own", func() bool {
		return len(enginetest.Alerts(t, am, `alertname="busy"`)) == 0
	})
	fmt.Printf("endpoint-chaos: produced=%d stored=%d lost=%d\n", produced, stored, produced-stored)
	if produced == 0 || produced != stored {
		t.Fatalf("endpoint-chaos: produced=%d stored=%d", produced, stored)
	}
	// host_info through the survivor, which holds every agent's connection.
	resp, err := http.Get("http://" + survivor.metrics + "/api/v1/agents/agent-2/host_info?type=MEMORY")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var hi struct {
		Metrics   map[string]any `json:"metrics"`
		Timestamp int64          `json:"timestamp"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &hi) != nil || hi.Metrics["total"] == nil {
		t.Errorf("host_info MEMORY of agent-2: %d %.300s", resp.StatusCode, body)
	}
	if resp, err := http.Get("http://" + survivor.metrics + "/api/v1/agents/agent-9/host_info?type=MEMORY"); err != nil || resp.StatusCode != 404 {
		t.Errorf("host_info of an agent not connected: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// The surviving endpoint drains on SIGTERM.
	if err := survivor.p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := survivor.p.cmd.Wait(); err != nil {
		t.Errorf("endpoint exit after SIGTERM: %v\n%s", err, survivor.p.out.String())
	}
	for i, a := range agents {
		for _, line := range strings.Split(survivor.p.out.String(), "\n") {
			if strings.Contains(line, fmt.Sprintf("e2e-token-%d", i)) {
				t.Errorf("%s's token in the endpoint log: %s", a, line)
			}
		}
	}
}

// scrapeValue reads the first sample of family name from a /metrics page
// (0 when absent), whatever its labels.
func scrapeValue(t *testing.T, addr, name string) float64 {
	t.Helper()
	v, ok, err := sample("http://"+addr+"/metrics", name)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return 0
	}
	return v
}

// sample reads the first sample of family name from the /metrics page at
// url with the Prometheus text parser (an agent's families all carry the
// host label; the endpoint's do not).
func sample(url, name string) (v float64, ok bool, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, false, fmt.Errorf("%s does not parse: %w", url, err)
	}
	f := fams[name]
	if f == nil || len(f.GetMetric()) == 0 {
		return 0, false, nil
	}
	m := f.GetMetric()[0]
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue(), true, nil
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue(), true, nil
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue(), true, nil
	}
	return 0, false, nil
}

// storedCPU counts each agent's cpu results in Prometheus (one
// virgo_check_available sample per post).
func storedCPU(t *testing.T, prom string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, s := range enginetest.Query(t, prom, `count_over_time(virgo_check_available{check_id="cpu"}[1h])`) {
		out[s.Metric["agent_id"]] = int(s.Value)
	}
	return out
}

// recordedCPU counts the cpu results the agent recorded (its flight
// recorder keeps every check result).
func recordedCPU(t *testing.T, bin, state string) int {
	t.Helper()
	out, err := exec.Command(bin, "dump", "--state-dir", state, "--what", "checks").Output()
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct {
			CheckID string `json:"check_id"`
		}
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.CheckID == "cpu" {
			n++
		}
	}
	return n
}

// spoolEmpty reads virgo_spool_depth from the daemon's /metrics.
func spoolEmpty(t *testing.T, d *child) bool {
	t.Helper()
	v, ok, err := sample("http://"+d.metricsAddr()+"/metrics", "virgo_spool_depth")
	return err == nil && ok && v == 0
}

type child struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	args []string
}

func (c *child) metricsAddr() string {
	cfg := c.args[len(c.args)-1]
	b, _ := os.ReadFile(cfg)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "metrics_listen "); ok {
			return v
		}
	}
	return ""
}

func startChild(t *testing.T, bin string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(bin, args...), out: &syncBuffer{}, args: args}
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	c.cmd.Env = append(os.Environ(), "VIRGO_TOP_MONITORING_TOKEN=")
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("%v output (tail):\n%s", args, tail(c.out.String(), 3000))
		}
	})
	return c
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

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

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// buildVirgoTop builds the binary once per test process.
func buildVirgoTop(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		d, err := os.MkdirTemp("", "virgo-top-e2e")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(d, "virgo-top")
		cmd := exec.Command("go", "build", "-o", builtBin, "github.com/virgo-top/virgo-top/cmd/virgo-top")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return builtBin // its dir is removed by TestMain
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(t *testing.T, url string) {
	t.Helper()
	waitFor(t, url, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

// waitFor polls cond until it holds; a generous deadline fails the test
// rather than asserting anything about time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
