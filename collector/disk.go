package collector

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sectorSize is the unit of /proc/diskstats sector counts, always 512
// bytes whatever the device's real sector size.
const sectorSize = 512

// diskCounters is one line of /proc/diskstats.
type diskCounters struct {
	major, minor                  uint32
	name                          string
	reads, readSectors, readMs    uint64
	writes, writeSectors, writeMs uint64
	ioMs, weightedMs              uint64
}

func (d diskCounters) idle() bool {
	return d.reads == 0 && d.writes == 0 && d.ioMs == 0
}

// parseDiskstats parses /proc/diskstats (14 fields, 18 or 20 on newer
// kernels; the extra discard/flush fields are ignored).
func parseDiskstats(data []byte) ([]diskCounters, error) {
	var out []diskCounters
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data = nextLine(data)
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) < 14 {
			return nil, fmt.Errorf("diskstats line %d: %d fields, want at least 14", n, len(f))
		}
		maj, ok1 := parseUint(f[0])
		mnr, ok2 := parseUint(f[1])
		if !ok1 || !ok2 || maj > 1<<32-1 || mnr > 1<<32-1 {
			return nil, fmt.Errorf("diskstats line %d: bad major/minor %q %q", n, f[0], f[1])
		}
		var v [11]uint64
		for i := range v {
			x, err := strconv.ParseUint(string(f[i+3]), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("diskstats line %d (%s) field %d: %w", n, f[2], i+4, err)
			}
			v[i] = x
		}
		// v: reads, reads merged, sectors read, ms reading, writes, writes
		// merged, sectors written, ms writing, in flight, ms doing I/O,
		// weighted ms.
		out = append(out, diskCounters{
			major: uint32(maj), minor: uint32(mnr),
			name:  string(f[2]),
			reads: v[0], readSectors: v[2], readMs: v[3],
			writes: v[4], writeSectors: v[6], writeMs: v[7],
			ioMs: v[9], weightedMs: v[10],
		})
	}
	return out, nil
}

// skipDisk drops ram and loop devices that have never done I/O: every
// kernel lists 8-16 of each, and they would only be noise. Active loop
// devices (snaps, images) are kept, as are whole disks and partitions, so
// both "sda" and "sda1" appear.
func skipDisk(d diskCounters) bool {
	return (strings.HasPrefix(d.name, "ram") || strings.HasPrefix(d.name, "loop")) && d.idle()
}

// diskFrom computes the Snapshot entry; busy % is the io_ticks delta over
// the elapsed time, capped at 100.
func diskFrom(cur, prev diskCounters, havePrev bool, elapsed time.Duration) Disk {
	d := Disk{
		Name:        cur.name,
		Reads:       cur.reads,
		Writes:      cur.writes,
		ReadBytes:   cur.readSectors * sectorSize,
		WriteBytes:  cur.writeSectors * sectorSize,
		ReadTimeMs:  cur.readMs,
		WriteTimeMs: cur.writeMs,
		IOTimeMs:    cur.ioMs,
		WeightedMs:  cur.weightedMs,
	}
	if !havePrev || elapsed <= 0 {
		return d
	}
	d.ReadBps = rate(cur.readSectors, prev.readSectors, elapsed) * sectorSize
	d.WriteBps = rate(cur.writeSectors, prev.writeSectors, elapsed) * sectorSize
	d.ReadIOPS = rate(cur.reads, prev.reads, elapsed)
	d.WriteIOPS = rate(cur.writes, prev.writes, elapsed)
	d.BusyPct = float64(delta(cur.ioMs, prev.ioMs)) / 10 / elapsed.Seconds() // ms/s -> %
	if d.BusyPct > 100 {
		d.BusyPct = 100
	}
	return d
}

// sigarHZ is the HZ of sigar_disk_usage_get (glibc's <sys/param.h>: 100).
// It cancels out of service_time; it is kept so the arithmetic is sigar's
// to the last bit.
const sigarHZ = 100

// sigarDiskTimes is sigar's service_time and queue for one device as the
// original agent.disk gets them (sigar_disk_usage_get, linux_sigar.c in
// racker/sigar, the luvi-up branch the agent's luvi links). The check
// opens a new sigar on every run (check/disk.lua:56), so sigar's cached
// previous reading of the device is all zero and the "deltas" are the
// counters since boot, over an interval of the whole seconds of
// /proc/uptime (sigar's snaptime, a uint64):
//
//	ios          = reads + writes
//	tput         = ios * HZ / interval
//	util         = io_ms / interval * HZ
//	service_time = util / tput (0 when tput is 0)
//	queue        = weighted_io_ms / interval / 1000
//
// in float64 in that order, as sigar computes in double. service_time is
// milliseconds per I/O (io_ms / ios); queue the average number of I/Os in
// flight. With an uptime under one second sigar divides by zero (NaN or
// Inf, which JSON cannot carry); both are 0 then.
func sigarDiskTimes(c diskCounters, uptimeS uint64) (serviceTimeMs, queue float64) {
	if uptimeS == 0 {
		return 0, 0
	}
	interval := float64(uptimeS)
	ios := c.reads + c.writes
	tput := float64(ios) * sigarHZ / interval
	util := float64(c.ioMs) / interval * sigarHZ
	if tput != 0 {
		serviceTimeMs = util / tput
	}
	queue = float64(c.weightedMs) / interval / 1000.0
	return serviceTimeMs, queue
}

type diskSource struct {
	opts     Options
	isPart   map[string]bool // "name maj:min" -> partition, checked once per device
	prev     map[string]diskCounters
	prevTime time.Time
}

func newDiskSource(opts Options) *diskSource {
	return &diskSource{opts: opts, prev: map[string]diskCounters{}, isPart: map[string]bool{}}
}

func (*diskSource) Name() string { return SourceDisks }

func (d *diskSource) Collect(ctx context.Context, s *Snapshot) error {
	var counters []diskCounters
	var uptimeS uint64 // sigar's interval; 0 (no service_time, queue) when unreadable
	if d.opts.procFS() {
		data, err := readFile(d.opts.procRoot(), "diskstats")
		if err != nil {
			return err
		}
		if counters, err = parseDiskstats(data); err != nil {
			return fmt.Errorf("parse %s/diskstats: %w", d.opts.procRoot(), err)
		}
		if up, err := readFile(d.opts.procRoot(), "uptime"); err == nil {
			uptimeS, _ = parseUptime(string(up))
		}
	} else {
		var err error
		if counters, err = diskFallback(ctx); err != nil {
			return err
		}
	}
	elapsed := elapsedSince(d.prevTime, s.Time)
	out := make([]Disk, 0, len(counters))
	next := make(map[string]diskCounters, len(counters))
	for _, c := range counters {
		if skipDisk(c) {
			continue
		}
		prev, ok := d.prev[c.name]
		disk := diskFrom(c, prev, ok, elapsed)
		if d.opts.procFS() {
			disk.Partition = d.partition(c)
			disk.ServiceTimeMs, disk.Queue = sigarDiskTimes(c, uptimeS)
		}
		out = append(out, disk)
		next[c.name] = c
	}
	d.prev, d.prevTime = next, s.Time
	s.Disks = out
	return nil
}

// partition reports whether the device is a partition (sysfs has a
// "partition" file for those), so consumers can sum whole disks only.
func (d *diskSource) partition(c diskCounters) bool {
	key := fmt.Sprintf("%s %d:%d", c.name, c.major, c.minor)
	if p, ok := d.isPart[key]; ok {
		return p
	}
	_, err := os.Stat(filepath.Join(d.opts.sysRoot(), "class", "block", strings.ReplaceAll(c.name, "/", "!"), "partition"))
	p := err == nil
	if len(d.isPart) > 4096 {
		clear(d.isPart)
	}
	d.isPart[key] = p
	return p
}
