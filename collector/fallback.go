package collector

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/cpu"
	"github.com/shirou/gopsutil/v3/disk"
	"github.com/shirou/gopsutil/v3/host"
	"github.com/shirou/gopsutil/v3/load"
	"github.com/shirou/gopsutil/v3/mem"
	"github.com/shirou/gopsutil/v3/net"
	"github.com/shirou/gopsutil/v3/process"
)

// This file holds the gopsutil readers used off Linux, where there is no
// /proc and no ProcRoot was given. They produce the same raw counters as
// the /proc parsers, so the delta code is shared.

// gopsutil reports CPU times in seconds; the delta code wants integer
// counters, so scale to microseconds.
func cpuTicks(t cpu.TimesStat) cpuCounters {
	us := func(s float64) uint64 { return uint64(max(s, 0) * 1e6) }
	return cpuCounters{
		user: us(t.User), nice: us(t.Nice), system: us(t.System), idle: us(t.Idle),
		iowait: us(t.Iowait), irq: us(t.Irq), softirq: us(t.Softirq), steal: us(t.Steal),
		guest: us(t.Guest), guestNice: us(t.GuestNice),
	}
}

func cpuTimesFallback(ctx context.Context) (procStat, error) {
	total, err := cpu.TimesWithContext(ctx, false)
	if err != nil || len(total) == 0 {
		return procStat{}, fmt.Errorf("cpu times: %w", err)
	}
	per, err := cpu.TimesWithContext(ctx, true)
	if err != nil {
		return procStat{}, fmt.Errorf("per-cpu times: %w", err)
	}
	ps := procStat{total: cpuTicks(total[0]), hz: 1e6}
	for i, t := range per {
		ps.cores = append(ps.cores, coreCounters{index: i, c: cpuTicks(t)})
	}
	return ps, nil
}

func memoryFallback(ctx context.Context) (Memory, error) {
	v, err := mem.VirtualMemoryWithContext(ctx)
	if err != nil {
		return Memory{}, fmt.Errorf("virtual memory: %w", err)
	}
	m := memoryFrom(memInfo{
		total: v.Total, free: v.Free, available: v.Available, hasAvailable: true,
		buffers: v.Buffers, cached: v.Cached, sreclaimable: v.Sreclaimable,
	})
	if sw, err := mem.SwapMemoryWithContext(ctx); err == nil {
		m.SwapTotalBytes, m.SwapFreeBytes, m.SwapUsedBytes = sw.Total, sw.Free, sw.Used
		m.SwapInBytes, m.SwapOutBytes = sw.Sin, sw.Sout
	}
	return m, nil
}

func loadFallback(ctx context.Context) (Load, error) {
	a, err := load.AvgWithContext(ctx)
	if err != nil {
		return Load{}, fmt.Errorf("load average: %w", err)
	}
	return Load{Load1: a.Load1, Load5: a.Load5, Load15: a.Load15}, nil
}

func mountsFallback(ctx context.Context, all bool) ([]mountEntry, error) {
	parts, err := disk.PartitionsWithContext(ctx, all)
	if err != nil {
		return nil, fmt.Errorf("partitions: %w", err)
	}
	out := make([]mountEntry, 0, len(parts))
	for _, p := range parts {
		out = append(out, mountEntry{
			device: p.Device, mount: p.Mountpoint, fstype: p.Fstype,
			options: strings.Join(p.Opts, ","), root: "/",
		})
	}
	return out, nil
}

func diskFallback(ctx context.Context) ([]diskCounters, error) {
	io, err := disk.IOCountersWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("disk counters: %w", err)
	}
	out := make([]diskCounters, 0, len(io))
	for name, c := range io {
		out = append(out, diskCounters{
			name: name, reads: c.ReadCount, readSectors: c.ReadBytes / sectorSize, readMs: c.ReadTime,
			writes: c.WriteCount, writeSectors: c.WriteBytes / sectorSize, writeMs: c.WriteTime,
			ioMs: c.IoTime, weightedMs: c.WeightedIO,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func netFallback(ctx context.Context) ([]netCounters, error) {
	io, err := net.IOCountersWithContext(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("net counters: %w", err)
	}
	out := make([]netCounters, 0, len(io))
	for _, c := range io {
		out = append(out, netCounters{
			name: c.Name, rxBytes: c.BytesRecv, rxPackets: c.PacketsRecv, rxErrors: c.Errin, rxDropped: c.Dropin,
			txBytes: c.BytesSent, txPackets: c.PacketsSent, txErrors: c.Errout, txDropped: c.Dropout,
		})
	}
	return out, nil
}

func hostFallback(ctx context.Context) (Host, error) {
	info, err := host.InfoWithContext(ctx)
	if err != nil {
		return Host{}, fmt.Errorf("host info: %w", err)
	}
	h := Host{
		Hostname: info.Hostname, OS: runtime.GOOS, Platform: info.Platform,
		PlatformVersion: info.PlatformVersion, Kernel: info.KernelVersion,
		Arch: info.KernelArch, UptimeS: info.Uptime,
	}
	if h.Arch == "" {
		h.Arch = runtime.GOARCH
	}
	if info.BootTime > 0 {
		h.BootTime = time.Unix(int64(info.BootTime), 0).UTC()
	}
	return h, nil
}

// processFallback lists processes through gopsutil (several calls per
// process; only used where there is no /proc).
type processFallback struct {
	prev     map[int32]fallbackPrev
	prevTime time.Time
	memTotal uint64
}

type fallbackPrev struct {
	created int64
	cpuS    float64
}

func newProcessFallback() *processFallback {
	return &processFallback{prev: map[int32]fallbackPrev{}}
}

func (f *processFallback) collect(ctx context.Context, now time.Time) ([]Process, error) {
	procs, err := process.ProcessesWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	if f.memTotal == 0 {
		if v, err := mem.VirtualMemoryWithContext(ctx); err == nil {
			f.memTotal = v.Total
		}
	}
	elapsed := elapsedSince(f.prevTime, now)
	next := make(map[int32]fallbackPrev, len(procs))
	out := make([]Process, 0, len(procs))
	for _, p := range procs {
		name, err := p.NameWithContext(ctx)
		if err != nil {
			continue // gone
		}
		created, _ := p.CreateTimeWithContext(ctx)
		pr := Process{PID: p.Pid, Name: name}
		pr.PPID, _ = p.PpidWithContext(ctx)
		if st, err := p.StatusWithContext(ctx); err == nil && len(st) > 0 {
			pr.State = st[0]
		}
		pr.Threads, _ = p.NumThreadsWithContext(ctx)
		if uids, err := p.UidsWithContext(ctx); err == nil && len(uids) > 0 {
			pr.UID = uint32(uids[0])
		}
		if pr.User, err = p.UsernameWithContext(ctx); err != nil {
			pr.User = strconv.FormatUint(uint64(pr.UID), 10)
		}
		if mi, err := p.MemoryInfoWithContext(ctx); err == nil {
			pr.RSSBytes, pr.VMSBytes = mi.RSS, mi.VMS
		}
		if f.memTotal > 0 {
			pr.MemPct = float64(pr.RSSBytes) * 100 / float64(f.memTotal)
		}
		if created > 0 {
			pr.StartTime = time.UnixMilli(created).UTC()
		}
		pr.Nice, _ = p.NiceWithContext(ctx)
		pr.Cmdline, _ = p.CmdlineWithContext(ctx)
		if t, err := p.TimesWithContext(ctx); err == nil {
			pr.CPUTimeS = t.User + t.System
			if prev, ok := f.prev[p.Pid]; ok && prev.created == created && elapsed > 0 && pr.CPUTimeS >= prev.cpuS {
				pr.CPUPct = (pr.CPUTimeS - prev.cpuS) / elapsed.Seconds() * 100
			}
			next[p.Pid] = fallbackPrev{created: created, cpuS: pr.CPUTimeS}
		}
		out = append(out, pr)
	}
	sortByPID(out)
	f.prev, f.prevTime = next, now
	return out, nil
}
