package record_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func sample(sec float64) *collector.Snapshot {
	s := fullSnapshot(int(sec))
	s.Time = at(sec)
	return s
}

func utcCheck(c record.CheckResult) record.CheckResult         { c.Time = c.Time.UTC(); return c }
func utcAlarm(a record.AlarmTransition) record.AlarmTransition { a.Time = a.Time.UTC(); return a }
func utcLink(l record.LinkEvent) record.LinkEvent              { l.Time = l.Time.UTC(); return l }

func mapSlice[T any](s []T, f func(T) T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = f(v)
	}
	return out
}

// TestRoundTripEvents: check results, alarm transitions, link events and
// forgotten checks come back whole, each in the moment it was recorded
// in, and the state as of every moment is right, through keyframes that
// restate it (and never repeat it as new events).
func TestRoundTripEvents(t *testing.T) {
	chk := func(sec float64, id, status string, avail bool) record.CheckResult {
		return record.CheckResult{Time: at(sec), CheckID: id, Type: "agent.plugin", Label: "label of " + id, Available: avail, Status: status,
			Metrics: []record.Metric{{Dimension: "dim", Name: "n1", Type: "double", Value: "1.5", Unit: "percent"}, {Name: "s", Type: "string", Value: "ok ✓"}}}
	}
	c1 := chk(0.5, "chA", "success", true)
	c2 := chk(1.2, "chB", "timeout", false)
	c3 := chk(2.1, "chA", "password=s3cret rest", true) // masked
	c3kept := c3
	c3kept.Status = "password=*** rest"
	c3.Metrics = []record.Metric{} // a result without metrics: comes back nil
	c3kept.Metrics = nil
	a1 := record.AlarmTransition{Time: at(1.9), CheckID: "chA", Alarm: "al1", From: "OK", To: "CRITICAL", Message: "CPU at 99%"}
	a2 := record.AlarmTransition{Time: at(3.5), CheckID: "chB", Alarm: "al2", From: "UNKNOWN", To: "WARNING", Message: "slow"}
	a3 := record.AlarmTransition{Time: at(4.2), CheckID: "chA", Alarm: "al1", From: "CRITICAL", To: "OK", Message: "back"}
	a4 := record.AlarmTransition{Time: at(4.3), CheckID: "chB", Alarm: "al3", From: "OK", To: "WARNING"}
	rm := record.AlarmTransition{Time: at(5.5), CheckID: "chB", Alarm: "al3", From: "WARNING", To: ""} // alarm deleted
	l1 := record.LinkEvent{Time: at(0.1), Endpoint: "ep1:443", State: "connected"}
	l2 := record.LinkEvent{Time: at(3.7), Endpoint: "ep1:443", State: "disconnected", Error: "proxy http://u:pw@proxy:3128 refused"}
	l2kept := l2
	l2kept.Error = "proxy http://u:***@proxy:3128 refused"

	// The calls in order; a nil entry is a sample at the next second.
	type call struct {
		check  *record.CheckResult
		alarm  *record.AlarmTransition
		link   *record.LinkEvent
		forget string
	}
	calls := []call{{link: &l1}, {}, {check: &c1}, {}, {check: &c2}, {alarm: &a1}, {}, {check: &c3}, {},
		{alarm: &a2}, {link: &l2}, {}, {alarm: &a3}, {alarm: &a4}, {}, {forget: "chB"}, {alarm: &rm}, {}, {}}
	for _, every := range []time.Duration{time.Hour, 0} {
		t.Run("keyframe every "+every.String(), func(t *testing.T) {
			defer record.SetKeyframeEvery(every)()
			dir := t.TempDir()
			w := openWriter(t, record.Options{Dir: dir, FlushInterval: 2 * time.Second})
			sec := 0
			for _, c := range calls {
				switch {
				case c.check != nil:
					w.Check(*c.check)
				case c.alarm != nil:
					w.Alarm(*c.alarm)
				case c.link != nil:
					w.Link(*c.link)
				case c.forget != "":
					w.Forget(at(float64(sec)), c.forget)
				default:
					w.Sample(sample(float64(sec)))
					sec++
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r := openReader(t, dir)
			got := frames(t, r, t0.Add(-time.Hour), t0.Add(time.Hour))
			type moment struct {
				checks      []record.CheckResult
				alarms      []record.AlarmTransition
				links       []record.LinkEvent
				newChecks   []record.CheckResult
				transitions []record.AlarmTransition
				linkEvents  []record.LinkEvent
			}
			c1m := c1
			c1m.Status = "success"
			c3m := c3kept
			a3s := a3
			want := []moment{
				// l1 came before the writer's first sample: it is in the first moment.
				{links: []record.LinkEvent{l1}, checks: []record.CheckResult{c1}, newChecks: []record.CheckResult{c1}, linkEvents: []record.LinkEvent{l1}},
				{links: []record.LinkEvent{l1}, checks: []record.CheckResult{c1, c2}, alarms: []record.AlarmTransition{a1},
					newChecks: []record.CheckResult{c2}, transitions: []record.AlarmTransition{a1}},
				{links: []record.LinkEvent{l1}, checks: []record.CheckResult{c3m, c2}, alarms: []record.AlarmTransition{a1}, newChecks: []record.CheckResult{c3m}},
				{links: []record.LinkEvent{l2kept}, checks: []record.CheckResult{c3m, c2}, alarms: []record.AlarmTransition{a1, a2},
					transitions: []record.AlarmTransition{a2}, linkEvents: []record.LinkEvent{l2kept}},
				{links: []record.LinkEvent{l2kept}, checks: []record.CheckResult{c3m, c2}, alarms: []record.AlarmTransition{a3s, a2, a4},
					transitions: []record.AlarmTransition{a3, a4}},
				// chB forgotten with its alarms; al3's removal is a transition.
				{links: []record.LinkEvent{l2kept}, checks: []record.CheckResult{c3m}, alarms: []record.AlarmTransition{a3s},
					transitions: []record.AlarmTransition{rm}},
				{links: []record.LinkEvent{l2kept}, checks: []record.CheckResult{c3m}, alarms: []record.AlarmTransition{a3s}},
				{links: []record.LinkEvent{l2kept}, checks: []record.CheckResult{c3m}, alarms: []record.AlarmTransition{a3s}},
			}
			if len(got) != len(want) {
				t.Fatalf("%d frames, want %d", len(got), len(want))
			}
			for i, f := range got {
				w := want[i]
				name := "frame " + string(rune('0'+i))
				diffJSON(t, name+" checks", mapSlice(f.Checks, utcCheck), mapSlice(w.checks, utcCheck))
				diffJSON(t, name+" alarms", mapSlice(f.Alarms, utcAlarm), mapSlice(w.alarms, utcAlarm))
				diffJSON(t, name+" links", mapSlice(f.Links, utcLink), mapSlice(w.links, utcLink))
				diffJSON(t, name+" new checks", mapSlice(f.NewChecks, utcCheck), mapSlice(w.newChecks, utcCheck))
				diffJSON(t, name+" transitions", mapSlice(f.Transitions, utcAlarm), mapSlice(w.transitions, utcAlarm))
				diffJSON(t, name+" link events", mapSlice(f.LinkEvents, utcLink), mapSlice(w.linkEvents, utcLink))
				a, err := r.At(f.Snapshot.Time)
				if err != nil {
					t.Fatal(err)
				}
				diffJSON(t, name+" At checks", mapSlice(a.Checks, utcCheck), mapSlice(w.checks, utcCheck))
				diffJSON(t, name+" At alarms", mapSlice(a.Alarms, utcAlarm), mapSlice(w.alarms, utcAlarm))
				diffJSON(t, name+" At transitions", mapSlice(a.Transitions, utcAlarm), mapSlice(w.transitions, utcAlarm))
			}
		})
	}
}

// TestTransitions: PrevTransition and NextTransition walk the alarm
// transitions, each landing on the moment (sample) it was recorded in,
// where At shows the alarm's new state: the console's `!` key.
func TestTransitions(t *testing.T) {
	defer record.SetKeyframeEvery(time.Minute)()
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	type tr struct {
		sample int
		to     string
	}
	trs := []tr{{30, "WARNING"}, {31, "CRITICAL"}, {400, "OK"}, {4000, "CRITICAL"}, {7300, "OK"}}
	state := "OK"
	j := 0
	for i := 0; i < 7400; i++ {
		w.Sample(sample(float64(i)))
		if i == 4100 {
			// A restart restates the state: not a transition.
			w.Alarm(record.AlarmTransition{Time: at(float64(i) - 0.5), CheckID: "chCPU", Alarm: "cpu", From: state, To: state})
		}
		for j < len(trs) && trs[j].sample == i {
			// Stamped a little before the sample it follows, as a check's
			// run start is.
			w.Alarm(record.AlarmTransition{Time: at(float64(i) - 0.5), CheckID: "chCPU", Alarm: "cpu", From: state, To: trs[j].to})
			state = trs[j].to
			j++
		}
		if i%30 == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	cursor := at(7400)
	for k := len(trs) - 1; k >= 0; k-- {
		got, err := r.PrevTransition(cursor)
		if err != nil {
			t.Fatalf("transition %d: %v", k, err)
		}
		if !got.Moment.Equal(at(float64(trs[k].sample))) || got.To != trs[k].to || !got.Time.Equal(at(float64(trs[k].sample)-0.5)) {
			t.Fatalf("transition %d: got %+v, want to %s at sample %d", k, got, trs[k].to, trs[k].sample)
		}
		f, err := r.At(got.Moment)
		if err != nil {
			t.Fatal(err)
		}
		if !f.Snapshot.Time.Equal(got.Moment) || len(f.Alarms) != 1 || f.Alarms[0].To != trs[k].to || len(f.Transitions) == 0 {
			t.Fatalf("At(%v) = frame at %v with alarms %+v transitions %+v", got.Moment, f.Snapshot.Time, f.Alarms, f.Transitions)
		}
		cursor = got.Moment
	}
	if _, err := r.PrevTransition(cursor); !errors.Is(err, record.ErrNoData) {
		t.Errorf("before the first transition: %v, want ErrNoData", err)
	}
	cursor = at(-10)
	for k := range trs {
		got, err := r.NextTransition(cursor)
		if err != nil {
			t.Fatalf("next transition %d: %v", k, err)
		}
		if !got.Moment.Equal(at(float64(trs[k].sample))) || got.To != trs[k].to {
			t.Fatalf("next transition %d: got %+v, want to %s at sample %d", k, got, trs[k].to, trs[k].sample)
		}
		cursor = got.Moment
	}
	if _, err := r.NextTransition(cursor); !errors.Is(err, record.ErrNoData) {
		t.Errorf("after the last transition: %v, want ErrNoData", err)
	}
}

// TestTrends: the per-minute points of every series, exact to float32,
// and a minute split by a writer restart comes back as one point.
func TestTrends(t *testing.T) {
	dir := t.TempDir()
	series := func(s *collector.Snapshot, fn func(string, float64)) {
		fn("a", s.Load.Load1)
		fn("b", float64(s.Memory.UsedBytes))
		if s.Load.Load1 > 1 {
			fn("nan", math.NaN()) // ignored
		}
	}
	opt := record.Options{Dir: dir, Series: series}
	w := openWriter(t, opt)
	var loads []float64
	for i := 0; i < 150; i++ {
		if i == 130 { // restart in the middle of minute 2
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w = openWriter(t, opt)
		}
		s := sample(float64(i))
		s.Time = time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
		s.Load.Load1 = float64(i%60) / 10
		s.Memory.UsedBytes = uint64(1000 * i)
		loads = append(loads, s.Load.Load1)
		w.Sample(s)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	got := map[string][]record.Point{}
	base := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	if err := r.Trends(base.Add(-time.Hour), base.Add(time.Hour), func(name string, p record.Point) {
		p.Start = p.Start.UTC()
		got[name] = append(got[name], p)
	}); err != nil {
		t.Fatal(err)
	}
	f32 := func(v float64) float64 { return float64(float32(v)) }
	var wantA, wantB []record.Point
	for m := 0; m < 3; m++ {
		n := min(60, 150-60*m)
		var sum float64
		for i := 60 * m; i < 60*m+n; i++ {
			sum += loads[i]
		}
		// Minute 2 is split at 130 (restart): two points merged.
		avg := f32(sum / float64(n))
		if m == 2 {
			avg = (f32(sum10(loads[120:130])/10)*10 + f32(sum10(loads[130:150])/20)*20) / 30
		}
		wantA = append(wantA, record.Point{Start: base.Add(time.Duration(m) * time.Minute), Min: 0, Max: f32(float64(n-1) / 10),
			Avg: avg, Last: f32(float64(n-1) / 10), Count: n})
		bAvg := f32(float64(1000*(60*m)+1000*(60*m+n-1)) / 2)
		if m == 2 {
			bAvg = (f32(float64(120000+129000)/2)*10 + f32(float64(130000+149000)/2)*20) / 30
		}
		wantB = append(wantB, record.Point{Start: base.Add(time.Duration(m) * time.Minute), Min: float64(1000 * 60 * m),
			Max: float64(1000 * (60*m + n - 1)), Avg: bAvg, Last: float64(1000 * (60*m + n - 1)), Count: n})
	}
	diffJSON(t, "series a", got["a"], wantA)
	diffJSON(t, "series b", got["b"], wantB)
	if _, ok := got["nan"]; ok {
		t.Error("NaN values made a series")
	}
	// A window selects whole minutes by their start.
	var n int
	_ = r.Trends(base.Add(time.Minute), base.Add(time.Minute), func(name string, p record.Point) { n++ })
	if n != 2 {
		t.Errorf("one minute: %d points, want 2", n)
	}
}

func sum10(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

// TestBlocksByRecordedTime: a block holds FlushInterval of recorded time
// (not of wall time), so what a crash can lose is bounded by it.
func TestBlocksByRecordedTime(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir, FlushInterval: 10 * time.Second, Series: func(*collector.Snapshot, func(string, float64)) {}})
	for i := 0; i < 35; i++ {
		w.Sample(sample(float64(i)))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := record.Segments(dir)
	blocks, err := record.Blocks(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	var counts []int
	for _, b := range blocks {
		counts = append(counts, b.Samples)
	}
	if !slices.Equal(counts, []int{10, 10, 10, 5}) {
		t.Errorf("samples per block %v, want [10 10 10 5]", counts)
	}
}

// TestStepping: After (`]`) and At(t - 1ns) (`[`) walk every moment in
// order, across segments, and stop at the ends.
func TestStepping(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	var want []time.Time
	for i := 0; i < 40; i++ {
		s := sample(0)
		s.Time = time.Date(2026, 3, 2, 3, 59, 0, 0, time.UTC).Add(time.Duration(i*3) * time.Second) // across 04:00
		want = append(want, s.Time)
		w.Sample(s)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	if segs, _ := record.Segments(dir); len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	var fwd []time.Time
	cur := want[0].Add(-time.Hour)
	for {
		f, err := r.After(cur)
		if errorsIs(err, record.ErrNoData) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cur = f.Snapshot.Time
		fwd = append(fwd, cur.UTC())
	}
	diffJSON(t, "forward", fwd, want)
	var back []time.Time
	cur = want[len(want)-1].Add(time.Hour)
	for {
		f, err := r.At(cur)
		if errorsIs(err, record.ErrNoData) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		back = append([]time.Time{f.Snapshot.Time.UTC()}, back...)
		cur = f.Snapshot.Time.Add(-1)
	}
	diffJSON(t, "backward", back, want)
}

// TestAtEveryMoment: At finds every sample, whatever the keyframe
// interval, with the per-minute rollup blocks (whose times run behind
// the data blocks around them) between the data blocks.
func TestAtEveryMoment(t *testing.T) {
	for _, every := range []time.Duration{0, time.Minute, 5 * time.Minute} {
		t.Run("keyframe every "+every.String(), func(t *testing.T) {
			defer record.SetKeyframeEvery(every)()
			dir := t.TempDir()
			w := openWriter(t, record.Options{Dir: dir})
			var times []time.Time
			for i := 0; i < 900; i++ { // 75 min from 03:12: across an hour (a new segment)
				s := sample(float64(5 * i))
				times = append(times, s.Time)
				w.Sample(s)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r := openReader(t, dir)
			for i, want := range times {
				q := want.Add(time.Duration(i%5) * time.Second) // at the sample, or up to 4 s after
				f, err := r.At(q)
				if err != nil || !f.Snapshot.Time.Equal(want) {
					t.Fatalf("sample %d: At(%v) = %v, %v", i, q.UTC(), f, err)
				}
			}
		})
	}
}
