package check

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Helpers for the tests that start a real server (redis-server, apache2,
// mariadbd) as a child process on a temp dir and a free loopback port.
// .ci/install-deps installs them; CI sets VIRGO_CI, where a missing
// binary fails the test instead of skipping it.

// serverBinary finds a server's executable on PATH or in the sbin
// directories a non-root PATH may lack.
func serverBinary(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	if os.Getenv("VIRGO_CI") != "" {
		t.Fatalf("%s is not installed, and VIRGO_CI is set: .ci/install-deps installs it", name)
	}
	t.Skipf("%s is not installed: run .ci/install-deps (as root) to install the test servers", name)
	return ""
}

// freePort returns a loopback TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serverProc is a started server; its output goes to log.
type serverProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
}

// startServer starts bin with args as a child in its own process group,
// with its output in dir/<name>.log. Cleanup kills the group and waits
// for the process; the log is shown when the test failed.
func startServer(t *testing.T, dir, bin string, args ...string) *serverProc {
	t.Helper()
	logPath := filepath.Join(dir, filepath.Base(bin)+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	p := &serverProc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s output:\n%s", filepath.Base(bin), tail(b, 4000))
			}
		}
	})
	return p
}

// waitReady calls ready until it succeeds, the server exits, or a minute
// passes (a generous bound for a loaded 2-core machine; the tests assert
// nothing about the time).
func (p *serverProc) waitReady(t *testing.T, what string, ready func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var last error
	for {
		attempt, stop := context.WithTimeout(ctx, 5*time.Second)
		last = ready(attempt)
		stop()
		if last == nil {
			return
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(p.log)
			t.Fatalf("%s exited before it was ready (%v): %s", what, p.err, tail(b, 4000))
		case <-ctx.Done():
			t.Fatalf("%s not ready after a minute: %v", what, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// runDetails runs one check of typ with details through RunOnce, as
// `virgo-top check` does.
func runDetails(t *testing.T, typ string, details map[string]any) Result {
	t.Helper()
	return RunOnce(context.Background(), &fakeEnv{}, Def{ID: "c", Type: typ, Details: details, Period: time.Minute, Timeout: 30 * time.Second}, SchedulerOptions{})
}

// metricMap is a result's metrics by name.
func metricMap(r Result) map[string]Metric {
	out := make(map[string]Metric, len(r.Metrics))
	for _, m := range r.Metrics {
		out[m.Name] = m
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
