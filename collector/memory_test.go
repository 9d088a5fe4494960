package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    memInfo
		wantErr bool
	}{
		{
			name: "modern",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 600 kB\nBuffers: 10 kB\nCached: 200 kB\nSReclaimable: 50 kB\nSwapTotal: 300 kB\nSwapFree: 200 kB\nHugePages_Total: 0\n",
			want: memInfo{total: 1024000, free: 102400, available: 614400, buffers: 10240, cached: 204800,
				sreclaimable: 51200, swapTotal: 307200, swapFree: 204800, hasAvailable: true},
		},
		{
			name: "pre-3.14 kernel without MemAvailable",
			in:   "MemTotal: 1000 kB\nMemFree: 100 kB\n",
			want: memInfo{total: 1024000, free: 102400},
		},
		{name: "no MemTotal", in: "MemFree: 100 kB\n", wantErr: true},
		{name: "bad number", in: "MemTotal: lots kB\n", wantErr: true},
		{name: "missing value", in: "MemTotal:\n", wantErr: true},
		{name: "overflow", in: "MemTotal: 18446744073709551615 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMeminfo([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				eq(t, "meminfo", got, tt.want)
			}
		})
	}
}

func TestMemoryFrom(t *testing.T) {
	tests := []struct {
		name string
		in   memInfo
		want Memory
	}{
		{
			name: "used is total minus available",
			in:   memInfo{total: 1000, free: 100, available: 600, buffers: 10, cached: 200, sreclaimable: 50, swapTotal: 300, swapFree: 200, hasAvailable: true},
			want: Memory{TotalBytes: 1000, UsedBytes: 400, FreeBytes: 100, AvailableBytes: 600, CachedBytes: 250, BuffersBytes: 10,
				UsedPct: 40, SwapTotalBytes: 300, SwapUsedBytes: 100, SwapFreeBytes: 200},
		},
		{
			name: "no MemAvailable: free+buffers+cache",
			in:   memInfo{total: 1000, free: 100, buffers: 50, cached: 100, sreclaimable: 50},
			want: Memory{TotalBytes: 1000, UsedBytes: 700, FreeBytes: 100, AvailableBytes: 300, CachedBytes: 150, BuffersBytes: 50, UsedPct: 70},
		},
		{
			name: "available above total is clamped",
			in:   memInfo{total: 100, available: 200, hasAvailable: true},
			want: Memory{TotalBytes: 100, AvailableBytes: 100},
		},
		{name: "zero", in: memInfo{}, want: Memory{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "memory", memoryFrom(tt.in), tt.want)
		})
	}
}

func TestParseVMStat(t *testing.T) {
	in, out, err := parseVMStat([]byte("nr_free_pages 5\npswpin 7\npswpout 9\nweird\n"))
	if err != nil || in != 7 || out != 9 {
		t.Errorf("got %d %d %v, want 7 9 nil", in, out, err)
	}
	if _, _, err := parseVMStat([]byte("pswpin x\n")); err == nil {
		t.Error("pswpin x: want error")
	}
	if in, out, err := parseVMStat(nil); in != 0 || out != 0 || err != nil {
		t.Errorf("empty: got %d %d %v", in, out, err)
	}
}

// TestSigarMemory checks the sigar figures of the memory source against
// values worked out by hand from linux_sigar.c (racker/sigar, luvi-up):
// sigar_mem_get (actual_free = MemFree + Buffers + Cached), get_ram (the
// write-back sizes of /proc/mtrr, taken when 0 <= sum - total MB <= 256)
// and sigar_util.c sigar_mem_calc_ram (MB rounded up to a multiple of 8),
// sigar_swap_get (pswpin, pswpout in pages).
func TestSigarMemory(t *testing.T) {
	tests := []struct {
		tree string
		want Memory
	}{
		{
			// The original's own capture (hostinfo/debug/MEMORY.json of
			// rackspace-monitoring-agent): total 506900480, free 22614016,
			// actual_free 211050496, ram 488. Buffers + Cached = 184020 kB;
			// SReclaimable (20000 kB) is not in sigar's actual_free.
			// 506900480 B = 483.4 MB -> 483 -> next multiple of 8: 488.
			tree: "vm",
			want: Memory{TotalBytes: 506900480, FreeBytes: 22614016, ActualFreeBytes: 211050496, RAMMB: 488},
		},
		{
			// MemTotal 16307000 kB = 15924 MB (15928 rounded); the mtrr
			// write-back ranges add up to 2048 + 13952 = 16000 MB (the
			// uncachable 512 MB is not counted), 76 MB above: taken.
			// actual_free = (1000000 + 400000 + 7000000) kB.
			tree: "metal",
			want: Memory{TotalBytes: 16307000 * 1024, FreeBytes: 1000000 * 1024, ActualFreeBytes: 8400000 * 1024, RAMMB: 16000,
				SwapInPages: 1234, SwapOutPages: 5678, SwapInBytes: 1234 * 4096, SwapOutBytes: 5678 * 4096},
		},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			m := sampleSigarTree(t, tt.tree, SourceMemory).Memory
			got := Memory{TotalBytes: m.TotalBytes, FreeBytes: m.FreeBytes, ActualFreeBytes: m.ActualFreeBytes, RAMMB: m.RAMMB,
				SwapInPages: m.SwapInPages, SwapOutPages: m.SwapOutPages, SwapInBytes: m.SwapInBytes, SwapOutBytes: m.SwapOutBytes}
			eq(t, "sigar memory", got, tt.want)
		})
	}
}

func TestSigarRAM(t *testing.T) {
	for _, tt := range []struct{ total, want uint64 }{
		{506900480, 488},           // 483 MB
		{8 << 20, 8},               // already a multiple of 8
		{8<<20 - 1, 8},             // 7 MB (truncated) -> 8
		{9 << 20, 16},              // 9 -> 16
		{16307000 * 1024, 15928},   // 15924 -> 15928
		{0, 0},                     // nothing to round
		{(1 << 20) - 1, 0},         // under a MB truncates to 0
		{1<<40 + 3<<20, 1<<20 + 8}, // 1 TB + 3 MB
	} {
		if got := SigarRAM(tt.total); got != tt.want {
			t.Errorf("SigarRAM(%d) = %d, want %d", tt.total, got, tt.want)
		}
	}
}

// TestParseMTRR follows get_ram in linux_sigar.c: only lines with "size="
// and, after it, "write-back" count; the number is read as atoi reads it.
func TestParseMTRR(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     int64
	}{
		{"write-back ranges", "reg00: base=0x000000000 (    0MB), size= 2048MB, count=1: write-back\n" +
			"reg01: base=0x080000000 ( 2048MB), size=  512MB, count=1: uncachable\n" +
			"reg02: base=0x100000000 ( 4096MB), size=13952MB, count=1: write-back\n", 16000},
		{"KB sizes count as their number", "reg00: base=0x000c0000 (    0MB), size=  256KB, count=1: write-back\n", 256},
		{"write-back before size= does not count", "write-back reg00: size=100MB\n", 0},
		{"no size", "reg00: base=0x0, count=1: write-back\n", 0},
		{"no digits", "reg00: size=abc write-back\n", 0},
		{"signed", "size=-5MB write-back\nsize=+7MB write-back\n", 2},
		{"no trailing newline", "size=64MB write-back", 64},
		{"empty", "", 0},
		{"huge numbers saturate", "size=99999999999999999999MB write-back\nsize=99999999999999999999MB write-back\n", 1 << 40},
	} {
		if got := parseMTRR([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: parseMTRR = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestMTRRRAM: get_ram takes the sum only when (sum - total MB) computed in
// unsigned 64 bits is at most 256 and the sum is not 0.
func TestMTRRRAM(t *testing.T) {
	total := uint64(16307000 * 1024) // 15924 MB
	for _, tt := range []struct {
		sum  int64
		want uint64
		ok   bool
	}{
		{16000, 16000, true}, // 76 MB above
		{15924, 15924, true}, // equal
		{16180, 16180, true}, // 256 above: the limit
		{16181, 0, false},    // 257 above
		{16384, 0, false},    // 460 above: "way off"
		{4096, 0, false},     // below the total: wraps, punted
		{0, 0, false},        // no write-back ranges
		{-5, 0, false},       // negative: wraps
	} {
		got, ok := mtrrRAM(tt.sum, total)
		if got != tt.want || ok != tt.ok {
			t.Errorf("mtrrRAM(%d) = %d %v, want %d %v", tt.sum, got, ok, tt.want, tt.ok)
		}
	}
}

// TestMTRRReadOnce: /proc/mtrr is read at the first sample only; a sum
// that passed is kept as sigar keeps it (sigar->ram).
func TestMTRRReadOnce(t *testing.T) {
	root := t.TempDir()
	put := func(name, data string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	put("meminfo", "MemTotal: 16307000 kB\nMemFree: 1 kB\n")
	put("vmstat", "")
	put("mtrr", "size=16000MB write-back\n")
	src := newMemorySource(Options{ProcRoot: root}, fixtureSystem())
	var s Snapshot
	if err := src.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	eq(t, "first", s.Memory.RAMMB, uint64(16000))
	put("mtrr", "size=99MB write-back\n")
	if err := src.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	eq(t, "kept", s.Memory.RAMMB, uint64(16000))

	// Absent: the rounded total, and no error.
	if err := os.Remove(filepath.Join(root, "mtrr")); err != nil {
		t.Fatal(err)
	}
	src = newMemorySource(Options{ProcRoot: root}, fixtureSystem())
	if err := src.Collect(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	eq(t, "absent", s.Memory.RAMMB, uint64(15928))
}
