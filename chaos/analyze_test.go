package chaos

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// gapFactor: runs of a check sit on a grid one period apart, each delayed
// by a jitter of at most a tenth of a period (check.Scheduler), so
// neighbours are 0.9 to 1.1 periods apart and a missing run leaves 1.9 to
// 2.1 periods between its neighbours. A spacing over 1.75 periods is a
// missing result; the margin below 1.9 covers a run that started late, the
// margin over 1.1 a loaded host's late timer (seen: 1.68 periods under
// `go test -race ./...` on 2 cores). Delivery loss does not depend on it:
// the spool file says exactly which results were produced.
const gapFactor = 1.75

// resumeSlack covers the log's millisecond rounding of the schedule time.
const resumeSlack = 50 * time.Millisecond

// checkSpec is one scheduled check.
type checkSpec struct {
	ID     string
	Period time.Duration
}

// downWindow is a time the test killed the daemon: killed at Kill, the
// restarted daemon had its check schedule at Resume (its log says when).
type downWindow struct {
	Kill, Resume time.Time
}

// runFacts is everything a run observed.
type runFacts struct {
	Checks     []checkSpec
	Deliveries []delivery         // every accepted post, from all records
	Spooled    map[resultKey]bool // every result the daemon put in its spool
	PendingEnd map[resultKey]bool // still spooled when the daemon stopped
	Start      time.Time          // the first daemon had its schedule
	End        time.Time          // the last daemon was told to stop
	Down       []downWindow
	// Warmup is how long after it has its schedule a (re)started daemon
	// may take before its checks start: the agent starts its scheduler
	// after its second sample, one sampling interval in.
	Warmup time.Duration
}

// gap is a stretch of a check's timeline with results missing. From and To
// are the known results around it (zero at the run's start or end).
type gap struct {
	Check    string
	From, To time.Time
	Missing  int
}

func (g gap) String() string {
	f := func(t time.Time) string {
		if t.IsZero() {
			return "edge"
		}
		return t.UTC().Format("15:04:05.000")
	}
	return fmt.Sprintf("%s: %d missing between %s and %s", g.Check, g.Missing, f(g.From), f(g.To))
}

// report is the verdict on a run.
type report struct {
	Produced   int // distinct results expected: known ones plus the missing
	Delivered  int // distinct results accepted by an endpoint
	Receipts   int // accepted posts, duplicates included
	Lost       int // Undelivered plus the results missing in unexcused gaps
	Duplicated int // accepted posts beyond the first of their result
	PendingEnd int // still in the spool at the end (persisted, not lost)

	Undelivered   []resultKey // spooled, never delivered, not pending
	Unspooled     []resultKey // delivered but never seen in the spool file
	Gaps          []gap       // unexcused: results missing
	Excused       []gap       // over a daemon kill the test made
	Duplicates    []resultKey // results delivered more than once
	BadDuplicates []string    // same key, different post: not a resend
	OrderErrors   []string
	Unknown       []string // check ids that are not in the schedule
}

// ok reports whether the run lost nothing, kept order and resent only
// what was already delivered.
func (r report) ok() bool {
	return r.Lost == 0 && len(r.BadDuplicates) == 0 && len(r.OrderErrors) == 0 && len(r.Unknown) == 0 && len(r.Unspooled) == 0
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// analyze judges a run. Delivery order is the order the endpoints received
// the posts (record time; the agent sends one post at a time, so this is
// its send order even across endpoints). It asserts, per check:
//   - no loss: every spooled result was delivered or is still spooled, and
//     the timeline of known results has no gap over gapFactor periods,
//     except over a daemon kill (the last result before it came within
//     gapFactor periods of the kill, and the first after it within
//     gapFactor periods of the restarted daemon's schedule);
//   - duplicates are resends: the same key with the same post, delivered
//     after a first delivery;
//   - order: the first deliveries of a check have increasing timestamps
//     overall, and on one connection timestamps strictly increase.
func analyze(f runFacts) report {
	var r report
	periods := map[string]time.Duration{}
	for _, c := range f.Checks {
		periods[c.ID] = c.Period
	}

	ds := append([]delivery(nil), f.Deliveries...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].At.Before(ds[j].At) })
	first := map[resultKey]delivery{}
	count := map[resultKey]int{}
	maxTS := map[string]int64{}
	type connCheck struct{ conn, check string }
	lastOnConn := map[connCheck]int64{}
	unknown := map[string]bool{}
	for _, d := range ds {
		r.Receipts++
		if _, ok := periods[d.Key.Check]; !ok && !unknown[d.Key.Check] {
			unknown[d.Key.Check] = true
			r.Unknown = append(r.Unknown, d.Key.Check)
		}
		cc := connCheck{d.Conn, d.Key.Check}
		if prev, ok := lastOnConn[cc]; ok && d.Key.TS <= prev {
			r.OrderErrors = append(r.OrderErrors, fmt.Sprintf("on %s: %s after %s", d.Conn, d.Key, resultKey{d.Key.Check, prev}))
		}
		lastOnConn[cc] = d.Key.TS
		count[d.Key]++
		if f0, seen := first[d.Key]; seen {
			if count[d.Key] == 2 {
				r.Duplicates = append(r.Duplicates, d.Key)
			}
			if f0.Params != d.Params {
				r.BadDuplicates = append(r.BadDuplicates, fmt.Sprintf("%s on %s differs from its first delivery on %s", d.Key, d.Conn, f0.Conn))
			}
			continue
		}
		first[d.Key] = d
		if m, ok := maxTS[d.Key.Check]; ok && d.Key.TS < m {
			r.OrderErrors = append(r.OrderErrors, fmt.Sprintf("%s first delivered (on %s) after %s", d.Key, d.Conn, resultKey{d.Key.Check, m}))
		}
		maxTS[d.Key.Check] = max(maxTS[d.Key.Check], d.Key.TS)
	}
	r.Delivered = len(first)
	r.Duplicated = r.Receipts - r.Delivered
	r.PendingEnd = len(f.PendingEnd)

	known := map[resultKey]bool{}
	for k := range first {
		known[k] = true
		if f.Spooled != nil && !f.Spooled[k] {
			r.Unspooled = append(r.Unspooled, k)
		}
	}
	for k := range f.PendingEnd {
		known[k] = true
	}
	for k := range f.Spooled {
		known[k] = true
		if _, ok := first[k]; !ok && !f.PendingEnd[k] {
			r.Undelivered = append(r.Undelivered, k)
		}
	}
	sortKeys(r.Undelivered)
	sortKeys(r.Unspooled)
	sortKeys(r.Duplicates)

	byCheck := map[string][]int64{}
	for k := range known {
		byCheck[k.Check] = append(byCheck[k.Check], k.TS)
	}
	for _, c := range f.Checks {
		ts := byCheck[c.ID]
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
		p := c.Period
		limit := time.Duration(gapFactor * float64(p))
		// Between two results, round(d/p)-1 runs are missing; before the
		// first (which comes within one period of the start) and after
		// the last, d/p.
		missing := func(d time.Duration) int { return max(1, int(math.Round(float64(d)/float64(p)))-1) }
		edge := func(d time.Duration) int { return max(1, int(d/p)) }
		if len(ts) == 0 {
			r.Gaps = append(r.Gaps, gap{Check: c.ID, Missing: max(1, int(f.End.Sub(f.Start)/p))})
			continue
		}
		if d := fromMS(ts[0]).Sub(f.Start); d > limit+f.Warmup {
			r.Gaps = append(r.Gaps, gap{Check: c.ID, To: fromMS(ts[0]), Missing: edge(d)})
		}
		for i := 1; i < len(ts); i++ {
			a, b := fromMS(ts[i-1]), fromMS(ts[i])
			if b.Sub(a) <= limit {
				continue
			}
			g := gap{Check: c.ID, From: a, To: b, Missing: missing(b.Sub(a))}
			if excused(a, b, limit, f.Warmup, f.Down) {
				r.Excused = append(r.Excused, g)
			} else {
				r.Gaps = append(r.Gaps, g)
			}
		}
		if d := f.End.Sub(fromMS(ts[len(ts)-1])); d > limit {
			r.Gaps = append(r.Gaps, gap{Check: c.ID, From: fromMS(ts[len(ts)-1]), Missing: edge(d)})
		}
	}
	r.Lost = len(r.Undelivered)
	missingTotal := 0
	for _, g := range r.Gaps {
		missingTotal += g.Missing
	}
	r.Lost += missingTotal
	r.Produced = len(known) + missingTotal
	return r
}

// excused reports whether the gap (a, b) is a daemon kill the test made,
// with nothing lost around it.
func excused(a, b time.Time, limit, warmup time.Duration, down []downWindow) bool {
	for _, w := range down {
		if !a.Before(w.Kill.Add(-limit)) && !a.After(w.Kill) &&
			!b.Before(w.Resume.Add(-resumeSlack)) && !b.After(w.Resume.Add(limit+warmup)) {
			return true
		}
	}
	return false
}

func sortKeys(ks []resultKey) {
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].Check != ks[j].Check {
			return ks[i].Check < ks[j].Check
		}
		return ks[i].TS < ks[j].TS
	})
}

// maxSpacing returns the largest spacing between a check's consecutive
// known results, in periods, leaving out pairs around a daemon kill: how
// close a run came to gapFactor.
func maxSpacing(f runFacts) float64 {
	byCheck := map[string][]int64{}
	seen := map[resultKey]bool{}
	add := func(k resultKey) {
		if !seen[k] {
			seen[k] = true
			byCheck[k.Check] = append(byCheck[k.Check], k.TS)
		}
	}
	for _, d := range f.Deliveries {
		add(d.Key)
	}
	for k := range f.Spooled {
		add(k)
	}
	worst := 0.0
	for _, c := range f.Checks {
		ts := byCheck[c.ID]
		sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	pairs:
		for i := 1; i < len(ts); i++ {
			a, b := fromMS(ts[i-1]), fromMS(ts[i])
			for _, w := range f.Down {
				if !a.After(w.Kill) && !b.Before(w.Resume.Add(-resumeSlack)) {
					continue pairs
				}
			}
			worst = max(worst, float64(b.Sub(a))/float64(c.Period))
		}
	}
	return worst
}
