package collector

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/common"
)

// Source names, in the order the Sampler runs them. Memory runs before
// processes and cgroups so that they can use MemTotal (mem %) and the
// host's used memory (the root cgroup of a unified host).
const (
	SourceHost        = "host"
	SourceCPU         = "cpu"
	SourceMemory      = "memory"
	SourceLoad        = "load"
	SourcePressure    = "pressure"
	SourceFilesystems = "filesystems"
	SourceDisks       = "disks"
	SourceNetwork     = "network"
	SourceProcesses   = "processes"
	SourceCgroups     = "cgroups"
	SourceSensors     = "sensors"
)

// SourceNames lists every source, in collection order.
var SourceNames = []string{
	SourceHost, SourceCPU, SourceMemory, SourceLoad, SourcePressure,
	SourceFilesystems, SourceDisks, SourceNetwork, SourceProcesses,
	SourceCgroups, SourceSensors,
}

// Options says where to read host data from and which sources to run.
type Options struct {
	// ProcRoot, SysRoot and EtcRoot replace /proc, /sys and /etc; "" means
	// the real ones. They let the agent run in a container with the host's
	// trees mounted elsewhere, and tests run on canned trees.
	ProcRoot, SysRoot, EtcRoot string
	// RootFS prefixes mount points before statfs (HOST_ROOT); "" = "/".
	RootFS string
	// AllFilesystems includes pseudo filesystems (proc, sysfs, tmpfs,
	// overlay, ...), which are skipped by default.
	AllFilesystems bool
	// Sources selects sources by name (see SourceNames); nil runs all.
	Sources []string
}

func (o Options) procRoot() string { return orDefault(o.ProcRoot, "/proc") }
func (o Options) sysRoot() string  { return orDefault(o.SysRoot, "/sys") }
func (o Options) etcRoot() string  { return orDefault(o.EtcRoot, "/etc") }
func (o Options) rootFS() string   { return orDefault(o.RootFS, "/") }

// procFS reports whether to read /proc-style files. Off Linux the real host
// has no /proc, so sources use their gopsutil fallback unless a ProcRoot
// is given (tests on canned trees run the same code on every OS).
func (o Options) procFS() bool { return runtime.GOOS == "linux" || o.ProcRoot != "" }

// Validate reports source names that are not in SourceNames.
func (o Options) Validate() error {
	for _, name := range o.Sources {
		if !knownSource(name) {
			return fmt.Errorf("collector: unknown source %q (known: %v)", name, SourceNames)
		}
	}
	return nil
}

func knownSource(name string) bool {
	for _, n := range SourceNames {
		if n == name {
			return true
		}
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// withEnv puts the roots into ctx the way gopsutil v3 reads them, so the
// gopsutil calls we make see the same trees as our own readers.
func (o Options) withEnv(ctx context.Context) context.Context {
	return context.WithValue(ctx, common.EnvKey, common.EnvMap{
		common.HostProcEnvKey: o.procRoot(),
		common.HostSysEnvKey:  o.sysRoot(),
		common.HostEtcEnvKey:  o.etcRoot(),
		common.HostRootEnvKey: o.rootFS(),
	})
}

// Source fills one section of a Snapshot. Collect may read what earlier
// sources wrote to s (the process source reads s.Memory.TotalBytes).
// Sources that compute rates keep their previous counters and are not
// safe for concurrent use.
type Source interface {
	Name() string
	Collect(ctx context.Context, s *Snapshot) error
}

// Sampler runs the sources and publishes a new Snapshot per call, holding
// the previous counters each rate needs. Sample and SampleAt must not be
// called concurrently; the Snapshots they return may be shared freely.
type Sampler struct {
	opts    Options
	sources []Source
	unknown []string
	last    time.Time
	procs   *processSource // nil without the processes source
	cgroups *cgroupSource  // nil without the cgroups source
}

// SetProcessList chooses between the full process list (the default) and
// a count alone (Snapshot.ProcessCount, Processes nil), which reads only
// the /proc directory instead of every process's files: a headless agent
// with no agent.process check needs no more. Safe to call while sampling;
// it applies from the next sample. Turned back on, the first list has no
// CPU % yet (no interval behind it).
func (s *Sampler) SetProcessList(on bool) {
	if s.procs != nil {
		s.procs.countOnly.Store(!on)
	}
}

// SetProcessEvery makes a sampler that only counts processes
// (SetProcessList(false)) list them in full anyway once every d (0: never),
// with CPU % over the whole time since the previous list: the flight
// recorder's process table every record_process_interval, at the cost of
// one scan per d. It applies from the next sample.
func (s *Sampler) SetProcessEvery(d time.Duration) {
	if s.procs != nil {
		s.procs.every.Store(int64(max(d, 0)))
	}
}

// SetProcessIO turns the per-process I/O rates on or off
// (Process.IOReadBps, IOWriteBps, IOKnown, from ProcRoot/PID/io): one more
// read per process per sample, for a console that shows or sorts an I/O
// column. Off (the default), IOKnown is false. Turned on, a process's
// first rate comes with the sample after the one that first read it.
// Safe to call while sampling.
func (s *Sampler) SetProcessIO(on bool) {
	if s.procs != nil {
		s.procs.ioOn.Store(on)
	}
}

// SetThreads turns thread rows on or off: with them, the process list has
// one more Process per thread other than a process's main thread (read
// from ProcRoot/PID/task/TID/stat), with Thread set, PID the thread id and
// PPID its process; ProcessCount still counts processes only. Safe to
// call while sampling.
func (s *Sampler) SetThreads(on bool) {
	if s.procs != nil {
		s.procs.threadsOn.Store(on)
	}
}

// SetCgroups turns the cgroup list (Snapshot.Cgroups) on or off: a walk
// of the cgroup hierarchies every sample, for a console showing its
// cgroup view. Off (the default) it is nil, unless SetCgroupsEvery asks
// for it periodically. Turned on, the first list has no CPU % or I/O
// rates yet unless a periodic walk preceded it. Safe to call while
// sampling.
func (s *Sampler) SetCgroups(on bool) {
	if s.cgroups != nil {
		s.cgroups.on.Store(on)
	}
}

// SetCgroupsEvery makes the sampler list the cgroups once every d (0:
// never) even while SetCgroups is off, with rates over the whole time
// since the previous list: the flight recorder's cgroup table every
// record_process_interval. It applies from the next sample.
func (s *Sampler) SetCgroupsEvery(d time.Duration) {
	if s.cgroups != nil {
		s.cgroups.every.Store(int64(max(d, 0)))
	}
}

// NewSampler builds a Sampler for opts. Unknown names in opts.Sources are
// reported in every Snapshot's Errors under their own name (see
// Options.Validate to reject them up front).
func NewSampler(opts Options) *Sampler {
	return newSampler(opts, liveSystem())
}

// newSampler is NewSampler with the machine facts given (tests).
func newSampler(opts Options, sys system) *Sampler {
	s := &Sampler{opts: opts}
	want := func(name string) bool {
		if opts.Sources == nil {
			return true
		}
		for _, n := range opts.Sources {
			if n == name {
				return true
			}
		}
		return false
	}
	for _, n := range opts.Sources {
		if !knownSource(n) {
			s.unknown = append(s.unknown, n)
		}
	}
	for _, name := range SourceNames {
		if want(name) {
			src := newSource(name, opts, sys)
			switch src := src.(type) {
			case *processSource:
				s.procs = src
			case *cgroupSource:
				s.cgroups = src
			}
			s.sources = append(s.sources, src)
		}
	}
	return s
}

func newSource(name string, opts Options, sys system) Source {
	switch name {
	case SourceHost:
		return newHostSource(opts, sys)
	case SourceCPU:
		return newCPUSource(opts)
	case SourceMemory:
		return newMemorySource(opts, sys)
	case SourceLoad:
		return newLoadSource(opts)
	case SourcePressure:
		return newPressureSource(opts)
	case SourceFilesystems:
		return newFilesystemSource(opts, sys)
	case SourceDisks:
		return newDiskSource(opts)
	case SourceNetwork:
		return newNetworkSource(opts)
	case SourceProcesses:
		return newProcessSource(opts, sys)
	case SourceCgroups:
		return newCgroupSource(opts)
	case SourceSensors:
		return newSensorSource(opts)
	}
	panic("collector: no source " + name) // unreachable: names come from SourceNames
}

// Sample takes one Snapshot now.
func (s *Sampler) Sample(ctx context.Context) *Snapshot {
	return s.SampleAt(ctx, time.Now())
}

// SampleAt takes one Snapshot stamped now; rates use the difference from
// the previous call's now. The first call has Elapsed 0 and all rates 0.
// Durations are measured with the real clock.
func (s *Sampler) SampleAt(ctx context.Context, now time.Time) *Snapshot {
	snap := &Snapshot{Time: now, Durations: make(map[string]time.Duration, len(s.sources))}
	if !s.last.IsZero() && now.After(s.last) {
		snap.Elapsed = now.Sub(s.last)
	}
	s.last = now
	ctx = s.opts.withEnv(ctx)
	for _, name := range s.unknown {
		snap.setError(name, fmt.Errorf("unknown source %q", name))
	}
	for _, src := range s.sources {
		if err := ctx.Err(); err != nil {
			snap.setError(src.Name(), err)
			continue
		}
		start := time.Now()
		err := src.Collect(ctx, snap)
		snap.Durations[src.Name()] = time.Since(start)
		if err != nil {
			snap.setError(src.Name(), err)
		}
	}
	return snap
}

func (s *Snapshot) setError(name string, err error) {
	if s.Errors == nil {
		s.Errors = make(map[string]string)
	}
	s.Errors[name] = err.Error()
}

// system holds the facts about the running machine that /proc does not
// state in its files. Tests replace them so canned trees give the same
// numbers on every machine.
type system struct {
	pageSize uint64
	clkTck   uint64
	// statfs measures one mounted filesystem (path already prefixed with RootFS).
	statfs func(path string) (FsStat, error)
	// virtualization returns system and role, as gopsutil's
	// host.VirtualizationWithContext.
	virtualization func(ctx context.Context) (string, string, error)
	// hostname is used off Linux, where there is no /proc/sys/kernel/hostname.
	hostname func() (string, error)
}

func liveSystem() system {
	return system{
		pageSize:       uint64(os.Getpagesize()),
		clkTck:         100, // USER_HZ is 100 on every Linux architecture Go supports
		statfs:         statfs,
		virtualization: hostVirtualization,
		hostname:       os.Hostname,
	}
}

// readFile reads root/name; errors name the path.
func readFile(root string, name ...string) ([]byte, error) {
	p := filepath.Join(append([]string{root}, name...)...)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// readShort reads a short sysfs attribute ("up\n", "8:0\n") and returns it
// trimmed. sysfs reports every attribute as 4096 bytes long, so os.ReadFile
// would allocate 4 KiB per read; this reads into a small stack buffer.
// Longer content is an error.
func readShort(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var buf [128]byte
	n, err := io.ReadFull(f, buf[:])
	switch {
	case err == nil:
		return "", fmt.Errorf("read %s: longer than %d bytes", path, len(buf))
	case err != io.EOF && err != io.ErrUnexpectedEOF:
		return "", err
	}
	return strings.TrimSpace(string(buf[:n])), nil
}

// maxReadInto bounds what readInto reads: the pseudo files it serves are
// a few KiB, a cgroup.procs of a busy group some hundreds.
const maxReadInto = 4 << 20

// rate is delta per second, with counters that went backwards (reset,
// wrapped, device replaced) clamped to 0.
func rate(cur, prev uint64, elapsed time.Duration) float64 {
	if elapsed <= 0 || cur < prev {
		return 0
	}
	return float64(cur-prev) / elapsed.Seconds()
}

func delta(cur, prev uint64) uint64 {
	if cur < prev {
		return 0
	}
	return cur - prev
}

// elapsedSince is the interval a source's rates use: the time since the
// source last succeeded, which differs from Snapshot.Elapsed when the
// previous attempt failed.
func elapsedSince(prev, now time.Time) time.Duration {
	if prev.IsZero() || !now.After(prev) {
		return 0
	}
	return now.Sub(prev)
}
