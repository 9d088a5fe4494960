package check

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestProcessOpenFDsAndPidfile(t *testing.T) {
	proc := t.TempDir()
	for pid, n := range map[string]int{"100": 3, "101": 2} {
		dir := filepath.Join(proc, pid, "fd")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := os.WriteFile(filepath.Join(dir, string(rune('0'+i))), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	pidfile := filepath.Join(t.TempDir(), "nginx.pid")
	if err := os.WriteFile(pidfile, []byte("101\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badPidfile := filepath.Join(t.TempDir(), "bad.pid")
	if err := os.WriteFile(badPidfile, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(d map[string]any) Result {
		def := Def{ID: "p", Type: TypeProcess, Period: 30 * time.Second, Details: d}
		return RunOnce(context.Background(), &fakeEnv{snap: testSnapshot()}, def, SchedulerOptions{Clock: fixedClock{t0}, procRoot: proc})
	}
	assertResult(t, run(map[string]any{"name": "nginx"}), true, "2 matching processes", []Metric{
		m("count", "uint32", "2", "processes"), m("cpu_pct", "double", "4.75", "percent"),
		m("rss_bytes", "gauge", "31457280", "bytes"), m("threads", "uint32", "3", "threads"),
		m("open_fds", "uint32", "5", "fds"), m("uptime_s", "uint64", "7200", "seconds"),
	})
	assertResult(t, run(map[string]any{"pidfile": pidfile}), true, "1 matching processes", []Metric{
		m("count", "uint32", "1", "processes"), m("cpu_pct", "double", "3.25", "percent"),
		m("rss_bytes", "gauge", "20971520", "bytes"), m("threads", "uint32", "2", "threads"),
		m("open_fds", "uint32", "2", "fds"), m("uptime_s", "uint64", "3600", "seconds"),
	})
	// sshd (pid 200) has no fd directory: open_fds is omitted.
	assertResult(t, run(map[string]any{"name": "sshd"}), true, "1 matching processes", []Metric{
		m("count", "uint32", "1", "processes"), m("cpu_pct", "double", "0", "percent"),
		m("rss_bytes", "gauge", "5242880", "bytes"), m("threads", "uint32", "1", "threads"),
		m("uptime_s", "uint64", "172800", "seconds"),
	})
	missing := filepath.Join(proc, "none.pid")
	assertResult(t, run(map[string]any{"pidfile": missing}), true, "No pidfile "+missing, []Metric{m("count", "uint32", "0", "processes")})
	assertResult(t, run(map[string]any{"pidfile": badPidfile}), false, "Pidfile "+badPidfile+" does not hold a pid", nil)
}
