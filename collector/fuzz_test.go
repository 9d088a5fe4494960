package collector

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedFile adds a fixture file as a fuzz seed.
func seedFile(f *testing.F, rel string) {
	f.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "basic", rel))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

func FuzzParseProcStat(f *testing.F) {
	seedFile(f, "step0/proc/stat")
	f.Add([]byte("cpu 1 2 3 4\n"))
	f.Add([]byte("cpu9999999999999999999 1 2 3 4\n"))
	f.Add([]byte("btime \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := parseProcStat(data)
		if err != nil {
			return
		}
		for _, c := range ps.cores {
			if c.index < 0 {
				t.Fatalf("negative core index %d", c.index)
			}
			p := cpuPercent(cpuCounters{}, c.c)
			for _, v := range []float64{p.UsagePct, p.UserPct, p.SystemPct, p.IdlePct, p.IOWaitPct, p.IRQPct, p.NicePct, p.StealPct} {
				if v < 0 || v > 100.0000001 || v != v {
					t.Fatalf("percent %v out of range for %+v", v, c.c)
				}
			}
		}
	})
}

func FuzzParseMeminfo(f *testing.F) {
	seedFile(f, "step0/proc/meminfo")
	f.Add([]byte("MemTotal: 1 kB\nMemAvailable: 5 kB\n"))
	f.Add([]byte("MemTotal:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMeminfo(data)
		if err != nil {
			return
		}
		mem := memoryFrom(m)
		if mem.UsedBytes > mem.TotalBytes || mem.AvailableBytes > mem.TotalBytes {
			t.Fatalf("used %d / available %d above total %d", mem.UsedBytes, mem.AvailableBytes, mem.TotalBytes)
		}
	})
}

func FuzzParseVMStat(f *testing.F) {
	seedFile(f, "step0/proc/vmstat")
	f.Fuzz(func(t *testing.T, data []byte) { _, _, _ = parseVMStat(data) })
}

func FuzzParseLoadavg(f *testing.F) {
	seedFile(f, "step0/proc/loadavg")
	f.Add([]byte("1e308 1e309 0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseLoadavg(string(data))
		if err == nil && (l.Load1 < 0 || l.Load5 < 0 || l.Load15 < 0) {
			t.Fatalf("negative load %+v", l)
		}
	})
}

func FuzzParseDiskstats(f *testing.F) {
	seedFile(f, "step0/proc/diskstats")
	f.Add([]byte("8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := parseDiskstats(data)
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.name == "" {
				t.Fatal("disk without a name")
			}
		}
	})
}

func FuzzParseNetDev(f *testing.F) {
	seedFile(f, "step0/proc/net/dev")
	f.Add([]byte("eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ns, err := parseNetDev(data)
		if err != nil {
			return
		}
		for _, n := range ns {
			if n.name == "" {
				t.Fatal("interface without a name")
			}
		}
	})
}

func FuzzParsePidStat(f *testing.F) {
	seedFile(f, "step0/proc/42/stat")
	seedFile(f, "step1/proc/2000/stat")
	f.Add([]byte("1 ((()) S"))
	f.Add([]byte(")("))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st pidStat
		if err := parsePidStat(data, &st); err != nil {
			return
		}
		if !bytes.Contains(data, st.comm) || st.pid < 0 {
			t.Fatalf("comm %q / pid %d not from the input", st.comm, st.pid)
		}
	})
}

func FuzzParseStatusUID(f *testing.F) {
	seedFile(f, "step0/proc/1/status")
	f.Add([]byte("Uid:"))
	f.Fuzz(func(t *testing.T, data []byte) { _, _ = parseStatusUID(data) })
}

func FuzzParseMountinfo(f *testing.F) {
	seedFile(f, "step0/proc/1/mountinfo")
	f.Add([]byte("1 2 3:4 / / rw - - - -\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseMountinfo(data)
		if err != nil {
			return
		}
		_ = selectMounts(ms, false)
		_ = selectMounts(ms, true)
	})
}

func FuzzParseMounts(f *testing.F) {
	f.Add([]byte("/dev/vda / ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ms, err := parseMounts(data); err == nil {
			_ = selectMounts(ms, false)
		}
	})
}

func FuzzSmallParsers(f *testing.F) {
	seedFile(f, "step0/etc/passwd")
	seedFile(f, "step0/etc/os-release")
	seedFile(f, "step0/proc/net/route")
	seedFile(f, "step0/proc/uptime")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = parsePasswd(data)
		_ = parseOSRelease(data)
		_ = parseDefaultRoute(data)
		_, _ = parseUptime(string(data))
		_ = parseStatusKV(data)
		_, _, _, _, _ = parsePidIO(data)
		_ = unescapeMount(string(data))
		_ = formatCmdline(data)
	})
}
