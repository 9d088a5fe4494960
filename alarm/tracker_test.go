package alarm

import (
	"sync"
	"testing"
	"time"
)

type step struct {
	avail   bool
	a       float64
	state   State // evaluation result
	changed bool
	prev    State // state before this observation
	alarm   State // Tracker.State() after
}

func runSteps(t *testing.T, tr *Tracker, steps []step) {
	t.Helper()
	for i, s := range steps {
		o := Observation{Time: t0.Add(time.Duration(i) * 30 * time.Second), Available: s.avail, Status: "down", Metrics: Metrics{"a": num(s.a)}}
		if !s.avail {
			o.Metrics = nil
		}
		res, changed, prev := tr.Observe(o)
		if res.State != s.state || changed != s.changed || prev != s.prev || tr.State() != s.alarm {
			t.Errorf("step %d: got state=%v changed=%v prev=%v alarm=%v; want state=%v changed=%v prev=%v alarm=%v",
				i, res.State, changed, prev, tr.State(), s.state, s.changed, s.prev, s.alarm)
		}
	}
}

const thresholdCriteria = `if (metric['a'] > 90) { return CRITICAL, 'high'; } if (metric['a'] > 80) { return WARNING, 'raised'; } return OK, 'fine';`

func TestTrackerConsecutiveCount1(t *testing.T) {
	tr := NewTracker(mustParse(t, thresholdCriteria))
	runSteps(t, tr, []step{
		{true, 10, OK, true, Unknown, OK}, // first evaluation establishes the state
		{true, 20, OK, false, OK, OK},
		{true, 95, Critical, true, OK, Critical},
		{true, 85, Warning, true, Critical, Warning},
		{false, 0, Critical, true, Warning, Critical}, // unavailable is CRITICAL
		{true, 5, OK, true, Critical, OK},
	})
}

func TestTrackerConsecutiveCount3(t *testing.T) {
	tr := NewTracker(mustParse(t, ":set consecutiveCount=3\n"+thresholdCriteria))
	runSteps(t, tr, []step{
		{true, 10, OK, false, Unknown, Unknown},
		{true, 10, OK, false, Unknown, Unknown},
		{true, 10, OK, true, Unknown, OK}, // third agreeing evaluation
		{true, 95, Critical, false, OK, OK},
		{true, 95, Critical, false, OK, OK},
		{true, 10, OK, false, OK, OK}, // back to current state resets the streak
		{true, 95, Critical, false, OK, OK},
		{true, 85, Warning, false, OK, OK}, // a different new state restarts the streak
		{true, 85, Warning, false, OK, OK},
		{true, 85, Warning, true, OK, Warning},
		{false, 0, Critical, false, Warning, Warning},
		{false, 0, Critical, false, Warning, Warning},
		{false, 0, Critical, true, Warning, Critical},
	})
}

func TestTrackerAvailabilityOnly(t *testing.T) {
	tr := NewTracker(nil)
	runSteps(t, tr, []step{
		{true, 0, OK, true, Unknown, OK},
		{false, 0, Critical, true, OK, Critical},
		{false, 0, Critical, false, Critical, Critical},
		{true, 0, OK, true, Critical, OK},
	})
}

func TestTrackerPreviousSkipsUnavailable(t *testing.T) {
	tr := NewTracker(mustParse(t, `if (rate(metric['c']) > 1) { return WARNING, 'fast'; } return OK, 'slow';`))
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	steps := []struct {
		o    Observation
		want Result
	}{
		{Observation{Time: at(0), Available: true, Metrics: Metrics{"c": num(0)}}, Result{OK, "slow", RuleDefault}},
		{Observation{Time: at(10), Available: false, Status: "timeout"}, Result{Critical, "timeout", RuleAvailability}},
		// rate uses the observation at t=0: (30-0)/20 = 1.5
		{Observation{Time: at(20), Available: true, Metrics: Metrics{"c": num(30)}}, Result{Warning, "fast", 0}},
		// (35-30)/10 = 0.5
		{Observation{Time: at(30), Available: true, Metrics: Metrics{"c": num(35)}}, Result{OK, "slow", RuleDefault}},
	}
	for i, s := range steps {
		if res, _, _ := tr.Observe(s.o); res != s.want {
			t.Errorf("step %d: got %+v, want %+v", i, res, s.want)
		}
	}
}

func TestTrackerConcurrent(t *testing.T) {
	tr := NewTracker(mustParse(t, thresholdCriteria))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				tr.Observe(Observation{Time: t0.Add(time.Duration(i) * time.Second), Available: true, Metrics: Metrics{"a": num(float64(g * 30))}})
				_ = tr.State()
			}
		}()
	}
	wg.Wait()
	// Goroutines feed a = 0, 30, 60 (OK) and 90 (WARNING).
	if s := tr.State(); s != OK && s != Warning {
		t.Errorf("final state %v, want OK or WARNING", s)
	}
	if res, changed, _ := tr.Observe(Observation{Time: t0.Add(time.Hour), Available: true, Metrics: Metrics{"a": num(95)}}); res.State != Critical || !changed || tr.State() != Critical {
		t.Errorf("after concurrent use: got %+v changed=%v state=%v", res, changed, tr.State())
	}
}

// TestTrackerRestore: a state restored after a restart is what the first
// evaluations are judged against, so a restart reports no UNKNOWN -> X.
func TestTrackerRestore(t *testing.T) {
	tests := []struct {
		name     string
		criteria string
		restore  State
		steps    []step
	}{
		{"CRITICAL still CRITICAL: no change", thresholdCriteria, Critical, []step{
			{true, 95, Critical, false, Critical, Critical},
			{true, 10, OK, true, Critical, OK},
		}},
		{"CRITICAL then OK: one change", thresholdCriteria, Critical, []step{
			{true, 10, OK, true, Critical, OK},
			{true, 10, OK, false, OK, OK},
		}},
		{"CRITICAL then OK with consecutiveCount 3", ":set consecutiveCount=3\n" + thresholdCriteria, Critical, []step{
			{true, 10, OK, false, Critical, Critical},
			{true, 10, OK, false, Critical, Critical},
			{true, 10, OK, true, Critical, OK},
		}},
		{"CRITICAL, consecutiveCount 2, agreeing evaluation resets the streak", ":set consecutiveCount=2\n" + thresholdCriteria, Critical, []step{
			{true, 10, OK, false, Critical, Critical},
			{true, 95, Critical, false, Critical, Critical},
			{true, 10, OK, false, Critical, Critical},
			{true, 10, OK, true, Critical, OK},
		}},
		{"WARNING then CRITICAL", thresholdCriteria, Warning, []step{
			{true, 95, Critical, true, Warning, Critical},
		}},
		{"OK then unavailable", thresholdCriteria, OK, []step{
			{false, 0, Critical, true, OK, Critical},
		}},
		{"availability only, CRITICAL still down", "", Critical, []step{
			{false, 0, Critical, false, Critical, Critical},
			{true, 0, OK, true, Critical, OK},
		}},
		{"UNKNOWN is a fresh start", thresholdCriteria, Unknown, []step{
			{true, 10, OK, true, Unknown, OK},
		}},
		{"out-of-range state restores UNKNOWN", thresholdCriteria, State(42), []step{
			{true, 10, OK, true, Unknown, OK},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c *Criteria
			if tc.criteria != "" {
				c = mustParse(t, tc.criteria)
			}
			tr := NewTracker(c)
			tr.Restore(tc.restore)
			runSteps(t, tr, tc.steps)
		})
	}
}

// TestTrackerRestoreClearsStreak: Restore drops a pending streak.
func TestTrackerRestoreClearsStreak(t *testing.T) {
	tr := NewTracker(mustParse(t, ":set consecutiveCount=2\n"+thresholdCriteria))
	tr.Restore(OK)
	runSteps(t, tr, []step{{true, 95, Critical, false, OK, OK}})
	tr.Restore(OK)
	runSteps(t, tr, []step{
		{true, 95, Critical, false, OK, OK}, // would have been the second in a row
		{true, 95, Critical, true, OK, Critical},
	})
}

// TestTrackerInconclusive: an evaluation that could not be judged for want
// of a previous value (rate() or previous() on the first observation) does
// not move the alarm: a restored CRITICAL alarm on a rate reports no
// recovery at the first observation after a restart.
func TestTrackerInconclusive(t *testing.T) {
	const rateCriteria = `if (rate(metric['c']) > 10) { return CRITICAL, 'fast'; } return OK, 'slow';`
	type obsStep struct {
		sec     int
		metrics Metrics
		want    Result
		changed bool
		prev    State
		alarm   State
	}
	tests := []struct {
		name     string
		criteria string
		restore  State
		steps    []obsStep
	}{
		{"restored CRITICAL, still fast", rateCriteria, Critical, []obsStep{
			{0, Metrics{"c": num(0)}, Result{OK, "slow", RuleDefault}, false, Critical, Critical},
			{10, Metrics{"c": num(500)}, Result{Critical, "fast", 0}, false, Critical, Critical},
		}},
		{"restored CRITICAL, recovered", rateCriteria, Critical, []obsStep{
			{0, Metrics{"c": num(0)}, Result{OK, "slow", RuleDefault}, false, Critical, Critical},
			{10, Metrics{"c": num(5)}, Result{OK, "slow", RuleDefault}, true, Critical, OK},
		}},
		{"fresh tracker waits for a rate", rateCriteria, Unknown, []obsStep{
			{0, Metrics{"c": num(0)}, Result{OK, "slow", RuleDefault}, false, Unknown, Unknown},
			{10, Metrics{"c": num(500)}, Result{Critical, "fast", 0}, true, Unknown, Critical},
		}},
		{"a conditional before the rate decides", `if (metric['a'] > 90) { return CRITICAL, 'a'; } ` + rateCriteria, OK, []obsStep{
			{0, Metrics{"a": num(95), "c": num(0)}, Result{Critical, "a", 0}, true, OK, Critical},
		}},
		{"a conditional after an open rate is inconclusive", rateCriteria[:len(rateCriteria)-len(`return OK, 'slow';`)] + `if (metric['a'] > 90) { return WARNING, 'a'; } return OK, 'slow';`, Critical, []obsStep{
			{0, Metrics{"a": num(95), "c": num(0)}, Result{Warning, "a", 1}, false, Critical, Critical},
			{10, Metrics{"a": num(95), "c": num(1)}, Result{Warning, "a", 1}, true, Critical, Warning},
		}},
		{"a missing metric after an open rate under ||", `if (rate(metric['c']) > 10 || metric['gone'] > 1) { return CRITICAL, 'x'; } return OK, 'fine';`, OK, []obsStep{
			{0, Metrics{"c": num(0)}, Result{Critical, "metric 'gone' missing from result", RuleMissingMetric}, false, OK, OK},
			{10, Metrics{"c": num(1)}, Result{Critical, "metric 'gone' missing from result", RuleMissingMetric}, true, OK, Critical},
		}},
		{"a missing metric is conclusive", rateCriteria, OK, []obsStep{
			{0, Metrics{}, Result{Critical, "metric 'c' missing from result", RuleMissingMetric}, true, OK, Critical},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := NewTracker(mustParse(t, tc.criteria))
			tr.Restore(tc.restore)
			for i, s := range tc.steps {
				res, changed, prev := tr.Observe(Observation{Time: t0.Add(time.Duration(s.sec) * time.Second), Available: true, Metrics: s.metrics})
				if res != s.want || changed != s.changed || prev != s.prev || tr.State() != s.alarm {
					t.Errorf("step %d: got %+v changed=%v prev=%v alarm=%v; want %+v changed=%v prev=%v alarm=%v",
						i, res, changed, prev, tr.State(), s.want, s.changed, s.prev, s.alarm)
				}
			}
		})
	}
}

// TestTrackerInconclusiveKeepsStreak: an inconclusive evaluation neither
// counts toward a pending change nor breaks it. The metric c appears in
// the second observation, so rate() has no previous value there.
func TestTrackerInconclusiveKeepsStreak(t *testing.T) {
	tr := NewTracker(mustParse(t, ":set consecutiveCount=2\nif (metric['a'] > 90) { return CRITICAL, 'a'; } if (rate(metric['c']) > 10) { return WARNING, 'c'; } return OK, 'fine';"))
	tr.Restore(OK)
	steps := []struct {
		m       Metrics
		state   State
		changed bool
		alarm   State
	}{
		{Metrics{"a": num(95)}, Critical, false, OK},                   // streak 1
		{Metrics{"a": num(10), "c": num(1)}, OK, false, OK},            // inconclusive: c has no previous value
		{Metrics{"a": num(95), "c": num(2)}, Critical, true, Critical}, // streak 2
	}
	for i, s := range steps {
		res, changed, _ := tr.Observe(Observation{Time: t0.Add(time.Duration(i) * 10 * time.Second), Available: true, Metrics: s.m})
		if res.State != s.state || changed != s.changed || tr.State() != s.alarm {
			t.Errorf("step %d: got %v changed=%v alarm=%v; want %v changed=%v alarm=%v", i, res.State, changed, tr.State(), s.state, s.changed, s.alarm)
		}
	}
}
