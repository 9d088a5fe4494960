package record_test

import (
	"slices"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// TestBurnerEpisode is the scenario on a synthetic host: two
// hours at 5 s with a CPU burner from minute 20 to 30. From the end, `!`
// (PrevTransition) lands on the sample where the CPU alarm went back to
// OK, then on the one where it went CRITICAL; there the burner tops the
// process table and the alarm shows its new state.
func TestBurnerEpisode(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	h := recordtest.New(recordtest.Config{Seed: 1, BurnAt: 20 * time.Minute, BurnFor: 10 * time.Minute})
	start := h.Now()
	n, err := recordtest.Write(w, h, start.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	if got := len(frames(t, r, start, start.Add(3*time.Hour))); got != n {
		t.Fatalf("%d frames, want %d", got, n)
	}
	var cpu []record.Transition
	cursor := start.Add(3 * time.Hour)
	for {
		tr, err := r.PrevTransition(cursor)
		if err != nil {
			break
		}
		if tr.CheckID == "chCPU" {
			cpu = append(cpu, tr)
		}
		cursor = tr.Moment
	}
	if len(cpu) != 2 || cpu[0].To != "OK" || cpu[1].To != "CRITICAL" {
		t.Fatalf("CPU transitions from the end: %+v", cpu)
	}
	burnStart := start.Add(20 * time.Minute)
	if d := cpu[1].Moment.Sub(burnStart); d < 0 || d > 30*time.Second {
		t.Errorf("the CRITICAL transition at %v, %v after the burner started (checks run every 30 s)", cpu[1].Moment, d)
	}
	f, err := r.At(cpu[1].Moment)
	if err != nil {
		t.Fatal(err)
	}
	procs := slices.Clone(f.Snapshot.Processes)
	slices.SortFunc(procs, func(a, b collector.Process) int { return int(b.CPUPct*100) - int(a.CPUPct*100) })
	if procs[0].Name != "burn" || f.Snapshot.CPU.UsagePct < 90 {
		t.Errorf("at the transition: top process %q at %.1f%%, host CPU %.1f%%", procs[0].Name, procs[0].CPUPct, f.Snapshot.CPU.UsagePct)
	}
	var alarm string
	for _, a := range f.Alarms {
		if a.CheckID == "chCPU" {
			alarm = a.To
		}
	}
	if alarm != "CRITICAL" || len(f.Transitions) == 0 {
		t.Errorf("at the transition: CPU alarm %q, transitions %+v", alarm, f.Transitions)
	}
	// The trend shows the episode: minutes at ~100% in the burner's window.
	var peak record.Point
	_ = r.Trends(start, start.Add(2*time.Hour), func(name string, p record.Point) {
		if name == "cpu.usage" && p.Max > peak.Max {
			peak = p
		}
	})
	if peak.Max < 99 || peak.Start.Before(burnStart.Add(-time.Minute)) || peak.Start.After(burnStart.Add(10*time.Minute)) {
		t.Errorf("CPU trend peak %+v, want ~100%% during the burner", peak)
	}
}

// TestBreakdown logs where the bytes of a recording go (go test -v).
func TestBreakdown(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	h := recordtest.New(recordtest.Config{Seed: 1})
	n, _ := recordtest.Write(w, h, h.Now().Add(6*time.Hour))
	w.Close()
	b, err := record.Breakdown(dir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, k := range record.SortedKeys(b) {
		t.Logf("%-28s %10d  %8.1f/sample", k, b[k], float64(b[k])/float64(n))
	}
	for _, k := range []string{"segment headers", "keyframe blocks", "delta blocks", "rollup blocks"} {
		total += b[k]
	}
	t.Logf("total %d bytes, %d samples, %.1f B/sample, %.1f MB/day at 5 s", total, n, float64(total)/float64(n), float64(total)/float64(n)*17280/1e6)
}
