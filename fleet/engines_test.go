package fleet_test

// A small starter for the integration tests: real engines and agents as
// child processes on loopback, on free ports, in t.TempDir(). A missing
// binary skips the test unless VIRGO_CI is set (then it fails).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProc starts a child process that is killed and waited for at the
// end of the test; its output goes to dir/name.log (shown on failure).
func startProc(t testing.TB, dir, name string, args ...string) *exec.Cmd {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), "VIRGO_TOP_MONITORING_TOKEN=")
	if err := cmd.Start(); err != nil {
		lf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); lf.Close(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 3000 {
				b = b[len(b)-3000:]
			}
			t.Logf("--- %s log (tail) ---\n%s", name, b)
		}
	})
	return cmd
}

// waitHTTP polls url until it answers 200 (or the deadline).
func waitHTTP(t testing.TB, url string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer within %s: %v", url, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// virgoTop builds the binary once per test process.
func virgoTop(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "virgo-top-fleet-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "virgo-top")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Dir(filepath.Dir(file))
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/virgo-top")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// agent is one virgo-top --daemon with /metrics on a free port.
type agent struct {
	name string
	port int
	cmd  *exec.Cmd
}

// startAgent starts a daemon whose only check is a load check with the
// alarm state given (OK or CRITICAL), every 2 s.
func startAgent(t testing.TB, bin, root, name, state string) *agent {
	t.Helper()
	dir := filepath.Join(root, name)
	confd := filepath.Join(dir, "conf.d")
	if err := os.MkdirAll(confd, 0o700); err != nil {
		t.Fatal(err)
	}
	check := fmt.Sprintf(`type: agent.load_average
label: forced %[1]s
period: 2
alarms:
  forced:
    criteria: |
      return new AlarmStatus(%[1]s, 'forced %[1]s');
`, state)
	if err := os.WriteFile(filepath.Join(confd, "load.yaml"), []byte(check), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cfg := fmt.Sprintf("metrics_listen 127.0.0.1:%d\nstate_dir %s\nconfd_dir %s\nplugin_dir %s\nrecord false\n", port, dir, confd, dir)
	cfgPath := filepath.Join(dir, "virgo-top.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &agent{name: name, port: port}
	a.cmd = startProc(t, dir, "daemon", bin, "--daemon", "--config", cfgPath)
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), 20*time.Second)
	return a
}

// scrapeConfigs lists the Prometheus scrape configs for the agents (each
// with its host as a target label, so three agents on one machine are
// three hosts) and node_exporter at nodeAddr (named by node_uname_info's
// nodename); the engines scrape them every 1 s.
func scrapeConfigs(agents []*agent, nodeAddr string) string {
	var b bytes.Buffer
	b.WriteString("- job_name: virgo\n  static_configs:\n")
	for _, a := range agents {
		fmt.Fprintf(&b, "  - targets: ['127.0.0.1:%d']\n    labels: {host: %s}\n", a.port, a.name)
	}
	fmt.Fprintf(&b, "- job_name: node\n  static_configs:\n  - targets: ['%s']\n", nodeAddr)
	return b.String()
}

// engine is a running Prometheus or VictoriaMetrics.
type engine struct {
	name string
	url  string
}

// fleetOnce runs `virgo-top fleet --once --json` against url.
func fleetOnce(bin, url string, extra ...string) ([]map[string]any, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"fleet", "--prometheus", url, "--once", "--json"}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, errb.String(), fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	var hosts []map[string]any
	if err := json.Unmarshal(out.Bytes(), &hosts); err != nil {
		return nil, "", fmt.Errorf("%v: %s", err, out.String())
	}
	return hosts, errb.String(), nil
}
