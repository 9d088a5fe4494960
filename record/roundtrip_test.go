package record_test

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

var t0 = time.Date(2026, 3, 2, 3, 12, 5, 123456789, time.UTC)

// fullSnapshot sets every field of a Snapshot and of its processes to a
// distinct value that the recording's precision keeps exactly.
func fullSnapshot(i int) *collector.Snapshot {
	f := float64(i)
	s := &collector.Snapshot{
		Time:    t0.Add(time.Duration(i) * time.Second),
		Elapsed: time.Second + time.Duration(i)*time.Millisecond + 7,
		Host: collector.Host{Hostname: "db-7", OS: "linux", Platform: "debian", PlatformVersion: "12.5", Kernel: "6.1.0-18-amd64",
			Arch: "x86_64", UptimeS: 86400 + uint64(i), BootTime: t0.Add(-24 * time.Hour), Virtualization: "kvm", VirtRole: "guest"},
		CPU: collector.CPU{
			CPUTimes: collector.CPUTimes{UsagePct: 12.34 + f, UserPct: 8.01, SystemPct: 3.33, IdlePct: 87.66 - f, IOWaitPct: 0.5,
				StealPct: 0.01, IRQPct: 0.12, NicePct: 0.02},
			Cores: 2,
			PerCore: []collector.CPUTimes{
				{UsagePct: 20 + f, UserPct: 15, SystemPct: 5, IdlePct: 80, IOWaitPct: 0.25, StealPct: 0.5, IRQPct: 0.75, NicePct: 1},
				{UsagePct: 4.56, UserPct: 2.28, SystemPct: 2.28, IdlePct: 95.44, IOWaitPct: 0, StealPct: 0, IRQPct: 0.01, NicePct: 0},
			},
		},
		Memory: collector.Memory{TotalBytes: 16 << 30, UsedBytes: 9<<30 + uint64(i)*4096, FreeBytes: 1 << 30, AvailableBytes: 6 << 30,
			CachedBytes: 5 << 30, BuffersBytes: 300 << 20, UsedPct: 56.25, SwapTotalBytes: 4 << 30, SwapUsedBytes: 1 << 20,
			SwapFreeBytes: 4<<30 - 1<<20, SwapInBytes: 123 << 12, SwapOutBytes: 456 << 12},
		Load: collector.Load{Load1: 1.23 + f/100, Load5: 0.98, Load15: 0.5, Cores: 2},
		Filesystems: []collector.Filesystem{
			{Mount: "/", Device: "/dev/vda1", Disk: "vda1", FSType: "ext4", Options: "rw,relatime", TotalBytes: 100 << 30,
				UsedBytes: 40 << 30, FreeBytes: 60 << 30, AvailBytes: 55 << 30, UsedPct: 40, InodesTotal: 6553600, InodesFree: 6000000,
				InodesUsedPct: 8.44},
			{Mount: "/mnt/ro", Device: "/dev/vdb", FSType: "iso9660", Options: "ro", TotalBytes: 1 << 30, UsedBytes: 1 << 30,
				UsedPct: 100, ReadOnly: true},
		},
		Disks: []collector.Disk{
			{Name: "vda", ReadBps: 4096 * 3, WriteBps: 8192 + f, ReadIOPS: 3, WriteIOPS: 2.5, BusyPct: 1.25, Reads: 1000 + uint64(i),
				Writes: 2000, ReadBytes: 1 << 40, WriteBytes: math.MaxUint64 - 5, ReadTimeMs: 11, WriteTimeMs: 22, IOTimeMs: 33, WeightedMs: 44},
			{Name: "vda1", Partition: true, ReadBps: 1, Reads: 1},
		},
		Network: []collector.NetIf{
			{Name: "eth0", RxBps: 1500 + f, TxBps: 900, RxPps: 10.5, TxPps: 9.25, RxErrPS: 0.01, TxErrPS: 0.02, RxDropPS: 0.03, TxDropPS: 0.04,
				RxBytes: 1e12, TxBytes: 2e12, RxPackets: 3e9, TxPackets: 4e9, RxErrors: 5, TxErrors: 6, RxDropped: 7, TxDropped: 8, LinkState: "up"},
			{Name: "wlan0", LinkState: "down"},
		},
		Processes: []collector.Process{
			{PID: 1, PPID: 0, Name: "systemd", User: "root", UID: 0, State: "S", Threads: 1, CPUPct: 0.01, CPUTimeS: 123.45,
				RSSBytes: 12 << 20, VMSBytes: 170 << 20, MemPct: 0.07, StartTime: t0.Add(-24*time.Hour + 500*time.Millisecond), Nice: 0,
				Cmdline: "/sbin/init", IOReadBps: 1e6, IOWriteBps: 5e5 + f, IOKnown: true, Cgroup: "/init.scope", Container: "init.scope"},
			{PID: 812, PPID: 1, Name: "postgres", User: "postgres", UID: 112, State: "R", Threads: 7, CPUPct: 103.5 + f, CPUTimeS: 9876.54 + f,
				RSSBytes: 800<<20 + uint64(i)*4096, VMSBytes: 2 << 30, MemPct: 4.88, StartTime: t0.Add(-23 * time.Hour), Nice: -5,
				Cmdline: "postgres -D /var/lib/postgresql --password=hunter2 postgres://app:pw@db/app",
				Cgroup:  "/system.slice/postgresql@16-main.service", Container: "postgresql@16-main.service"},
			{PID: 4194303, PPID: 812, Name: "kworker/1:0", User: "root", State: "I", StartTime: t0.Add(-time.Minute), Nice: 19,
				Cgroup: "/", IOKnown: true},
			// A thread's row (collector.Sampler.SetThreads): not recorded.
			{PID: 813, PPID: 812, Name: "postgres worker", User: "postgres", State: "R", Thread: true, CPUPct: 50},
		},
		ProcessCount: 3,
		Pressure: &collector.Pressure{
			CPU:    collector.PSI{SomeAvg10: 12.34 + f, SomeAvg60: 10.5, SomeAvg300: 8.25, HasFull: true},
			Memory: collector.PSI{SomeAvg10: 0.01, SomeAvg60: 0.02, SomeAvg300: 0.03, FullAvg10: 0.04, FullAvg60: 0.05, FullAvg300: 0.06 + f/100, HasFull: true},
			IO:     collector.PSI{SomeAvg10: 99.99, SomeAvg60: 100, SomeAvg300: 0.5},
		},
		Cgroups: []collector.Cgroup{
			{Path: "/", Name: "/", Kind: "cgroup", Version: 1, Procs: 40, CPUPct: 123.45 + f, MemBytes: 9 << 30, IOReadBps: 4096 + f, IOWriteBps: 1e6,
				Pressure: &collector.Pressure{CPU: collector.PSI{SomeAvg10: 1, SomeAvg60: 2, SomeAvg300: 3}, IO: collector.PSI{FullAvg10: f, HasFull: true}}},
			{Path: "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope", Name: "0123456789ab",
				Kind: "container", Version: 2, Procs: 2, CPUPct: 99.5, MemBytes: 300<<20 + uint64(i)*4096, MemLimit: 1 << 30},
			{Path: "/system.slice/postgresql@16-main.service", Name: "postgresql@16-main.service", Kind: "service", Version: 2, Procs: 5,
				CPUPct: 103.5 + f, MemBytes: 800 << 20},
		},
		Sensors: []collector.Sensor{
			{Chip: "coretemp", Label: "Package id 0", TempC: 52 + f, HighC: 84, CritC: 100},
			{Chip: "nvme", Label: "Composite", TempC: 38.85, HighC: 82.85, CritC: 84.85},
		},
		Batteries: []collector.Battery{{Name: "BAT0", Percent: 87.5 - f, Status: "Discharging", PowerW: 9.88}},
		Errors:    map[string]string{"disks": "read /proc/diskstats: permission denied"},
		Durations: map[string]time.Duration{"cpu": 123 * time.Microsecond, "processes": 4567 * time.Microsecond, "disks": 0},
	}
	return s
}

// kept returns s as the recording gives it back: numbers at their
// documented precision, processes sorted by pid with masked command
// lines, times in UTC.
func kept(s *collector.Snapshot, mask func(string) string) *collector.Snapshot {
	c := *s
	r100 := func(v float64) float64 { return math.Round(v*100) / 100 }
	cpu := func(t collector.CPUTimes) collector.CPUTimes {
		return collector.CPUTimes{UsagePct: r100(t.UsagePct), UserPct: r100(t.UserPct), SystemPct: r100(t.SystemPct), IdlePct: r100(t.IdlePct),
			IOWaitPct: r100(t.IOWaitPct), StealPct: r100(t.StealPct), IRQPct: r100(t.IRQPct), NicePct: r100(t.NicePct)}
	}
	c.Time = s.Time.UTC()
	c.Host.BootTime = s.Host.BootTime.UTC()
	c.CPU.CPUTimes = cpu(s.CPU.CPUTimes)
	c.CPU.PerCore = nil
	for _, t := range s.CPU.PerCore {
		c.CPU.PerCore = append(c.CPU.PerCore, cpu(t))
	}
	c.Memory.UsedPct = r100(s.Memory.UsedPct)
	c.Load.Load1, c.Load.Load5, c.Load.Load15 = r100(s.Load.Load1), r100(s.Load.Load5), r100(s.Load.Load15)
	c.Filesystems = slices.Clone(s.Filesystems)
	for i := range c.Filesystems {
		f := &c.Filesystems[i]
		f.UsedPct, f.InodesUsedPct = r100(f.UsedPct), r100(f.InodesUsedPct)
	}
	c.Disks = slices.Clone(s.Disks)
	for i := range c.Disks {
		d := &c.Disks[i]
		d.ReadBps, d.WriteBps = math.Round(d.ReadBps), math.Round(d.WriteBps)
		d.ReadIOPS, d.WriteIOPS, d.BusyPct = r100(d.ReadIOPS), r100(d.WriteIOPS), r100(d.BusyPct)
	}
	c.Network = slices.Clone(s.Network)
	for i := range c.Network {
		n := &c.Network[i]
		n.RxBps, n.TxBps = math.Round(n.RxBps), math.Round(n.TxBps)
		n.RxPps, n.TxPps, n.RxErrPS, n.TxErrPS, n.RxDropPS, n.TxDropPS = r100(n.RxPps), r100(n.TxPps), r100(n.RxErrPS), r100(n.TxErrPS), r100(n.RxDropPS), r100(n.TxDropPS)
	}
	c.Processes = keptProcs(s.Processes, mask)
	psi := func(p *collector.Pressure) *collector.Pressure {
		if p == nil {
			return nil
		}
		q := *p
		for _, r := range []*collector.PSI{&q.CPU, &q.Memory, &q.IO} {
			r.SomeAvg10, r.SomeAvg60, r.SomeAvg300 = r100(r.SomeAvg10), r100(r.SomeAvg60), r100(r.SomeAvg300)
			r.FullAvg10, r.FullAvg60, r.FullAvg300 = r100(r.FullAvg10), r100(r.FullAvg60), r100(r.FullAvg300)
		}
		return &q
	}
	c.Pressure = psi(s.Pressure)
	c.Cgroups = nil
	for _, g := range s.Cgroups {
		g.CPUPct, g.IOReadBps, g.IOWriteBps = r100(g.CPUPct), math.Round(g.IOReadBps), math.Round(g.IOWriteBps)
		g.Pressure = psi(g.Pressure)
		c.Cgroups = append(c.Cgroups, g)
	}
	c.Sensors, c.Batteries = nil, nil
	for _, x := range s.Sensors {
		x.TempC, x.HighC, x.CritC = r100(x.TempC), r100(x.HighC), r100(x.CritC)
		c.Sensors = append(c.Sensors, x)
	}
	for _, b := range s.Batteries {
		b.Percent, b.PowerW = r100(b.Percent), r100(b.PowerW)
		c.Batteries = append(c.Batteries, b)
	}
	if len(s.Durations) > 0 {
		c.Durations = map[string]time.Duration{}
		for k, v := range s.Durations {
			c.Durations[k] = v.Round(time.Microsecond)
		}
	}
	return &c
}

func keptProcs(ps []collector.Process, mask func(string) string) []collector.Process {
	if ps == nil {
		return nil
	}
	out := slices.DeleteFunc(slices.Clone(ps), func(p collector.Process) bool { return p.Thread })
	slices.SortFunc(out, func(a, b collector.Process) int { return int(a.PID) - int(b.PID) })
	for i := range out {
		p := &out[i]
		p.CPUPct, p.CPUTimeS, p.MemPct = math.Round(p.CPUPct*100)/100, math.Round(p.CPUTimeS*100)/100, math.Round(p.MemPct*100)/100
		p.IOReadBps, p.IOWriteBps = math.Round(p.IOReadBps), math.Round(p.IOWriteBps)
		if !p.StartTime.IsZero() {
			p.StartTime = p.StartTime.UTC()
		}
		p.Cmdline = mask(p.Cmdline)
	}
	return out
}

// utc normalizes the times of a replayed snapshot (they come back in
// Local) for comparison.
func utc(s *collector.Snapshot) *collector.Snapshot {
	c := *s
	c.Time = s.Time.UTC()
	c.Host.BootTime = s.Host.BootTime.UTC()
	c.Processes = slices.Clone(s.Processes)
	for i := range c.Processes {
		if !c.Processes[i].StartTime.IsZero() {
			c.Processes[i].StartTime = c.Processes[i].StartTime.UTC()
		}
	}
	return &c
}

func diffJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var a, b string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			b = wl[i]
		}
		if a != b {
			t.Errorf("%s differs at line %d:\n got: %s\nwant: %s", what, i+1, a, b)
			return
		}
	}
	t.Errorf("%s differs (not in JSON):\n got %#v\nwant %#v", what, got, want)
}

func openWriter(t *testing.T, opt record.Options) *record.Writer {
	t.Helper()
	opt.NoSync = true
	w, err := record.OpenWriter(opt)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func openReader(t *testing.T, path string) *record.Reader {
	t.Helper()
	r, err := record.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func frames(t *testing.T, r *record.Reader, from, to time.Time) []*record.Frame {
	t.Helper()
	var out []*record.Frame
	if err := r.Range(from, to, func(f *record.Frame) error { out = append(out, f); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRoundTripSnapshot: every field of Snapshot and Process comes back
// (at the documented precision), through layout changes, process churn,
// a failed process source and the keyframes that restate the table.
func TestRoundTripSnapshot(t *testing.T) {
	mask := record.NewMasker()
	var snaps []*collector.Snapshot
	// 0: the first sample: no rates yet.
	s := fullSnapshot(0)
	s.Elapsed = 0
	snaps = append(snaps, s)
	// 1: values change, a process exits, one starts, one execs, one is
	// a pid reused by another program.
	s = fullSnapshot(1)
	s.Processes = append(slices.Clone(s.Processes[1:]), collector.Process{PID: 900, PPID: 812, Name: "psql", User: "app", UID: 1001,
		State: "S", Threads: 1, RSSBytes: 8 << 20, StartTime: s.Time.Add(-300 * time.Millisecond), Cmdline: "psql -c 'select 1' 'ünïcode ✓'"})
	s.Processes[0].Cmdline = "postgres: checkpointer"
	s.ProcessCount = 3
	snaps = append(snaps, s)
	// 2: a new filesystem, a disk gone, an interface down, no errors;
	// the process source failed: the table is not recorded.
	s = fullSnapshot(2)
	s.Filesystems = append(s.Filesystems, collector.Filesystem{Mount: "/data", Device: "/dev/vdc", Disk: "vdc", FSType: "xfs", TotalBytes: 1 << 40})
	s.Disks = s.Disks[:1]
	s.Network[0].LinkState = "down"
	s.Errors = map[string]string{collector.SourceProcesses: "open /proc: too many open files"}
	s.Processes, s.ProcessCount = nil, 0
	s.Durations = nil
	// Cgroups not listed this sample (the sampler lists them only when
	// asked): the table of sample 1 stays. The sensors are gone.
	s.Cgroups, s.Sensors, s.Batteries = nil, nil, nil
	snaps = append(snaps, s)
	// 3: extremes: wrapping counters, negative values, empty sections.
	s = fullSnapshot(3)
	s.CPU = collector.CPU{}
	s.Filesystems, s.Disks, s.Network = nil, nil, nil
	s.Memory.UsedBytes = math.MaxUint64
	s.Processes = []collector.Process{{PID: 7, PPID: -1, Nice: -20, Threads: math.MaxInt32, UID: math.MaxUint32, CPUPct: -0.5, Name: "x",
		IOReadBps: 1e15, IOKnown: true, Cgroup: "/a", Container: "a"}}
	s.ProcessCount = 1
	s.Errors = nil
	// No PSI; a group gone, one new, extremes; the sensors back with a
	// battery whose status changed.
	s.Pressure = nil
	s.Cgroups = []collector.Cgroup{s.Cgroups[0], {Path: "/z", Name: "z", Kind: "cgroup", Version: 2, CPUPct: -0.5, MemBytes: math.MaxUint64,
		MemLimit: 1, Procs: math.MaxInt32, Pressure: &collector.Pressure{}}}
	s.Batteries[0].Status = "Charging"
	s.Sensors = append(s.Sensors, collector.Sensor{Chip: "acpitz", Label: "thermal_zone0", TempC: -40.5})
	snaps = append(snaps, s)
	// 4: the sampler stopped listing processes: an empty table.
	s = fullSnapshot(4)
	s.Processes = nil
	snaps = append(snaps, s)

	for _, every := range []time.Duration{time.Hour, 0} {
		t.Run("keyframe every "+every.String(), func(t *testing.T) {
			defer record.SetKeyframeEvery(every)()
			dir := t.TempDir()
			w := openWriter(t, record.Options{Dir: dir, ProcessInterval: time.Nanosecond, FlushInterval: 2 * time.Second})
			for _, s := range snaps {
				w.Sample(s)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			r := openReader(t, dir)
			got := frames(t, r, t0.Add(-time.Hour), t0.Add(time.Hour))
			if len(got) != len(snaps) {
				t.Fatalf("%d frames, want %d", len(got), len(snaps))
			}
			var table []collector.Process
			var cgroups []collector.Cgroup
			var tableTime, cgTime time.Time
			for i, s := range snaps {
				want := kept(s, mask)
				switch {
				case i == 2: // failed source: the table of sample 1 stays
					want.Processes = table
				case i == 4: // no list: an empty table
					want.Processes = []collector.Process{}
					tableTime = s.Time
				default:
					table, tableTime = want.Processes, s.Time
				}
				if s.Cgroups == nil {
					want.Cgroups = cgroups
				} else {
					cgroups, cgTime = want.Cgroups, s.Time
				}
				if !got[i].CgroupTime.Equal(cgTime) {
					t.Errorf("frame %d: cgroup time %v, want %v", i, got[i].CgroupTime, cgTime)
				}
				diffJSON(t, "frame "+string(rune('0'+i)), utc(got[i].Snapshot), want)
				if !got[i].ProcessTime.Equal(tableTime) {
					t.Errorf("frame %d: process time %v, want %v", i, got[i].ProcessTime, tableTime)
				}
				// At gives the same frame.
				f, err := r.At(s.Time.Add(500 * time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				diffJSON(t, "At "+string(rune('0'+i)), utc(f.Snapshot), utc(got[i].Snapshot))
			}
		})
	}
}

// TestProcessInterval: with 1 s samples the table is recorded every 5 s
// (jitter included); the frames in between show the last table.
func TestProcessInterval(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	jitter := []time.Duration{0, 3, -2, 1, -4, 2, 0, -1, 4, -3, 1, 0, 2}
	for i, j := range jitter {
		s := fullSnapshot(i)
		s.Time = t0.Add(time.Duration(i)*time.Second + j*time.Millisecond)
		s.Elapsed = time.Second
		w.Sample(s)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := frames(t, openReader(t, dir), t0.Add(-time.Hour), t0.Add(time.Hour))
	var tables []int
	for i, f := range got {
		if f.ProcessTime.Equal(f.Snapshot.Time) {
			tables = append(tables, i)
		}
		if f.Snapshot.Processes[1].CPUTimeS != 9876.54+float64(i-i%5) {
			t.Errorf("frame %d shows the table of sample %v, want %d", i, f.Snapshot.Processes[1].CPUTimeS-9876.54, i-i%5)
		}
	}
	if !slices.Equal(tables, []int{0, 5, 10}) {
		t.Errorf("tables recorded at samples %v, want [0 5 10]", tables)
	}
}

// TestCgroupAndSensorInterval: with 1 s samples the cgroup list and the
// sensor readings are recorded every ProcessInterval (5 s, jitter
// included), as the process table is; the frames in between show the last
// ones. Pressure is every sample's own.
func TestCgroupAndSensorInterval(t *testing.T) {
	dir := t.TempDir()
	w := openWriter(t, record.Options{Dir: dir})
	jitter := []time.Duration{0, 3, -2, 1, -4, 2, 0, -1, 4, -3, 1, 0, 2}
	for i, j := range jitter {
		s := fullSnapshot(i)
		s.Time = t0.Add(time.Duration(i)*time.Second + j*time.Millisecond)
		s.Elapsed = time.Second
		w.Sample(s)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := frames(t, openReader(t, dir), t0.Add(-time.Hour), t0.Add(time.Hour))
	var tables []int
	for i, f := range got {
		if f.CgroupTime.Equal(f.Snapshot.Time) {
			tables = append(tables, i)
		}
		recorded := i - i%5
		if c := f.Snapshot.Cgroups[0].CPUPct; c != 123.45+float64(recorded) {
			t.Errorf("frame %d shows the cgroups of sample %v, want %d", i, c-123.45, recorded)
		}
		if temp := f.Snapshot.Sensors[0].TempC; temp != 52+float64(recorded) {
			t.Errorf("frame %d shows the sensors of sample %v, want %d", i, temp-52, recorded)
		}
		if p := f.Snapshot.Pressure.CPU.SomeAvg10; p != 12.34+float64(i) {
			t.Errorf("frame %d: pressure %v, want its own (%v)", i, p, 12.34+float64(i))
		}
	}
	if !slices.Equal(tables, []int{0, 5, 10}) {
		t.Errorf("cgroups recorded at samples %v, want [0 5 10]", tables)
	}
}
