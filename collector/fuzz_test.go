package collector

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
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
	f.Add([]byte("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 987654 321 12345 7654321 999 0 34 1 900000 300\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := parseProcStat(data)
		if err != nil {
			return
		}
		for _, c := range ps.cores {
			if c.index < 0 {
				t.Fatalf("negative core index %d", c.index)
			}
			// Cumulative seconds: never negative or NaN, and kept
			// monotonic against any earlier reading.
			secs := cpuSeconds(c.index, c.c, ps.hz)
			later := keepMonotonic(secs, cpuSeconds(c.index, cpuCounters{user: c.c.user / 2, idle: c.c.idle}, ps.hz))
			for _, v := range []float64{secs.User, secs.Nice, secs.System, secs.Idle, secs.IOWait, secs.IRQ,
				secs.SoftIRQ, secs.Steal, secs.Guest, secs.GuestNice} {
				if v < 0 || v != v {
					t.Fatalf("seconds %v out of range for %+v", v, c.c)
				}
			}
			if later.User < secs.User || later.Nice < secs.Nice || later.Guest < secs.Guest {
				t.Fatalf("went backwards: %+v after %+v", later, secs)
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

func FuzzParseMTRR(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "sigar", "metal", "proc", "mtrr"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data, uint64(16307000*1024))
	f.Add([]byte("size=  256KB write-back\nsize=-9 write-back"), uint64(0))
	f.Add([]byte("size=99999999999999999999999 write-back\n"), uint64(1<<63))
	f.Fuzz(func(t *testing.T, data []byte, total uint64) {
		sum := parseMTRR(data)
		if sum > 1<<40 || sum < -(1<<40) {
			t.Fatalf("sum %d beyond the clamp", sum)
		}
		if ram, ok := mtrrRAM(sum, total); ok && (ram == 0 || ram-total/mebibyte > 256) {
			t.Fatalf("mtrrRAM(%d, %d) = %d, accepted", sum, total, ram)
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
	f.Add([]byte("31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n40 30 0:37 /x /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ms, err := parseMountinfo(data)
		if err != nil {
			return
		}
		_ = selectMounts(ms, false)
		_ = selectMounts(ms, true)
		for _, h := range findHierarchies(ms, "/s", "/r") {
			if h.roles == 0 || h.root == "" {
				t.Fatalf("hierarchy %+v", h)
			}
		}
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

func FuzzParsePSI(f *testing.F) {
	for _, rel := range []string{"psi-6.1/proc/pressure/cpu", "psi-6.1/proc/pressure/io", "psi-5.10/proc/pressure/cpu"} {
		data, err := os.ReadFile(filepath.Join("testdata", "pressure", rel))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("some avg10=1e2 avg60=0x1p-2 avg300=+0 total=-1\n"))
	f.Add([]byte("some avg10=100 avg60=100 avg300=100\nfull avg10= avg60=1 avg300=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePSI(data)
		if err != nil {
			return
		}
		for _, v := range []float64{p.SomeAvg10, p.SomeAvg60, p.SomeAvg300, p.FullAvg10, p.FullAvg60, p.FullAvg300} {
			if !(v >= 0 && v <= 100) {
				t.Fatalf("percentage %v out of [0,100] in %+v", v, p)
			}
		}
	})
}

// FuzzCgroupFiles: the cgroup file parsers and the naming of groups and
// processes never panic on any content, and names are never longer than
// the path they come from.
func FuzzCgroupFiles(f *testing.F) {
	f.Add([]byte("8:0 rbytes=1 wbytes=2 rios=3\n259:0 rbytes=18446744073709551615\n"))
	f.Add([]byte("8:0 Read 10\n8:0 Write 20\nTotal 30\n"))
	f.Add([]byte("usage_usec 12\ninactive_file 3\n"))
	f.Add([]byte("9:name=systemd:/\n4:memory:/process_api/57da532e61f066368275b916a2771594\n0::/\n"))
	f.Add([]byte("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice/cri-containerd-" + criID + ".scope"))
	f.Add([]byte("/docker/" + dockerID + "/init.scope"))
	f.Add([]byte("/pod"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, _ = parseIOStat(data)
		_, _, _ = parseBlkio(data)
		_, _ = parseKeyedUint(data, "usage_usec")
		_ = countLines(data)
		_ = memLimit(data)
		if p := parseProcCgroup(data); p != nil && (len(p) == 0 || p[0] != '/') {
			t.Fatalf("cgroup path %q is not absolute", p)
		}
		path := string(data)
		name, kind := cgroupName(path)
		if name == "" && path != "" || len(name) > max(len(path), 1) {
			t.Fatalf("cgroupName(%q) = %q", path, name)
		}
		switch kind {
		case "slice", "service", "scope", "container", "cgroup":
		default:
			t.Fatalf("cgroupName(%q): kind %q", path, kind)
		}
		if c := containerOf(path); len(c) > len(path) {
			t.Fatalf("containerOf(%q) = %q", path, c)
		}
	})
}

// FuzzSensorAttrs: a device's attributes ("name=value" lines) never give
// a battery outside 0-100 % or a non-finite reading.
func FuzzSensorAttrs(f *testing.F) {
	f.Add([]byte("type=Battery\ncapacity=87\npower_now=9876000\nstatus=Discharging"))
	f.Add([]byte("type=Battery\ncharge_now=-2\ncharge_full=4\ncurrent_now=-9223372036854775808\nvoltage_now=9223372036854775807"))
	f.Add([]byte("temp1_input=52000\ntemp1_label=Package id 0\ntemp1_max=84000\ntemp1_crit=100000\ntemp2_input=-273150"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := map[string]string{}
		var names []string
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				m[k] = v
				names = append(names, k)
			}
		}
		a := func(k string) (string, bool) { v, ok := m[k]; return v, ok }
		if b, ok := batteryFrom("B", a); ok {
			if !(b.Percent >= 0 && b.Percent <= 100) || math.IsNaN(b.PowerW) || math.IsInf(b.PowerW, 0) || b.PowerW < 0 {
				t.Fatalf("battery %+v", b)
			}
		}
		for _, s := range tempSensors("chip", tempIndexes(names), a) {
			if !(s.TempC >= minTempC && s.TempC <= maxTempC) || s.HighC < 0 || s.CritC < 0 {
				t.Fatalf("sensor %+v", s)
			}
		}
	})
}
