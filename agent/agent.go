package agent

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/protocol"
	"github.com/virgo-top/virgo-top/record"
)

// Options configure an Agent. Zero values get defaults.
type Options struct {
	// Interval between samples (default 1 s).
	Interval time.Duration
	// Collector options (roots, filesystems).
	Collector collector.Options
	// Retention of every history series (default history.DefaultRetention);
	// MaxSeries bounds how many series exist (default 512).
	Retention history.Retention
	MaxSeries int
	// KeepSeries, when set, limits history to the series it accepts (the
	// daemon keeps only what checks read; see HeadlessSeries).
	KeepSeries func(name string) bool
	// ProcessesOnDemand lists processes only while an agent.process check
	// is scheduled and otherwise only counts them (the daemon: no one else
	// looks at the list, and the scan was a third of its CPU).
	ProcessesOnDemand bool
	// Check configures the scheduler (plugin dir, clock, concurrency).
	Check check.SchedulerOptions
	// Entity names this host in notifications (default: the hostname).
	Entity string
	// Notify receives alarm state changes; nil drops them.
	Notify Notifier
	// Recorder, when set, gets every sample, check result and alarm
	// transition (the flight recorder; record.Writer). Its methods must
	// not block.
	Recorder Recorder
	// ProcessEvery, with ProcessesOnDemand, lists processes once every
	// this long even when no agent.process check needs them (the
	// recorder's process table); 0: only for the checks. With a Recorder
	// the sampler also lists the cgroups once every ProcessEvery (the
	// recorder's cgroup table), and every sample while SetCgroups is on.
	ProcessEvery time.Duration
	// Post receives every check result with its definition (the caller
	// sends endpoint-scheduled ones upstream); nil keeps them local.
	// alarms holds the check's alarm states after this result.
	Post   func(def check.Def, r check.Result, alarms map[string]protocol.AlarmState)
	Logger *slog.Logger
}

// Agent is the hub: one Sampler loop publishing Snapshots to history,
// checks and subscribers (the TUI), and the check results flowing to
// alarms, notifications and the endpoint.
type Agent struct {
	opts    Options
	log     *slog.Logger
	sampler *collector.Sampler
	// sampleMu serializes samples: the Run loop's and one taken when an
	// agent.process check turns the process list on (ProcessesOnDemand).
	sampleMu sync.Mutex
	procList bool // the sampler lists processes; under checks.applyMu
	hist     *history.Store
	latest   atomic.Pointer[collector.Snapshot]
	sched    *check.Scheduler

	mu   sync.Mutex
	subs []chan *collector.Snapshot
	// sampled is closed (and replaced) at every publish: WaitSample's
	// broadcast.
	sampled chan struct{}

	// Series release (under sampleMu): the last sweep and the store's
	// refused-series count at the last sample.
	lastSweep time.Time
	refused   uint64

	checks checkBook
	// alarmsChanged is signalled when an alarm changes state, for the
	// writer of the saved alarm states.
	alarmsChanged chan struct{}
}

// New builds an Agent; nothing runs until Run.
func New(opts Options) *Agent {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Retention == (history.Retention{}) {
		opts.Retention = history.DefaultRetention()
	}
	if opts.MaxSeries <= 0 {
		opts.MaxSeries = 512
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Check.Logger == nil {
		opts.Check.Logger = opts.Logger
	}
	a := &Agent{
		opts:    opts,
		log:     opts.Logger,
		sampler: collector.NewSampler(opts.Collector),
		hist:    history.NewStore(opts.Retention, opts.MaxSeries),
	}
	a.checks.init()
	a.alarmsChanged = make(chan struct{}, 1)
	a.sched = check.NewScheduler(a, opts.Check, a.onResult)
	a.procList = true
	if opts.ProcessesOnDemand {
		a.sampler.SetProcessList(false)
		a.sampler.SetProcessEvery(opts.ProcessEvery)
		a.procList = false
	}
	if opts.Recorder != nil {
		a.sampler.SetCgroupsEvery(opts.ProcessEvery)
	}
	return a
}

// SetProcessIO turns the per-process I/O rates on or off (the console's
// I/O columns: Process.IOReadBps, IOWriteBps, IOKnown); off by default.
// It applies from the next sample.
func (a *Agent) SetProcessIO(on bool) { a.sampler.SetProcessIO(on) }

// SetThreads turns the thread rows of the process list on or off (the
// console's H); off by default. It applies from the next sample.
func (a *Agent) SetThreads(on bool) { a.sampler.SetThreads(on) }

// SetCgroups turns the cgroup list (Snapshot.Cgroups) on for every sample
// or off (the console's cgroup view); off by default, when samples carry
// it only once every ProcessEvery for the recorder. It applies from the
// next sample.
func (a *Agent) SetCgroups(on bool) { a.sampler.SetCgroups(on) }

// Recorder is what the agent tells the flight recorder (record.Writer):
// every sample, check result and alarm transition, and checks that are
// gone. No method may block or do I/O on the caller's goroutine.
type Recorder interface {
	Sample(*collector.Snapshot)
	Check(record.CheckResult)
	Alarm(record.AlarmTransition)
	Forget(t time.Time, checkID string)
}

// Run samples the host every interval and runs the check scheduler until
// ctx is done. The first sample is taken at once; the scheduler starts
// after the second, so no check ever runs without a sample, and rates
// (agent.cpu) have an interval behind them.
func (a *Agent) Run(ctx context.Context) error {
	schedDone := make(chan error, 1)
	samples := 0
	a.sampleOnce(ctx)
	samples++
	t := time.NewTicker(a.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if samples >= 2 {
				<-schedDone
			}
			return nil
		case <-t.C:
			a.sampleOnce(ctx)
			if samples++; samples == 2 {
				go func() { schedDone <- a.sched.Run(ctx) }()
			}
		}
	}
}

// SampleNow takes one sample at once and publishes it. Run does this on its
// ticker; tests and one-shot commands call it directly.
func (a *Agent) SampleNow(ctx context.Context) *collector.Snapshot { return a.sampleOnce(ctx) }

func (a *Agent) sampleOnce(ctx context.Context) *collector.Snapshot {
	a.sampleMu.Lock()
	defer a.sampleMu.Unlock()
	snap := a.sampler.Sample(ctx)
	a.publish(snap)
	return snap
}

func (a *Agent) publish(snap *collector.Snapshot) {
	EachSeries(snap, func(name string, v float64) {
		if a.opts.KeepSeries == nil || a.opts.KeepSeries(name) {
			a.hist.Append(name, snap.Time, v)
		}
	})
	a.releaseSeries(snap.Time)
	if a.opts.Recorder != nil {
		a.opts.Recorder.Sample(snap)
	}
	a.latest.Store(snap)
	a.mu.Lock()
	if a.sampled != nil {
		close(a.sampled)
		a.sampled = nil
	}
	for _, ch := range a.subs {
		// Latest wins: a slow reader skips samples instead of blocking the loop.
		select {
		case ch <- snap:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- snap:
			default:
			}
		}
	}
	a.mu.Unlock()
}

// SeriesStaleAfter is how long a series may go without a sample before the
// agent releases it (a vanished interface, disk or filesystem): at least
// this long, and at least ten sample intervals.
const SeriesStaleAfter = 5 * time.Minute

// releaseSeries keeps the history bounded by what exists: once a minute it
// releases series that had no sample for SeriesStaleAfter, and when the
// store refused a new series (MaxSeries reached, say by container
// interfaces coming and going) it releases at once those absent from the
// last three samples, so the newcomer gets its series at the next sample
// instead of a blank graph for good. Called under sampleMu.
func (a *Agent) releaseSeries(now time.Time) {
	stale := max(SeriesStaleAfter, 10*a.opts.Interval)
	if refused := a.hist.DroppedNewSeries(); refused != a.refused {
		a.refused = refused
		if n := a.hist.ReleaseStale(now.Add(-3 * a.opts.Interval)); n > 0 {
			a.log.Info("history full: released the series of vanished devices", "released", n)
		}
		a.lastSweep = now
		return
	}
	if now.Sub(a.lastSweep) < time.Minute {
		return
	}
	a.lastSweep = now
	if n := a.hist.ReleaseStale(now.Add(-stale)); n > 0 {
		a.log.Debug("released the series of vanished devices", "released", n)
	}
}

// signalAlarms wakes the writer of the saved alarm states.
func (a *Agent) signalAlarms() {
	select {
	case a.alarmsChanged <- struct{}{}:
	default:
	}
}

// Subscribe returns a channel that receives every new Snapshot. A reader
// that falls behind gets the newest one, never a backlog.
func (a *Agent) Subscribe() <-chan *collector.Snapshot {
	ch := make(chan *collector.Snapshot, 1)
	a.mu.Lock()
	a.subs = append(a.subs, ch)
	a.mu.Unlock()
	return ch
}

// WaitSample implements check.SampleWaiter: it returns once a Snapshot
// taken after `after` is published, after one and a half sampling
// intervals (a stalled sampler must not stall checks: they then read the
// latest sample), or when ctx ends.
func (a *Agent) WaitSample(ctx context.Context, after time.Time) {
	t := time.NewTimer(a.opts.Interval + a.opts.Interval/2)
	defer t.Stop()
	for {
		a.mu.Lock()
		if snap := a.latest.Load(); snap != nil && snap.Time.After(after) {
			a.mu.Unlock()
			return
		}
		if a.sampled == nil {
			a.sampled = make(chan struct{})
		}
		ch := a.sampled
		a.mu.Unlock()
		select {
		case <-ch:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Latest is the newest Snapshot, nil before the first sample.
func (a *Agent) Latest() *collector.Snapshot { return a.latest.Load() }

// History is the agent's series store (read it, don't append).
func (a *Agent) History() *history.Store { return a.hist }

// Scheduler exposes check statuses.
func (a *Agent) Scheduler() *check.Scheduler { return a.sched }

// CPUWindow implements check.Env from the cpu history series.
// A sample taken at T describes the interval before T, so it counts when
// the middle of its interval, T - Interval/2, is after since: a window of
// one interval holds one sample, whatever the jitter of the ticker.
func (a *Agent) CPUWindow(since time.Time) (check.CPUStats, bool) {
	since = since.Add(a.opts.Interval / 2)
	res := history.Raw
	if time.Since(since) > time.Duration(a.opts.Retention.Raw)*a.opts.Interval {
		// The raw ring no longer reaches back to since: use minutes.
		res = history.Minute
	}
	usage, ok := a.hist.Summary(SeriesCPUUsage, res, since)
	if !ok {
		return check.CPUStats{}, false
	}
	avg := func(name string) float64 {
		p, _ := a.hist.Summary(name, res, since)
		return p.Avg
	}
	return check.CPUStats{
		Samples:  int(usage.Count),
		Usage:    usage.Avg,
		User:     avg(SeriesCPUUser),
		System:   avg(SeriesCPUSystem),
		Idle:     avg(SeriesCPUIdle),
		IOWait:   avg(SeriesCPUIOWait),
		IRQ:      avg(SeriesCPUIRQ),
		Steal:    avg(SeriesCPUSteal),
		MinUsage: usage.Min,
		MaxUsage: usage.Max,
	}, true
}

var _ check.SampleWaiter = (*Agent)(nil)
