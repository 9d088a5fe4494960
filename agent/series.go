package agent

import (
	"strconv"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
)

// History series names. The agent appends every Snapshot to history under
// these names; the TUI and checks query them. Per-device names embed the
// device: SeriesDiskRead("sda"), SeriesNetRx("eth0"), SeriesCore(3).
const (
	SeriesCPUUsage   = "cpu.usage"
	SeriesCPUUser    = "cpu.user"
	SeriesCPUSystem  = "cpu.system"
	SeriesCPUIdle    = "cpu.idle"
	SeriesCPUIOWait  = "cpu.iowait"
	SeriesCPUSteal   = "cpu.steal"
	SeriesCPUIRQ     = "cpu.irq"
	SeriesMemUsedPct = "mem.used_pct"
	SeriesMemUsed    = "mem.used_bytes"
	SeriesMemCached  = "mem.cached_bytes"
	SeriesSwapUsed   = "swap.used_bytes"
	SeriesSwapPct    = "swap.used_pct"
	SeriesLoad1      = "load.1"
	SeriesLoad5      = "load.5"
	SeriesLoad15     = "load.15"
)

// SeriesCore is the usage series of one logical CPU.
func SeriesCore(i int) string { return "cpu.core." + strconv.Itoa(i) }

// SeriesDiskRead is a block device's read rate in bytes/s.
func SeriesDiskRead(dev string) string { return "disk." + dev + ".read_bps" }

// SeriesDiskWrite is a block device's write rate in bytes/s.
func SeriesDiskWrite(dev string) string { return "disk." + dev + ".write_bps" }

// SeriesNetRx is an interface's receive rate in bytes/s.
func SeriesNetRx(ifname string) string { return "net." + ifname + ".rx_bps" }

// SeriesNetTx is an interface's transmit rate in bytes/s.
func SeriesNetTx(ifname string) string { return "net." + ifname + ".tx_bps" }

// SeriesFSUsed is a filesystem's used percent.
func SeriesFSUsed(mount string) string { return "fs." + mount + ".used_pct" }

// HeadlessSeries accepts the series a headless agent must keep: the CPU
// series agent.cpu averages over its period (Agent.CPUWindow). Everything
// else in history only feeds the console's graphs.
func HeadlessSeries(name string) bool {
	switch name {
	case SeriesCPUUsage, SeriesCPUUser, SeriesCPUSystem, SeriesCPUIdle, SeriesCPUIOWait, SeriesCPUSteal, SeriesCPUIRQ:
		return true
	}
	return false
}

// HeadlessRetention is the history a headless agent keeps for
// HeadlessSeries: 10 minutes of raw samples at interval and 24 hours of
// minutes (agent.cpu periods up to a day), no hour or day rollups. About
// 60 KiB per series, against 128 KiB for the console's default.
func HeadlessRetention(interval time.Duration) history.Retention {
	raw := 600
	if interval > 0 {
		raw = max(int((10*time.Minute+interval-1)/interval), 2)
	}
	return history.Retention{Raw: raw, Minutes: 24 * 60}
}

// EachSeries calls fn for every history series value a Snapshot carries.
// The first sample (Elapsed == 0) has no rates and yields only gauges.
func EachSeries(s *collector.Snapshot, fn func(name string, v float64)) {
	if s == nil {
		return
	}
	if _, failed := s.Errors[collector.SourceMemory]; !failed && s.Memory.TotalBytes > 0 {
		m := s.Memory
		fn(SeriesMemUsedPct, m.UsedPct)
		fn(SeriesMemUsed, float64(m.UsedBytes))
		fn(SeriesMemCached, float64(m.CachedBytes))
		fn(SeriesSwapUsed, float64(m.SwapUsedBytes))
		if m.SwapTotalBytes > 0 {
			fn(SeriesSwapPct, 100*float64(m.SwapUsedBytes)/float64(m.SwapTotalBytes))
		}
	}
	if _, failed := s.Errors[collector.SourceLoad]; !failed {
		fn(SeriesLoad1, s.Load.Load1)
		fn(SeriesLoad5, s.Load.Load5)
		fn(SeriesLoad15, s.Load.Load15)
	}
	for _, f := range s.Filesystems {
		fn(SeriesFSUsed(f.Mount), f.UsedPct)
	}
	if s.Elapsed <= 0 {
		return
	}
	if _, failed := s.Errors[collector.SourceCPU]; !failed {
		c := s.CPU
		fn(SeriesCPUUsage, c.UsagePct)
		fn(SeriesCPUUser, c.UserPct)
		fn(SeriesCPUSystem, c.SystemPct)
		fn(SeriesCPUIdle, c.IdlePct)
		fn(SeriesCPUIOWait, c.IOWaitPct)
		fn(SeriesCPUSteal, c.StealPct)
		fn(SeriesCPUIRQ, c.IRQPct)
		for i, core := range c.PerCore {
			fn(SeriesCore(i), core.UsagePct)
		}
	}
	for _, d := range s.Disks {
		fn(SeriesDiskRead(d.Name), d.ReadBps)
		fn(SeriesDiskWrite(d.Name), d.WriteBps)
	}
	for _, n := range s.Network {
		fn(SeriesNetRx(n.Name), n.RxBps)
		fn(SeriesNetTx(n.Name), n.TxBps)
	}
}
