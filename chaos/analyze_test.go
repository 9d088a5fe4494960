package chaos

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
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

// window is a stretch of time.
type window struct {
	From, To time.Time
}

// runFacts is everything a run observed.
type runFacts struct {
	Checks     []checkSpec
	Deliveries []delivery         // every accepted post, from all records
	Refusals   []refusal          // every post answered with an error, from all records
	Spooled    map[resultKey]bool // every result seen in the daemon's spool file
	PendingEnd map[resultKey]bool // still spooled when the daemon stopped
	Dead       []deadEntry        // the daemon's dead letter file at the end
	// Poisoned are the checks whose posts an endpoint refuses: only
	// their results may be refused, be dead-lettered, and arrive late.
	Poisoned map[string]bool
	// MaxAttempts is the daemon's spool_max_attempts: the counting
	// refusals that move a post to the dead letter.
	MaxAttempts int
	// DiskFull are the times the state dir's file system was full during
	// an endpoint outage, the daemon SIGKILLed after it was freed: every
	// result produced then must have reached the spool file once space
	// returned (the daemon kept it in memory meanwhile).
	DiskFull []window
	// Runs are the times the daemons logged a check result (at debug
	// level, before it goes to the spool), per check; nil when unknown.
	Runs map[string][]time.Time
	// Entries are the results seen under more than one entry (seq) in
	// the spool file, with the number of entries: produced more than once.
	Entries map[resultKey]int
	Start   time.Time // the first daemon had its schedule
	End     time.Time // the last daemon was told to stop
	Down    []downWindow
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
	Dead       int // distinct results in the dead letter file (accounted for, not lost)

	Refused     int // distinct results refused with an error that counts against them
	Unavailable int // distinct results refused only with "unavailable" (never dead, delivered)
	LateRefused int // refused results first delivered after a newer result of their check
	DiskFull    int // results produced while the disk was full

	Undelivered []resultKey // spooled, never delivered, not pending, not dead
	// Unspooled were delivered but never seen in the spool file: the
	// spool's writer never writes an entry acked before it took it
	// (protocol.FileStore), so this is not an error.
	Unspooled []resultKey
	Gaps      []gap // unexcused: results missing
	Excused   []gap // over a daemon kill the test made
	// NotProduced are gaps in which the daemons logged no result of the
	// check (Runs): a run skipped or that read a later sample, so nothing
	// was produced, and nothing lost.
	NotProduced []gap
	// ProducedTwice are results the daemon produced more than once (two
	// runs stamped with the same sample): two spool entries (Entries), or
	// the same post twice on one connection, where the agent never resends.
	ProducedTwice []resultKey
	Duplicates    []resultKey // results delivered more than once
	BadDuplicates []string    // same key, different post: not a resend
	OrderErrors   []string
	Unknown       []string // check ids that are not in the schedule
	// RefusalErrors are refusals of a check no endpoint refuses.
	RefusalErrors []string
	// DeadErrors are dead letters the endpoints' refusals do not explain:
	// of a check not poisoned, with fewer than MaxAttempts counting
	// refusals in the records, or counting an "unavailable" reply.
	DeadErrors []string
	// DiskFullErrors: a full-disk window without results, or a result
	// produced in one that never reached the spool file.
	DiskFullErrors []string
}

// ok reports whether the run lost nothing, kept order, resent only what
// was already delivered, and refused and dead-lettered only what the
// endpoints refused.
func (r report) ok() bool {
	return r.Lost == 0 && len(r.BadDuplicates) == 0 && len(r.OrderErrors) == 0 && len(r.Unknown) == 0 &&
		len(r.RefusalErrors) == 0 && len(r.DeadErrors) == 0 && len(r.DiskFullErrors) == 0
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// analyze judges a run. Delivery order is the order the endpoints received
// the posts (record time; the agent sends one post at a time, so this is
// its send order even across endpoints). It asserts, per check:
//   - no loss: every spooled result was delivered, is still spooled, or is
//     in the dead letter file, and the timeline of known results
//     (delivered, spooled or dead) has no gap over gapFactor periods,
//     except over a daemon kill (the last result before it came within
//     gapFactor periods of the kill, and the first after it within
//     gapFactor periods of the restarted daemon's schedule);
//   - duplicates are resends: the same key with the same post, delivered
//     after a first delivery;
//   - order: the first deliveries of a check have increasing timestamps
//     overall, and on one connection timestamps strictly increase; except
//     a result of a poisoned check that was refused with an error that
//     counts: it lost its place in the spool (protocol package doc,
//     "Delivery") and may arrive after newer ones (LateRefused). A result
//     refused only with "unavailable" was retried in place and keeps
//     its order;
//   - refusals and dead letters: only results of poisoned checks are
//     refused; a dead letter is of a poisoned check, took at least
//     MaxAttempts counting refusals (the records show every refusal the
//     agent read, and more if an endpoint died before its reply went
//     out) and lists no "unavailable" reply;
//   - every result produced in a DiskFull window reached the spool file.
//
// A gap in which the daemons logged no result of the check (Runs) is not a
// loss: nothing was produced there (NotProduced). A result's log line comes
// after its sample (its timestamp), within runSlack; the results at the
// gap's edges may have been produced more than once (two runs stamped with
// one sample), so the lines they may account for are counted as their
// posts or spool entries, whichever is more.
func analyze(f runFacts) report {
	var r report
	periods := map[string]time.Duration{}
	for _, c := range f.Checks {
		periods[c.ID] = c.Period
	}

	// Refusals: counting ones (they may reorder and kill a post) per key.
	counting := map[resultKey]int{}
	refusedOnly := map[resultKey]bool{} // refused, none of them counting
	badRefusal := map[resultKey]bool{}
	for _, rf := range f.Refusals {
		if !f.Poisoned[rf.Key.Check] {
			if !badRefusal[rf.Key] {
				badRefusal[rf.Key] = true
				r.RefusalErrors = append(r.RefusalErrors, fmt.Sprintf("%s refused (error %d %q) by an endpoint that refuses no post of %s", rf.Key, rf.Code, rf.Type, rf.Key.Check))
			}
			continue
		}
		if rf.counts() {
			counting[rf.Key]++
			delete(refusedOnly, rf.Key)
		} else if counting[rf.Key] == 0 {
			refusedOnly[rf.Key] = true
		}
	}
	r.Refused, r.Unavailable = len(counting), len(refusedOnly)
	maxAttempts := f.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = protocol.DefaultSpoolMaxAttempts
	}
	dead := map[resultKey]bool{}
	for _, d := range f.Dead {
		switch {
		case !f.Poisoned[d.Key.Check]:
			r.DeadErrors = append(r.DeadErrors, fmt.Sprintf("%s in the dead letter (%s), but no endpoint refuses %s", d.Key, d.Reason, d.Key.Check))
		case counting[d.Key] < maxAttempts:
			r.DeadErrors = append(r.DeadErrors, fmt.Sprintf("%s in the dead letter (%s) after %d counting refusals in the records, want at least %d", d.Key, d.Reason, counting[d.Key], maxAttempts))
		}
		for _, rf := range d.Refusals {
			if rf.Type == protocol.ErrorTypeUnavailable {
				r.DeadErrors = append(r.DeadErrors, fmt.Sprintf("%s: its dead letter counts an %q reply (%d at %s)", d.Key, rf.Type, rf.Code, rf.Time.UTC().Format("15:04:05.000")))
				break
			}
		}
		dead[d.Key] = true
	}
	r.Dead = len(dead)
	mayBeLate := func(k resultKey) bool { return f.Poisoned[k.Check] && counting[k] > 0 }

	ds := append([]delivery(nil), f.Deliveries...)
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].At.Before(ds[j].At) })
	first := map[resultKey]delivery{}
	count := map[resultKey]int{}
	maxTS := map[string]int64{}
	type connCheck struct{ conn, check string }
	lastOnConn := map[connCheck]int64{}
	type connKey struct {
		conn string
		key  resultKey
	}
	onConn := map[connKey]int{}
	// productions counts the results produced more than once.
	productions := map[resultKey]int{}
	for k, n := range f.Entries {
		productions[k] = n
	}
	unknown := map[string]bool{}
	for _, d := range ds {
		r.Receipts++
		if _, ok := periods[d.Key.Check]; !ok && !unknown[d.Key.Check] {
			unknown[d.Key.Check] = true
			r.Unknown = append(r.Unknown, d.Key.Check)
		}
		late := mayBeLate(d.Key)
		cc := connCheck{d.Conn, d.Key.Check}
		onConn[connKey{d.Conn, d.Key}]++
		repeat := onConn[connKey{d.Conn, d.Key}] > 1 && first[d.Key].Params == d.Params
		if prev, ok := lastOnConn[cc]; ok && d.Key.TS <= prev && !late && !(repeat && d.Key.TS == prev) {
			r.OrderErrors = append(r.OrderErrors, fmt.Sprintf("on %s: %s after %s", d.Conn, d.Key, resultKey{d.Key.Check, prev}))
		}
		if repeat {
			productions[d.Key] = max(productions[d.Key], onConn[connKey{d.Conn, d.Key}])
		}
		if !late {
			lastOnConn[cc] = d.Key.TS
		}
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
			if late {
				r.LateRefused++
				continue
			}
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
	for k := range dead {
		known[k] = true
	}
	for k := range f.Spooled {
		known[k] = true
		if _, ok := first[k]; !ok && !f.PendingEnd[k] && !dead[k] {
			r.Undelivered = append(r.Undelivered, k)
		}
	}
	for _, w := range f.DiskFull {
		var in []resultKey
		for k := range known {
			if ts := fromMS(k.TS); !ts.Before(w.From) && !ts.After(w.To) {
				in = append(in, k)
			}
		}
		sortKeys(in)
		if len(in) == 0 {
			r.DiskFullErrors = append(r.DiskFullErrors, fmt.Sprintf("no result produced while the disk was full (%s to %s)",
				w.From.UTC().Format("15:04:05.000"), w.To.UTC().Format("15:04:05.000")))
		}
		for _, k := range in {
			if f.Spooled != nil && !f.Spooled[k] {
				r.DiskFullErrors = append(r.DiskFullErrors, fmt.Sprintf("%s, produced while the disk was full, never reached the spool file", k))
			}
		}
		r.DiskFull += len(in)
	}
	for k, n := range productions {
		if n > 1 {
			r.ProducedTwice = append(r.ProducedTwice, k)
		}
	}
	sortKeys(r.Undelivered)
	sortKeys(r.Unspooled)
	sortKeys(r.Duplicates)
	sortKeys(r.ProducedTwice)
	// produced is how many times the daemon may have produced result k:
	// each post of it may be another production (a resend is one
	// production posted twice: counting it too only makes the log check
	// below more lenient around a resent result).
	produced := func(k resultKey) int { return max(1, productions[k], count[k]) }

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
		// unexcused files a gap as not produced when the daemons logged
		// no result of the check in it: the runs logged from its first
		// known result (or the start) to shortly after its last one (or
		// the end) are the known results at its edges and nothing else.
		unexcused := func(g gap) {
			if f.Runs == nil {
				r.Gaps = append(r.Gaps, g)
				return
			}
			lo, hi, edges := g.From, g.To.Add(runSlack(p)), 0
			if lo.IsZero() {
				lo = f.Start
			} else {
				edges += produced(resultKey{c.ID, g.From.UnixMilli()})
			}
			if g.To.IsZero() {
				hi = f.End
			} else {
				edges += produced(resultKey{c.ID, g.To.UnixMilli()})
			}
			logged := 0
			for _, at := range f.Runs[c.ID] {
				if !at.Before(lo) && !at.After(hi) {
					logged++
				}
			}
			if logged <= edges {
				r.NotProduced = append(r.NotProduced, g)
			} else {
				r.Gaps = append(r.Gaps, g)
			}
		}
		if len(ts) == 0 {
			unexcused(gap{Check: c.ID, Missing: max(1, int(f.End.Sub(f.Start)/p))})
			continue
		}
		if d := fromMS(ts[0]).Sub(f.Start); d > limit+f.Warmup {
			unexcused(gap{Check: c.ID, To: fromMS(ts[0]), Missing: edge(d)})
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
				unexcused(g)
			}
		}
		if d := f.End.Sub(fromMS(ts[len(ts)-1])); d > limit {
			unexcused(gap{Check: c.ID, From: fromMS(ts[len(ts)-1]), Missing: edge(d)})
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

// runSlack is how long after its timestamp (the time of the sample it
// read) a result of a check of period p is logged: at most half a period.
func runSlack(p time.Duration) time.Duration { return p / 2 }

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
