package check

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock that moves only when told; timers fire synchronously
// inside Advance, in time order.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	c    *fakeClock
	at   time.Time
	f    func()
	done bool
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock forward by d, firing due timers in order.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		var next *fakeTimer
		live := c.timers[:0]
		for _, t := range c.timers {
			if t.done {
				continue
			}
			live = append(live, t)
			if !t.at.After(target) && (next == nil || t.at.Before(next.at)) {
				next = t
			}
		}
		c.timers = live
		if next == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		if next.at.After(c.now) {
			c.now = next.at
		}
		next.done = true
		c.mu.Unlock()
		next.f()
	}
}

// AdvanceTo moves the clock to t (no-op if t is not later).
func (c *fakeClock) AdvanceTo(t time.Time) {
	if d := t.Sub(c.Now()); d > 0 {
		c.Advance(d)
	}
}

const (
	typeTestCount = "test.count"
	typeTestBlock = "test.block"
)

func init() {
	// test.count: returns at once with metric n = 1.
	runners[typeTestCount] = func(_ context.Context, rc runCtx) Result {
		r := NewResult(rc.def, rc.start)
		r.AddInt("n", TypeInt64, 1, "")
		return r
	}
	// test.block: reports its start on details.started, then waits for
	// details.release; with details.honor it also returns when ctx ends.
	runners[typeTestBlock] = func(ctx context.Context, rc runCtx) Result {
		if ch, ok := rc.def.Details["started"].(chan string); ok {
			ch <- rc.def.ID
		}
		release, _ := rc.def.Details["release"].(chan struct{})
		if honor, _ := rc.def.Details["honor"].(bool); honor {
			select {
			case <-release:
			case <-ctx.Done():
			}
		} else {
			<-release
		}
		return NewResult(rc.def, rc.start)
	}
}

type schedHarness struct {
	clock   *fakeClock
	s       *Scheduler
	results chan Result
	cancel  context.CancelFunc
	done    chan error
}

func newHarness(t *testing.T, maxConc int, defs ...Def) *schedHarness {
	t.Helper()
	h := &schedHarness{clock: &fakeClock{now: t0}, results: make(chan Result, 100), done: make(chan error, 1)}
	h.s = NewScheduler(&fakeEnv{snap: testSnapshot()}, SchedulerOptions{
		Clock: h.clock, Rand: rand.New(rand.NewPCG(1, 2)), MaxConcurrent: maxConc,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, func(r Result) { h.results <- r })
	h.s.Update(defs)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	started := make(chan struct{})
	go func() {
		close(started)
		h.done <- h.s.Run(ctx)
	}()
	<-started
	// Run arms timers under the scheduler lock; wait until it has.
	for !h.armed(defs) {
		time.Sleep(time.Millisecond)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-h.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

func (h *schedHarness) armed(defs []Def) bool {
	for _, st := range h.s.Status() {
		if !st.Def.Disabled && st.NextRun.IsZero() {
			return false
		}
	}
	return len(defs) == 0 || len(h.s.Status()) > 0
}

func (h *schedHarness) status(t *testing.T, id string) Status {
	t.Helper()
	for _, st := range h.s.Status() {
		if st.Def.ID == id {
			return st
		}
	}
	t.Fatalf("no status for %s", id)
	return Status{}
}

func (h *schedHarness) result(t *testing.T) Result {
	t.Helper()
	select {
	case r := <-h.results:
		return r
	case <-time.After(10 * time.Second): // a hang guard, not a timing assertion
		t.Fatal("no result")
	}
	return Result{}
}

func (h *schedHarness) noResult(t *testing.T) {
	t.Helper()
	select {
	case r := <-h.results:
		t.Fatalf("unexpected result %+v", r)
	default:
	}
}

func countDef(id string, period time.Duration) Def {
	return Def{ID: id, Type: typeTestCount, Period: period}
}

func TestSchedulerFirstRunSpread(t *testing.T) {
	const n = 500
	period := 60 * time.Second
	defs := make([]Def, n)
	for i := range defs {
		defs[i] = countDef("c"+string(rune('A'+i%26))+time.Duration(i).String(), period)
	}
	h := newHarness(t, 4, defs...)
	var buckets [10]int
	for _, st := range h.s.Status() {
		off := st.NextRun.Sub(t0)
		if off < 0 || off >= period {
			t.Fatalf("%s first run at +%v, outside [0, %v)", st.Def.ID, off, period)
		}
		buckets[off*10/period]++
	}
	// Uniform: each tenth of the period holds 50 +- a generous margin.
	for i, b := range buckets {
		if b < 25 || b > 75 {
			t.Errorf("tenth %d of the period holds %d of %d first runs: %v", i, b, n, buckets)
		}
	}
}

func TestSchedulerJitterAndRegularity(t *testing.T) {
	period := 10 * time.Second
	h := newHarness(t, 4, countDef("a", period))
	base := h.status(t, "a").NextRun
	var prev time.Time
	var maxJitter time.Duration
	for k := 0; k < 200; k++ {
		next := h.status(t, "a").NextRun
		h.clock.AdvanceTo(next)
		r := h.result(t)
		if !r.Time.Equal(next) {
			t.Fatalf("run %d at %v, scheduled %v", k, r.Time, next)
		}
		jitter := r.Time.Sub(base.Add(time.Duration(k) * period))
		if jitter < 0 || jitter > period/10 {
			t.Fatalf("run %d jitter %v outside [0, %v]", k, jitter, period/10)
		}
		maxJitter = max(maxJitter, jitter)
		if k > 0 {
			if gap := r.Time.Sub(prev); gap < period*9/10 || gap > period*11/10 {
				t.Fatalf("run %d came %v after the previous", k, gap)
			}
		}
		prev = r.Time
		if v, ok := r.Float("n"); !ok || v != 1 || r.CheckID != "a" || r.CheckType != typeTestCount {
			t.Fatalf("result %+v", r)
		}
	}
	// 200 uniform draws in [0, 1 s]: the largest is well past half.
	if maxJitter < period/20 {
		t.Errorf("largest jitter %v: runs are not jittered", maxJitter)
	}
	if st := h.status(t, "a"); st.Runs != 200 || st.Skipped != 0 || st.Timeouts != 0 || st.LastResult == nil {
		t.Errorf("status %+v", st)
	}
}

func TestSchedulerNoOverlapAndTimeout(t *testing.T) {
	period := 10 * time.Second
	started := make(chan string, 10)
	release := make(chan struct{})
	def := Def{ID: "b", Type: typeTestBlock, Period: period, Details: map[string]any{"started": started, "release": release}}
	h := newHarness(t, 4, def)
	h.clock.AdvanceTo(h.status(t, "b").NextRun)
	<-started
	// The run ignores its context: its timeout passes, then two more
	// runs come due while it still runs; both are skipped.
	h.clock.AdvanceTo(h.status(t, "b").NextRun)
	h.clock.AdvanceTo(h.status(t, "b").NextRun)
	st := h.status(t, "b")
	if !st.Running || st.Skipped != 2 || st.Runs != 0 {
		t.Fatalf("status while stuck: running=%v skipped=%d runs=%d", st.Running, st.Skipped, st.Runs)
	}
	select {
	case id := <-started:
		t.Fatalf("second run of %s started while the first ran", id)
	default:
	}
	close(release)
	r := h.result(t)
	assertResult(t, r, false, MsgTimeout, nil)
	st = h.status(t, "b")
	if st.Running || st.Runs != 1 || st.Timeouts != 1 || st.LastResult == nil || st.LastResult.Status != MsgTimeout {
		t.Fatalf("status after: %+v", st)
	}
	// The next run proceeds normally.
	h.clock.AdvanceTo(st.NextRun)
	<-started
	r = h.result(t)
	assertResult(t, r, true, "success", nil)
}

func TestSchedulerTimeoutHonoured(t *testing.T) {
	started := make(chan string, 10)
	def := Def{ID: "t", Type: typeTestBlock, Period: 30 * time.Second, Timeout: 5 * time.Second,
		Details: map[string]any{"started": started, "release": make(chan struct{}), "honor": true}}
	h := newHarness(t, 4, def)
	first := h.status(t, "t").NextRun
	h.clock.AdvanceTo(first)
	<-started
	h.clock.Advance(5 * time.Second)
	r := h.result(t)
	assertResult(t, r, false, MsgTimeout, nil)
	if r.Duration != 5*time.Second || !r.Time.Equal(first) {
		t.Errorf("duration %v time %v", r.Duration, r.Time)
	}
	if st := h.status(t, "t"); st.Timeouts != 1 || st.LastDuration != 5*time.Second {
		t.Errorf("status %+v", st)
	}
}

func TestSchedulerUpdate(t *testing.T) {
	h := newHarness(t, 4, countDef("a", 30*time.Second), countDef("b", 30*time.Second),
		Def{ID: "off", Type: typeTestCount, Period: time.Second, Disabled: true})
	bNext := h.status(t, "b").NextRun
	if st := h.status(t, "off"); !st.NextRun.IsZero() {
		t.Errorf("disabled check scheduled at %v", st.NextRun)
	}

	// Change a, keep b, add c, drop off.
	aChanged := countDef("a", 300*time.Second)
	h.s.Update([]Def{aChanged, countDef("b", 30*time.Second), countDef("c", 10*time.Second), {Type: typeTestCount}})
	sts := h.s.Status()
	if len(sts) != 3 || sts[0].Def.ID != "a" || sts[1].Def.ID != "b" || sts[2].Def.ID != "c" {
		t.Fatalf("checks after update: %+v", sts)
	}
	if !sts[1].NextRun.Equal(bNext) {
		t.Errorf("unchanged b rescheduled: %v -> %v", bNext, sts[1].NextRun)
	}
	if sts[0].Def.Period != 300*time.Second || sts[0].NextRun.Before(t0) || !sts[0].NextRun.Before(t0.Add(300*time.Second)) {
		t.Errorf("changed a: %+v", sts[0])
	}
	if sts[2].NextRun.Before(t0) || !sts[2].NextRun.Before(t0.Add(10*time.Second)) {
		t.Errorf("new c first run at %v", sts[2].NextRun)
	}

	// Step through 30 s one due run at a time: b runs once, c three times.
	counts := map[string]int{}
	end := t0.Add(30 * time.Second)
	for {
		next := time.Time{}
		for _, st := range h.s.Status() {
			if !st.NextRun.IsZero() && (next.IsZero() || st.NextRun.Before(next)) {
				next = st.NextRun
			}
		}
		if next.After(end) {
			break
		}
		h.clock.AdvanceTo(next)
		counts[h.result(t).CheckID]++
	}
	if counts["b"] != 1 || counts["c"] != 3 || counts["a"] > 1 || len(counts) > 3 {
		t.Errorf("runs in 30 s: %v", counts)
	}

	// Remove everything: no more runs.
	h.s.Update(nil)
	h.clock.Advance(10 * time.Minute)
	if sts := h.s.Status(); len(sts) != 0 {
		t.Errorf("status after removing all: %+v", sts)
	}
	h.noResult(t)
}

func TestSchedulerRemoveWhileRunning(t *testing.T) {
	started := make(chan string, 1)
	def := Def{ID: "r", Type: typeTestBlock, Period: 30 * time.Second,
		Details: map[string]any{"started": started, "release": make(chan struct{}), "honor": true}}
	h := newHarness(t, 4, def)
	h.clock.AdvanceTo(h.status(t, "r").NextRun)
	<-started
	h.s.Update(nil)
	// The cancelled run's result is dropped; Run's shutdown waits for it.
	h.cancel()
	if err := <-h.done; err != nil {
		t.Fatal(err)
	}
	h.done <- nil // for the cleanup
	h.noResult(t)
}

func TestSchedulerMaxConcurrent(t *testing.T) {
	started := make(chan string, 2)
	rel1, rel2 := make(chan struct{}), make(chan struct{})
	d1 := Def{ID: "x1", Type: typeTestBlock, Period: time.Hour, Details: map[string]any{"started": started, "release": rel1}}
	d2 := Def{ID: "x2", Type: typeTestBlock, Period: time.Hour, Details: map[string]any{"started": started, "release": rel2}}
	h := newHarness(t, 1, d1, d2)
	n1, n2 := h.status(t, "x1").NextRun, h.status(t, "x2").NextRun
	h.clock.AdvanceTo(maxTime(n1, n2))
	first := <-started
	select {
	case id := <-started:
		t.Fatalf("%s started while %s held the only slot", id, first)
	default:
	}
	if first == "x1" {
		close(rel1)
	} else {
		close(rel2)
	}
	if r := h.result(t); r.CheckID != first {
		t.Fatalf("result of %s, want %s", r.CheckID, first)
	}
	second := <-started
	if second == first {
		t.Fatalf("%s started twice", first)
	}
	if second == "x1" {
		close(rel1)
	} else {
		close(rel2)
	}
	if r := h.result(t); r.CheckID != second {
		t.Fatalf("result of %s, want %s", r.CheckID, second)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func TestSchedulerRunTwice(t *testing.T) {
	h := newHarness(t, 1)
	if err := h.s.Run(context.Background()); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v", err)
	}
}

func TestEffectiveTimeout(t *testing.T) {
	cases := []struct {
		def  Def
		want time.Duration
	}{
		{Def{Period: 30 * time.Second}, 30 * time.Second},
		{Def{Period: 30 * time.Second, Timeout: 10 * time.Second}, 10 * time.Second},
		{Def{Period: 30 * time.Second, Timeout: time.Minute}, 30 * time.Second},
		{Def{Period: time.Hour}, MaxTimeout},
		{Def{}, MaxTimeout},
	}
	for _, tc := range cases {
		if got := EffectiveTimeout(tc.def); got != tc.want {
			t.Errorf("EffectiveTimeout(%v/%v) = %v, want %v", tc.def.Period, tc.def.Timeout, got, tc.want)
		}
	}
}

func TestSchedulerReaddWhileRunning(t *testing.T) {
	started := make(chan string, 10)
	release := make(chan struct{})
	def := Def{ID: "r", Type: typeTestBlock, Period: time.Hour, Details: map[string]any{"started": started, "release": release}}
	h := newHarness(t, 4, def)
	h.clock.AdvanceTo(h.status(t, "r").NextRun)
	<-started
	h.s.Update(nil) // the run ignores its cancelled context and keeps going
	if sts := h.s.Status(); len(sts) != 0 {
		t.Fatalf("removed check still listed: %+v", sts)
	}
	h.s.Update([]Def{def})
	st := h.status(t, "r")
	if !st.Running || st.Runs != 0 {
		t.Fatalf("re-added check: %+v", st)
	}
	h.clock.AdvanceTo(st.NextRun)
	if st := h.status(t, "r"); st.Skipped != 1 {
		t.Fatalf("re-added check overlapped the old run: %+v", st)
	}
	select {
	case <-started:
		t.Fatal("second run started while the removed run still ran")
	default:
	}
	close(release)
	for h.status(t, "r").Running {
		time.Sleep(time.Millisecond)
	}
	h.noResult(t) // the removed run's result is dropped
	h.clock.AdvanceTo(h.status(t, "r").NextRun)
	<-started
	assertResult(t, h.result(t), true, "success", nil)
}

func TestSchedulerResume(t *testing.T) {
	clock := &fakeClock{now: t0}
	s := NewScheduler(&fakeEnv{snap: testSnapshot()}, SchedulerOptions{
		Clock: clock, Rand: rand.New(rand.NewPCG(3, 4)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, func(Result) {})
	period := 10 * time.Second
	s.Resume(map[string]time.Time{
		"overdue": t0.Add(-25 * time.Second),
		"ahead":   t0.Add(3 * time.Second),
		"far":     t0.Add(time.Hour),
	})
	s.Update([]Def{countDef("overdue", period), countDef("ahead", period), countDef("far", period), countDef("new", period)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	next := map[string]time.Time{}
	for len(next) < 4 {
		for _, st := range s.Status() {
			if !st.NextRun.IsZero() {
				next[st.Def.ID] = st.NextRun
			}
		}
		time.Sleep(time.Millisecond)
	}
	if !next["overdue"].Equal(t0) {
		t.Errorf("overdue check next run %v, want now (%v)", next["overdue"], t0)
	}
	if !next["ahead"].Equal(t0.Add(3 * time.Second)) {
		t.Errorf("ahead check next run %v, want the saved time", next["ahead"])
	}
	for _, id := range []string{"far", "new"} {
		if off := next[id].Sub(t0); off < 0 || off >= period {
			t.Errorf("%s next run at +%v, want a random point in one period", id, off)
		}
	}
}
