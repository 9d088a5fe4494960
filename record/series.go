package record

import (
	"strconv"

	"github.com/virgo-top/virgo-top/collector"
)

// DefaultSeries lists the trend series of a sample under the names the
// agent's history uses (agent.EachSeries): cpu.usage, cpu.user, ...,
// cpu.core.N, mem.used_pct, mem.used_bytes, mem.cached_bytes,
// swap.used_bytes, swap.used_pct, load.1/5/15, disk.DEV.read_bps and
// write_bps, net.IF.rx_bps and tx_bps, fs.MOUNT.used_pct. The agent should
// pass agent.EachSeries as Options.Series so the two never differ.
func DefaultSeries(s *collector.Snapshot, fn func(name string, v float64)) {
	if _, failed := s.Errors[collector.SourceMemory]; !failed && s.Memory.TotalBytes > 0 {
		m := s.Memory
		fn("mem.used_pct", m.UsedPct)
		fn("mem.used_bytes", float64(m.UsedBytes))
		fn("mem.cached_bytes", float64(m.CachedBytes))
		fn("swap.used_bytes", float64(m.SwapUsedBytes))
		if m.SwapTotalBytes > 0 {
			fn("swap.used_pct", 100*float64(m.SwapUsedBytes)/float64(m.SwapTotalBytes))
		}
	}
	if _, failed := s.Errors[collector.SourceLoad]; !failed {
		fn("load.1", s.Load.Load1)
		fn("load.5", s.Load.Load5)
		fn("load.15", s.Load.Load15)
	}
	for _, f := range s.Filesystems {
		fn("fs."+f.Mount+".used_pct", f.UsedPct)
	}
	if s.Elapsed <= 0 {
		return
	}
	if _, failed := s.Errors[collector.SourceCPU]; !failed {
		c := s.CPU
		fn("cpu.usage", c.UsagePct)
		fn("cpu.user", c.UserPct)
		fn("cpu.system", c.SystemPct)
		fn("cpu.idle", c.IdlePct)
		fn("cpu.iowait", c.IOWaitPct)
		fn("cpu.steal", c.StealPct)
		fn("cpu.irq", c.IRQPct)
		for i, core := range c.PerCore {
			fn("cpu.core."+strconv.Itoa(i), core.UsagePct)
		}
	}
	for _, d := range s.Disks {
		fn("disk."+d.Name+".read_bps", d.ReadBps)
		fn("disk."+d.Name+".write_bps", d.WriteBps)
	}
	for _, n := range s.Network {
		fn("net."+n.Name+".rx_bps", n.RxBps)
		fn("net."+n.Name+".tx_bps", n.TxBps)
	}
}
