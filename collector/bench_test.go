package collector

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// buildProcTree writes a canned host with n processes under dir (the
// basic fixture's host files plus generated /proc/PID entries) and
// returns Options pointing at it.
func buildProcTree(tb testing.TB, dir string, n int) Options {
	tb.Helper()
	copyTree(tb, "testdata/basic/step0", dir)
	proc := filepath.Join(dir, "proc")
	comms := []string{"nginx", "postgres", "bash", "sshd", "kworker/0:1", "python3", "java", "containerd-shim"}
	for i := 0; i < n; i++ {
		pid := 10000 + i
		comm := comms[i%len(comms)]
		pdir := filepath.Join(proc, fmt.Sprint(pid))
		if err := os.MkdirAll(pdir, 0o755); err != nil {
			tb.Fatal(err)
		}
		files := map[string]string{
			"stat": fmt.Sprintf("%d (%s) S 1 %d %d 0 -1 4194560 1000 0 0 0 %d %d 0 0 20 0 %d 0 %d %d %d 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
				pid, comm, pid, pid, i*3, i, 1+i%8, 1000+i, 100000000+i*4096, 1000+i),
			"status": fmt.Sprintf("Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\n"+
				"Uid:\t%d\t%d\t%d\t%d\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t\nVmPeak:\t  100000 kB\nVmSize:\t  100000 kB\n"+
				"VmRSS:\t    4000 kB\nThreads:\t1\nSigQ:\t0/63429\nCpus_allowed_list:\t0-1\nvoluntary_ctxt_switches:\t100\nnonvoluntary_ctxt_switches:\t5\n",
				comm, pid, pid, i%3*1000, i%3*1000, i%3*1000, i%3*1000),
			"cmdline": fmt.Sprintf("/usr/bin/%s\x00--worker\x00%d\x00", comm, i),
			// As on a real host: every process has a cgroup and an io file.
			"cgroup": fmt.Sprintf("0::/system.slice/%s.service\n", comm),
			"io":     fmt.Sprintf("rchar: %d\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: %d\nwrite_bytes: 0\ncancelled_write_bytes: 0\n", i, i*4096),
		}
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(pdir, name), []byte(content), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return Options{
		ProcRoot: proc,
		SysRoot:  filepath.Join(dir, "sys"),
		EtcRoot:  filepath.Join(dir, "etc"),
		RootFS:   "/hostroot",
	}
}

func TestBuildProcTree(t *testing.T) {
	opts := buildProcTree(t, t.TempDir(), 50)
	snap := newSampler(opts, fixtureSystem()).SampleAt(context.Background(), t0)
	if snap.Errors != nil {
		t.Fatal(snap.Errors)
	}
	// 50 generated plus the 6 processes of the basic fixture's step0.
	if len(snap.Processes) != 56 {
		t.Fatalf("%d processes, want 56", len(snap.Processes))
	}
	p := snap.Processes[len(snap.Processes)-1]
	if p.PID != 10049 || p.Cmdline != "/usr/bin/postgres --worker 49" || p.User != "alice" {
		t.Errorf("last process %+v", p)
	}
}

// BenchmarkSamplerTick is one full Sample of every source on a canned
// host with 1,000 processes (after a warm-up tick, as in steady state).
func BenchmarkSamplerTick(b *testing.B) {
	opts := buildProcTree(b, b.TempDir(), 1000)
	s := newSampler(opts, fixtureSystem())
	ctx := context.Background()
	now := t0
	s.SampleAt(ctx, now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if snap := s.SampleAt(ctx, now); snap.Errors != nil {
			b.Fatal(snap.Errors)
		}
	}
}

// BenchmarkProcessScan is the process source alone over 1,000 processes.
func BenchmarkProcessScan(b *testing.B) {
	opts := buildProcTree(b, b.TempDir(), 1000)
	p := newProcessSource(opts, fixtureSystem())
	ctx := context.Background()
	now := t0
	if _, _, err := p.scan(ctx, now, 8<<30); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		procs, _, err := p.scan(ctx, now, 8<<30)
		if err != nil || len(procs) < 1000 {
			b.Fatal(len(procs), err)
		}
	}
}

// BenchmarkProcessScanIO is BenchmarkProcessScan with the per-process I/O
// rates on (one more read per process).
func BenchmarkProcessScanIO(b *testing.B) {
	opts := buildProcTree(b, b.TempDir(), 1000)
	p := newProcessSource(opts, fixtureSystem())
	p.ioOn.Store(true)
	ctx := context.Background()
	now := t0
	if _, _, err := p.scan(ctx, now, 8<<30); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if _, _, err := p.scan(ctx, now, 8<<30); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcessScanLive scans the real /proc of the machine running
// the benchmark (kernel-generated files cost more than canned ones).
func BenchmarkProcessScanLive(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc")
	}
	p := newProcessSource(Options{}, liveSystem())
	ctx := context.Background()
	now := time.Now()
	procs, _, err := p.scan(ctx, now, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if procs, _, err = p.scan(ctx, now, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(procs)), "procs")
}

// BenchmarkProcessScanLiveIOThreads is the live scan with I/O rates and
// thread rows on (the console's I/O column and H).
func BenchmarkProcessScanLiveIOThreads(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc")
	}
	p := newProcessSource(Options{}, liveSystem())
	p.ioOn.Store(true)
	p.threadsOn.Store(true)
	ctx := context.Background()
	now := time.Now()
	procs, _, err := p.scan(ctx, now, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if procs, _, err = p.scan(ctx, now, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(procs)), "rows")
}

// BenchmarkCgroupsLive is one walk of this machine's cgroup hierarchies
// (what the daemon adds per recorded cgroup table, and the console per
// sample with its cgroup view shown).
func BenchmarkCgroupsLive(b *testing.B) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		b.Skip("no /proc")
	}
	src := newCgroupSource(Options{})
	src.on.Store(true)
	ctx := context.Background()
	s := &Snapshot{Time: time.Now()}
	if err := src.Collect(ctx, s); err != nil {
		b.Fatal(err)
	}
	if len(s.Cgroups) == 0 {
		b.Skip("no cgroups here")
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		s = &Snapshot{Time: s.Time.Add(time.Second)}
		if err := src.Collect(ctx, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(s.Cgroups)), "groups")
}

// BenchmarkDaemonTickLive is the daemon's sample on this machine (every
// source, processes counted and listed every 5 s, samples 5 s apart),
// with and without the recorder's cgroup list every 5 s: the walk's cost
// per sample.
func BenchmarkDaemonTickLive(b *testing.B) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		b.Skip("no /proc")
	}
	for _, walk := range []bool{false, true} {
		name := "without-cgroups"
		if walk {
			name = "with-cgroups"
		}
		b.Run(name, func(b *testing.B) {
			s := NewSampler(Options{})
			s.SetProcessList(false)
			s.SetProcessEvery(5 * time.Second)
			if walk {
				s.SetCgroupsEvery(5 * time.Second)
			}
			ctx := context.Background()
			now := time.Now()
			s.SampleAt(ctx, now)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				now = now.Add(5 * time.Second)
				if snap := s.SampleAt(ctx, now); walk && snap.Cgroups == nil {
					b.Fatal("no cgroups")
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkCgroupsHybrid walks the canned hybrid tree (7 groups in 4
// hierarchies).
func BenchmarkCgroupsHybrid(b *testing.B) {
	h := newFixtureHost(b)
	h.loadStep("testdata/cgroup-hybrid/step0")
	src := newCgroupSource(h.opts)
	src.on.Store(true)
	ctx := context.Background()
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		if err := src.Collect(ctx, &Snapshot{Time: now}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGopsutilProcessesLive is the same live scan through gopsutil's
// per-process API (the path the lean reader replaces), for comparison.
func BenchmarkGopsutilProcessesLive(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("no /proc")
	}
	f := newProcessFallback()
	ctx := context.Background()
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Second)
		procs, err := f.collect(ctx, now)
		if err != nil {
			b.Fatal(err)
		}
		n = len(procs)
	}
	b.ReportMetric(float64(n), "procs")
}
