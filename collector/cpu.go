package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
)

// cpuCounters are the jiffies of one "cpu" line of /proc/stat. guest and
// guest_nice are already included in user and nice by the kernel, so
// the usage split never adds them again.
type cpuCounters struct {
	user, nice, system, idle, iowait, irq, softirq, steal uint64
	guest, guestNice                                      uint64
}

// userHZ is the unit of /proc/stat's cpu lines (USER_HZ): 100 on every
// Linux architecture Go supports, as procfs assumes too.
const userHZ = 100

// procStat is what we use from /proc/stat.
type procStat struct {
	total cpuCounters
	cores []coreCounters // in file order (ascending index; offline CPUs absent)
	btime uint64         // boot time, seconds since the epoch; 0 if absent
	// hz is the counters' unit in ticks per second: userHZ for /proc,
	// 1e6 for gopsutil's seconds (cpuTicks).
	hz float64
}

type coreCounters struct {
	index int
	c     cpuCounters
}

var errNoCPULine = errors.New("no aggregate cpu line")

// parseProcStat parses /proc/stat.
func parseProcStat(data []byte) (procStat, error) {
	ps := procStat{hz: userHZ}
	seenTotal := false
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		if bytes.HasPrefix(line, []byte("cpu")) {
			f := bytes.Fields(line)
			if len(f) < 5 {
				return procStat{}, fmt.Errorf("cpu line %q: want at least 4 counters", line)
			}
			var vals [10]uint64
			for i := 0; i < len(vals) && i+1 < len(f); i++ {
				v, err := strconv.ParseUint(string(f[i+1]), 10, 64)
				if err != nil {
					return procStat{}, fmt.Errorf("cpu line %q: %w", f[0], err)
				}
				vals[i] = v
			}
			c := cpuCounters{vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7], vals[8], vals[9]}
			if len(f[0]) == 3 {
				ps.total = c
				seenTotal = true
				continue
			}
			idx, err := strconv.Atoi(string(f[0][3:]))
			if err != nil || idx < 0 {
				return procStat{}, fmt.Errorf("cpu line name %q: not cpuN", f[0])
			}
			ps.cores = append(ps.cores, coreCounters{index: idx, c: c})
		} else if bytes.HasPrefix(line, []byte("btime ")) {
			v, err := strconv.ParseUint(string(bytes.TrimSpace(line[6:])), 10, 64)
			if err != nil {
				return procStat{}, fmt.Errorf("btime: %w", err)
			}
			ps.btime = v
		}
	}
	if !seenTotal {
		return procStat{}, errNoCPULine
	}
	return ps, nil
}

// nextLine splits off the first line (without its newline).
func nextLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// cpuPercent is the split of the interval between prev and cur. Each
// field's delta is clamped at 0 (a counter that goes backwards, as after
// CPU hotplug on some kernels, must not give negative or >100 values).
// Usage is everything except idle and iowait; IRQ is irq+softirq.
func cpuPercent(prev, cur cpuCounters) CPUTimes {
	d := cpuCounters{
		user:    delta(cur.user, prev.user),
		nice:    delta(cur.nice, prev.nice),
		system:  delta(cur.system, prev.system),
		idle:    delta(cur.idle, prev.idle),
		iowait:  delta(cur.iowait, prev.iowait),
		irq:     delta(cur.irq, prev.irq),
		softirq: delta(cur.softirq, prev.softirq),
		steal:   delta(cur.steal, prev.steal),
	}
	total := d.user + d.nice + d.system + d.idle + d.iowait + d.irq + d.softirq + d.steal
	if total == 0 {
		return CPUTimes{}
	}
	pct := func(v uint64) float64 { return float64(v) * 100 / float64(total) }
	return CPUTimes{
		UsagePct:  pct(total - d.idle - d.iowait),
		UserPct:   pct(d.user),
		SystemPct: pct(d.system),
		IdlePct:   pct(d.idle),
		IOWaitPct: pct(d.iowait),
		StealPct:  pct(d.steal),
		IRQPct:    pct(d.irq + d.softirq),
		NicePct:   pct(d.nice),
	}
}

// cpuSeconds converts one CPU's counters to seconds (ticks / hz, as
// procfs divides by USER_HZ).
func cpuSeconds(index int, c cpuCounters, hz float64) CPUSeconds {
	s := func(v uint64) float64 { return float64(v) / hz }
	return CPUSeconds{
		CPU: index, User: s(c.user), Nice: s(c.nice), System: s(c.system), Idle: s(c.idle),
		IOWait: s(c.iowait), IRQ: s(c.irq), SoftIRQ: s(c.softirq), Steal: s(c.steal),
		Guest: s(c.guest), GuestNice: s(c.guestNice),
	}
}

// idleJumpBack is how far (in seconds) a CPU's idle time may go backwards
// before its times are taken as a new CPU (a hotplug): node_exporter's
// jumpBackSeconds.
const idleJumpBack = 3.0

// keepMonotonic is node_exporter's updateCPUStats for one CPU: a time that
// goes backwards (iowait does on tickless kernels) keeps its previous
// value, so a counter never decreases; an idle time that goes back by
// idleJumpBack or more starts the CPU over.
func keepMonotonic(prev, cur CPUSeconds) CPUSeconds {
	if prev.Idle-cur.Idle >= idleJumpBack {
		return cur
	}
	up := func(p, c float64) float64 { return max(p, c) }
	return CPUSeconds{
		CPU: cur.CPU, User: up(prev.User, cur.User), Nice: up(prev.Nice, cur.Nice),
		System: up(prev.System, cur.System), Idle: up(prev.Idle, cur.Idle),
		IOWait: up(prev.IOWait, cur.IOWait), IRQ: up(prev.IRQ, cur.IRQ),
		SoftIRQ: up(prev.SoftIRQ, cur.SoftIRQ), Steal: up(prev.Steal, cur.Steal),
		Guest: up(prev.Guest, cur.Guest), GuestNice: up(prev.GuestNice, cur.GuestNice),
	}
}

// cpuSource computes usage from deltas of /proc/stat between samples,
// never since boot: the first sample reports 0 everywhere. It also keeps
// each CPU's cumulative times (CPU.Seconds), never decreasing.
type cpuSource struct {
	opts      Options
	havePrev  bool
	prevTotal cpuCounters
	prevCores map[int]cpuCounters
	prevSecs  map[int]CPUSeconds
}

func newCPUSource(opts Options) *cpuSource {
	return &cpuSource{opts: opts, prevCores: map[int]cpuCounters{}, prevSecs: map[int]CPUSeconds{}}
}

func (*cpuSource) Name() string { return SourceCPU }

func (c *cpuSource) Collect(ctx context.Context, s *Snapshot) error {
	ps, err := c.read(ctx)
	if err != nil {
		return err
	}
	out := CPU{Cores: len(ps.cores), PerCore: make([]CPUTimes, len(ps.cores)), Seconds: make([]CPUSeconds, len(ps.cores))}
	if c.havePrev {
		out.CPUTimes = cpuPercent(c.prevTotal, ps.total)
	}
	// A core seen for the first time (hotplugged) reports 0 this sample;
	// cores that went away are forgotten.
	next := make(map[int]cpuCounters, len(ps.cores))
	nextSecs := make(map[int]CPUSeconds, len(ps.cores))
	for i, core := range ps.cores {
		if prev, ok := c.prevCores[core.index]; ok {
			out.PerCore[i] = cpuPercent(prev, core.c)
		}
		next[core.index] = core.c
		secs := cpuSeconds(core.index, core.c, ps.hz)
		if prev, ok := c.prevSecs[core.index]; ok {
			secs = keepMonotonic(prev, secs)
		}
		out.Seconds[i], nextSecs[core.index] = secs, secs
	}
	c.prevTotal, c.prevCores, c.prevSecs, c.havePrev = ps.total, next, nextSecs, true
	s.CPU = out
	return nil
}

func (c *cpuSource) read(ctx context.Context) (procStat, error) {
	if !c.opts.procFS() {
		return cpuTimesFallback(ctx)
	}
	data, err := readFile(c.opts.procRoot(), "stat")
	if err != nil {
		return procStat{}, err
	}
	ps, err := parseProcStat(data)
	if err != nil {
		return procStat{}, fmt.Errorf("parse %s/stat: %w", c.opts.procRoot(), err)
	}
	return ps, nil
}
