package agent

import (
	"sort"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/history"
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
