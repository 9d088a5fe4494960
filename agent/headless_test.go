package agent

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/protocol"
)

// TestHeadlessKeepsOnlyCheckSeries: a headless agent (the daemon) keeps
// the CPU series agent.cpu reads and nothing else, and CPUWindow gives the
// same answer as with full history.
func TestHeadlessKeepsOnlyCheckSeries(t *testing.T) {
	full := New(Options{Interval: time.Second, Retention: history.Retention{Raw: 60, Minutes: 60}})
	headless := New(Options{Interval: time.Second, Retention: HeadlessRetention(time.Second), KeepSeries: HeadlessSeries})
	now := time.Now()
	for i, u := range []float64{10, 20, 30, 40} {
		s := testSnapshot(now.Add(time.Duration(i-4) * time.Second))
		s.CPU.UsagePct, s.CPU.UserPct = u, u/2
		full.publish(s)
		headless.publish(s)
	}
	names := headless.History().Names()
	sort.Strings(names)
	want := []string{SeriesCPUIdle, SeriesCPUIOWait, SeriesCPUIRQ, SeriesCPUSteal, SeriesCPUSystem, SeriesCPUUsage, SeriesCPUUser}
	sort.Strings(want)
	if len(names) != len(want) {
		t.Fatalf("headless series %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("headless series %v, want %v", names, want)
		}
	}
	a, okA := full.CPUWindow(now.Add(-3 * time.Second))
	b, okB := headless.CPUWindow(now.Add(-3 * time.Second))
	if !okA || !okB || a != b || a == (check.CPUStats{}) {
		t.Fatalf("CPUWindow full=%+v,%v headless=%+v,%v", a, okA, b, okB)
	}
}

func TestHeadlessRetention(t *testing.T) {
	tests := []struct {
		interval time.Duration
		raw      int
	}{
		{time.Second, 600},
		{5 * time.Second, 120},
		{7 * time.Second, 86}, // rounded up: at least 10 minutes
		{time.Hour, 2},
		{0, 600},
	}
	for _, tt := range tests {
		r := HeadlessRetention(tt.interval)
		if r.Raw != tt.raw || r.Minutes != 1440 || r.Hours != 0 || r.Days != 0 {
			t.Errorf("HeadlessRetention(%s) = %+v, want raw %d and 1440 minutes", tt.interval, r, tt.raw)
		}
	}
	if got := HeadlessRetention(5*time.Second).SeriesBytes() * 7; got > 512<<10 {
		t.Errorf("headless history is %d B for 7 series, want under 512 KiB", got)
	}
}

// TestProcessesOnDemand (live /proc): a headless agent counts processes
// until an agent.process check is scheduled, lists them while one is, and
// answers host_info PROCS with a one-off list in between.
func TestProcessesOnDemand(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	a := New(Options{Interval: time.Second, ProcessesOnDemand: true})
	ctx := context.Background()
	s := a.SampleNow(ctx)
	if s.Processes != nil || s.ProcessCount == 0 {
		t.Fatalf("count only: %d processes listed, count %d", len(s.Processes), s.ProcessCount)
	}
	procs, err := Handler{A: a}.HostInfo(ctx, "PROCS")
	if err != nil {
		t.Fatal(err)
	}
	// PROCS reads /proc itself (hostinfo, sigar's fields), whatever the
	// sampler keeps.
	listed := false
	for _, p := range procs.(protocol.HostInfoResult).Metrics.([]protocol.HostInfoProcess) {
		listed = listed || p.PID == int64(os.Getpid())
	}
	if !listed {
		t.Fatal("host_info PROCS in count-only mode does not list this process")
	}

	a.SetChecks([]check.Def{{ID: "chProc", Type: check.TypeProcess, Period: time.Minute, Details: map[string]any{"process": "go"}}})
	// SetChecks sampled at once: the check's first run sees the list.
	if s = a.Latest(); !hasPID(s.Processes, int32(os.Getpid())) {
		t.Fatal("SetChecks with an agent.process check did not take a sample with the list")
	}
	s = a.SampleNow(ctx)
	if !hasPID(s.Processes, int32(os.Getpid())) || s.ProcessCount != len(s.Processes) {
		t.Fatalf("with an agent.process check: %d processes, count %d", len(s.Processes), s.ProcessCount)
	}
	a.SetChecks(nil)
	if s = a.SampleNow(ctx); s.Processes != nil {
		t.Fatal("the list stayed on after the agent.process check went")
	}

	// Not headless: always the list.
	full := New(Options{Interval: time.Second})
	if s := full.SampleNow(ctx); len(s.Processes) == 0 {
		t.Fatal("a console agent lists no processes")
	}
}

func hasPID(ps []collector.Process, pid int32) bool {
	for _, p := range ps {
		if p.PID == pid {
			return true
		}
	}
	return false
}
