//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// buildBinary builds virgo-top into a temp dir once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "virgo-top")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is a started child with its combined output in a buffer.
type proc struct {
	cmd *exec.Cmd
	out *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the child's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{} }
func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), out: newSyncBuffer()}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.Env = append(os.Environ(), "VIRGO_TOP_MONITORING_TOKEN=") // no stray token from the environment
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// waitFor polls cond until it holds or the (generous) deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// recordCount counts record lines whose message has method.
func recordCount(t *testing.T, path, method string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var r struct {
			Message struct {
				Method string `json:"method"`
			} `json:"message"`
		}
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Message.Method == method {
			n++
		}
	}
	return n
}

func TestDaemonLifecycle(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	addr := freePort(t)
	ca, rec := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "rec.jsonl")
	sched := filepath.Join(dir, "schedule.json")
	os.WriteFile(sched, []byte(`[{"id":"chMEM","type":"agent.memory","period":1,"timeout":1,"alarms":{"low":{"criteria":"if (metric['actual_free'] < 1) { return new AlarmStatus(CRITICAL); } return new AlarmStatus(OK);"}}},{"id":"chLOAD","type":"agent.load_average","period":1,"timeout":1}]`), 0o600)
	fx := start(t, bin, "fixture-server", "--listen", addr, "--ca-out", ca, "--record", rec, "--schedule", sched)
	waitFor(t, "the CA file", func() bool { _, err := os.Stat(ca); return err == nil })

	const token = "0000000000000000000000000000000000000000000000000000000000000000.7777"
	cfgPath := filepath.Join(dir, "virgo-top.cfg")
	pidfile := filepath.Join(dir, "virgo-top.pid")
	logFile := filepath.Join(dir, "daemon.log")
	metricsAddr := freePort(t)
	cfg := fmt.Sprintf("# test daemon\nmonitoring_id agentA\nmonitoring_token %s\nmonitoring_endpoints %s\nmonitoring_ca %s\n"+
		"state_dir %s\nconfd_dir %s\nlog_file %s\npidfile %s\ninterval 500ms\nmetrics_listen %s\n",
		token, addr, ca, filepath.Join(dir, "state"), filepath.Join(dir, "conf.d"), logFile, pidfile, metricsAddr)
	os.WriteFile(cfgPath, []byte(cfg), 0o600)

	d := start(t, bin, "--daemon", "--config", cfgPath)
	waitFor(t, "metric posts", func() bool { return recordCount(t, rec, "check_metrics.post") >= 4 })
	pid, err := os.ReadFile(pidfile)
	if err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(d.cmd.Process.Pid) {
		t.Fatalf("pidfile %q (%v), want %d", pid, err, d.cmd.Process.Pid)
	}

	// A second daemon on the same state dir exits 2 naming the holder,
	// before it writes anything (the pidfile stays the first one's).
	sctx, scancel := context.WithTimeout(context.Background(), 20*time.Second)
	second, err := exec.CommandContext(sctx, bin, "--daemon", "--config", cfgPath).CombinedOutput()
	scancel()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Errorf("second daemon on the same state dir: exit %v, want 2; output %s", err, second)
	}
	if want := fmt.Sprintf("in use by pid %d", d.cmd.Process.Pid); !strings.Contains(string(second), want) {
		t.Errorf("second daemon's message lacks %q: %s", want, second)
	}
	if pid, _ := os.ReadFile(pidfile); strings.TrimSpace(string(pid)) != strconv.Itoa(d.cmd.Process.Pid) {
		t.Errorf("the second daemon overwrote the pidfile: %q", pid)
	}

	// /metrics parses as Prometheus text and holds host, check and agent families.
	waitFor(t, "check metrics on /metrics", func() bool {
		fams := scrape(t, "http://"+metricsAddr+"/metrics")
		return fams["virgo_check_metric"] != nil
	})
	fams := scrape(t, "http://"+metricsAddr+"/metrics")
	for _, name := range []string{"node_memory_MemTotal_bytes", "node_load1", "virgo_cpu_usage_percent", "node_filesystem_size_bytes",
		"virgo_check_metric", "virgo_check_available", "virgo_alarm_state", "virgo_endpoint_up", "virgo_spool_depth", "virgo_build_info"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if up := fams["virgo_endpoint_up"]; up != nil && up.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Error("virgo_endpoint_up is not 1 while connected")
	}

	// SIGHUP with the endpoint unchanged: reloaded, no new handshake.
	hellos := recordCount(t, rec, "handshake.hello")
	d.cmd.Process.Signal(syscall.SIGHUP)
	logged := func(s string) func() bool {
		return func() bool { b, _ := os.ReadFile(logFile); return strings.Contains(string(b), s) }
	}
	waitFor(t, "the reload", logged("reload: done, connection kept"))
	posts := recordCount(t, rec, "check_metrics.post")
	waitFor(t, "posts after the reload", func() bool { return recordCount(t, rec, "check_metrics.post") >= posts+2 })
	if n := recordCount(t, rec, "handshake.hello"); n != hellos {
		t.Errorf("SIGHUP reconnected: %d hellos, had %d", n, hellos)
	}

	// SIGHUP with the endpoint changed: the daemon is rebuilt, and its
	// /metrics comes back on the same address with the new agent id.
	os.WriteFile(cfgPath, []byte(strings.Replace(cfg, "monitoring_id agentA", "monitoring_id agentB", 1)), 0o600)
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the rebuild", logged("reload: endpoint settings changed, reconnecting"))
	waitFor(t, "/metrics of the rebuilt daemon", func() bool {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `virgo_agent_info{agent_id="agentB"`)
	})
	posts = recordCount(t, rec, "check_metrics.post")
	waitFor(t, "posts after the rebuild", func() bool { return recordCount(t, rec, "check_metrics.post") >= posts+2 })

	// SIGTERM: graceful stop, exit 0, pidfile removed.
	d.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() { <-ctx.Done(); d.cmd.Process.Kill() }()
	err = d.cmd.Wait()
	if err != nil {
		t.Fatalf("daemon exit after SIGTERM: %v\n%s", err, d.out)
	}
	if _, err := os.Stat(pidfile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pidfile left behind: %v", err)
	}
	// The token never reaches logs or the record.
	logText, _ := os.ReadFile(logFile)
	recText, _ := os.ReadFile(rec)
	for name, text := range map[string]string{"log": string(logText), "record": string(recText), "stderr": d.out.String(), "fixture": fx.out.String()} {
		if strings.Contains(text, "00000000000000000000.7777") {
			t.Errorf("token in %s", name)
		}
	}
	if !strings.Contains(string(recText), `"token":"****7777"`) {
		t.Error("record does not show the masked token")
	}
}

func TestDaemonBadConfigExits2(t *testing.T) {
	bin := buildBinary(t)
	cfgPath := filepath.Join(t.TempDir(), "bad.cfg")
	os.WriteFile(cfgPath, []byte("monitoring_id a\nmonitoring_endpoints nohostport\n"), 0o600)
	out, err := exec.Command(bin, "--daemon", "--config", cfgPath).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want 2; output %s", err, out)
	}
	if !strings.Contains(string(out), "bad.cfg:2") {
		t.Errorf("error does not name the line: %s", out)
	}
}

// scrape fetches a Prometheus text page and parses it; nil on any error.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}
