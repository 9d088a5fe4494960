package history

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// at builds a UTC time on 2026-11-24 plus day offset d.
func at(d, h, m, s int) time.Time {
	return time.Date(2026, 11, 24+d, h, m, s, 0, time.UTC)
}

type in struct {
	t time.Time
	v float64
}

func raw(t time.Time, v float64) Point {
	return Point{T: t, Min: v, Max: v, Avg: v, Last: v, Count: 1}
}

func agg(t time.Time, min, max, avg, last float64, count uint32) Point {
	return Point{T: t, Min: min, Max: max, Avg: avg, Last: last, Count: count}
}

func fill(r Retention, samples []in) *Series {
	s := NewSeries(r)
	for _, x := range samples {
		s.Append(x.t, x.v)
	}
	return s
}

func equalPoints(t *testing.T, what string, got, want []Point) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d points %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.T.Equal(w.T) || g.T.Location() != time.UTC || g.Min != w.Min || g.Max != w.Max ||
			g.Avg != w.Avg || g.Last != w.Last || g.Count != w.Count {
			t.Errorf("%s[%d]: got %+v, want %+v", what, i, g, w)
		}
	}
}

func TestAppendRollups(t *testing.T) {
	tests := []struct {
		name    string
		ret     Retention
		samples []in
		want    map[Resolution][]Point
		stats   SeriesStats
	}{
		{
			name: "minute hour and day boundaries",
			ret:  DefaultRetention(),
			samples: []in{
				{at(0, 23, 59, 58), 1}, {at(0, 23, 59, 59), 3},
				{at(1, 0, 0, 0), 5}, {at(1, 0, 0, 30), 7}, {at(1, 0, 1, 0), 9},
			},
			want: map[Resolution][]Point{
				Raw: {raw(at(0, 23, 59, 58), 1), raw(at(0, 23, 59, 59), 3), raw(at(1, 0, 0, 0), 5),
					raw(at(1, 0, 0, 30), 7), raw(at(1, 0, 1, 0), 9)},
				Minute: {agg(at(0, 23, 59, 0), 1, 3, 2, 3, 2), agg(at(1, 0, 0, 0), 5, 7, 6, 7, 2),
					agg(at(1, 0, 1, 0), 9, 9, 9, 9, 1)},
				Hour: {agg(at(0, 23, 0, 0), 1, 3, 2, 3, 2), agg(at(1, 0, 0, 0), 5, 9, 7, 9, 3)},
				Day:  {agg(at(0, 0, 0, 0), 1, 3, 2, 3, 2), agg(at(1, 0, 0, 0), 5, 9, 7, 9, 3)},
			},
			stats: SeriesStats{Accepted: 5},
		},
		{
			name: "every ring wraps",
			ret:  Retention{Raw: 3, Minutes: 2, Hours: 2, Days: 2},
			samples: []in{
				{at(0, 0, 0, 0), 1}, {at(0, 1, 0, 0), 2}, {at(0, 1, 1, 0), 3},
				{at(1, 0, 0, 0), 4}, {at(2, 0, 0, 0), 5}, {at(2, 0, 0, 10), 6},
			},
			want: map[Resolution][]Point{
				Raw:    {raw(at(1, 0, 0, 0), 4), raw(at(2, 0, 0, 0), 5), raw(at(2, 0, 0, 10), 6)},
				Minute: {agg(at(1, 0, 0, 0), 4, 4, 4, 4, 1), agg(at(2, 0, 0, 0), 5, 6, 5.5, 6, 2)},
				Hour:   {agg(at(1, 0, 0, 0), 4, 4, 4, 4, 1), agg(at(2, 0, 0, 0), 5, 6, 5.5, 6, 2)},
				Day:    {agg(at(1, 0, 0, 0), 4, 4, 4, 4, 1), agg(at(2, 0, 0, 0), 5, 6, 5.5, 6, 2)},
			},
			stats: SeriesStats{Accepted: 6},
		},
		{
			name: "rings of different sizes wrap at different points",
			ret:  Retention{Raw: 2, Minutes: 3, Hours: 2, Days: 1},
			samples: []in{
				{at(0, 10, 0, 0), 1}, {at(0, 10, 1, 0), 2}, {at(0, 11, 0, 0), 3},
				{at(0, 12, 0, 0), 4}, {at(0, 12, 0, 1), 8},
			},
			want: map[Resolution][]Point{
				Raw: {raw(at(0, 12, 0, 0), 4), raw(at(0, 12, 0, 1), 8)},
				Minute: {agg(at(0, 10, 1, 0), 2, 2, 2, 2, 1), agg(at(0, 11, 0, 0), 3, 3, 3, 3, 1),
					agg(at(0, 12, 0, 0), 4, 8, 6, 8, 2)},
				Hour: {agg(at(0, 11, 0, 0), 3, 3, 3, 3, 1), agg(at(0, 12, 0, 0), 4, 8, 6, 8, 2)},
				Day:  {agg(at(0, 0, 0, 0), 1, 8, 3.6, 8, 5)},
			},
			stats: SeriesStats{Accepted: 5},
		},
		{
			name: "gaps leave no buckets",
			ret:  DefaultRetention(),
			samples: []in{
				{at(0, 10, 0, 5), 1}, {at(0, 10, 3, 10), 2}, {at(0, 13, 0, 0), 3},
			},
			want: map[Resolution][]Point{
				Raw:    {raw(at(0, 10, 0, 5), 1), raw(at(0, 10, 3, 10), 2), raw(at(0, 13, 0, 0), 3)},
				Minute: {agg(at(0, 10, 0, 0), 1, 1, 1, 1, 1), agg(at(0, 10, 3, 0), 2, 2, 2, 2, 1), agg(at(0, 13, 0, 0), 3, 3, 3, 3, 1)},
				Hour:   {agg(at(0, 10, 0, 0), 1, 2, 1.5, 2, 2), agg(at(0, 13, 0, 0), 3, 3, 3, 3, 1)},
				Day:    {agg(at(0, 0, 0, 0), 1, 3, 2, 3, 3)},
			},
			stats: SeriesStats{Accepted: 3},
		},
		{
			name: "out of order: late in current minute kept, older minute dropped",
			ret:  DefaultRetention(),
			samples: []in{
				{at(0, 10, 1, 30), 5}, {at(0, 10, 1, 10), 1}, {at(0, 10, 0, 59), 9}, {at(0, 10, 2, 0), 2},
			},
			want: map[Resolution][]Point{
				Raw:    {raw(at(0, 10, 1, 10), 1), raw(at(0, 10, 1, 30), 5), raw(at(0, 10, 2, 0), 2)},
				Minute: {agg(at(0, 10, 1, 0), 1, 5, 3, 5, 2), agg(at(0, 10, 2, 0), 2, 2, 2, 2, 1)},
				Hour:   {agg(at(0, 10, 0, 0), 1, 5, 8.0/3, 2, 3)},
				Day:    {agg(at(0, 0, 0, 0), 1, 5, 8.0/3, 2, 3)},
			},
			stats: SeriesStats{Accepted: 3, OutOfOrder: 1},
		},
		{
			name: "late sample older than a full raw ring skips raw only",
			ret:  Retention{Raw: 2, Minutes: 4, Hours: 4, Days: 4},
			samples: []in{
				{at(0, 10, 0, 10), 1}, {at(0, 10, 0, 20), 2}, {at(0, 10, 0, 30), 3},
				{at(0, 10, 0, 15), 4}, {at(0, 10, 0, 25), 5},
			},
			want: map[Resolution][]Point{
				Raw:    {raw(at(0, 10, 0, 25), 5), raw(at(0, 10, 0, 30), 3)},
				Minute: {agg(at(0, 10, 0, 0), 1, 5, 3, 3, 5)},
				Hour:   {agg(at(0, 10, 0, 0), 1, 5, 3, 3, 5)},
				Day:    {agg(at(0, 0, 0, 0), 1, 5, 3, 3, 5)},
			},
			stats: SeriesStats{Accepted: 5},
		},
		{
			name: "equal timestamps keep arrival order",
			ret:  DefaultRetention(),
			samples: []in{
				{at(0, 10, 0, 0), 1}, {at(0, 10, 0, 0), 2},
			},
			want: map[Resolution][]Point{
				Raw:    {raw(at(0, 10, 0, 0), 1), raw(at(0, 10, 0, 0), 2)},
				Minute: {agg(at(0, 10, 0, 0), 1, 2, 1.5, 2, 2)},
			},
			stats: SeriesStats{Accepted: 2},
		},
		{
			name: "non-finite values and out-of-range times are dropped",
			ret:  DefaultRetention(),
			samples: []in{
				{at(0, 10, 0, 0), math.NaN()}, {at(0, 10, 0, 0), math.Inf(1)}, {at(0, 10, 0, 0), math.Inf(-1)},
				{time.Time{}, 1}, {time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 1},
				{time.Date(1699, 12, 31, 23, 59, 59, 0, time.UTC), 1},
				{at(0, 10, 0, 1), 7},
			},
			want: map[Resolution][]Point{
				Raw:    {raw(at(0, 10, 0, 1), 7)},
				Minute: {agg(at(0, 10, 0, 0), 7, 7, 7, 7, 1)},
			},
			stats: SeriesStats{Accepted: 1, NonFinite: 3, BadTime: 3},
		},
		{
			name: "disabled rings hold nothing",
			ret:  Retention{Raw: 0, Minutes: 2, Hours: -1, Days: 0},
			samples: []in{
				{at(0, 10, 0, 0), 1}, {at(0, 11, 0, 0), 2},
			},
			want: map[Resolution][]Point{
				Raw:    nil,
				Minute: {agg(at(0, 10, 0, 0), 1, 1, 1, 1, 1), agg(at(0, 11, 0, 0), 2, 2, 2, 2, 1)},
				Hour:   nil,
				Day:    nil,
			},
			stats: SeriesStats{Accepted: 2},
		},
		{
			name: "times in other zones align to UTC",
			ret:  DefaultRetention(),
			samples: []in{
				{time.Date(2026, 11, 24, 5, 30, 10, 0, time.FixedZone("IST", 5*3600+1800)), 4},
			},
			want: map[Resolution][]Point{
				Minute: {agg(at(0, 0, 0, 0), 4, 4, 4, 4, 1)},
				Hour:   {agg(at(0, 0, 0, 0), 4, 4, 4, 4, 1)},
				Day:    {agg(at(0, 0, 0, 0), 4, 4, 4, 4, 1)},
			},
			stats: SeriesStats{Accepted: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fill(tc.ret, tc.samples)
			for res, want := range tc.want {
				equalPoints(t, res.String(), s.Points(res, time.Time{}, nil), want)
				if got := s.Len(res); got != len(want) {
					t.Errorf("Len(%v) = %d, want %d", res, got, len(want))
				}
			}
			if got := s.Stats(); got != tc.stats {
				t.Errorf("Stats() = %+v, want %+v", got, tc.stats)
			}
		})
	}
}

func TestLongWraparound(t *testing.T) {
	// 3 hours of 1 s samples through small rings: each ring wraps many times.
	r := Retention{Raw: 7, Minutes: 5, Hours: 2, Days: 3}
	s := NewSeries(r)
	start := at(0, 22, 0, 0)
	const n = 3 * 3600
	for i := 0; i < n; i++ {
		s.Append(start.Add(time.Duration(i)*time.Second), float64(i))
	}
	var want []Point
	for i := n - 7; i < n; i++ {
		want = append(want, raw(start.Add(time.Duration(i)*time.Second), float64(i)))
	}
	equalPoints(t, "raw", s.Points(Raw, time.Time{}, nil), want)

	want = want[:0]
	for m := 180 - 5; m < 180; m++ {
		lo := float64(m * 60)
		want = append(want, agg(start.Add(time.Duration(m)*time.Minute), lo, lo+59, lo+29.5, lo+59, 60))
	}
	equalPoints(t, "minute", s.Points(Minute, time.Time{}, nil), want)

	// Hours 23:00 and 00:00 (next day) remain.
	equalPoints(t, "hour", s.Points(Hour, time.Time{}, nil), []Point{
		agg(at(0, 23, 0, 0), 3600, 7199, 5399.5, 7199, 3600),
		agg(at(1, 0, 0, 0), 7200, 10799, 8999.5, 10799, 3600),
	})
	equalPoints(t, "day", s.Points(Day, time.Time{}, nil), []Point{
		agg(at(0, 0, 0, 0), 0, 7199, 3599.5, 7199, 7200),
		agg(at(1, 0, 0, 0), 7200, 10799, 8999.5, 10799, 3600),
	})
	if got := s.Stats(); got != (SeriesStats{Accepted: n}) {
		t.Errorf("Stats() = %+v", got)
	}
}

func TestPointsWindow(t *testing.T) {
	s := fill(DefaultRetention(), []in{
		{at(0, 10, 0, 0), 1}, {at(0, 10, 0, 30), 2}, {at(0, 10, 1, 0), 3}, {at(0, 10, 2, 15), 4},
	})
	tests := []struct {
		res   Resolution
		since time.Time
		want  []Point
	}{
		{Raw, time.Time{}, []Point{raw(at(0, 10, 0, 0), 1), raw(at(0, 10, 0, 30), 2), raw(at(0, 10, 1, 0), 3), raw(at(0, 10, 2, 15), 4)}},
		{Raw, at(0, 10, 0, 30), []Point{raw(at(0, 10, 0, 30), 2), raw(at(0, 10, 1, 0), 3), raw(at(0, 10, 2, 15), 4)}},
		{Raw, at(0, 10, 0, 30).Add(time.Nanosecond), []Point{raw(at(0, 10, 1, 0), 3), raw(at(0, 10, 2, 15), 4)}},
		{Raw, at(0, 10, 2, 16), nil},
		{Raw, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), nil},
		{Minute, at(0, 10, 1, 0), []Point{agg(at(0, 10, 1, 0), 3, 3, 3, 3, 1), agg(at(0, 10, 2, 0), 4, 4, 4, 4, 1)}},
		// A bucket that starts before since is left out even if it ends after.
		{Minute, at(0, 10, 1, 1), []Point{agg(at(0, 10, 2, 0), 4, 4, 4, 4, 1)}},
		{Minute, at(0, 9, 0, 0), []Point{agg(at(0, 10, 0, 0), 1, 2, 1.5, 2, 2), agg(at(0, 10, 1, 0), 3, 3, 3, 3, 1), agg(at(0, 10, 2, 0), 4, 4, 4, 4, 1)}},
		{Hour, at(0, 10, 0, 0), []Point{agg(at(0, 10, 0, 0), 1, 4, 2.5, 4, 4)}},
		{Hour, at(0, 10, 0, 1), nil},
		{Resolution(9), time.Time{}, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v since %v", tc.res, tc.since.Format(time.RFC3339Nano)), func(t *testing.T) {
			equalPoints(t, "Points", s.Points(tc.res, tc.since, nil), tc.want)
		})
	}

	// dst is appended to and reused.
	dst := make([]Point, 1, 8)
	dst = s.Points(Minute, at(0, 10, 2, 0), dst)
	if len(dst) != 2 || dst[1].Last != 4 {
		t.Fatalf("Points appended %v", dst)
	}
}

func TestLastValuesLatest(t *testing.T) {
	s := fill(DefaultRetention(), []in{
		{at(0, 10, 0, 0), 1}, {at(0, 10, 0, 30), 2}, {at(0, 10, 1, 0), 3}, {at(0, 10, 2, 15), 4},
	})
	tests := []struct {
		res    Resolution
		n      int
		want   []Point
		values []float64
	}{
		{Raw, 2, []Point{raw(at(0, 10, 1, 0), 3), raw(at(0, 10, 2, 15), 4)}, []float64{3, 4}},
		{Raw, 10, []Point{raw(at(0, 10, 0, 0), 1), raw(at(0, 10, 0, 30), 2), raw(at(0, 10, 1, 0), 3), raw(at(0, 10, 2, 15), 4)}, []float64{1, 2, 3, 4}},
		{Raw, 0, nil, nil},
		{Raw, -3, nil, nil},
		{Minute, 3, []Point{agg(at(0, 10, 0, 0), 1, 2, 1.5, 2, 2), agg(at(0, 10, 1, 0), 3, 3, 3, 3, 1), agg(at(0, 10, 2, 0), 4, 4, 4, 4, 1)}, []float64{1.5, 3, 4}},
		{Day, 1, []Point{agg(at(0, 0, 0, 0), 1, 4, 2.5, 4, 4)}, []float64{2.5}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v n=%d", tc.res, tc.n), func(t *testing.T) {
			equalPoints(t, "Last", s.Last(tc.res, tc.n, nil), tc.want)
			got := s.Values(tc.res, tc.n, nil)
			if fmt.Sprint(got) != fmt.Sprint(tc.values) {
				t.Errorf("Values = %v, want %v", got, tc.values)
			}
		})
	}

	p, ok := s.Latest()
	equalPoints(t, "Latest", []Point{p}, []Point{raw(at(0, 10, 2, 15), 4)})
	if !ok {
		t.Error("Latest reported no data")
	}
	if _, ok := NewSeries(DefaultRetention()).Latest(); ok {
		t.Error("empty series reported a latest point")
	}
	// Latest does not depend on the raw ring.
	s0 := fill(Retention{}, []in{{at(0, 1, 0, 0), 5}})
	p, ok = s0.Latest()
	if !ok || p.Last != 5 || !p.T.Equal(at(0, 1, 0, 0)) {
		t.Errorf("Latest without raw ring = %+v, %v", p, ok)
	}
}

func TestSummary(t *testing.T) {
	// cpu every 10 s for 2 minutes: 10, 20, ..., 130.
	var samples []in
	for i := 0; i < 13; i++ {
		samples = append(samples, in{at(0, 10, 0, 0).Add(time.Duration(i) * 10 * time.Second), float64(10 * (i + 1))})
	}
	s := fill(DefaultRetention(), samples)
	tests := []struct {
		name  string
		res   Resolution
		since time.Time
		want  Point
		ok    bool
	}{
		{"last 30 s raw", Raw, at(0, 10, 1, 30), agg(at(0, 10, 1, 30), 100, 130, 115, 130, 4), true},
		{"all raw", Raw, time.Time{}, agg(at(0, 10, 0, 0), 10, 130, 70, 130, 13), true},
		{"minutes from 10:01", Minute, at(0, 10, 1, 0), agg(at(0, 10, 1, 0), 70, 130, 100, 130, 7), true},
		{"all minutes weighted by count", Minute, time.Time{}, agg(at(0, 10, 0, 0), 10, 130, 70, 130, 13), true},
		{"hour", Hour, time.Time{}, agg(at(0, 10, 0, 0), 10, 130, 70, 130, 13), true},
		{"empty window", Raw, at(0, 10, 3, 0), Point{}, false},
		{"empty window minute", Minute, at(0, 10, 2, 1), Point{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := s.Summary(tc.res, tc.since)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			equalPoints(t, "Summary", []Point{got}, []Point{tc.want})
		})
	}
}

func TestAvgClamped(t *testing.T) {
	tests := []struct {
		name string
		vs   []float64
		avg  float64
	}{
		// 0.1+0.1+0.1 = 0.30000000000000004; /3 rounds above 0.1.
		{"rounding", []float64{0.1, 0.1, 0.1}, 0.1},
		{"sum overflows", []float64{math.MaxFloat64, math.MaxFloat64}, math.MaxFloat64},
		{"sum underflows", []float64{-math.MaxFloat64, -math.MaxFloat64}, -math.MaxFloat64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSeries(DefaultRetention())
			for i, v := range tc.vs {
				s.Append(at(0, 1, 0, i), v)
			}
			for _, res := range []Resolution{Minute, Hour, Day} {
				p := s.Last(res, 1, nil)[0]
				if p.Avg != tc.avg {
					t.Errorf("%v avg = %v, want %v", res, p.Avg, tc.avg)
				}
			}
			if p, _ := s.Summary(Raw, time.Time{}); p.Avg != tc.avg {
				t.Errorf("raw summary avg = %v, want %v", p.Avg, tc.avg)
			}
		})
	}
}

func TestResolution(t *testing.T) {
	tests := []struct {
		r    Resolution
		name string
		d    time.Duration
	}{
		{Raw, "raw", 0}, {Minute, "minute", time.Minute}, {Hour, "hour", time.Hour},
		{Day, "day", 24 * time.Hour}, {Resolution(7), "Resolution(7)", 0},
	}
	for _, tc := range tests {
		if tc.r.String() != tc.name || tc.r.Duration() != tc.d {
			t.Errorf("%d: %q %v, want %q %v", int(tc.r), tc.r.String(), tc.r.Duration(), tc.name, tc.d)
		}
	}
}

func TestSeriesBytes(t *testing.T) {
	tests := []struct {
		r    Retention
		want int
	}{
		// The figure the package doc states.
		{DefaultRetention(), 131160},
		{Retention{}, 312},
		{Retention{Raw: 10, Minutes: -5}, 312 + 160},
	}
	for _, tc := range tests {
		if got := tc.r.SeriesBytes(); got != tc.want {
			t.Errorf("%+v.SeriesBytes() = %d, want %d", tc.r, got, tc.want)
		}
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	s := NewSeries(Retention{Raw: 4, Minutes: 3, Hours: 2, Days: 2})
	now := at(0, 0, 0, 0)
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(7 * time.Second)
		s.Append(now, 1)
		s.Append(now.Add(-time.Second), 2) // late, same minute most of the time
	})
	if allocs != 0 {
		t.Errorf("Append allocates %v times per run", allocs)
	}
}

func TestFloorDiv(t *testing.T) {
	tests := []struct{ a, b, want int64 }{
		{0, 60, 0}, {59, 60, 0}, {60, 60, 1}, {-1, 60, -1}, {-60, 60, -1}, {-61, 60, -2},
	}
	for _, tc := range tests {
		if got := floorDiv(tc.a, tc.b); got != tc.want {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	// A sample before 1970 lands in the minute that contains it.
	s := fill(DefaultRetention(), []in{{time.Date(1969, 12, 31, 23, 59, 30, 0, time.UTC), 1}})
	equalPoints(t, "minute", s.Points(Minute, time.Time{}, nil), []Point{
		agg(time.Date(1969, 12, 31, 23, 59, 0, 0, time.UTC), 1, 1, 1, 1, 1),
	})
}

// TestRingsGrowToRetention: rings start empty, grow while filling, stop at
// their retention exactly, and keep the newest entries in order after they
// wrap.
func TestRingsGrowToRetention(t *testing.T) {
	r := Retention{Raw: 100, Minutes: 70, Hours: 40, Days: 3}
	s := NewSeries(r)
	if len(s.raw.buf) != 0 || len(s.rollups[0].buf) != 0 {
		t.Fatalf("new series allocated rings: raw %d minutes %d", len(s.raw.buf), len(s.rollups[0].buf))
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 33; i++ {
		s.Append(start.Add(time.Duration(i)*time.Second), float64(i))
	}
	if got := len(s.raw.buf); got != 64 {
		t.Fatalf("raw ring after 33 samples: %d slots, want 64 (32 doubled)", got)
	}
	// 2 samples a minute for 5 days: every ring wraps.
	n := 5 * 24 * 60 * 2
	for i := 0; i < n; i++ {
		s.Append(start.Add(time.Minute+time.Duration(i)*30*time.Second), float64(i))
	}
	for name, got := range map[string][2]int{
		"raw": {len(s.raw.buf), r.Raw}, "minutes": {len(s.rollups[0].buf), r.Minutes},
		"hours": {len(s.rollups[1].buf), r.Hours}, "days": {len(s.rollups[2].buf), r.Days},
	} {
		if got[0] != got[1] {
			t.Errorf("%s ring: %d slots, want its retention %d", name, got[0], got[1])
		}
	}
	raw := s.Points(Raw, time.Time{}, nil)
	if len(raw) != r.Raw || raw[len(raw)-1].Last != float64(n-1) || raw[0].Last != float64(n-r.Raw) {
		t.Fatalf("raw points: %d, first %v last %v", len(raw), raw[0].Last, raw[len(raw)-1].Last)
	}
	for i := 1; i < len(raw); i++ {
		if !raw[i].T.After(raw[i-1].T) {
			t.Fatalf("raw points out of order at %d", i)
		}
	}
	if got := len(s.Points(Minute, time.Time{}, nil)); got != r.Minutes {
		t.Errorf("minute points %d, want %d", got, r.Minutes)
	}
	if got := len(s.Points(Day, time.Time{}, nil)); got != r.Days {
		t.Errorf("day points %d, want %d", got, r.Days)
	}
}

// TestAddMinute: recorded minutes fill the minute, hour and day rollups as
// their samples would have, and live samples after them carry on.
func TestAddMinute(t *testing.T) {
	s := NewSeries(Retention{Raw: 10, Minutes: 10, Hours: 4, Days: 2})
	h := at(0, 10, 0, 0)
	s.AddMinute(Point{T: h, Min: 1, Max: 5, Avg: 3, Last: 2, Count: 60})
	s.AddMinute(Point{T: h.Add(time.Minute), Min: 0, Max: 10, Avg: 6, Last: 10, Count: 30})
	s.AddMinute(Point{T: h, Min: 9, Max: 9, Avg: 9, Last: 9, Count: 1})                      // not after the newest: dropped
	s.AddMinute(Point{T: h.Add(2 * time.Minute), Min: 1, Max: 1, Avg: 1, Last: 1, Count: 0}) // no samples: dropped
	if got := s.Points(Minute, time.Time{}, nil); len(got) != 2 || got[0].Avg != 3 || got[1].Max != 10 || got[1].Count != 30 {
		t.Fatalf("minutes %+v", got)
	}
	hour := s.Points(Hour, time.Time{}, nil)
	if len(hour) != 1 || hour[0].Count != 90 || hour[0].Min != 0 || hour[0].Max != 10 || hour[0].Last != 10 ||
		math.Abs(hour[0].Avg-(3*60+6*30)/90.0) > 1e-12 {
		t.Fatalf("hour %+v", hour)
	}
	if s.Len(Raw) != 0 {
		t.Error("recorded minutes reached the raw ring")
	}
	if st := s.Stats(); st.OutOfOrder != 1 || st.NonFinite != 1 || st.Accepted != 90 {
		t.Errorf("stats %+v", st)
	}
	// A live sample in the last recorded minute joins it; the next minute
	// goes on.
	s.Append(h.Add(time.Minute+30*time.Second), 100)
	s.Append(h.Add(3*time.Minute), 4)
	if got := s.Points(Minute, time.Time{}, nil); len(got) != 3 || got[1].Count != 31 || got[1].Max != 100 || got[2].Avg != 4 {
		t.Fatalf("minutes after live samples %+v", got)
	}
	if p, _ := s.Latest(); p.Last != 4 {
		t.Errorf("latest %+v", p)
	}
}
