package fleet

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/virgo-top/virgo-top/internal/schema"
)

// Alarm is one alarm of the fleet alarms list or a host's detail.
type Alarm struct {
	Host    string    `json:"host"`
	CheckID string    `json:"check_id"`
	Alarm   string    `json:"alarm"`
	State   string    `json:"state"`
	Since   time.Time `json:"since"` // not OK since (last OK, else first seen not OK, within the lookback; at most a subquery step late)
}

// alarmSinceStep is the resolution of "since": the last step of a
// subquery at which the alarm was OK.
func (f *Fleet) alarmSinceStep() time.Duration {
	return min(max(f.opt.Lookback/1440, 10*time.Second), 5*time.Minute)
}

// Alarms lists every alarm that is not OK across the fleet, worst first,
// then the oldest first.
func (f *Fleet) Alarms(ctx context.Context, at time.Time) ([]Alarm, error) {
	if at.IsZero() {
		at = f.opt.Now()
	}
	r, err := f.c.Query(ctx, f.expand(schema.AlarmState+`{$S} != 0`, f.allHosts(""), f.opt.RateWindow), at)
	if err != nil {
		return nil, err
	}
	return f.alarmRows(ctx, r.Vector, at)
}

func (f *Fleet) alarmRows(ctx context.Context, vec []Sample, at time.Time) ([]Alarm, error) {
	out := make([]Alarm, 0, len(vec))
	hosts := map[string]bool{}
	for _, s := range vec {
		h := s.Labels[f.opt.HostLabel]
		if h == "" {
			continue
		}
		hosts[h] = true
		out = append(out, Alarm{Host: h, CheckID: s.Labels[schema.LabelCheckID], Alarm: s.Labels[schema.LabelAlarm], State: schema.StateName(s.Value)})
	}
	if len(hosts) > 0 {
		// When each alarm was last OK, for the hosts that have one not
		// OK only (the subquery is the costly part).
		names := make([]string, 0, len(hosts))
		for h := range hosts {
			names = append(names, h)
		}
		sort.Strings(names)
		step := f.alarmSinceStep()
		q := f.expand(`max_over_time(timestamp(`+schema.AlarmState+`{$S} == 0)[$L:`+promDuration(step)+`])`, f.someHosts(names), f.opt.RateWindow)
		r, err := f.c.Query(ctx, q, at)
		if err != nil {
			return nil, err
		}
		// An alarm never OK within the lookback: since it was first seen.
		q = f.expand(`min_over_time(timestamp(`+schema.AlarmState+`{$S} != 0)[$L:`+promDuration(step)+`])`, f.someHosts(names), f.opt.RateWindow)
		r2, err := f.c.Query(ctx, q, at)
		if err != nil {
			return nil, err
		}
		key := func(s Sample) [3]string {
			return [3]string{s.Labels[f.opt.HostLabel], s.Labels[schema.LabelCheckID], s.Labels[schema.LabelAlarm]}
		}
		lastOK := map[[3]string]float64{}
		for _, s := range r.Vector {
			lastOK[key(s)] = math.Max(lastOK[key(s)], s.Value+step.Seconds())
		}
		firstBad := map[[3]string]float64{}
		for _, s := range r2.Vector {
			if old, ok := firstBad[key(s)]; !ok || s.Value < old {
				firstBad[key(s)] = s.Value
			}
		}
		for i := range out {
			k := [3]string{out[i].Host, out[i].CheckID, out[i].Alarm}
			ts, ok := lastOK[k]
			if !ok {
				ts, ok = firstBad[k]
			}
			if ok {
				// The step after the last OK one may end past at: the
				// alarm turned within the last step.
				ts = math.Min(ts, float64(at.UnixMilli())/1000)
				sec, frac := math.Modf(ts)
				out[i].Since = time.Unix(int64(sec), int64(frac*1e9)).UTC()
			} else {
				// Not OK at any step of the subqueries: it turned
				// within the last step.
				out[i].Since = at.UTC()
			}
		}
	}
	SortAlarms(out)
	return out, nil
}

// SortAlarms orders alarms worst first, then oldest first (a zero Since,
// older than the lookback, first), then by host, check and alarm.
func SortAlarms(a []Alarm) {
	sort.SliceStable(a, func(i, j int) bool {
		x, y := a[i], a[j]
		if rx, ry := StateRank(x.State), StateRank(y.State); rx != ry {
			return rx > ry
		}
		if !x.Since.Equal(y.Since) {
			if x.Since.IsZero() || y.Since.IsZero() {
				return x.Since.IsZero()
			}
			return x.Since.Before(y.Since)
		}
		if x.Host != y.Host {
			return x.Host < y.Host
		}
		if x.CheckID != y.CheckID {
			return x.CheckID < y.CheckID
		}
		return x.Alarm < y.Alarm
	})
}

// Check is one check of a host.
type Check struct {
	CheckID string `json:"check_id"`
	Type    string `json:"check_type"`
	State   string `json:"state"`
}

// Graph is one series of a host's drill-down.
type Graph struct {
	Name   string // a column: cpu, mem, disk, rx, tx
	Points []Point
}

// GraphColumns are the drill-down's graphs.
var GraphColumns = []string{ColCPU, ColMem, ColDisk, ColRX, ColTX}

// Detail is one host's drill-down.
type Detail struct {
	Host   string
	Checks []Check
	Alarms []Alarm
	Graphs []Graph
	Span   time.Duration
	End    time.Time
}

// HostDetail fetches one host's checks, alarms and graphs over span
// ending at end (zero: now), points values per graph.
func (f *Fleet) HostDetail(ctx context.Context, host string, span time.Duration, end time.Time, points int) (*Detail, error) {
	if end.IsZero() {
		end = f.opt.Now()
	}
	if points < 2 {
		points = 2
	}
	step := max(span/time.Duration(points), time.Second).Truncate(time.Second)
	s := f.someHosts([]string{host})
	d := &Detail{Host: host, Span: span, End: end}
	type res struct {
		r   *Result
		err error
	}
	names := append([]string{"checks", "alarms"}, GraphColumns...)
	results := make([]res, len(names))
	done := make(chan struct{}, len(names))
	for i, n := range names {
		go func() {
			defer func() { done <- struct{}{} }()
			var r *Result
			var err error
			switch n {
			case "checks":
				r, err = f.c.Query(ctx, f.expand(schema.CheckState+`{$S}`, s, f.opt.RateWindow), end)
			case "alarms":
				r, err = f.c.Query(ctx, f.expand(schema.AlarmState+`{$S}`, s, f.opt.RateWindow), end)
			default:
				r, err = f.c.QueryRange(ctx, f.expand(columnQuery[n], s, max(f.opt.RateWindow, 2*step)), end.Add(-span), end, step)
			}
			results[i] = res{r, err}
		}()
	}
	for range names {
		<-done
	}
	for i, n := range names {
		if results[i].err != nil {
			return nil, &QueryError{Name: n, Err: results[i].err}
		}
	}
	for _, smp := range results[0].r.Vector {
		d.Checks = append(d.Checks, Check{CheckID: smp.Labels[schema.LabelCheckID], Type: smp.Labels[schema.LabelCheckType], State: schema.StateName(smp.Value)})
	}
	sort.Slice(d.Checks, func(i, j int) bool {
		a, b := d.Checks[i], d.Checks[j]
		if ra, rb := StateRank(a.State), StateRank(b.State); ra != rb {
			return ra > rb
		}
		return a.CheckID < b.CheckID
	})
	var nonOK []Sample
	for _, smp := range results[1].r.Vector {
		if smp.Value != 0 {
			nonOK = append(nonOK, smp)
		} else {
			d.Alarms = append(d.Alarms, Alarm{Host: host, CheckID: smp.Labels[schema.LabelCheckID], Alarm: smp.Labels[schema.LabelAlarm], State: "OK"})
		}
	}
	bad, err := f.alarmRows(ctx, nonOK, end)
	if err != nil {
		return nil, &QueryError{Name: "alarms", Err: err}
	}
	d.Alarms = append(bad, d.Alarms...)
	SortAlarms(d.Alarms)
	for i, n := range GraphColumns {
		g := Graph{Name: n}
		for _, ser := range results[2+i].r.Matrix {
			if ser.Labels[f.opt.HostLabel] == host && len(ser.Points) > len(g.Points) {
				g.Points = ser.Points
			}
		}
		d.Graphs = append(d.Graphs, g)
	}
	return d, nil
}

// QueryError names the query that failed.
type QueryError struct {
	Name string
	Err  error
}

func (e *QueryError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// Points is a graph's values, evenly spaced from end-span to end at n
// points, NaN where the engine had none (for graphs).
func Points(g Graph, end time.Time, span time.Duration, n int) []float64 {
	out := make([]float64, max(n, 0))
	for i := range out {
		out[i] = math.NaN()
	}
	if n < 1 || span <= 0 {
		return out
	}
	start := end.Add(-span)
	for _, p := range g.Points {
		i := int(math.Round(float64(p.Time.Sub(start)) / float64(span) * float64(n-1)))
		if i >= 0 && i < n && !math.IsNaN(p.Value) {
			out[i] = p.Value
		}
	}
	return out
}

// FormatAge prints a duration of seconds as the console shows it: 4s,
// 12m, 3h12m, 2d4h.
func FormatAge(sec float64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		h := int(d / time.Hour)
		m := int((d % time.Hour) / time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h" + strconv.Itoa(m) + "m"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d" + strconv.Itoa(int((d%(24*time.Hour))/time.Hour)) + "h"
}
