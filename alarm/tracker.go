package alarm

import "sync"

// Tracker follows one alarm over time: it keeps the previous observation for
// previous() and rate(), and applies consecutiveCount. It is safe for
// concurrent use.
//
// The alarm starts in Unknown, or in the state given to Restore. Its state
// changes only after ConsecutiveCount evaluations in a row produce the same
// state that differs from the current one; the first such change is
// reported as a change from Unknown (or from the restored state). An
// evaluation that agrees with the current state resets any pending streak.
//
// An inconclusive evaluation neither changes the state nor counts toward
// or breaks a streak: one in which a conditional tried before the decision
// read previous() or rate() while there was no previous value. That happens
// on the first available observation (after a start, or a restart), so a
// restored CRITICAL alarm on "rate(metric['x']) > N" does not report a
// recovery merely because the rate cannot be computed yet; the next
// observation decides.
type Tracker struct {
	mu       sync.Mutex
	criteria *Criteria
	count    int

	state   State
	pending State
	streak  int
	prev    *Observation // last available observation
}

// NewTracker returns a tracker for criteria c; nil c means availability
// only (available -> OK, unavailable -> CRITICAL) with consecutiveCount 1.
func NewTracker(c *Criteria) *Tracker {
	n := 1
	if c != nil {
		n = c.ConsecutiveCount()
	}
	return &Tracker{criteria: c, count: n}
}

// Observe evaluates o against the criteria and the previous available
// observation. res is this observation's evaluation; changed reports whether
// the alarm's state moved to res.State; previous is the alarm's state before
// this observation (on a change, the state it left).
//
// Unavailable observations are not kept as "previous": previous() and rate()
// read the most recent earlier observation in which the check ran.
func (t *Tracker) Observe(o Observation) (res Result, changed bool, previous State) {
	t.mu.Lock()
	defer t.mu.Unlock()
	res, inconclusive := t.criteria.evaluate(o, t.prev)
	if o.Available {
		cp := o
		t.prev = &cp
	}
	previous = t.state
	if inconclusive {
		return res, false, previous
	}
	if res.State == t.state {
		t.streak = 0
		return res, false, previous
	}
	if res.State == t.pending && t.streak > 0 {
		t.streak++
	} else {
		t.pending, t.streak = res.State, 1
	}
	if t.streak >= t.count {
		t.state = res.State
		t.streak = 0
		return res, true, previous
	}
	return res, false, previous
}

// State returns the alarm's current state (Unknown until the first change).
func (t *Tracker) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state
}

// Restore sets the alarm's state, as saved before a restart, so that the
// first evaluations after the start are judged against it instead of
// Unknown: a restored CRITICAL alarm that evaluates CRITICAL reports no
// change; one that evaluates OK reports CRITICAL -> OK once
// ConsecutiveCount evaluations agree. Restore clears any pending streak and
// keeps the previous observation (empty on a new tracker: previous() and
// rate() have nothing to read until the first available observation, which
// is inconclusive where it needs them). A state other than OK, WARNING,
// CRITICAL or UNKNOWN restores Unknown.
func (t *Tracker) Restore(s State) {
	if s < Unknown || s > Critical {
		s = Unknown
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.state = s
	t.pending, t.streak = Unknown, 0
}
