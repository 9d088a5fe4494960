package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// nopRecorder takes everything and keeps nothing.
type nopRecorder struct{}

func (nopRecorder) Sample(*collector.Snapshot)   {}
func (nopRecorder) Check(record.CheckResult)     {}
func (nopRecorder) Alarm(record.AlarmTransition) {}
func (nopRecorder) Forget(time.Time, string)     {}

// TestCgroupsForTheRecorder: with a recorder, the sampler lists the
// cgroups once every ProcessEvery (the recorder's cgroup table: the first
// sample, not the next one an hour early); without one, never unless the
// console asks (SetCgroups), and then every sample.
func TestCgroupsForTheRecorder(t *testing.T) {
	tree := filepath.Join("..", "collector", "testdata", "cgroup-v2", "step0")
	opts := collector.Options{ProcRoot: filepath.Join(tree, "proc"), SysRoot: filepath.Join(tree, "sys"),
		Sources: []string{collector.SourceCgroups}}
	ctx := context.Background()

	rec := New(Options{Interval: time.Second, Collector: opts, Recorder: nopRecorder{}, ProcessEvery: time.Hour})
	if s := rec.SampleNow(ctx); len(s.Cgroups) == 0 || s.Errors != nil {
		t.Fatalf("recording agent, first sample: %d groups, errors %v", len(s.Cgroups), s.Errors)
	}
	if s := rec.SampleNow(ctx); s.Cgroups != nil {
		t.Fatal("recording agent: cgroups again before ProcessEvery")
	}

	plain := New(Options{Interval: time.Second, Collector: opts})
	if s := plain.SampleNow(ctx); s.Cgroups != nil {
		t.Fatal("an agent without a recorder listed cgroups unasked")
	}
	plain.SetCgroups(true)
	for i := 0; i < 2; i++ {
		if s := plain.SampleNow(ctx); len(s.Cgroups) == 0 {
			t.Fatalf("SetCgroups(true), sample %d: no cgroups", i)
		}
	}
	plain.SetCgroups(false)
	if s := plain.SampleNow(ctx); s.Cgroups != nil {
		t.Fatal("SetCgroups(false): still listing")
	}
}

// TestProcessIOAndThreads (live /proc): the console's toggles reach the
// sampler: this test's own process gets I/O rates on the sample after the
// first read, and rows for its threads.
func TestProcessIOAndThreads(t *testing.T) {
	if _, err := os.Stat("/proc/self/io"); err != nil {
		t.Skip("needs /proc/PID/io")
	}
	a := New(Options{Interval: time.Second, Collector: collector.Options{Sources: []string{collector.SourceProcesses}}})
	ctx := context.Background()
	self := int32(os.Getpid())
	find := func(s *collector.Snapshot) (proc collector.Process, threads int) {
		for _, p := range s.Processes {
			switch {
			case p.PID == self:
				proc = p
			case p.Thread && p.PPID == self:
				threads++
			}
		}
		return proc, threads
	}
	if p, n := find(a.SampleNow(ctx)); p.IOKnown || n != 0 {
		t.Fatalf("toggles off: I/O known %v, %d thread rows", p.IOKnown, n)
	}
	a.SetProcessIO(true)
	a.SetThreads(true)
	a.SampleNow(ctx)
	p, n := find(a.SampleNow(ctx))
	if !p.IOKnown || n == 0 {
		t.Fatalf("toggles on: I/O known %v, %d thread rows (a Go test has several threads)", p.IOKnown, n)
	}
}
