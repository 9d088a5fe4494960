package check

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/virgo-top/virgo-top/collector"
)

// Derived reports whether checks of type t are computed from the agent's
// samples (cpu, memory, load, filesystem, disk, network, process) rather
// than doing I/O of their own. Their results carry the time of the sample
// they read, and the scheduler runs them right after a sample (see
// SampleWaiter).
func Derived(t string) bool {
	switch t {
	case TypeCPU, TypeMemory, TypeLoad, TypeFilesystem, TypeFilesystemState, TypeDisk, TypeNetwork, TypeProcess:
		return true
	}
	return false
}

// MsgTimeout is Virgo's status for a run that exceeded its timeout.
const MsgTimeout = "Timeout in Run Check"

// errRunTimeout is the cancel cause of a run that reached its timeout.
var errRunTimeout = errors.New("check run timed out")

// ErrNoTargets is returned by Targets for a check type without targets.
var ErrNoTargets = errors.New("check type has no targets")

// ErrNoSample is returned by Targets before the first sample.
var ErrNoSample = errors.New("no sample collected yet")

// RunOnce runs def once now and returns its result, for `virgo-top check`
// and the endpoint's check.test. The run gets EffectiveTimeout(def) on
// opts.Clock; ctx cancels it early. def is not validated beyond its type,
// so a def without id or period runs too (the cpu check then reports the
// latest sample).
func RunOnce(ctx context.Context, env Env, def Def, opts SchedulerOptions) Result {
	opts = opts.withDefaults()
	return execute(ctx, env, def, opts)
}

// execute runs def now under its timeout and fills in the bookkeeping
// fields of the result.
func execute(ctx context.Context, env Env, def Def, opts SchedulerOptions) Result {
	wall := opts.Clock.Now()
	start := wall
	fn, ok := runners[def.Type]
	if !ok {
		r := ErrorResult(def, start, fmt.Sprintf("Unknown check type: %s", def.Type))
		return r
	}
	// A derived check describes the sample it reads: its result carries
	// that sample's time, not the (later) time it ran.
	var snap *collector.Snapshot
	if Derived(def.Type) {
		if snap = env.Latest(); snap != nil {
			start = snap.Time
		}
	}
	timeout := EffectiveTimeout(def)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timer := opts.Clock.AfterFunc(timeout, func() { cancel(errRunTimeout) })
	r := fn(ctx, runCtx{env: env, def: def, opts: opts, start: start, timeout: timeout, snap: snap})
	timer.Stop()
	// A plugin reports its own timeout ("Plugin didn't finish ..."); other
	// checks get Virgo's generic message.
	if errors.Is(context.Cause(ctx), errRunTimeout) && def.Type != TypePlugin {
		r = ErrorResult(def, start, MsgTimeout)
	}
	r.CheckID, r.CheckType = def.ID, def.Type
	r.Duration = max(opts.Clock.Now().Sub(wall), 0)
	return r
}

// Targets lists what details.target may name for checkType, for the
// endpoint's check.targets: block devices for agent.disk, mount points for
// agent.filesystem, interfaces for agent.network; sorted.
func Targets(env Env, checkType string) ([]string, error) {
	switch checkType {
	case TypeDisk, TypeFilesystem, TypeNetwork:
	default:
		return nil, fmt.Errorf("targets of %s: %w", checkType, ErrNoTargets)
	}
	snap := env.Latest()
	if snap == nil {
		return nil, fmt.Errorf("targets of %s: %w", checkType, ErrNoSample)
	}
	var out []string
	switch checkType {
	case TypeDisk:
		for _, d := range snap.Disks {
			out = append(out, d.Name)
		}
	case TypeFilesystem:
		for _, fs := range snap.Filesystems {
			out = append(out, fs.Mount)
		}
	case TypeNetwork:
		for _, n := range snap.Network {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out, nil
}
