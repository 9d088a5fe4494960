package collector

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// write puts files (relative to the fixture host's proc root) in place.
func (h *fixtureHost) write(files map[string]string) {
	h.t.Helper()
	for rel, content := range files {
		p := filepath.Join(h.opts.ProcRoot, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
}

func byPID(snap *Snapshot) map[int32]Process {
	m := map[int32]Process{}
	for _, p := range snap.Processes {
		m[p.PID] = p
	}
	return m
}

// TestProcessCgroup: each process's cgroup and short name come from
// ProcRoot/PID/cgroup, read once and again at exec and at the process's
// refresh turn (a process moved to another group), never every scan.
func TestProcessCgroup(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.Sources = []string{SourceProcesses}
	s := newSampler(h.opts, fixtureSystem())
	h.loadStep("testdata/basic/step0")
	cgroups := map[string]string{
		"1/cgroup":   "0::/init.scope\n",
		"42/cgroup":  "9:name=systemd:/\n4:memory:/process_api/" + sandbox + "\n1:cpu,cpuacct:/\n0::/\n",
		"100/cgroup": "0::/user.slice/user-1000.slice/session-2.scope\n",
		"500/cgroup": "0::/system.slice/docker-" + dockerID + ".scope\n",
		"2/cgroup":   "0::/\n",
	}
	h.write(cgroups)
	got := byPID(s.SampleAt(context.Background(), t0))
	for _, tt := range []struct {
		pid               int32
		cgroup, container string
	}{
		{1, "/init.scope", "init.scope"},
		{2, "/", ""},
		{42, "/process_api/" + sandbox, "57da532e61f0"},
		{100, "/user.slice/user-1000.slice/session-2.scope", "session-2.scope"},
		{500, "/system.slice/docker-" + dockerID + ".scope", "a1b2c3d4e5f6"},
		{3000, "", ""}, // no cgroup file
	} {
		if p := got[tt.pid]; p.Cgroup != tt.cgroup || p.Container != tt.container {
			t.Errorf("pid %d: cgroup %q container %q, want %q %q", tt.pid, p.Cgroup, p.Container, tt.cgroup, tt.container)
		}
	}

	// pid 1 is moved; pid 100 execs (step1: comm bash -> worker).
	h.loadStep("testdata/basic/step1")
	h.write(cgroups)
	h.write(map[string]string{"1/cgroup": "0::/system.slice/moved.service\n", "100/cgroup": "0::/system.slice/worker.service\n"})
	at := t0
	scans := 0
	for ; scans < uidEvery; scans++ {
		at = at.Add(time.Second)
		got = byPID(s.SampleAt(context.Background(), at))
		if scans == 0 && got[100].Container != "worker.service" {
			t.Errorf("after exec: pid 100 in %q, want worker.service at once", got[100].Cgroup)
		}
		if got[1].Container == "moved.service" {
			break
		}
	}
	if scans == uidEvery {
		t.Errorf("pid 1's move not seen within %d scans", uidEvery)
	}
}

// TestProcessIO: I/O rates from ProcRoot/PID/io while asked: none on a
// process's first read or where the file cannot be read (IOKnown false,
// shown "-", never 0); a process started since the last scan has all of
// its I/O in the interval.
func TestProcessIO(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.Sources = []string{SourceProcesses}
	s := newSampler(h.opts, fixtureSystem())
	h.loadStep("testdata/basic/step0")
	io := func(rd, wr int) string {
		return "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: " + strconv.Itoa(rd) + "\nwrite_bytes: " + strconv.Itoa(wr) + "\ncancelled_write_bytes: 0\n"
	}
	h.write(map[string]string{"1/io": io(1000, 2000), "100/io": io(0, 0)})
	first := byPID(s.SampleAt(context.Background(), t0))
	for pid, p := range first {
		if p.IOKnown {
			t.Errorf("pid %d: I/O known without SetProcessIO", pid)
		}
	}
	s.SetProcessIO(true)
	for pid, p := range byPID(s.SampleAt(context.Background(), t0.Add(time.Second))) {
		if p.IOKnown {
			t.Errorf("pid %d: a rate on the first read: %+v", pid, p)
		}
	}
	// 2 s later: pid 1 read 8 KiB and wrote 4 KiB more; pid 100 nothing;
	// pid 42 has no io file (another user's process); pid 9000 started.
	h.write(map[string]string{"1/io": io(1000+8192, 2000+4096), "9000/io": io(4096, 0)})
	copyTree(t, "testdata/basic/step1/proc/2000", filepath.Join(h.opts.ProcRoot, "9000"))
	h.write(map[string]string{"9000/stat": "9000 (late) S 1 9000 9000 0 -1 4194560 0 0 0 0 10 0 0 0 20 0 1 0 9150 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"})
	got := byPID(s.SampleAt(context.Background(), t0.Add(3*time.Second)))
	for _, tt := range []struct {
		pid    int32
		known  bool
		rd, wr float64
	}{
		{1, true, 4096, 2048},
		{100, true, 0, 0},
		{42, false, 0, 0},
		{9000, true, 2048, 0},
	} {
		p := got[tt.pid]
		if p.IOKnown != tt.known || p.IOReadBps != tt.rd || p.IOWriteBps != tt.wr {
			t.Errorf("pid %d: known %v read %v write %v; want %v %v %v", tt.pid, p.IOKnown, p.IOReadBps, p.IOWriteBps, tt.known, tt.rd, tt.wr)
		}
	}
	s.SetProcessIO(false)
	for pid, p := range byPID(s.SampleAt(context.Background(), t0.Add(4*time.Second))) {
		if p.IOKnown {
			t.Errorf("pid %d: I/O known after SetProcessIO(false)", pid)
		}
	}
}

// TestProcessThreads: with SetThreads, a row per thread other than the
// main thread: its own name, state and CPU %, the process's user,
// command line and cgroup, PPID the process; ProcessCount counts
// processes only.
func TestProcessThreads(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.Sources = []string{SourceProcesses}
	s := newSampler(h.opts, fixtureSystem())
	s.SetThreads(true)
	h.loadStep("testdata/basic/step0")
	task := func(tid int, comm, state string, utime int) string {
		return strconv.Itoa(tid) + " (" + comm + ") " + state + " 1 42 42 0 -1 4194624 0 0 0 0 " + strconv.Itoa(utime) +
			" 0 0 0 20 -5 4 0 5100 200000000 10000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	}
	main, _ := os.ReadFile(filepath.Join(h.opts.ProcRoot, "42", "stat"))
	h.write(map[string]string{
		"42/cgroup":         "0::/system.slice/app.service\n",
		"42/task/42/stat":   string(main),
		"42/task/43/stat":   task(43, "worker-1", "R", 300),
		"42/task/44/stat":   task(44, "gc thread", "S", 10),
		"100/task/100/stat": "ignored: pid 100 has one thread",
	})
	s.SampleAt(context.Background(), t0)
	h.write(map[string]string{"42/task/43/stat": task(43, "worker-1", "R", 500)})
	snap := s.SampleAt(context.Background(), t0.Add(2*time.Second))
	if snap.ProcessCount != 6 || len(snap.Processes) != 8 {
		t.Fatalf("ProcessCount %d, %d rows; want 6 processes and 2 thread rows", snap.ProcessCount, len(snap.Processes))
	}
	got := byPID(snap)
	boot := time.Unix(1700000000, 0).UTC()
	want := Process{PID: 43, PPID: 42, Name: "worker-1", User: "alice", UID: 1000, State: "R", Threads: 4, CPUPct: 100, CPUTimeS: 5,
		RSSBytes: 40960000, VMSBytes: 200000000, MemPct: 0.5, StartTime: boot.Add(51 * time.Second), Nice: -5,
		Cmdline: "python3 -c print(1)", Cgroup: "/system.slice/app.service", Container: "app.service", Thread: true}
	eq(t, "thread 43", got[43], want)
	if p := got[44]; !p.Thread || p.Name != "gc thread" || p.PPID != 42 || p.CPUPct != 0 {
		t.Errorf("thread 44: %+v", p)
	}
	if got[42].Thread || got[42].PPID != 1 {
		t.Errorf("the process's own row: %+v", got[42])
	}
	s.SetThreads(false)
	if snap := s.SampleAt(context.Background(), t0.Add(3*time.Second)); len(snap.Processes) != 6 {
		t.Errorf("threads off: %d rows, want 6", len(snap.Processes))
	}
}
