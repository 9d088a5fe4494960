package collector

import (
	"testing"
	"time"
)

func TestParseDiskstats(t *testing.T) {
	in := "   8       0 sda 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n" +
		"   8      16 sdb 1 0 8 1 2 0 16 2 0 3 4\n\n"
	got, err := parseDiskstats([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "disks", got, []diskCounters{
		{major: 8, name: "sda", reads: 1, readSectors: 3, readMs: 4, writes: 5, writeSectors: 7, writeMs: 8, ioMs: 10, weightedMs: 11},
		{major: 8, minor: 16, name: "sdb", reads: 1, readSectors: 8, readMs: 1, writes: 2, writeSectors: 16, writeMs: 2, ioMs: 3, weightedMs: 4},
	})
	for _, bad := range []string{
		"8 0 sda 1 2 3\n",
		"8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n",
		"8 0 sda 1 2 3 4 5 6 7 8 9 10 -11\n",
		"x 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
		"8 4294967296 sda 1 2 3 4 5 6 7 8 9 10 11\n",
	} {
		if _, err := parseDiskstats([]byte(bad)); err == nil {
			t.Errorf("parseDiskstats(%q): want error", bad)
		}
	}
}

func TestSkipDisk(t *testing.T) {
	for _, tt := range []struct {
		d    diskCounters
		skip bool
	}{
		{diskCounters{name: "loop0"}, true},
		{diskCounters{name: "ram15"}, true},
		{diskCounters{name: "loop3", reads: 1}, false},
		{diskCounters{name: "sda"}, false},
		{diskCounters{name: "nvme0n1p1"}, false},
	} {
		if got := skipDisk(tt.d); got != tt.skip {
			t.Errorf("skipDisk(%s) = %v, want %v", tt.d.name, got, tt.skip)
		}
	}
}

func TestDiskFrom(t *testing.T) {
	prev := diskCounters{name: "sda", reads: 10, readSectors: 100, writes: 10, writeSectors: 100, ioMs: 100}
	cur := diskCounters{name: "sda", reads: 20, readSectors: 300, writes: 15, writeSectors: 500, ioMs: 350}
	eq(t, "rates over 500ms", diskFrom(cur, prev, true, 500*time.Millisecond), Disk{
		Name: "sda", ReadBps: 200 * 512 * 2, WriteBps: 400 * 512 * 2, ReadIOPS: 20, WriteIOPS: 10, BusyPct: 50,
		Reads: 20, Writes: 15, ReadBytes: 300 * 512, WriteBytes: 500 * 512, IOTimeMs: 350,
	})
	// A device replaced under the same name: counters restart, no rates.
	eq(t, "reset", diskFrom(prev, cur, true, time.Second), Disk{
		Name: "sda", Reads: 10, Writes: 10, ReadBytes: 100 * 512, WriteBytes: 100 * 512, IOTimeMs: 100,
	})
	eq(t, "no previous", diskFrom(cur, diskCounters{}, false, time.Second).ReadBps, 0.0)
	eq(t, "zero elapsed", diskFrom(cur, prev, true, 0).BusyPct, 0.0)
}

// TestSigarDiskTimes checks service_time and queue against sigar's
// sigar_disk_usage_get (linux_sigar.c, racker/sigar luvi-up), whose
// previous reading is zero in the original agent.disk (a new sigar per
// run), over interval = the whole seconds of /proc/uptime:
//
//	tput = (reads+writes)*HZ/interval; util = time/interval*HZ
//	service_time = tput ? util/tput : 0; queue = qtime/interval/1000.0
//
// The expected values are those lines compiled as C (HZ 100, uint64
// counters, double arithmetic) and printed with %.17g; their last digits
// differ from time/ios (0.7575757575757576 for sda).
func TestSigarDiskTimes(t *testing.T) {
	for _, tt := range []struct {
		name          string
		d             diskCounters
		uptime        uint64
		service, queu float64
	}{
		{"sda", diskCounters{reads: 1200, writes: 2100, ioMs: 2500, weightedMs: 2700}, 1002, 0.75757575757575768, 0.0026946107784431138},
		{"sdb reads only", diskCounters{reads: 100, ioMs: 3010, weightedMs: 3010}, 1002, 30.099999999999998, 0.0030039920159680641},
		{"xvda1", diskCounters{reads: 846247, writes: 1714790, ioMs: 2257456, weightedMs: 21719276}, 1234567, 0.88146168915169898, 0.017592626402617273},
		{"no I/O: tput 0", diskCounters{weightedMs: 1000}, 100, 0, 0.01},
		{"first second after boot", diskCounters{reads: 5, ioMs: 5, weightedMs: 5}, 0, 0, 0},
	} {
		s, q := sigarDiskTimes(tt.d, tt.uptime)
		if s != tt.service || q != tt.queu {
			t.Errorf("%s: service_time, queue = %.17g, %.17g, want %.17g, %.17g", tt.name, s, q, tt.service, tt.queu)
		}
	}
}

// TestSigarDiskTree samples the canned trees: uptime 1234567.89 (vm) and
// 0.42 (metal, the first second: no interval).
func TestSigarDiskTree(t *testing.T) {
	type times struct {
		name           string
		service, queue float64
	}
	for _, tt := range []struct {
		tree string
		want []times
	}{
		{"vm", []times{
			{"xvda", 0.88145718636523362, 0.017592726842690594},
			{"xvda1", 0.88146168915169898, 0.017592626402617273},
			{"xvdb", 0, 0},
		}},
		{"metal", []times{{"nvme0n1", 0, 0}}},
	} {
		t.Run(tt.tree, func(t *testing.T) {
			var got []times
			for _, d := range sampleSigarTree(t, tt.tree, SourceDisks).Disks {
				got = append(got, times{d.Name, d.ServiceTimeMs, d.Queue})
			}
			eq(t, "disk times", got, tt.want)
		})
	}
}
