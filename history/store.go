package history

import (
	"slices"
	"sync"
	"time"
)

// StoreStats describes a Store's size and what it dropped.
type StoreStats struct {
	Series    int // series held now
	MaxSeries int // the bound given to NewStore
	// DroppedNewSeries counts appends dropped because they would have
	// created a series past MaxSeries.
	DroppedNewSeries uint64
	// Sample counts summed over the series held now and those removed.
	Accepted   uint64
	OutOfOrder uint64
	NonFinite  uint64
	BadTime    uint64
	// Bytes approximates the memory held: Series * Retention.SeriesBytes
	// plus the names.
	Bytes int64
}

// Store holds named series. It is safe for concurrent use: appends take the
// write lock, queries the read lock and copy out into the caller's dst.
type Store struct {
	ret       Retention
	maxSeries int

	mu               sync.RWMutex
	series           map[string]*Series
	nameBytes        int64
	droppedNewSeries uint64
	removed          SeriesStats // counts of series already removed
}

// NewStore returns a store that holds at most maxSeries series (at least
// one), each with retention r.
func NewStore(r Retention, maxSeries int) *Store {
	maxSeries = max(maxSeries, 1)
	return &Store{ret: r.normalized(), maxSeries: maxSeries, series: make(map[string]*Series)}
}

// Retention is the retention every series of the store gets.
func (st *Store) Retention() Retention { return st.ret }

// Append adds a sample to the named series, creating the series on first
// use. When the store already holds maxSeries series, a sample for a new
// name is dropped and counted in StoreStats.DroppedNewSeries. Appending to
// an existing series allocates only while its rings grow (see NewSeries).
func (st *Store) Append(name string, t time.Time, v float64) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s := st.seriesLocked(name); s != nil {
		s.Append(t, v)
	}
}

// seriesLocked returns the named series, made on first use; nil (and
// counted) when that would pass MaxSeries. Callers hold the write lock.
func (st *Store) seriesLocked(name string) *Series {
	s, ok := st.series[name]
	if !ok {
		if len(st.series) >= st.maxSeries {
			st.droppedNewSeries++
			return nil
		}
		s = NewSeries(st.ret)
		st.series[name] = s
		st.nameBytes += int64(len(name))
	}
	return s
}

// AddMinute folds a recorded minute into the named series (created on
// first use, within MaxSeries); see Series.AddMinute.
func (st *Store) AddMinute(name string, p Point) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s := st.seriesLocked(name); s != nil {
		s.AddMinute(p)
	}
}

// Points appends to dst the points of the named series; see Series.Points.
// An unknown name appends nothing.
func (st *Store) Points(name string, res Resolution, since time.Time, dst []Point) []Point {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if s, ok := st.series[name]; ok {
		dst = s.Points(res, since, dst)
	}
	return dst
}

// Last appends to dst the newest n points of the named series; see
// Series.Last.
func (st *Store) Last(name string, res Resolution, n int, dst []Point) []Point {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if s, ok := st.series[name]; ok {
		dst = s.Last(res, n, dst)
	}
	return dst
}

// Values appends to dst the averages of the newest n points of the named
// series; see Series.Values.
func (st *Store) Values(name string, res Resolution, n int, dst []float64) []float64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if s, ok := st.series[name]; ok {
		dst = s.Values(res, n, dst)
	}
	return dst
}

// Summary folds a window of the named series; see Series.Summary.
func (st *Store) Summary(name string, res Resolution, since time.Time) (Point, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if s, ok := st.series[name]; ok {
		return s.Summary(res, since)
	}
	return Point{}, false
}

// Latest is the newest sample of the named series.
func (st *Store) Latest(name string) (Point, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	if s, ok := st.series[name]; ok {
		return s.Latest()
	}
	return Point{}, false
}

// Remove releases the named series (a removed check, a vanished
// interface). Removing an unknown name does nothing.
func (st *Store) Remove(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.removeLocked(name)
}

// Retain removes every series whose name keep rejects. keep runs under the
// store's lock and must not call back into the store.
func (st *Store) Retain(keep func(name string) bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for name := range st.series {
		if !keep(name) {
			st.removeLocked(name)
		}
	}
}

func (st *Store) removeLocked(name string) {
	s, ok := st.series[name]
	if !ok {
		return
	}
	st.removed = addStats(st.removed, s.stats)
	st.nameBytes -= int64(len(name))
	delete(st.series, name)
}

// ReleaseStale removes every series whose newest sample is older than
// before (a vanished interface, disk or filesystem) and returns how many it
// removed. A series with no sample yet is kept.
func (st *Store) ReleaseStale(before time.Time) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for name, s := range st.series {
		if p, ok := s.Latest(); ok && p.T.Before(before) {
			st.removeLocked(name)
			n++
		}
	}
	return n
}

// DroppedNewSeries counts appends dropped because they would have created a
// series past MaxSeries (StoreStats.DroppedNewSeries, without the cost of
// Stats).
func (st *Store) DroppedNewSeries() uint64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.droppedNewSeries
}

// Names lists the series names, sorted.
func (st *Store) Names() []string {
	st.mu.RLock()
	names := make([]string, 0, len(st.series))
	for name := range st.series {
		names = append(names, name)
	}
	st.mu.RUnlock()
	slices.Sort(names)
	return names
}

// Len is the number of series held.
func (st *Store) Len() int {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.series)
}

// Stats reports the series count, the dropped counts and the approximate
// memory held.
func (st *Store) Stats() StoreStats {
	st.mu.RLock()
	defer st.mu.RUnlock()
	total := st.removed
	for _, s := range st.series {
		total = addStats(total, s.stats)
	}
	return StoreStats{
		Series:           len(st.series),
		MaxSeries:        st.maxSeries,
		DroppedNewSeries: st.droppedNewSeries,
		Accepted:         total.Accepted,
		OutOfOrder:       total.OutOfOrder,
		NonFinite:        total.NonFinite,
		BadTime:          total.BadTime,
		Bytes:            int64(len(st.series))*int64(st.ret.SeriesBytes()) + st.nameBytes,
	}
}

func addStats(a, b SeriesStats) SeriesStats {
	return SeriesStats{
		Accepted:   a.Accepted + b.Accepted,
		OutOfOrder: a.OutOfOrder + b.OutOfOrder,
		NonFinite:  a.NonFinite + b.NonFinite,
		BadTime:    a.BadTime + b.BadTime,
	}
}
