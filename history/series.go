package history

import (
	"math"
	"strconv"
	"time"
	"unsafe"
)

// Resolution selects a ring: raw samples or one of the rollups.
type Resolution int

// Resolutions, finest first.
const (
	Raw Resolution = iota
	Minute
	Hour
	Day
)

// String names the resolution ("raw", "minute", "hour", "day").
func (r Resolution) String() string {
	switch r {
	case Raw:
		return "raw"
	case Minute:
		return "minute"
	case Hour:
		return "hour"
	case Day:
		return "day"
	}
	return "Resolution(" + strconv.Itoa(int(r)) + ")"
}

// Duration is the bucket width of a rollup resolution; 0 for Raw and for
// unknown resolutions.
func (r Resolution) Duration() time.Duration {
	switch r {
	case Minute:
		return time.Minute
	case Hour:
		return time.Hour
	case Day:
		return 24 * time.Hour
	}
	return 0
}

// Point is one raw sample or one rollup bucket. For Raw, Min, Max, Avg and
// Last all hold the value and Count is 1. For rollups T is the bucket's
// start (UTC, aligned to the bucket width).
type Point struct {
	T                   time.Time
	Min, Max, Avg, Last float64
	Count               uint32
}

// Retention is the number of slots in each ring. A zero or negative count
// disables that ring: queries on it return nothing.
type Retention struct {
	Raw, Minutes, Hours, Days int
}

// DefaultRetention keeps 10 minutes of raw samples at 1 s, 24 hours of
// minutes, 30 days of hours and a year (366 days) of days.
func DefaultRetention() Retention {
	return Retention{Raw: 600, Minutes: 1440, Hours: 720, Days: 366}
}

func (r Retention) normalized() Retention {
	return Retention{Raw: max(r.Raw, 0), Minutes: max(r.Minutes, 0), Hours: max(r.Hours, 0), Days: max(r.Days, 0)}
}

// SeriesBytes is the memory one Series with this retention holds: its rings
// plus the Series header. It does not include allocator rounding.
func (r Retention) SeriesBytes() int {
	n := r.normalized()
	return n.Raw*int(unsafe.Sizeof(sample{})) +
		(n.Minutes+n.Hours+n.Days)*int(unsafe.Sizeof(bucket{})) +
		int(unsafe.Sizeof(Series{}))
}

// SeriesStats counts what a series accepted and dropped.
type SeriesStats struct {
	Accepted   uint64 // samples folded into the series
	OutOfOrder uint64 // dropped: older than the current minute bucket
	NonFinite  uint64 // dropped: NaN or ±Inf
	BadTime    uint64 // dropped: before 1700 or from 2200 on
}

// Series is one time series. It is not safe for concurrent use; Store wraps
// series behind a lock.
type Series struct {
	ret     Retention
	raw     rawRing
	rollups [3]bucketRing // Minute, Hour, Day

	hasLast bool
	lastT   int64 // unix nanoseconds of the newest sample
	lastV   float64
	lastMin int64 // UTC minute (unix seconds / 60) of the newest sample

	stats SeriesStats
}

// Times outside [minTime, maxTime) are dropped, so that nanoseconds and
// bucket starts (also in nanoseconds) never overflow int64.
var (
	minTime = time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// NewSeries makes a series. Its rings start empty and grow toward the
// retention as data arrives (doubling from 32 slots), so a new series costs
// little; once every ring is full, nothing more is allocated.
func NewSeries(r Retention) *Series {
	r = r.normalized()
	s := &Series{ret: r}
	s.raw.size = r.Raw
	s.rollups[0] = bucketRing{unit: 60, size: r.Minutes}
	s.rollups[1] = bucketRing{unit: 3600, size: r.Hours}
	s.rollups[2] = bucketRing{unit: 86400, size: r.Days}
	return s
}

// Retention reports the slot counts the series was built with (negative
// counts normalized to zero).
func (s *Series) Retention() Retention { return s.ret }

// Stats reports accepted and dropped sample counts.
func (s *Series) Stats() SeriesStats { return s.stats }

// Append adds one sample. It runs in constant time and does not allocate
// once the rings are full (growing them is amortized constant time).
// See the package doc for the samples it drops.
func (s *Series) Append(t time.Time, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s.stats.NonFinite++
		return
	}
	if t.Before(minTime) || !t.Before(maxTime) {
		s.stats.BadTime++
		return
	}
	ns := t.UnixNano()
	sec := floorDiv(ns, 1e9)
	minute := floorDiv(sec, 60)
	if s.hasLast && minute < s.lastMin {
		s.stats.OutOfOrder++
		return
	}
	newest := !s.hasLast || ns >= s.lastT
	if newest {
		s.hasLast = true
		s.lastT, s.lastV, s.lastMin = ns, v, minute
	}
	s.raw.insert(sample{t: ns, v: v})
	for i := range s.rollups {
		s.rollups[i].add(sec, v, newest)
	}
	s.stats.Accepted++
}

// AddMinute folds one recorded minute (start, as Point.T, aligned to the
// minute; min, max, average, last and count of its samples) into the
// minute, hour and day rollups, as if its samples had been appended: the
// console fills the past from the flight recorder this way, before its
// own first sample. The raw ring is left alone. A minute before the
// newest data, or with no samples, is dropped (OutOfOrder).
func (s *Series) AddMinute(p Point) {
	if p.Count == 0 || math.IsNaN(p.Avg) || math.IsInf(p.Avg, 0) || math.IsNaN(p.Min) || math.IsNaN(p.Max) ||
		math.IsInf(p.Min, 0) || math.IsInf(p.Max, 0) || math.IsNaN(p.Last) || math.IsInf(p.Last, 0) {
		s.stats.NonFinite++
		return
	}
	if p.T.Before(minTime) || !p.T.Before(maxTime) {
		s.stats.BadTime++
		return
	}
	sec := floorDiv(p.T.UnixNano(), 1e9)
	minute := floorDiv(sec, 60)
	if s.hasLast && minute <= s.lastMin {
		s.stats.OutOfOrder++
		return
	}
	s.hasLast = true
	s.lastT, s.lastV, s.lastMin = (minute*60+59)*1e9, p.Last, minute
	b := bucket{start: minute * 60, min: p.Min, max: p.Max, sum: p.Avg * float64(p.Count), last: p.Last, count: p.Count}
	for i := range s.rollups {
		s.rollups[i].merge(b)
	}
	s.stats.Accepted += uint64(p.Count)
}

// Latest is the newest sample, whether or not the raw ring keeps it.
func (s *Series) Latest() (Point, bool) {
	if !s.hasLast {
		return Point{}, false
	}
	return rawPoint(sample{t: s.lastT, v: s.lastV}), true
}

// Len is the number of points the ring of res holds.
func (s *Series) Len(res Resolution) int {
	switch res {
	case Raw:
		return s.raw.n
	case Minute, Hour, Day:
		return s.rollups[res-Minute].n
	}
	return 0
}

// point returns the i-th (oldest first) point of res; i < Len(res).
func (s *Series) point(res Resolution, i int) Point {
	if res == Raw {
		return rawPoint(*s.raw.at(i))
	}
	return bucketPoint(s.rollups[res-Minute].at(i))
}

// first is the index of the first point of res with T >= since.
func (s *Series) first(res Resolution, since time.Time) int {
	n := s.Len(res)
	if n == 0 || since.Before(minTime) {
		return 0
	}
	if !since.Before(maxTime) {
		return n
	}
	ns := since.UnixNano()
	if res == Raw {
		return s.raw.search(ns)
	}
	return s.rollups[res-Minute].search(ns)
}

// Points appends to dst the points of res with T >= since, oldest first,
// and returns the extended slice. Pass dst[:0] of a reused slice to avoid
// allocating. A rollup bucket is included only if it starts at or after
// since.
func (s *Series) Points(res Resolution, since time.Time, dst []Point) []Point {
	n := s.Len(res)
	for i := s.first(res, since); i < n; i++ {
		dst = append(dst, s.point(res, i))
	}
	return dst
}

// Last appends to dst the newest n points of res (fewer if the ring holds
// fewer), oldest first.
func (s *Series) Last(res Resolution, n int, dst []Point) []Point {
	l := s.Len(res)
	for i := max(l-n, 0); i < l; i++ {
		dst = append(dst, s.point(res, i))
	}
	return dst
}

// Values appends to dst the Avg of the newest n points of res, oldest
// first: the shape graphs want.
func (s *Series) Values(res Resolution, n int, dst []float64) []float64 {
	l := s.Len(res)
	i := max(l-n, 0)
	if res == Raw {
		for ; i < l; i++ {
			dst = append(dst, s.raw.at(i).v)
		}
		return dst
	}
	r := &s.rollups[res-Minute]
	for ; i < l; i++ {
		b := r.at(i)
		dst = append(dst, clamp(b.sum/float64(b.count), b.min, b.max))
	}
	return dst
}

// Summary folds the points of res with T >= since into one: the minimum of
// the mins, the maximum of the maxes, the sample-weighted average, the
// newest Last and the total Count. T is the time of the oldest point
// folded in. It reports false when no point is in the window.
func (s *Series) Summary(res Resolution, since time.Time) (Point, bool) {
	n := s.Len(res)
	i := s.first(res, since)
	if i >= n {
		return Point{}, false
	}
	var sum float64
	var count uint64
	out := Point{Min: math.Inf(1), Max: math.Inf(-1)}
	for j := i; j < n; j++ {
		var psum float64
		var pcount uint32
		if res == Raw {
			r := s.raw.at(j)
			if j == i {
				out.T = time.Unix(0, r.t).UTC()
			}
			out.Min, out.Max, out.Last = min(out.Min, r.v), max(out.Max, r.v), r.v
			psum, pcount = r.v, 1
		} else {
			b := s.rollups[res-Minute].at(j)
			if j == i {
				out.T = time.Unix(b.start, 0).UTC()
			}
			out.Min, out.Max, out.Last = min(out.Min, b.min), max(out.Max, b.max), b.last
			psum, pcount = b.sum, b.count
		}
		sum += psum
		count += uint64(pcount)
	}
	out.Avg = clamp(sum/float64(count), out.Min, out.Max)
	out.Count = uint32(min(count, math.MaxUint32))
	return out, true
}

func rawPoint(r sample) Point {
	return Point{T: time.Unix(0, r.t).UTC(), Min: r.v, Max: r.v, Avg: r.v, Last: r.v, Count: 1}
}

func bucketPoint(b *bucket) Point {
	return Point{
		T:     time.Unix(b.start, 0).UTC(),
		Min:   b.min,
		Max:   b.max,
		Avg:   clamp(b.sum/float64(b.count), b.min, b.max),
		Last:  b.last,
		Count: b.count,
	}
}

// clamp keeps an average computed from a sum inside [lo, hi]: rounding can
// push sum/count just past the max, and a sum can overflow to ±Inf.
func clamp(v, lo, hi float64) float64 {
	if !(v >= lo) { // also catches NaN
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}
