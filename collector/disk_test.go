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
