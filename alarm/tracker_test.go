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
