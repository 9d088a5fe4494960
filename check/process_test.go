package check

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
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

// TestProcessExcludesSelf: like pgrep, agent.process never counts the
// process running the check (`virgo-top check agent.process --detail
// cmdline=RE` matched its own command line), and excludes nothing else:
// the parent and other processes with the same name still count. A pidfile
// that names us explicitly is the one exception: the daemon may watch
// itself through its own pidfile.
func TestProcessExcludesSelf(t *testing.T) {
	self := int32(os.Getpid())
	snap := testSnapshot()
	snap.Processes = append(snap.Processes,
		collectorProcess(self, "virgo-top", "virgo-top check agent.process --detail cmdline=virgo-top"),
		collectorProcess(int32(os.Getppid()), "virgo-top", "virgo-top --daemon"),
	)
	selfPidfile := filepath.Join(t.TempDir(), "self.pid")
	if err := os.WriteFile(selfPidfile, []byte(strconv.Itoa(int(self))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		details map[string]any
		count   string
	}{
		{map[string]any{"cmdline": "virgo-top"}, "1"},
		{map[string]any{"cmdline": "cmdline=virgo-top"}, "0"},
		{map[string]any{"name": "virgo-top"}, "1"},
		{map[string]any{"name": "nginx"}, "2"},
		{map[string]any{"pidfile": selfPidfile}, "1"},
	}
	for _, tc := range tests {
		def := Def{ID: "p", Type: TypeProcess, Period: 30 * time.Second, Details: tc.details}
		r := RunOnce(context.Background(), &fakeEnv{snap: snap}, def, SchedulerOptions{Clock: fixedClock{t0}, procRoot: t.TempDir()})
		if !r.Available {
			t.Errorf("%v: unavailable: %s", tc.details, r.Status)
			continue
		}
		if got := r.Metrics[0]; got.Name != "count" || got.Value != tc.count {
			t.Errorf("%v: %s = %s, want count = %s", tc.details, got.Name, got.Value, tc.count)
		}
	}
}

// TestProcessIgnoresThreadRows: with the console's threads shown (H), the
// snapshot carries a row per thread; agent.process counts processes, as
// Virgo's sigar query does, never their threads.
func TestProcessIgnoresThreadRows(t *testing.T) {
	snap := testSnapshot()
	main := collectorProcess(4242, "java", "java -jar app.jar")
	main.Threads = 3
	snap.Processes = append(snap.Processes, main)
	for _, tid := range []int32{4243, 4244} {
		th := collectorProcess(tid, "java", "java -jar app.jar")
		th.Thread, th.PPID = true, 4242
		snap.Processes = append(snap.Processes, th)
	}
	for _, details := range []map[string]any{{"name": "java"}, {"cmdline": "app.jar"}} {
		def := Def{ID: "p", Type: TypeProcess, Period: 30 * time.Second, Details: details}
		r := RunOnce(context.Background(), &fakeEnv{snap: snap}, def, SchedulerOptions{Clock: fixedClock{t0}, procRoot: t.TempDir()})
		if got := r.Metrics[0]; got.Name != "count" || got.Value != "1" {
			t.Errorf("%v: %s = %s, want count = 1 (threads are not processes)", details, got.Name, got.Value)
		}
	}
}

func collectorProcess(pid int32, name, cmdline string) collector.Process {
	return collector.Process{PID: pid, Name: name, Cmdline: cmdline, Threads: 1, StartTime: t0.Add(-time.Minute)}
}
