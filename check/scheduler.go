package check

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"time"
)

// Status is one check's scheduling state, for the TUI and the endpoint.
type Status struct {
	Def          Def
	LastRun      time.Time // start of the last finished run (zero before)
	LastDuration time.Duration
	LastResult   *Result   // nil before the first run finishes
	NextRun      time.Time // zero when disabled or not scheduled
	Running      bool
	Runs         uint64 // finished runs
	Timeouts     uint64 // runs that hit their timeout
	Skipped      uint64 // due runs skipped because the previous was still running
}

// Scheduler runs checks on their periods. The first run of a check comes at
// a random point within its first period, so checks added together spread
// out; later runs come on a grid of one period from the first, each
// delayed by a random jitter of at most a tenth of the period, so the
// series stay regular (runs are 0.9 to 1.1 periods apart) and never drift.
// (Virgo adds 1 to 15 s to each period, which drifts.) Derived checks
// (Derived) get no jitter: each runs right after the sample that follows
// its due time (SampleWaiter), and a run that finds no newer sample than
// its last one (a late sampler) is skipped and counted, never posted twice.
//
// Each run goes in its own goroutine, at most MaxConcurrent at once, under
// the check's timeout; a run that exceeds it gives "Timeout in Run Check".
// A check never runs twice at once: a run due while the previous one still
// runs is skipped and counted.
type Scheduler struct {
	env  Env
	opts SchedulerOptions
	sink func(Result)
	sem  chan struct{}

	mu      sync.Mutex
	checks  map[string]*entry
	ctx     context.Context // set by Run; nil before and after
	wg      sync.WaitGroup
	started bool
	// resume holds next-run times saved by a previous process (Resume);
	// each is used once, for the first run of its check.
	resume map[string]time.Time
}

// entry is one scheduled check. Fields are guarded by Scheduler.mu.
type entry struct {
	def     Def
	gen     uint64 // bumped on every change; stale timers compare it
	timer   Timer
	base    time.Time // time of run 0 on the grid (before jitter)
	k       int64     // index of the next run on the grid
	nextRun time.Time
	running bool
	cancel  context.CancelFunc // of the run in progress
	// removed marks a check dropped by Update while a run was still going:
	// the entry stays until the run ends so a re-added check with the same
	// ID cannot overlap it.
	removed bool
	st      Status
}

// NewScheduler returns a scheduler that reads env and hands every result to
// sink. sink is called from run goroutines, one call per finished run,
// possibly concurrently for different checks; it must not block for long.
func NewScheduler(env Env, opts SchedulerOptions, sink func(Result)) *Scheduler {
	opts = opts.withDefaults()
	return &Scheduler{
		env:    env,
		opts:   opts,
		sink:   sink,
		sem:    make(chan struct{}, opts.MaxConcurrent),
		checks: map[string]*entry{},
	}
}

// Update installs defs as the full set of checks. New checks are scheduled,
// checks missing from defs are removed (a run in progress is cancelled and
// its result dropped), and changed checks are rescheduled as if new but
// keep their counters and last result. Checks whose Def is unchanged keep
// their timing. Defs with an empty ID are ignored; for a duplicate ID the
// last one wins.
func (s *Scheduler) Update(defs []Def) {
	s.mu.Lock()
	defer s.mu.Unlock()
	want := make(map[string]Def, len(defs))
	for _, d := range defs {
		if d.ID != "" {
			want[d.ID] = d
		}
	}
	for id, e := range s.checks {
		if _, ok := want[id]; ok || e.removed {
			continue
		}
		s.stopLocked(e)
		if e.running {
			e.cancel()
			e.removed = true
		} else {
			delete(s.checks, id)
		}
	}
	for id, d := range want {
		e, ok := s.checks[id]
		if ok && !e.removed && reflect.DeepEqual(e.def, d) {
			continue
		}
		if !ok {
			e = &entry{}
			s.checks[id] = e
		}
		if e.removed {
			e.removed = false
			e.st = Status{}
		}
		s.stopLocked(e)
		e.def = d
		e.st.Def = d
		if s.ctx != nil {
			s.armFirstLocked(e)
		}
	}
}

// stopLocked stops e's timer and invalidates timers already firing.
func (s *Scheduler) stopLocked(e *entry) {
	e.gen++
	if e.timer != nil {
		e.timer.Stop()
		e.timer = nil
	}
	e.nextRun = time.Time{}
}

// Resume gives next-run times saved before a restart (check id -> time),
// so checks keep their rhythm across restarts: a check whose saved time is
// still ahead (within one period) first runs then, and an overdue one runs
// at once, instead of at a random point in its period. Call it before Run
// or Update; a time is used once.
func (s *Scheduler) Resume(next map[string]time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resume = make(map[string]time.Time, len(next))
	for id, t := range next {
		s.resume[id] = t
	}
}

// armFirstLocked schedules e's first run at a random point in one period,
// or at its resumed time.
func (s *Scheduler) armFirstLocked(e *entry) {
	if e.def.Disabled || e.def.Period <= 0 {
		return
	}
	now := s.opts.Clock.Now()
	if at, ok := s.resume[e.def.ID]; ok {
		delete(s.resume, e.def.ID)
		switch {
		case !at.After(now):
			at = now // overdue: run now
		case at.Sub(now) > e.def.Period:
			at = now.Add(time.Duration(s.opts.Rand.Int64N(int64(e.def.Period)))) // saved for another period
		}
		e.base, e.k = at, 0
		s.armLocked(e, now, at)
		return
	}
	e.base = now.Add(time.Duration(s.opts.Rand.Int64N(int64(e.def.Period))))
	e.k = 0
	s.armLocked(e, now, e.base)
}

// armNextLocked schedules e's next run on its grid, skipping grid points
// already in the past (after a stall) so runs are not bunched up.
func (s *Scheduler) armNextLocked(e *entry) {
	now := s.opts.Clock.Now()
	p := e.def.Period
	e.k++
	if at := e.base.Add(time.Duration(e.k) * p); at.Before(now) {
		e.k += int64(now.Sub(at)/p) + 1
	}
	// A derived check runs on the sampler's grid (right after the sample
	// that follows its due time, see run): jitter would only make two
	// runs meet on one sample, or skip one, when period equals the
	// sampling interval.
	var jitter time.Duration
	if !Derived(e.def.Type) {
		jitter = time.Duration(s.opts.Rand.Int64N(int64(p/10) + 1))
	}
	s.armLocked(e, now, e.base.Add(time.Duration(e.k)*p+jitter))
}

func (s *Scheduler) armLocked(e *entry, now, at time.Time) {
	e.nextRun = at
	gen := e.gen
	id := e.def.ID
	e.timer = s.opts.Clock.AfterFunc(max(at.Sub(now), 0), func() { s.fire(id, gen) })
}

// fire is a timer callback: start a run of check id unless it changed.
func (s *Scheduler) fire(id string, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.checks[id]
	if !ok || e.gen != gen || e.removed || s.ctx == nil {
		return
	}
	s.armNextLocked(e)
	if e.running {
		e.st.Skipped++
		s.opts.Logger.Warn("check still running, skipping this run", "check", id)
		return
	}
	e.running = true
	ctx, cancel := context.WithCancel(s.ctx)
	e.cancel = cancel
	s.wg.Add(1)
	go s.run(ctx, cancel, e, e.def, s.opts.Clock.Now())
}

// run executes one run of def, due at due, and records it. A derived
// check first waits for the sample after due (when the Env can), so it
// reads fresh data rather than a sample up to one interval old.
func (s *Scheduler) run(ctx context.Context, cancel context.CancelFunc, e *entry, def Def, due time.Time) {
	defer s.wg.Done()
	defer cancel()
	if w, ok := s.env.(SampleWaiter); ok && Derived(def.Type) {
		w.WaitSample(ctx, due)
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		s.finish(e, nil)
		return
	}
	r := execute(ctx, s.env, def, s.opts)
	<-s.sem
	if ctx.Err() != nil {
		// Removed, changed away or shutting down: the result is not wanted.
		s.finish(e, nil)
		return
	}
	if s.finish(e, &r) {
		s.sink(r)
	}
}

// finish records r (nil = dropped) on e and reports whether e is still
// scheduled, i.e. whether r should be delivered.
func (s *Scheduler) finish(e *entry, r *Result) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.running = false
	e.cancel = nil
	if e.removed {
		if s.checks[e.def.ID] == e {
			delete(s.checks, e.def.ID)
		}
		return false
	}
	if r == nil {
		return false
	}
	if Derived(r.CheckType) && e.st.LastResult != nil && r.Time.Equal(e.st.LastRun) && r.Available == e.st.LastResult.Available {
		// The sampler was late: this run read the sample the last one
		// did. The same result again would be a duplicate upstream.
		e.st.Skipped++
		s.opts.Logger.Warn("check skipped: no new sample since its last run (the sampler is late)", "check", e.def.ID, "sample", r.Time)
		return false
	}
	e.st.Runs++
	if r.Status == MsgTimeout && !r.Available || r.CheckType == TypePlugin && isPluginTimeout(r.Status) {
		e.st.Timeouts++
	}
	e.st.LastRun = r.Time
	e.st.LastDuration = r.Duration
	e.st.LastResult = r
	cur, ok := s.checks[e.def.ID]
	return ok && cur == e
}

func isPluginTimeout(status string) bool {
	const prefix = "Plugin didn't finish in "
	return len(status) > len(prefix) && status[:len(prefix)] == prefix
}

// ErrRunning is returned by Run when the scheduler is already running.
var ErrRunning = errors.New("scheduler already running")

// Run schedules the checks installed by Update (before or during Run) until
// ctx is done, then cancels runs in progress, waits for them and returns
// nil. A Scheduler runs once.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return ErrRunning
	}
	s.started = true
	running, cancel := context.WithCancel(ctx)
	defer cancel()
	s.ctx = running
	for _, e := range s.checks {
		if !e.removed {
			s.armFirstLocked(e)
		}
	}
	s.mu.Unlock()

	<-ctx.Done()

	s.mu.Lock()
	s.ctx = nil
	for _, e := range s.checks {
		s.stopLocked(e)
	}
	s.mu.Unlock()
	cancel()
	s.wg.Wait()
	return nil
}

// Status returns every check's state, sorted by ID.
func (s *Scheduler) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.checks))
	for _, e := range s.checks {
		if e.removed {
			continue
		}
		st := e.st
		st.Def = e.def
		st.NextRun = e.nextRun
		st.Running = e.running
		if st.LastResult != nil {
			r := *st.LastResult
			r.Metrics = append([]Metric(nil), r.Metrics...)
			st.LastResult = &r
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Def.ID < out[j].Def.ID })
	return out
}
