package check

import (
	"context"
	"fmt"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// runCtx is what one run of a check gets.
type runCtx struct {
	env     Env
	def     Def
	opts    SchedulerOptions
	start   time.Time
	timeout time.Duration
	// snap is the sample a derived check reads (start is its time); nil
	// for other checks and before the first sample.
	snap *collector.Snapshot
}

// runFunc runs one check. It returns promptly when ctx is done.
type runFunc func(ctx context.Context, rc runCtx) Result

// runners maps check types to their implementations.
var runners = map[string]runFunc{
	TypeCPU:        runCPU,
	TypeMemory:     runMemory,
	TypeLoad:       runLoad,
	TypeFilesystem: runFilesystem,
	TypeDisk:       runDisk,
	TypeNetwork:    runNetwork,
	TypePlugin:     runPlugin,
	TypeProcess:    runProcess,
	TypeTCP:        runTCP,
	TypeHTTP:       runHTTP,

	TypeRedis:           runRedis,
	TypeApache:          runApache,
	TypeMySQL:           runMySQL,
	TypeFilesystemState: runFilesystemState,

	// Types of the original this agent cannot run (unsupported.go).
	TypeWindowsPerfOS:      runUnsupported,
	TypeMSSQLVersion:       runUnsupported,
	TypeMSSQLDatabase:      runUnsupported,
	TypeMSSQLBufferManager: runUnsupported,
	TypeMSSQLSQLStatistics: runUnsupported,
	TypeMSSQLMemoryManager: runUnsupported,
	TypeMSSQLPlanCache:     runUnsupported,
	TypeRaxxen:             runUnsupported,
}

const (
	unitPercent   = "percent"
	unitBytes     = "bytes"
	unitKilobytes = "kilobytes"
	unitMegabytes = "megabytes"
	unitCount     = "count"
	unitMs        = "milliseconds"
	unitSeconds   = "seconds"
)

// msgNoSample is the status of snapshot checks before the first sample.
const msgNoSample = "No sample collected yet"

// msgCPUFirstSample is the cpu check's status when only the first sample,
// which has no usage yet, is available.
const msgCPUFirstSample = "CPU usage needs two samples, only one collected yet"

func latest(rc runCtx) (*collector.Snapshot, *Result) {
	snap := rc.snap
	if snap == nil {
		r := ErrorResult(rc.def, rc.start, msgNoSample)
		return nil, &r
	}
	return snap, nil
}

// sourceError reports a failed collector source as the check's error.
func sourceError(rc runCtx, snap *collector.Snapshot, source string) *Result {
	if msg, ok := snap.Errors[source]; ok {
		r := ErrorResult(rc.def, rc.start, fmt.Sprintf("Collecting %s failed: %s", source, msg))
		return &r
	}
	return nil
}

// runCPU averages the samples taken during the last period (CPUWindow);
// with no such samples (first run, or RunOnce with no period) it reports
// the latest snapshot, where min and max equal the usage, unless that is
// the very first sample (Elapsed 0), which has no usage yet.
func runCPU(_ context.Context, rc runCtx) Result {
	snap, fail := latest(rc)
	if fail != nil {
		return *fail
	}
	if fail := sourceError(rc, snap, collector.SourceCPU); fail != nil {
		return *fail
	}
	var st CPUStats
	ok := false
	if rc.def.Period > 0 {
		st, ok = rc.env.CPUWindow(rc.start.Add(-rc.def.Period))
	}
	if !ok {
		if snap.Elapsed <= 0 {
			// The first sample has no interval to compute usage over.
			return ErrorResult(rc.def, rc.start, msgCPUFirstSample)
		}
		c := snap.CPU.CPUTimes
		st = CPUStats{Samples: 1, Usage: c.UsagePct, User: c.UserPct, System: c.SystemPct, Idle: c.IdlePct,
			IOWait: c.IOWaitPct, IRQ: c.IRQPct, Steal: c.StealPct, MinUsage: c.UsagePct, MaxUsage: c.UsagePct}
	}
	cores := snap.CPU.Cores
	if cores <= 0 {
		cores = len(snap.CPU.PerCore)
	}
	r := NewResult(rc.def, rc.start)
	r.AddUint("cpu_count", TypeUint64, uint64(max(cores, 0)), unitCount)
	r.AddDouble("user_percent_average", st.User, unitPercent)
	r.AddDouble("sys_percent_average", st.System, unitPercent)
	r.AddDouble("idle_percent_average", st.Idle, unitPercent)
	r.AddDouble("wait_percent_average", st.IOWait, unitPercent)
	r.AddDouble("irq_percent_average", st.IRQ, unitPercent)
	r.AddDouble("stolen_percent_average", st.Steal, unitPercent)
	r.AddDouble("usage_average", st.Usage, unitPercent)
	r.AddDouble("max_cpu_usage", st.MaxUsage, unitPercent)
	r.AddDouble("min_cpu_usage", st.MinUsage, unitPercent)
	return r
}

// runMemory reports the latest memory sample with sigar's names:
//
//	total         = Memory.TotalBytes
//	free          = Memory.FreeBytes (MemFree: memory nobody uses)
//	used          = total - free (includes buffers and page cache, as sigar)
//	actual_free   = Memory.AvailableBytes (MemAvailable); when the kernel
//	                does not report it, free + buffers + cached (sigar's rule)
//	actual_used   = total - actual_free (what applications really hold)
//	swap_total, swap_used, swap_free = Memory.Swap{Total,Used,Free}Bytes
//	swap_page_in  = Memory.SwapInBytes, swap_page_out = Memory.SwapOutBytes
//	                (cumulative since boot; use rate() in criteria)
//	ram           = total in MiB (unit "megabytes")
//
// All are gauges, in bytes except ram.
func runMemory(_ context.Context, rc runCtx) Result {
	snap, fail := latest(rc)
	if fail != nil {
		return *fail
	}
	if fail := sourceError(rc, snap, collector.SourceMemory); fail != nil {
		return *fail
	}
	m := snap.Memory
	actualFree := m.AvailableBytes
	if actualFree == 0 {
		actualFree = m.FreeBytes + m.BuffersBytes + m.CachedBytes
	}
	actualFree = min(actualFree, m.TotalBytes)
	free := min(m.FreeBytes, m.TotalBytes)
	r := NewResult(rc.def, rc.start)
	r.AddUint("actual_used", TypeGauge, m.TotalBytes-actualFree, unitBytes)
	r.AddUint("free", TypeGauge, free, unitBytes)
	r.AddUint("total", TypeGauge, m.TotalBytes, unitBytes)
	r.AddUint("actual_free", TypeGauge, actualFree, unitBytes)
	r.AddUint("used", TypeGauge, m.TotalBytes-free, unitBytes)
	r.AddUint("swap_total", TypeGauge, m.SwapTotalBytes, unitBytes)
	r.AddUint("swap_used", TypeGauge, m.SwapUsedBytes, unitBytes)
	r.AddUint("swap_free", TypeGauge, m.SwapFreeBytes, unitBytes)
	r.AddUint("swap_page_in", TypeGauge, m.SwapInBytes, unitBytes)
	r.AddUint("swap_page_out", TypeGauge, m.SwapOutBytes, unitBytes)
	r.AddUint("ram", TypeGauge, m.TotalBytes>>20, unitMegabytes)
	return r
}

// runLoad reports the load averages (doubles, no unit). Windows has none.
func runLoad(_ context.Context, rc runCtx) Result {
	snap, fail := latest(rc)
	if fail != nil {
		return *fail
	}
	if snap.Host.OS == "windows" {
		return ErrorResult(rc.def, rc.start, "Load average is not supported on Windows")
	}
	if fail := sourceError(rc, snap, collector.SourceLoad); fail != nil {
		return *fail
	}
	r := NewResult(rc.def, rc.start)
	r.AddDouble("1m", snap.Load.Load1, "")
	r.AddDouble("5m", snap.Load.Load5, "")
	r.AddDouble("15m", snap.Load.Load15, "")
	return r
}

// target returns details.target or fails the result with Virgo's message.
func target(rc runCtx) (string, *Result) {
	t, ok := detailString(rc.def.Details, "target")
	if !ok {
		r := ErrorResult(rc.def, rc.start, "Missing target parameter")
		return "", &r
	}
	return t, nil
}

// findTarget resolves details.target among the latest sample's items of
// one collector source. Failures come in this order: a missing target, no
// sample yet, the source's own error, then "No such <what>: <target>".
func findTarget[T any](rc runCtx, source, what string, items func(*collector.Snapshot) []T, name func(*T) string) (*T, *Result) {
	want, fail := target(rc)
	if fail != nil {
		return nil, fail
	}
	snap, fail := latest(rc)
	if fail != nil {
		return nil, fail
	}
	list := items(snap)
	for i := range list {
		if name(&list[i]) == want {
			return &list[i], nil
		}
	}
	if fail := sourceError(rc, snap, source); fail != nil {
		return nil, fail
	}
	r := ErrorResult(rc.def, rc.start, "No such "+what+": "+want)
	return nil, &r
}

// runFilesystem reports the mount details.target from the latest sample:
// total/free/used/avail in kilobytes (uint64), files and free_files
// (inodes), options (mount options string).
func runFilesystem(_ context.Context, rc runCtx) Result {
	fs, fail := findTarget(rc, collector.SourceFilesystems, "filesystem",
		func(s *collector.Snapshot) []collector.Filesystem { return s.Filesystems },
		func(f *collector.Filesystem) string { return f.Mount })
	if fail != nil {
		return *fail
	}
	r := NewResult(rc.def, rc.start)
	r.AddUint("total", TypeUint64, fs.TotalBytes/1024, unitKilobytes)
	r.AddUint("free", TypeUint64, fs.FreeBytes/1024, unitKilobytes)
	r.AddUint("used", TypeUint64, fs.UsedBytes/1024, unitKilobytes)
	r.AddUint("avail", TypeUint64, fs.AvailBytes/1024, unitKilobytes)
	r.AddUint("files", TypeUint64, fs.InodesTotal, "files")
	r.AddUint("free_files", TypeUint64, fs.InodesFree, "free_files")
	r.AddString("options", fs.Options)
	return r
}

// runDisk reports the cumulative counters of device details.target
// (gauges): reads, writes, read_bytes, write_bytes, rtime, wtime, time
// (ms spent doing I/O) and qtime (weighted ms, the queue time integral).
func runDisk(_ context.Context, rc runCtx) Result {
	d, fail := findTarget(rc, collector.SourceDisks, "disk",
		func(s *collector.Snapshot) []collector.Disk { return s.Disks },
		func(d *collector.Disk) string { return d.Name })
	if fail != nil {
		return *fail
	}
	r := NewResult(rc.def, rc.start)
	r.AddUint("reads", TypeGauge, d.Reads, "reads")
	r.AddUint("writes", TypeGauge, d.Writes, "writes")
	r.AddUint("read_bytes", TypeGauge, d.ReadBytes, unitBytes)
	r.AddUint("write_bytes", TypeGauge, d.WriteBytes, unitBytes)
	r.AddUint("rtime", TypeGauge, d.ReadTimeMs, unitMs)
	r.AddUint("wtime", TypeGauge, d.WriteTimeMs, unitMs)
	r.AddUint("qtime", TypeGauge, d.WeightedMs, unitMs)
	r.AddUint("time", TypeGauge, d.IOTimeMs, unitMs)
	return r
}

// Units of the original's agent.network (check/network.lua:25-40).
const (
	unitPackets    = "packets"
	unitErrors     = "errors"
	unitFrames     = "frames"
	unitOverruns   = "overruns"
	unitCollisions = "collisions"
	unitLinkState  = "link_state"
)

// runNetwork reports interface details.target as the original's
// check/network.lua: sigar's interface counters from /proc/net/dev
// (sigar_net_interface_stat_get), each a gauge (network.lua:92) with
// network.lua's unit, and link_state, a string with unit "link_state".
// sigar's speed is not implemented on Linux (nil, so never added).
//
// link_state differs on purpose: the original reads only
// /sys/class/net/X/carrier (1 up, 0 down, unreadable unknown); virgo-top
// asks operstate first, so an interface an administrator set down is
// "down", where the original, whose carrier read fails then, says
// "unknown".
func runNetwork(_ context.Context, rc runCtx) Result {
	if _, ok := detailString(rc.def.Details, "target"); !ok {
		return ErrorResult(rc.def, rc.start, "Missing target parameter; give me an interface.")
	}
	n, fail := findTarget(rc, collector.SourceNetwork, "interface",
		func(s *collector.Snapshot) []collector.NetIf { return s.Network },
		func(n *collector.NetIf) string { return n.Name })
	if fail != nil {
		return *fail
	}
	r := NewResult(rc.def, rc.start)
	r.AddUint("rx_packets", TypeGauge, n.RxPackets, unitPackets)
	r.AddUint("rx_bytes", TypeGauge, n.RxBytes, unitBytes)
	r.AddUint("rx_errors", TypeGauge, n.RxErrors, unitErrors)
	r.AddUint("rx_overruns", TypeGauge, n.RxOverruns, unitOverruns)
	r.AddUint("rx_dropped", TypeGauge, n.RxDropped, unitPackets)
	r.AddUint("rx_frame", TypeGauge, n.RxFrame, unitFrames)
	r.AddUint("tx_packets", TypeGauge, n.TxPackets, unitPackets)
	r.AddUint("tx_bytes", TypeGauge, n.TxBytes, unitBytes)
	r.AddUint("tx_errors", TypeGauge, n.TxErrors, unitErrors)
	r.AddUint("tx_overruns", TypeGauge, n.TxOverruns, unitOverruns)
	r.AddUint("tx_dropped", TypeGauge, n.TxDropped, unitPackets)
	r.AddUint("tx_collisions", TypeGauge, n.TxCollisions, unitCollisions)
	r.AddUint("tx_carrier", TypeGauge, n.TxCarrier, unitErrors)
	state := n.LinkState
	if state == "" {
		state = "unknown"
	}
	r.Add("link_state", TypeString, state, unitLinkState)
	return r
}
