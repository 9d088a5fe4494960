package check

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
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

// runMemory reports the latest memory sample as the original's
// check/memory.lua: sigar's mem and swap fields (linux_sigar.c
// sigar_mem_get, sigar_swap_get; sigar_util.c sigar_mem_calc_ram), every
// one a gauge (memory.lua:54, 58):
//
//	total         = MemTotal
//	free          = MemFree
//	used          = total - free (buffers and page cache count as used)
//	actual_free   = MemFree + Buffers + Cached (Memory.ActualFreeBytes;
//	                meminfo's Cached without SReclaimable)
//	actual_used   = total - actual_free
//	ram           = Memory.RAMMB: MB rounded up to a multiple of 8, or the
//	                write-back ranges of /proc/mtrr (unit "megabytes")
//	swap_total, swap_used, swap_free = SwapTotal, total - free, SwapFree
//	swap_page_in, swap_page_out = pswpin, pswpout of /proc/vmstat: pages
//	                since boot, labelled "bytes" as memory.lua labels them
//
// Where the sample did not come from /proc (gopsutil off Linux, which
// leaves the sigar fields 0), actual_free is the available memory (as
// sigar's darwin code: free + inactive), ram is SigarRAM of the total and
// the swap pages are the bytes over the page size.
func runMemory(_ context.Context, rc runCtx) Result {
	snap, fail := latest(rc)
	if fail != nil {
		return *fail
	}
	if fail := sourceError(rc, snap, collector.SourceMemory); fail != nil {
		return *fail
	}
	m := snap.Memory
	actualFree := m.ActualFreeBytes
	if actualFree == 0 {
		actualFree = m.AvailableBytes
	}
	if actualFree == 0 {
		actualFree = m.FreeBytes + m.BuffersBytes + m.CachedBytes
	}
	actualFree = min(actualFree, m.TotalBytes)
	free := min(m.FreeBytes, m.TotalBytes)
	ram := m.RAMMB
	if ram == 0 {
		ram = collector.SigarRAM(m.TotalBytes)
	}
	r := NewResult(rc.def, rc.start)
	r.AddUint("actual_used", TypeGauge, m.TotalBytes-actualFree, unitBytes)
	r.AddUint("free", TypeGauge, free, unitBytes)
	r.AddUint("total", TypeGauge, m.TotalBytes, unitBytes)
	r.AddUint("ram", TypeGauge, ram, unitMegabytes)
	r.AddUint("actual_free", TypeGauge, actualFree, unitBytes)
	r.AddUint("used", TypeGauge, m.TotalBytes-free, unitBytes)
	r.AddUint("swap_total", TypeGauge, m.SwapTotalBytes, unitBytes)
	r.AddUint("swap_used", TypeGauge, m.SwapUsedBytes, unitBytes)
	r.AddUint("swap_free", TypeGauge, m.SwapFreeBytes, unitBytes)
	r.AddUint("swap_page_in", TypeGauge, swapPages(m.SwapInPages, m.SwapInBytes), unitBytes)
	r.AddUint("swap_page_out", TypeGauge, swapPages(m.SwapOutPages, m.SwapOutBytes), unitBytes)
	return r
}

// swapPages is the page count sigar reports, from bytes where the sample
// has no page count (not read from /proc/vmstat).
func swapPages(pages, bytes uint64) uint64 {
	if pages != 0 || bytes == 0 {
		return pages
	}
	return bytes / uint64(os.Getpagesize())
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

// addCount adds a whole number that the original passed to addMetric with
// no type, which check/base.lua:62-77 (getMetricType) types int64. The
// value is decimal in full (Lua would print one past 14 digits as
// "1.2345678901234e+14" and type it double; that is not copied).
func addCount(r *Result, name string, v uint64, unit string) {
	r.AddUint(name, TypeInt64, min(v, math.MaxInt64), unit)
}

// addLuaNumber adds a float that the original passed to addMetric with no
// type: getMetricType (check/base.lua:62-77) makes it int64 when Lua's
// tostring ("%.14g") prints it without a '.', else double, so a whole
// service_time such as 0 goes as int64 "0". A fraction Lua prints in
// exponent form without a '.' (1e-05) is sent as a double here, where the
// original sent int64 "1e-05". NaN and infinities, which JSON cannot
// carry, are 0.
func addLuaNumber(r *Result, name string, v float64, unit string) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	if v == math.Trunc(v) && !strings.Contains(fmt.Sprintf("%.14g", v), ".") {
		r.Add(name, TypeInt64, strconv.FormatFloat(v, 'f', -1, 64), unit)
		return
	}
	r.AddDouble(name, v, unit)
}

// runFilesystem reports the mount details.target from the latest sample as
// the original's check/filesystem.lua: total/free/used/avail in kilobytes,
// files and free_files (inodes), all int64 (added with no type,
// filesystem.lua:126, so getMetricType's int64), and the mount options, a
// string with unit "options" (filesystem.lua:46, 135).
func runFilesystem(_ context.Context, rc runCtx) Result {
	fs, fail := findTarget(rc, collector.SourceFilesystems, "filesystem",
		func(s *collector.Snapshot) []collector.Filesystem { return s.Filesystems },
		func(f *collector.Filesystem) string { return f.Mount })
	if fail != nil {
		// Virgo's texts name the mount points there are
		// (filesystem.lua:99,143; its first prints a literal %s).
		if snap, f := latest(rc); f == nil && snap.Errors[collector.SourceFilesystems] == "" {
			mounts := make([]string, 0, len(snap.Filesystems))
			for _, f := range snap.Filesystems {
				mounts = append(mounts, f.Mount)
			}
			avail := strings.Join(mounts, ",")
			switch want, ok := detailString(rc.def.Details, "target"); {
			case !ok:
				fail.Status = "Missing target parameter, available: " + avail
			case strings.HasPrefix(fail.Status, "No such filesystem"):
				fail.Status = "No filesystem mounted at " + want + ", available: " + avail
			}
		}
		return *fail
	}
	r := NewResult(rc.def, rc.start)
	addCount(&r, "total", fs.TotalBytes/1024, unitKilobytes)
	addCount(&r, "free", fs.FreeBytes/1024, unitKilobytes)
	addCount(&r, "used", fs.UsedBytes/1024, unitKilobytes)
	addCount(&r, "avail", fs.AvailBytes/1024, unitKilobytes)
	addCount(&r, "files", fs.InodesTotal, "files")
	addCount(&r, "free_files", fs.InodesFree, "free_files")
	r.Add("options", TypeString, fs.Options, "options")
	return r
}

// runDisk reports device details.target as the original's check/disk.lua
// (sigar's disk usage, linux_sigar.c): the cumulative counters reads,
// writes, read_bytes, write_bytes, rtime, wtime, qtime (weighted ms) and
// time (ms doing I/O), and sigar's service_time (ms per I/O) and queue
// (I/Os in flight), averages since boot (collector.Disk.ServiceTimeMs).
// Every metric is added with no type (disk.lua:98), so getMetricType's
// int64, and double for a service_time or queue with a fraction. The
// units are disk.lua:60-71's.
//
// The target is a device name as /proc/diskstats has it ("sda1", "dm-0");
// the original's targets are the device paths of mounted filesystems
// ("/dev/xvda1", "/dev/mapper/vg-root": sigar's file system list), so a
// "/dev/" path is taken too: the disk of the mounted filesystem with that
// device, else the name after "/dev/".
func runDisk(_ context.Context, rc runCtx) Result {
	want, fail := target(rc)
	if fail != nil {
		return *fail
	}
	snap, fail := latest(rc)
	if fail != nil {
		return *fail
	}
	d := findDisk(snap, want)
	if d == nil {
		if fail := sourceError(rc, snap, collector.SourceDisks); fail != nil {
			return *fail
		}
		return ErrorResult(rc.def, rc.start, "No such disk: "+want)
	}
	r := NewResult(rc.def, rc.start)
	addCount(&r, "reads", d.Reads, "reads")
	addCount(&r, "writes", d.Writes, "writes")
	addCount(&r, "read_bytes", d.ReadBytes, unitBytes)
	addCount(&r, "write_bytes", d.WriteBytes, unitBytes)
	addCount(&r, "rtime", d.ReadTimeMs, unitMs)
	addCount(&r, "wtime", d.WriteTimeMs, unitMs)
	addCount(&r, "qtime", d.WeightedMs, unitMs)
	addCount(&r, "time", d.IOTimeMs, unitMs)
	addLuaNumber(&r, "service_time", d.ServiceTimeMs, unitMs)
	addLuaNumber(&r, "queue", d.Queue, unitSeconds)
	return r
}

// findDisk finds the disk called name in snap, or, for a "/dev/" path, the
// disk of the filesystem mounted from it, else the one named by the rest
// of the path.
func findDisk(snap *collector.Snapshot, name string) *collector.Disk {
	byName := func(n string) *collector.Disk {
		for i := range snap.Disks {
			if snap.Disks[i].Name == n {
				return &snap.Disks[i]
			}
		}
		return nil
	}
	if d := byName(name); d != nil {
		return d
	}
	rest, ok := strings.CutPrefix(name, "/dev/")
	if !ok {
		return nil
	}
	for _, fs := range snap.Filesystems {
		if fs.Device == name && fs.Disk != "" {
			if d := byName(fs.Disk); d != nil {
				return d
			}
		}
	}
	return byName(rest)
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
