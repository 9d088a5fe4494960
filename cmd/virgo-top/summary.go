package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// writeSummary prints a short human summary of one Snapshot: the host, CPU,
// memory, load, filesystems, disks, network and the five busiest processes.
func writeSummary(w io.Writer, s *collector.Snapshot) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	h := s.Host
	fmt.Fprintf(tw, "host\t%s  %s %s  kernel %s  %s  up %s\n", h.Hostname, h.Platform, h.PlatformVersion, h.Kernel, h.Arch,
		(time.Duration(h.UptimeS) * time.Second).String())
	c := s.CPU
	fmt.Fprintf(tw, "cpu\t%.1f%% used (user %.1f%%, system %.1f%%, iowait %.1f%%, steal %.1f%%) on %d cores\n",
		c.UsagePct, c.UserPct, c.SystemPct, c.IOWaitPct, c.StealPct, c.Cores)
	m := s.Memory
	fmt.Fprintf(tw, "memory\t%s used of %s (%.1f%%), %s available, %s cached; swap %s of %s\n",
		humanBytes(m.UsedBytes), humanBytes(m.TotalBytes), m.UsedPct, humanBytes(m.AvailableBytes),
		humanBytes(m.CachedBytes), humanBytes(m.SwapUsedBytes), humanBytes(m.SwapTotalBytes))
	fmt.Fprintf(tw, "load\t%.2f %.2f %.2f\n", s.Load.Load1, s.Load.Load5, s.Load.Load15)
	for _, f := range s.Filesystems {
		fmt.Fprintf(tw, "fs %s\t%s %s, %s of %s used (%.1f%%), inodes %.1f%%\n", f.Mount, f.Device, f.FSType,
			humanBytes(f.UsedBytes), humanBytes(f.TotalBytes), f.UsedPct, f.InodesUsedPct)
	}
	for _, d := range s.Disks {
		fmt.Fprintf(tw, "disk %s\tread %s/s (%.0f IOPS), write %s/s (%.0f IOPS), %.0f%% busy\n", d.Name,
			humanBytes(uint64(d.ReadBps)), d.ReadIOPS, humanBytes(uint64(d.WriteBps)), d.WriteIOPS, d.BusyPct)
	}
	for _, n := range s.Network {
		fmt.Fprintf(tw, "net %s\trx %s/s, tx %s/s\n", n.Name, humanBytes(uint64(n.RxBps)), humanBytes(uint64(n.TxBps)))
	}
	procs := append([]collector.Process(nil), s.Processes...)
	sort.SliceStable(procs, func(i, j int) bool { return procs[i].CPUPct > procs[j].CPUPct })
	fmt.Fprintf(tw, "processes\t%d\n", len(procs))
	for i := 0; i < len(procs) && i < 5; i++ {
		p := procs[i]
		fmt.Fprintf(tw, "  %d\t%s (%s) %.1f%% cpu, %s rss\n", p.PID, p.Name, p.User, p.CPUPct, humanBytes(p.RSSBytes))
	}
	if len(s.Errors) > 0 {
		keys := make([]string, 0, len(s.Errors))
		for k := range s.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(tw, "error %s\t%s\n", k, s.Errors[k])
		}
	}
	return tw.Flush()
}

// humanBytes formats a byte count with binary units: 512 B, 1.5 KiB, 3.2 GiB.
func humanBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %siB", float64(b)/float64(div), strings.Split("K M G T P E", " ")[exp])
}
