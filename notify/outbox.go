package notify

import (
	"cmp"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// route is one receiver: its notifier, what it was told and owes per
// alarm, and its counters.
type route struct {
	n    Notifier
	name string
	file string // state file; "" keeps the state in memory only
	wake chan struct{}

	mu      sync.Mutex
	alarms  map[string]*entry // by Event.Key
	pending map[string]*entry // the alarms this receiver is owed (entry.pending)
	dirty   bool              // changed since the state file was last written

	// Used by the worker only (or by a test driving the steps itself).
	fails        int       // failed attempts in a row
	retryAt      time.Time // no attempt before; zero after a success
	pruneAt      int       // alarm count that triggers a prune
	writeFails   int       // failed writes in a row
	writeRetryAt time.Time // no write before, after a failed one
	writeLogAt   time.Time // last failed write logged

	sent, failed, retried, coalesced, expired, writeErrors atomic.Uint64
	npending                                               atomic.Int64
}

func newRoute(n Notifier, name string) *route {
	return &route{n: n, name: name, wake: make(chan struct{}, 1),
		alarms: map[string]*entry{}, pending: map[string]*entry{}, pruneAt: 1024}
}

// poke wakes r's worker without blocking.
func (r *route) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// entry is what one receiver was told, and is owed, about one alarm.
type entry struct {
	told    string    // state last delivered; "" never: counts as OK
	toldAt  time.Time // when
	latest  Event     // the alarm's latest event; latest.Current is its state now
	worst   *Event    // the worst event since told, kept only when worse than told
	changes int       // state changes since told
	since   time.Time // when the entry became undelivered; zero when nothing is owed
	expired bool      // given up at an outbox bound: nothing owed until the state changes
	tat     time.Time // rate limit: the bucket's theoretical arrival time (GCRA); zero: full

	// In memory only.
	tries    int       // attempts since the entry became undelivered
	lastTry  time.Time // start of the latest attempt
	flight   *flight   // set while an attempt is in flight
	deferred bool      // the rate limit's deferral is logged for this episode
}

// flight tracks what an in-flight attempt will make the receiver believe
// and what happened to the alarm meanwhile, so a success can settle
// exactly what it delivered.
type flight struct {
	current      string    // the state being sent: told once it succeeds
	changesAfter int       // state changes recorded since the attempt started
	worstAfter   *Event    // the worst of them, when worse than current
	firstAfter   time.Time // when the first of them came
}

func (e *entry) toldState() string {
	if e.told == "" {
		return StateOK
	}
	return e.told
}

// pending reports whether the receiver is owed a notification: the alarm is
// in another state than it was told, or went through a worse one since.
func (e *entry) pending() bool {
	return !e.expired && (e.latest.Current != e.toldState() || e.worst != nil)
}

// recovery reports whether the owed notification is a return to OK after
// the receiver was told something else; it skips the rate limit. The
// bypass is bounded: each one follows a non-OK notification, which took a
// token.
func (e *entry) recovery() bool {
	return e.latest.Current == StateOK && e.toldState() != StateOK
}

// worse reports whether ev is worse than both floor and w (nil w: no bound).
func worse(ev Event, floor string, w *Event) bool {
	return severity(ev.Current) > severity(floor) && (w == nil || severity(ev.Current) > severity(w.Current))
}

// recordLocked records ev, the latest event of alarm key, for r at now. It
// reports whether r's worker should look again. Callers hold r.mu.
func (d *Dispatcher) recordLocked(r *route, key string, ev Event, now time.Time) bool {
	e := r.alarms[key]
	if e == nil {
		if ev.Current == StateOK {
			return false // never told, so told OK: nothing to keep
		}
		e = &entry{latest: Event{Current: StateOK}}
		r.alarms[key] = e
	}
	changed := ev.Current != e.latest.Current
	if !changed && !e.pending() {
		e.latest = ev // nothing owed, nothing new: only fresher details
		return false
	}
	if changed {
		e.changes++
		e.expired = false
		if f := e.flight; f != nil {
			f.changesAfter++
			if f.firstAfter.IsZero() {
				f.firstAfter = now
			}
			if worse(ev, f.current, f.worstAfter) {
				w := ev
				f.worstAfter = &w
			}
		}
		if worse(ev, e.toldState(), e.worst) {
			w := ev
			e.worst = &w
		}
	}
	e.latest = ev
	if e.since.IsZero() && e.pending() {
		e.since = now
	}
	r.settleLocked(key, e)
	r.dirty = true
	return true
}

// settleLocked files e in r.pending when the receiver is owed something;
// otherwise the changes since it was told are counted as coalesced: the
// receiver's view already matches the alarm. Callers hold r.mu.
func (r *route) settleLocked(key string, e *entry) {
	if e.flight == nil && !e.pending() {
		if e.changes > 0 {
			r.coalesced.Add(uint64(e.changes))
		}
		e.changes, e.worst, e.since = 0, nil, time.Time{}
		e.tries, e.lastTry, e.deferred = 0, time.Time{}, false
	}
	if e.pending() {
		r.pending[key] = e
	} else {
		delete(r.pending, key)
	}
	r.npending.Store(int64(len(r.pending)))
}

// job is one delivery: the event for one alarm as this receiver should see
// it.
type job struct {
	key   string
	ev    Event
	try   int
	start time.Time
}

// eventFor is what e's receiver is owed: the alarm's latest event, with
// Previous the state the receiver was last told, the changes since, and
// the worst state in between when it is worse than the current one.
func eventFor(e *entry) Event {
	ev := e.latest
	ev.Previous, ev.Changes, ev.Worst = e.toldState(), e.changes, nil
	if w := e.worst; w != nil && severity(w.Current) > severity(ev.Current) {
		ev.Worst = &Peak{State: w.Current, Message: w.Message, Time: w.Time}
	}
	return ev
}

// The rate limit is a token bucket per alarm, RateLimit tokens refilled at
// RateLimit per RateWindow, kept as GCRA keeps it: one time, tat. A
// delivery at t takes a token when t >= tat - (RateLimit-1)·interval
// (interval = RateWindow/RateLimit), and moves tat to max(tat, t) +
// interval; the bucket is full once t >= tat. Whole durations, so a
// deferred delivery is due at an exact instant.

func (d *Dispatcher) interval() time.Duration {
	return d.o.RateWindow / time.Duration(d.o.RateLimit)
}

// tokenAt is when e's bucket next holds a token (zero: now, it is full).
func (d *Dispatcher) tokenAt(e *entry) time.Time {
	if e.tat.IsZero() {
		return time.Time{}
	}
	return e.tat.Add(-time.Duration(d.o.RateLimit-1) * d.interval())
}

// dueAt is when e may be sent under the rate limit: now when the bucket
// holds a token (or the limit is off, or e is a recovery), else when it
// will.
func (d *Dispatcher) dueAt(e *entry, now time.Time) time.Time {
	if d.o.RateLimit < 0 || e.recovery() {
		return now
	}
	if at := d.tokenAt(e); at.After(now) {
		return at
	}
	return now
}

// spend takes a token for a delivery that started at, if there is one (a
// recovery may go without).
func (d *Dispatcher) spend(e *entry, at time.Time) {
	if d.o.RateLimit < 0 || d.tokenAt(e).After(at) {
		return
	}
	if e.tat.Before(at) {
		e.tat = at
	}
	e.tat = e.tat.Add(d.interval())
}

// bucketFull reports whether e's bucket holds every token at now.
func (d *Dispatcher) bucketFull(e *entry, now time.Time) bool {
	return d.o.RateLimit < 0 || !e.tat.After(now)
}

// next picks the delivery r's worker should start at now and marks it in
// flight. With none due it returns nil and when one will be (zero: nothing
// until an Enqueue). Among the due alarms the least recently tried goes
// first, then the longest undelivered, so one alarm a receiver keeps
// refusing cannot starve the others.
func (d *Dispatcher) next(r *route, now time.Time) (*job, time.Time) {
	var notes []Attempt
	var wake time.Time
	soon := func(t time.Time) {
		if wake.IsZero() || t.Before(wake) {
			wake = t
		}
	}
	r.mu.Lock()
	if r.dirty && r.file != "" && now.Before(r.writeRetryAt) {
		soon(r.writeRetryAt)
	}
	backingOff := now.Before(r.retryAt)
	var best *entry
	var bestKey string
	for k, e := range r.pending {
		if e.flight != nil {
			continue
		}
		soon(e.since.Add(d.o.MaxOutboxAge))
		if backingOff {
			soon(r.retryAt)
			continue
		}
		if at := d.dueAt(e, now); at.After(now) {
			soon(at)
			if !e.deferred {
				e.deferred = true
				notes = append(notes, Attempt{Time: now, Notifier: r.name, AlarmKey: k, Event: eventFor(e).Summary(),
					Result: ResultDeferred, Err: "rate limit until " + at.Format(time.RFC3339)})
			}
			continue
		}
		if best == nil || before(e, k, best, bestKey) {
			best, bestKey = e, k
		}
	}
	var j *job
	if best != nil {
		best.tries++
		best.lastTry = now
		best.flight = &flight{current: best.latest.Current}
		j = &job{key: bestKey, ev: eventFor(best), try: best.tries, start: now}
		wake = time.Time{}
	}
	r.mu.Unlock()
	for _, a := range notes {
		d.note(slog.LevelInfo, a)
	}
	return j, wake
}

// before orders due entries: never tried first, then least recently tried,
// then longest undelivered, then by key.
func before(a *entry, ak string, b *entry, bk string) bool {
	if c := a.lastTry.Compare(b.lastTry); c != 0 {
		return c < 0
	}
	if c := a.since.Compare(b.since); c != 0 {
		return c < 0
	}
	return ak < bk
}

// finish settles attempt j, which ended at now with err.
func (d *Dispatcher) finish(r *route, j *job, err error, now time.Time) {
	a := Attempt{Time: j.start, Notifier: r.name, AlarmKey: j.key, Event: j.ev.Summary(), Try: j.try, Duration: now.Sub(j.start)}
	level := slog.LevelInfo
	r.mu.Lock()
	e := r.alarms[j.key] // entries in flight are never removed
	f := e.flight
	e.flight = nil
	if j.try > 1 {
		r.retried.Add(1)
	}
	if err == nil {
		d.spend(e, j.start)
		e.told, e.toldAt = j.ev.Current, now
		// What the receiver is owed now is what happened during the attempt.
		e.changes, e.worst, e.since = f.changesAfter, f.worstAfter, f.firstAfter
		e.tries, e.lastTry, e.deferred = 0, time.Time{}, false
		r.fails, r.retryAt = 0, time.Time{}
		r.sent.Add(1)
		if j.ev.Changes > 1 {
			r.coalesced.Add(uint64(j.ev.Changes - 1))
		}
		a.Result, a.Final = ResultSent, true
	} else {
		r.failed.Add(1)
		r.fails = min(r.fails+1, 64)
		wait := d.backoff(r.fails)
		a.Result, a.Err, level = ResultRetry, err.Error(), slog.LevelWarn
		if IsPermanent(err) {
			// Often a configuration the operator may fix: try again, slowly.
			wait = d.jitter(d.o.MaxBackoff)
			a.Result, level = ResultFailed, slog.LevelError
		}
		r.retryAt = now.Add(wait)
	}
	r.settleLocked(j.key, e)
	r.dirty = true
	r.mu.Unlock()
	d.note(level, a)
}

// housekeep gives up the undelivered entries past an outbox bound (oldest
// first) and forgets entries that hold nothing a fresh one would not.
func (d *Dispatcher) housekeep(r *route, now time.Time) {
	var gone []Attempt
	r.mu.Lock()
	for k, e := range r.pending {
		if e.flight == nil && !now.Before(e.since.Add(d.o.MaxOutboxAge)) {
			gone = append(gone, d.expireLocked(r, k, e, now, "undelivered for "+now.Sub(e.since).String()+", over the outbox age bound "+d.o.MaxOutboxAge.String()))
		}
	}
	if over := len(r.pending) - d.o.MaxOutboxEntries; over > 0 {
		keys := make([]string, 0, len(r.pending))
		for k, e := range r.pending {
			if e.flight == nil {
				keys = append(keys, k)
			}
		}
		slices.SortFunc(keys, func(a, b string) int {
			return cmp.Or(r.pending[a].since.Compare(r.pending[b].since), cmp.Compare(a, b))
		})
		for _, k := range keys[:min(over, len(keys))] {
			gone = append(gone, d.expireLocked(r, k, r.pending[k], now, "outbox over its bound of "+strconv.Itoa(d.o.MaxOutboxEntries)+" alarms; oldest given up"))
		}
	}
	if len(r.alarms) >= r.pruneAt {
		d.pruneLocked(r, now)
	}
	r.mu.Unlock()
	for _, a := range gone {
		d.note(slog.LevelError, a)
	}
}

// expireLocked gives up what e's receiver is owed. The receiver keeps what
// it was told; the entry is owed nothing until the alarm changes state.
func (d *Dispatcher) expireLocked(r *route, key string, e *entry, now time.Time, why string) Attempt {
	a := Attempt{Time: now, Notifier: r.name, AlarmKey: key, Event: eventFor(e).Summary(), Result: ResultExpired, Err: why, Final: true}
	r.expired.Add(1)
	e.expired = true
	e.changes, e.worst, e.since = 0, nil, time.Time{}
	e.tries, e.lastTry, e.deferred = 0, time.Time{}, false
	r.settleLocked(key, e)
	r.dirty = true
	return a
}

// pruneLocked forgets entries equivalent to a fresh one: told OK (or
// never told), in that state, owed nothing and with a full bucket. It keeps
// the map bounded when alarms come and go.
func (d *Dispatcher) pruneLocked(r *route, now time.Time) {
	for k, e := range r.alarms {
		if e.flight == nil && !e.expired && !e.pending() && e.toldState() == StateOK && d.bucketFull(e, now) {
			delete(r.alarms, k)
			r.dirty = true
		}
	}
	r.pruneAt = max(1024, 2*len(r.alarms))
}
