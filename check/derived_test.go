package check

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// TestDerivedResultCarriesSampleTime: a derived check reads a sample taken
// before it runs; its result is stamped with the sample's time, and the
// cpu window ends there, so a result never describes data one interval
// older than its timestamp (a 5 s post said 7.5 % while the 5 s before its
// timestamp averaged 71.9 %).
func TestDerivedResultCarriesSampleTime(t *testing.T) {
	sampled := t0.Add(-4 * time.Second) // the clock says t0
	snap := testSnapshot()
	snap.Time = sampled
	for _, typ := range []string{TypeCPU, TypeMemory, TypeLoad} {
		env := &fakeEnv{snap: snap, cpuOK: true, cpu: CPUStats{Samples: 1, Usage: 71.9}}
		r := runAt(t, env, Def{ID: "c", Type: typ, Period: 5 * time.Second})
		if !r.Time.Equal(sampled) {
			t.Errorf("%s: result time %v, want the sample's %v", typ, r.Time, sampled)
		}
		if typ == TypeCPU && !env.since.Equal(sampled.Add(-5*time.Second)) {
			t.Errorf("cpu window since %v, want one period before the sample, %v", env.since, sampled.Add(-5*time.Second))
		}
	}
	// A check with I/O of its own keeps the time it ran.
	r := runAt(t, &fakeEnv{snap: snap}, Def{ID: "p", Type: TypePlugin})
	if !r.Time.Equal(t0) {
		t.Errorf("plugin result time %v, want the run's %v", r.Time, t0)
	}
}

// waitEnv is a SampleWaiter: it records the waits and publishes a newer
// sample when released.
type waitEnv struct {
	fakeEnv
	mu      sync.Mutex
	waits   []time.Time
	release chan *collector.Snapshot
}

func (e *waitEnv) Latest() *collector.Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.snap
}

func (e *waitEnv) WaitSample(ctx context.Context, after time.Time) {
	e.mu.Lock()
	e.waits = append(e.waits, after)
	e.mu.Unlock()
	select {
	case s := <-e.release:
		e.mu.Lock()
		e.snap = s
		e.mu.Unlock()
	case <-ctx.Done():
	}
}

// TestSchedulerRunsDerivedAfterNextSample: a due derived check waits for
// the next sample and reads it; a check with its own I/O does not wait.
func TestSchedulerRunsDerivedAfterNextSample(t *testing.T) {
	clock := &fakeClock{now: t0}
	old := testSnapshot()
	old.Time = t0.Add(-4 * time.Second)
	env := &waitEnv{fakeEnv: fakeEnv{snap: old}, release: make(chan *collector.Snapshot)}
	results := make(chan Result, 4)
	s := NewScheduler(env, SchedulerOptions{Clock: clock, Rand: rand.New(rand.NewPCG(1, 2)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(r Result) { results <- r })
	s.Update([]Def{{ID: "mem", Type: TypeMemory, Period: 5 * time.Second, Timeout: time.Second}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for {
		if st := s.Status(); len(st) == 1 && !st[0].NextRun.IsZero() {
			break
		}
		time.Sleep(time.Millisecond)
	}
	clock.Advance(5 * time.Second)
	fresh := testSnapshot()
	fresh.Time = clock.Now().Add(300 * time.Millisecond)
	env.release <- fresh
	r := <-results
	if !r.Time.Equal(fresh.Time) {
		t.Errorf("result time %v, want the sample taken after it was due, %v", r.Time, fresh.Time)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	if len(env.waits) != 1 {
		t.Errorf("waits %v, want one", env.waits)
	}
}

// TestDerivedRunsOnAGrid: a derived check's runs come exactly one period
// apart (no jitter to make two runs meet on one sample), and a run that
// reads the same sample as the last one (the sampler is late) is skipped,
// not delivered twice.
func TestDerivedRunsOnAGrid(t *testing.T) {
	clock := &fakeClock{now: t0}
	snap := testSnapshot()
	env := &fakeEnv{snap: snap}
	results := make(chan Result, 16)
	s := NewScheduler(env, SchedulerOptions{Clock: clock, Rand: rand.New(rand.NewPCG(7, 8)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, func(r Result) { results <- r })
	s.Update([]Def{{ID: "mem", Type: TypeMemory, Period: time.Second, Timeout: time.Second}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	var first time.Time
	for {
		if st := s.Status(); len(st) == 1 && !st[0].NextRun.IsZero() {
			first = st[0].NextRun
			break
		}
		time.Sleep(time.Millisecond)
	}
	var nexts []time.Time
	for i := 0; i < 5; i++ {
		// A new sample before each run.
		fresh := *snap
		fresh.Time = clock.Now()
		env.snap = &fresh
		clock.AdvanceTo(s.Status()[0].NextRun)
		<-results
		for {
			st := s.Status()[0]
			if !st.Running {
				nexts = append(nexts, st.NextRun)
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i, n := range nexts {
		if want := first.Add(time.Duration(i+1) * time.Second); !n.Equal(want) {
			t.Errorf("run %d next at %v, want %v (no jitter)", i, n, want)
		}
	}
	// The sampler stalls: the next run reads the same sample.
	clock.AdvanceTo(s.Status()[0].NextRun)
	for s.Status()[0].Running {
		time.Sleep(time.Millisecond)
	}
	select {
	case r := <-results:
		t.Fatalf("a second result for sample %v was delivered", r.Time)
	default:
	}
	if st := s.Status()[0]; st.Skipped != 1 || st.Runs != 5 {
		t.Errorf("runs %d skipped %d, want 5 and 1", st.Runs, st.Skipped)
	}
}

// TestDerivedTypes: every type that reads the latest sample is derived
// (runs right after it, stamped with its time); network checks and
// plugins are not.
func TestDerivedTypes(t *testing.T) {
	for _, typ := range []string{TypeCPU, TypeMemory, TypeLoad, TypeFilesystem, TypeFilesystemState, TypeDisk, TypeNetwork, TypeProcess} {
		if !Derived(typ) {
			t.Errorf("%s is not derived", typ)
		}
	}
	for _, typ := range []string{"remote.http", "agent.plugin", "agent.redis", "agent.apache", "agent.mysql"} {
		if Derived(typ) {
			t.Errorf("%s is derived", typ)
		}
	}
}
