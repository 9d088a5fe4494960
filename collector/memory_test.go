package collector

import "testing"

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
