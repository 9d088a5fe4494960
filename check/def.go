package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// Check type names.
const (
	TypeCPU        = "agent.cpu"
	TypeMemory     = "agent.memory"
	TypeLoad       = "agent.load_average"
	TypeFilesystem = "agent.filesystem"
	TypeDisk       = "agent.disk"
	TypeNetwork    = "agent.network"
	TypePlugin     = "agent.plugin"
	TypeProcess    = "agent.process"
	TypeTCP        = "agent.tcp"
	TypeHTTP       = "agent.http"

	// Service checks of the original that speak to a server.
	TypeRedis  = "agent.redis"
	TypeApache = "agent.apache"
	TypeMySQL  = "agent.mysql"
	// TypeFilesystemState counts read-only and writable mounts (Linux).
	TypeFilesystemState = "agent.filesystem_state"
)

// Def sources.
const (
	SourceEndpoint = "endpoint"
	SourceDefault  = "default"
	// SourceConfDPrefix is followed by the file name: "confd:web.yaml".
	SourceConfDPrefix = "confd:"
)

// AlarmDef is an alarm attached to a check definition. Criteria is text in
// the Rackspace alarm language; the agent parses it with package alarm.
type AlarmDef struct {
	Label    string `json:"label,omitempty" yaml:"label"`
	Criteria string `json:"criteria,omitempty" yaml:"criteria"`
}

// Def is one check definition, from the endpoint's schedule, a conf.d file
// or the built-in defaults.
type Def struct {
	ID    string `json:"id"`
	Label string `json:"label,omitempty"`
	Type  string `json:"type"`
	// Period between runs; Timeout bounds one run (0 = the period).
	Period  time.Duration  `json:"period_ns"`
	Timeout time.Duration  `json:"timeout_ns,omitempty"`
	Details map[string]any `json:"details,omitempty"`
	// Disabled checks are kept (Status lists them) but never run.
	Disabled bool                `json:"disabled,omitempty"`
	Alarms   map[string]AlarmDef `json:"alarms,omitempty"`
	// Source is "endpoint", "confd:<file>.yaml" or "default".
	Source string `json:"source,omitempty"`
}

// CPUStats are CPU usage averages over a window of samples, in percent.
type CPUStats struct {
	Samples                                       int
	Usage, User, System, Idle, IOWait, IRQ, Steal float64 // averages
	MinUsage, MaxUsage                            float64
}

// Env is what checks read from the agent. The agent implements it over its
// latest Snapshot and its history store. Implementations must be safe for
// concurrent use: checks run in parallel goroutines.
type Env interface {
	// Latest returns the newest published Snapshot, or nil before the
	// first sample. The Snapshot must not be mutated.
	Latest() *collector.Snapshot
	// CPUWindow returns the averages of total CPU usage, user, system,
	// idle, iowait, irq and steal percentages over the samples that
	// describe the time after since (a sample taken at T describes the
	// interval before T), and the min and max of usage among them. ok is
	// false when no sample lies in the window (the cpu check then falls
	// back to the latest Snapshot).
	CPUWindow(since time.Time) (stats CPUStats, ok bool)
}

// SampleWaiter is an Env that can wait for its next sample. The scheduler
// uses it to run a derived check (Derived) right after the sample it will
// read, so the result is fresh: WaitSample returns once a Snapshot taken
// after `after` is published, when the Env judges none is coming soon
// (about one sampling interval), or when ctx ends.
type SampleWaiter interface {
	WaitSample(ctx context.Context, after time.Time)
}

// Clock is the time source of the scheduler, replaceable in tests.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it
	// did so.
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// MaxTimeout caps any check's timeout.
const MaxTimeout = 5 * time.Minute

// SchedulerOptions configure the Scheduler and RunOnce. Zero values get
// defaults.
type SchedulerOptions struct {
	// PluginDir holds agent.plugin executables (default
	// FallbackPluginDir(DirExists): ours, else Virgo's when only it exists).
	PluginDir string
	// Clock defaults to SystemClock.
	Clock Clock
	// Rand draws the first-run offsets and jitter; default a random seed.
	// The scheduler only uses it under its own lock.
	Rand *rand.Rand
	// MaxConcurrent bounds checks running at once (default 16).
	MaxConcurrent int
	// Logger defaults to slog.Default().
	Logger *slog.Logger

	// procRoot replaces /proc for agent.process's open_fds (tests).
	procRoot string
}

func (o SchedulerOptions) withDefaults() SchedulerOptions {
	if o.PluginDir == "" {
		o.PluginDir = FallbackPluginDir(DirExists)
	}
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 16
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// ErrUnknownType is returned (wrapped) for a check type this agent does not run.
var ErrUnknownType = errors.New("unknown check type")

// Types lists the check types this agent runs, sorted. The types it
// accepts but answers as unsupported (UnsupportedTypes) are not listed.
func Types() []string {
	out := make([]string, 0, len(runners))
	for t := range runners {
		if _, no := unsupportedTypes[t]; !no {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// KnownType reports whether typ is a check type this agent accepts in a
// schedule: the types it runs and those it answers as unsupported.
func KnownType(typ string) bool {
	_, ok := runners[typ]
	return ok
}

// EffectiveTimeout is the timeout a run of def gets: def.Timeout, or the
// period when unset, never more than the period nor MaxTimeout. A def with
// neither gets MaxTimeout.
func EffectiveTimeout(def Def) time.Duration {
	t := def.Timeout
	if t <= 0 || (def.Period > 0 && t > def.Period) {
		t = def.Period
	}
	if t <= 0 || t > MaxTimeout {
		t = MaxTimeout
	}
	return t
}

// Validate checks what every def needs: an id, a known type, a period of at
// least a second and a timeout no longer than the period.
func (d Def) Validate() error {
	if d.ID == "" {
		return errors.New("check has no id")
	}
	if !KnownType(d.Type) {
		return fmt.Errorf("check %s: %w %q", d.ID, ErrUnknownType, d.Type)
	}
	if d.Period < time.Second {
		return fmt.Errorf("check %s: period %v is shorter than 1s", d.ID, d.Period)
	}
	if d.Timeout > d.Period {
		return fmt.Errorf("check %s: timeout %v is longer than the period %v", d.ID, d.Timeout, d.Period)
	}
	return nil
}
