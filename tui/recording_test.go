package tui

import (
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// TestPrevAlarmOnRecording: on a real recording (record.Writer, then a
// record.Reader as the Timeline), ! lands on the sample where an alarm
// changed: the alarm has its new state there and its old one a sample
// before; going back to the CPU burner's CRITICAL shows the burner on top
// of the process table and the check CRITICAL.
func TestPrevAlarmOnRecording(t *testing.T) {
	dir := t.TempDir()
	start := testNow.Add(-10 * time.Minute)
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	host := recordtest.New(recordtest.Config{Start: start, Processes: 120, BurnAt: 5 * time.Minute, BurnFor: 3 * time.Minute, Seed: 7})
	if _, err := recordtest.Write(w, host, testNow); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, end, err := r.Span()
	if err != nil {
		t.Fatal(err)
	}
	m := newTravelModel(t, 200, 50, r, false, end)
	if !m.tt.active || !m.tt.frame.Time().Equal(end) {
		t.Fatalf("replay opened at %v, want the end %v (status %q)", m.tt.frame, end, m.status)
	}
	state := func(f *record.Frame, check, alarm string) string {
		for _, a := range f.Alarms {
			if a.CheckID == check && a.Alarm == alarm {
				return a.To
			}
		}
		return ""
	}
	for range 20 {
		m = pressDrive(m, "!")
		f := m.tt.frame
		if len(f.Transitions) == 0 {
			t.Fatalf("! landed on %v, a moment with no alarm change (status %q)", f.Time(), m.status)
		}
		tr := f.Transitions[len(f.Transitions)-1]
		prev, err := r.At(f.Time().Add(-time.Nanosecond))
		if err != nil {
			t.Fatal(err)
		}
		if got, was := state(f, tr.CheckID, tr.Alarm), state(prev, tr.CheckID, tr.Alarm); got != tr.To || was == tr.To {
			t.Fatalf("at %v %s/%s is %q (a sample before %q); the change was %s -> %s", f.Time(), tr.CheckID, tr.Alarm, got, was, tr.From, tr.To)
		}
		if tr.CheckID != "chCPU" || tr.To != StateCritical {
			continue
		}
		top, ok := m.procs.selected()
		if !ok || top.Name != "burn" {
			t.Errorf("the top process at the CRITICAL change is %+v, want the burner", top)
		}
		if r := m.checks.rows[0]; r.ID != "chCPU" || r.State != StateCritical {
			t.Errorf("first check row %+v, want chCPU CRITICAL", r)
		}
		return
	}
	t.Fatal("no CRITICAL change of the CPU alarm found")
}
