package collector

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// t0 is the clock of the first step; steps are 2 s apart.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const mib = 1 << 20

// fixtureStatfs stands in for statfs(2) on the canned mounts, keyed by the
// RootFS-prefixed path the source asks for.
var fixtureStatfs = map[string]FsStat{
	"/hostroot":           {TotalBytes: 1050 * mib, FreeBytes: 300 * mib, AvailBytes: 250 * mib, Inodes: 1000, InodesFree: 250},
	"/hostroot/data disk": {TotalBytes: 2000 * mib, FreeBytes: 1000 * mib, AvailBytes: 1000 * mib, Inodes: 500, InodesFree: 500},
	"/hostroot/mnt/nfs":   {TotalBytes: 4000 * mib, FreeBytes: 1000 * mib, AvailBytes: 1000 * mib},
	"/hostroot/srv/bind":  {TotalBytes: 1050 * mib, FreeBytes: 300 * mib, AvailBytes: 250 * mib, Inodes: 1000, InodesFree: 250},
}

func fixtureSystem() system {
	return system{
		pageSize: 4096,
		clkTck:   100,
		statfs: func(path string) (FsStat, error) {
			if st, ok := fixtureStatfs[path]; ok {
				return st, nil
			}
			return FsStat{}, fs.ErrPermission
		},
		virtualization: func(context.Context) (string, string, error) { return "kvm", "guest", nil },
		hostname:       func() (string, error) { return "", errors.New("hostname must come from the fixture") },
	}
}

// fixtureHost is a directory that plays the host: loadStep replaces its
// contents with one step of a canned tree, as time passing would.
type fixtureHost struct {
	t    testing.TB
	root string
	opts Options
}

func newFixtureHost(t testing.TB) *fixtureHost {
	root := t.TempDir()
	return &fixtureHost{t: t, root: root, opts: Options{
		ProcRoot: filepath.Join(root, "proc"),
		SysRoot:  filepath.Join(root, "sys"),
		EtcRoot:  filepath.Join(root, "etc"),
		RootFS:   "/hostroot",
	}}
}

func (h *fixtureHost) loadStep(dir string) {
	h.t.Helper()
	for _, sub := range []string{"proc", "sys", "etc"} {
		if err := os.RemoveAll(filepath.Join(h.root, sub)); err != nil {
			h.t.Fatal(err)
		}
	}
	copyTree(h.t, dir, h.root)
}

func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sampleBasic feeds both steps of testdata/basic to one Sampler, 2 s apart.
func sampleBasic(t *testing.T) (step0, step1 *Snapshot) {
	t.Helper()
	h := newFixtureHost(t)
	s := newSampler(h.opts, fixtureSystem())
	h.loadStep("testdata/basic/step0")
	step0 = s.SampleAt(context.Background(), t0)
	h.loadStep("testdata/basic/step1")
	step1 = s.SampleAt(context.Background(), t0.Add(2*time.Second))
	for i, snap := range []*Snapshot{step0, step1} {
		if snap.Errors != nil {
			t.Fatalf("step%d errors: %v", i, snap.Errors)
		}
		if len(snap.Durations) != len(SourceNames) {
			t.Errorf("step%d durations for %d sources, want %d", i, len(snap.Durations), len(SourceNames))
		}
	}
	return step0, step1
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s:\n got %s\nwant %s", what, gj, wj)
	}
}

func TestBasicFirstSampleHasNoRates(t *testing.T) {
	s0, _ := sampleBasic(t)
	eq(t, "elapsed", s0.Elapsed, time.Duration(0))
	eq(t, "cpu", s0.CPU, CPU{Cores: 2, PerCore: []CPUTimes{{}, {}}, Seconds: []CPUSeconds{
		// The cumulative times are there from the first sample on.
		{CPU: 0, User: 5, Nice: 0.5, System: 2.5, Idle: 40, IOWait: 1, IRQ: 0.25, SoftIRQ: 0.25, Steal: 0.5},
		{CPU: 1, User: 5, Nice: 0.5, System: 2.5, Idle: 40, IOWait: 1, IRQ: 0.25, SoftIRQ: 0.25, Steal: 0.5},
	}})
	for _, d := range s0.Disks {
		if d.ReadBps != 0 || d.WriteBps != 0 || d.ReadIOPS != 0 || d.WriteIOPS != 0 || d.BusyPct != 0 {
			t.Errorf("disk %s has rates on the first sample: %+v", d.Name, d)
		}
	}
	for _, n := range s0.Network {
		if n.RxBps != 0 || n.TxBps != 0 || n.RxPps != 0 || n.TxPps != 0 || n.RxDropPS != 0 || n.RxErrPS != 0 {
			t.Errorf("interface %s has rates on the first sample: %+v", n.Name, n)
		}
	}
	pids := []int32{}
	for _, p := range s0.Processes {
		pids = append(pids, p.PID)
		if p.CPUPct != 0 {
			t.Errorf("pid %d cpu %v on the first sample", p.PID, p.CPUPct)
		}
	}
	eq(t, "step0 pids", pids, []int32{1, 2, 42, 100, 500, 3000})
	eq(t, "step0 pid 100 cmdline", s0.Processes[3].Cmdline, "bash")
}

func TestBasicCPU(t *testing.T) {
	_, s1 := sampleBasic(t)
	eq(t, "elapsed", s1.Elapsed, 2*time.Second)
	eq(t, "cpu", s1.CPU, CPU{
		CPUTimes: CPUTimes{UsagePct: 45, UserPct: 30, SystemPct: 10, IdlePct: 50, IOWaitPct: 5, IRQPct: 5},
		Cores:    2,
		PerCore: []CPUTimes{
			{UsagePct: 50, UserPct: 40, SystemPct: 10, IdlePct: 40, IOWaitPct: 10},
			{UsagePct: 40, UserPct: 20, SystemPct: 10, IdlePct: 60, IRQPct: 10},
		},
		Seconds: []CPUSeconds{
			{CPU: 0, User: 9, Nice: 0.5, System: 3.5, Idle: 44, IOWait: 2, IRQ: 0.25, SoftIRQ: 0.25, Steal: 0.5},
			{CPU: 1, User: 7, Nice: 0.5, System: 3.5, Idle: 46, IOWait: 1, IRQ: 0.75, SoftIRQ: 0.75, Steal: 0.5},
		},
	})
}

func TestBasicMemoryAndLoad(t *testing.T) {
	_, s1 := sampleBasic(t)
	eq(t, "memory", s1.Memory, Memory{
		TotalBytes: 8192000000, UsedBytes: 3072000000, FreeBytes: 2048000000,
		AvailableBytes: 5120000000, CachedBytes: 2764800000, BuffersBytes: 102400000,
		UsedPct:        37.5,
		SwapTotalBytes: 1024000000, SwapUsedBytes: 256000000, SwapFreeBytes: 768000000,
		SwapInBytes: 150 * 4096, SwapOutBytes: 300 * 4096, SwapInPages: 150, SwapOutPages: 300,
		// sigar: MemFree + Buffers + Cached; 7812 MB rounded up to 7816.
		ActualFreeBytes: (2000000 + 100000 + 2500000) * 1024, RAMMB: 7816,
	})
	eq(t, "load", s1.Load, Load{Load1: 1, Load5: 0.75, Load15: 0.25, Cores: 2})
}

func TestBasicFilesystems(t *testing.T) {
	_, s1 := sampleBasic(t)
	// /proc and /run are pseudo, /srv/bind is a bind mount of sda1's
	// subtree, /srv/secret fails statfs (EACCES) and is left out.
	eq(t, "filesystems", s1.Filesystems, []Filesystem{
		{Mount: "/", Device: "/dev/sda1", Disk: "sda1", FSType: "ext4", Options: "rw,relatime,errors=remount-ro",
			TotalBytes: 1050 * mib, UsedBytes: 750 * mib, FreeBytes: 300 * mib, AvailBytes: 250 * mib,
			UsedPct: 75, InodesTotal: 1000, InodesFree: 250, InodesUsedPct: 75},
		{Mount: "/data disk", Device: "/dev/sdb", Disk: "sdb", FSType: "xfs", Options: "ro,relatime,attr2",
			TotalBytes: 2000 * mib, UsedBytes: 1000 * mib, FreeBytes: 1000 * mib, AvailBytes: 1000 * mib,
			UsedPct: 50, InodesTotal: 500, InodesFree: 500, ReadOnly: true},
		{Mount: "/mnt/nfs", Device: "server:/export", FSType: "nfs4", Options: "rw,relatime,vers=4.2",
			TotalBytes: 4000 * mib, UsedBytes: 3000 * mib, FreeBytes: 1000 * mib, AvailBytes: 1000 * mib,
			UsedPct: 75},
	})
	eq(t, "RootDisk", RootDisk(s1), "sda1")
}

func TestBasicAllFilesystems(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.AllFilesystems = true
	h.opts.Sources = []string{SourceFilesystems}
	sys := fixtureSystem()
	sys.statfs = func(path string) (FsStat, error) { return FsStat{TotalBytes: 1}, nil }
	h.loadStep("testdata/basic/step0")
	snap := newSampler(h.opts, sys).SampleAt(context.Background(), t0)
	var mounts []string
	for _, f := range snap.Filesystems {
		mounts = append(mounts, f.Mount)
	}
	eq(t, "mounts", mounts, []string{"/proc", "/", "/data disk", "/run", "/mnt/nfs", "/srv/secret"})
}

func TestBasicDisks(t *testing.T) {
	_, s1 := sampleBasic(t)
	// loop0 and ram0 never did I/O and are skipped; loop1 did and is kept.
	eq(t, "disks", s1.Disks, []Disk{
		{Name: "sda", ReadBps: 1048576, WriteBps: 524288, ReadIOPS: 100, WriteIOPS: 50, BusyPct: 50,
			Reads: 1200, Writes: 2100, ReadBytes: 24096 * 512, WriteBytes: 42048 * 512,
			ReadTimeMs: 600, WriteTimeMs: 1100, IOTimeMs: 2500, WeightedMs: 2700,
			// sigar's since-boot figures over uptime 1002 s (TestSigarDiskTimes).
			ServiceTimeMs: 0.75757575757575768, Queue: 0.0026946107784431138},
		{Name: "sda1", Partition: true, ReadBps: 524288, WriteBps: 262144, ReadIOPS: 50, WriteIOPS: 25, BusyPct: 25,
			Reads: 1000, Writes: 1850, ReadBytes: 20048 * 512, WriteBytes: 37024 * 512,
			ReadTimeMs: 500, WriteTimeMs: 950, IOTimeMs: 1900, WeightedMs: 2000,
			ServiceTimeMs: 0.66666666666666652, Queue: 0.001996007984031936},
		// io_ticks grew 3000 ms in 2 s (a 14-field line): capped at 100 %.
		{Name: "sdb", BusyPct: 100, Reads: 100, ReadBytes: 800 * 512, ReadTimeMs: 10, IOTimeMs: 3010, WeightedMs: 3010,
			ServiceTimeMs: 30.099999999999998, Queue: 0.0030039920159680641},
		{Name: "loop1", Reads: 50, ReadBytes: 400 * 512, ReadTimeMs: 5, IOTimeMs: 5, WeightedMs: 5,
			ServiceTimeMs: 0.099999999999999992, Queue: 4.9900199600798405e-06},
	})
}

func TestBasicNetwork(t *testing.T) {
	_, s1 := sampleBasic(t)
	eq(t, "network", s1.Network, []NetIf{
		{Name: "eth0", RxBps: 1e6, TxBps: 500000, RxPps: 1000, TxPps: 800, RxErrPS: 1, RxDropPS: 2, TxDropPS: 1,
			RxBytes: 3000000, TxBytes: 1500000, RxPackets: 3000, TxPackets: 2400, RxErrors: 3, RxDropped: 6, TxDropped: 3,
			LinkState: "up"},
		{Name: "eth1", LinkState: "down"},
		// lo's operstate is "unknown"; carrier 1 makes it up.
		{Name: "lo", RxBps: 1000, TxBps: 1000, RxPps: 10, TxPps: 10, RxBytes: 3000, TxBytes: 3000, RxPackets: 30, TxPackets: 30,
			LinkState: "up"},
	})
}

func TestBasicHost(t *testing.T) {
	_, s1 := sampleBasic(t)
	eq(t, "host", s1.Host, Host{
		Hostname: "fixture-host", OS: runtime.GOOS, Platform: "debian", PlatformVersion: "12",
		Kernel: "6.1.0-21-amd64", Arch: "x86_64", UptimeS: 1002,
		BootTime:       time.Date(2023, 11, 14, 22, 13, 20, 0, time.UTC),
		Virtualization: "kvm", VirtRole: "guest",
	})
}

func TestBasicProcesses(t *testing.T) {
	_, s1 := sampleBasic(t)
	boot := time.Unix(1700000000, 0).UTC()
	eq(t, "processes", s1.Processes, []Process{
		// 30 ticks in 2 s = 15 % of one core. The cmdline file changed but
		// comm did not: read once per process lifetime, so it is kept.
		{PID: 1, PPID: 0, Name: "systemd", User: "root", UID: 0, State: "S", Threads: 1, CPUPct: 15, CPUTimeS: 1.8,
			RSSBytes: 8192000, VMSBytes: 100000000, MemPct: 0.1, StartTime: boot.Add(10 * time.Millisecond),
			Cmdline: "/sbin/init splash"},
		{PID: 2, Name: "kthreadd", User: "root", State: "S", Threads: 1, CPUTimeS: 0.03,
			StartTime: boot.Add(20 * time.Millisecond)},
		// comm with spaces and parentheses; 200 ticks in 2 s = one full core.
		{PID: 42, PPID: 1, Name: "my (weird) proc", User: "alice", UID: 1000, State: "R", Threads: 4, CPUPct: 100, CPUTimeS: 12,
			RSSBytes: 40960000, VMSBytes: 200000000, MemPct: 0.5, StartTime: boot.Add(50 * time.Second), Nice: -5,
			Cmdline: "python3 -c print(1)"},
		// exec'd (comm bash -> worker, same starttime): cmdline re-read;
		// uid 1001 is not in passwd.
		{PID: 100, PPID: 42, Name: "worker", User: "1001", UID: 1001, State: "S", Threads: 1, CPUTimeS: 0.1,
			RSSBytes: 2457600, VMSBytes: 20000000, MemPct: 0.03, StartTime: boot.Add(60 * time.Second), Nice: 19,
			Cmdline: "worker --fast"},
		// pid reused (new starttime): all 40 ticks fall in the interval.
		{PID: 500, PPID: 1, Name: "new", User: "daemon", UID: 1, State: "D", Threads: 2, CPUPct: 20, CPUTimeS: 0.4,
			RSSBytes: 409600, VMSBytes: 1000000, MemPct: 0.005, StartTime: boot.Add(90 * time.Second),
			Cmdline: "new --x"},
		// new since the last scan; pid 777 vanished before its stat was read.
		{PID: 2000, PPID: 1, Name: "late", User: "alice", UID: 1000, State: "Z", Threads: 1, CPUPct: 5, CPUTimeS: 0.1,
			StartTime: boot.Add(91 * time.Second)},
	})
}

// TestGoldenSnapshot compares one full canned Snapshot (the second step)
// with testdata/golden/snapshot.json; run with -update to rewrite it.
func TestGoldenSnapshot(t *testing.T) {
	_, s1 := sampleBasic(t)
	s1.Durations = nil // wall-clock measurements
	s1.Host.OS = "linux"
	got, err := json.MarshalIndent(s1, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", "snapshot.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenSnapshot -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("snapshot differs from %s (run with -update if intended):\n%s", path, got)
	}
}

func TestSourceSelectionAndErrors(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.Sources = []string{SourceLoad, SourceMemory, "bogus"}
	h.loadStep("testdata/basic/step0")
	if err := os.Remove(filepath.Join(h.opts.ProcRoot, "meminfo")); err != nil {
		t.Fatal(err)
	}
	snap := newSampler(h.opts, fixtureSystem()).SampleAt(context.Background(), t0)
	// Memory failed, load still ran (and counted cores itself since cpu
	// did not run); nothing else ran.
	eq(t, "load", snap.Load, Load{Load1: 0.5, Load5: 1.25, Load15: 2, Cores: 2})
	eq(t, "memory", snap.Memory, Memory{})
	if len(snap.Errors) != 2 || snap.Errors[SourceMemory] == "" || snap.Errors["bogus"] == "" {
		t.Errorf("errors = %v, want memory and bogus", snap.Errors)
	}
	if _, ok := snap.Durations[SourceCPU]; ok || len(snap.Durations) != 2 {
		t.Errorf("durations = %v, want load and memory only", snap.Durations)
	}
	if err := h.opts.Validate(); err == nil {
		t.Error("Validate accepted source bogus")
	}
	if err := (Options{Sources: SourceNames}).Validate(); err != nil {
		t.Errorf("Validate(all names) = %v", err)
	}
}

func TestDefaultInterface(t *testing.T) {
	h := newFixtureHost(t)
	h.loadStep("testdata/basic/step0")
	// eth1's default route is not RTF_UP; eth0's is.
	eq(t, "from route", DefaultInterface(h.opts), "eth0")
	if err := os.WriteFile(filepath.Join(h.opts.ProcRoot, "net", "route"), []byte("Iface\tDestination\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// No default route: first non-loopback interface that is up.
	eq(t, "fallback", DefaultInterface(h.opts), "eth0")
}

func TestProcessDetailFixture(t *testing.T) {
	h := newFixtureHost(t)
	h.loadStep("testdata/basic/step1")
	d, err := ProcessDetail(context.Background(), h.opts, 42)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "name", d.Name, "my (weird) proc")
	eq(t, "user", d.User, "alice")
	eq(t, "cmdline", d.Cmdline, "python3 -c print(1)")
	eq(t, "start", d.StartTime, time.Unix(1700000050, 0).UTC())
	eq(t, "threads", d.Threads, int32(4))
	eq(t, "status lines", len(d.Status), 13)
	eq(t, "status[0]", d.Status[0], KV{Key: "Name", Value: "my (weird) proc"})
	eq(t, "open fds", d.OpenFDs, -1) // no fd dir in the fixture
	for _, f := range []string{"exe", "cwd", "fd", "io"} {
		if d.Unreadable[f] == "" {
			t.Errorf("Unreadable[%s] empty; want a reason", f)
		}
	}
	if _, err := ProcessDetail(context.Background(), h.opts, 3000); err == nil {
		t.Error("detail of a process that exited: want error")
	}
}

func TestCancelledContext(t *testing.T) {
	h := newFixtureHost(t)
	h.loadStep("testdata/basic/step0")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	snap := newSampler(h.opts, fixtureSystem()).SampleAt(ctx, t0)
	if len(snap.Errors) != len(SourceNames) {
		t.Errorf("errors = %v, want one per source", snap.Errors)
	}
	if snap.Processes != nil || snap.CPU.Cores != 0 {
		t.Error("sources ran on a cancelled context")
	}
}

// TestProcessesWithoutMeminfo: losing MemTotal costs only mem %.
func TestProcessesWithoutMeminfo(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.Sources = []string{SourceProcesses}
	h.loadStep("testdata/basic/step0")
	if err := os.Remove(filepath.Join(h.opts.ProcRoot, "meminfo")); err != nil {
		t.Fatal(err)
	}
	snap := newSampler(h.opts, fixtureSystem()).SampleAt(context.Background(), t0)
	if snap.Errors != nil || len(snap.Processes) != 6 {
		t.Fatalf("errors %v, %d processes", snap.Errors, len(snap.Processes))
	}
	eq(t, "pid 1 mem%", snap.Processes[0].MemPct, 0.0)
	eq(t, "pid 1 rss", snap.Processes[0].RSSBytes, uint64(8192000))
}

// TestHostStaticFactsCached: names, kernel and boot time are read once per
// staticEvery collections; uptime every time.
func TestHostStaticFactsCached(t *testing.T) {
	h := newFixtureHost(t)
	h.loadStep("testdata/basic/step0")
	src := newHostSource(h.opts, fixtureSystem())
	collect := func() Host {
		var s Snapshot
		if err := src.Collect(context.Background(), &s); err != nil {
			t.Fatal(err)
		}
		return s.Host
	}
	first := collect()
	hostname := filepath.Join(h.root, "proc", "sys", "kernel", "hostname")
	uptime := filepath.Join(h.root, "proc", "uptime")
	os.WriteFile(hostname, []byte("renamed\n"), 0o644)
	os.WriteFile(uptime, []byte("5000.50 100.00\n"), 0o644)
	second := collect()
	if second.Hostname != first.Hostname || second.UptimeS != 5000 {
		t.Fatalf("second collect: hostname %q (want cached %q), uptime %d (want 5000)", second.Hostname, first.Hostname, second.UptimeS)
	}
	for i := 2; i < staticEvery; i++ {
		collect()
	}
	if got := collect().Hostname; got != "renamed" {
		t.Fatalf("after %d collections hostname = %q, want the new one", staticEvery, got)
	}
}

// TestProcessUIDRefresh: a process that changes its uid without exec (a
// worker dropping privileges) shows the new user within uidEvery scans,
// and statuses are not read on every scan.
func TestProcessUIDRefresh(t *testing.T) {
	h := newFixtureHost(t)
	h.loadStep("testdata/basic/step0")
	s := newSampler(Options{ProcRoot: h.opts.ProcRoot, SysRoot: h.opts.SysRoot, EtcRoot: h.opts.EtcRoot,
		Sources: []string{SourceProcesses}}, fixtureSystem())
	user := func(snap *Snapshot) string {
		for _, p := range snap.Processes {
			if p.PID == 1 {
				return p.User
			}
		}
		t.Fatalf("pid 1 missing: %v", snap.Errors)
		return ""
	}
	at := t0
	if got := user(s.SampleAt(context.Background(), at)); got != "root" {
		t.Fatalf("user %q", got)
	}
	status := filepath.Join(h.root, "proc", "1", "status")
	data, _ := os.ReadFile(status)
	os.WriteFile(status, []byte(strings.Replace(string(data), "Uid:\t0\t0\t0\t0", "Uid:\t1000\t1000\t1000\t1000", 1)), 0o644)
	scans := 0
	for ; scans < uidEvery; scans++ {
		at = at.Add(time.Second)
		if user(s.SampleAt(context.Background(), at)) == "alice" {
			break
		}
	}
	if scans == uidEvery {
		t.Fatalf("uid change not seen within %d scans", uidEvery)
	}
	if scans == 0 {
		t.Log("the first rescan happened to be pid 1's refresh turn")
	}
}

// TestProcessCountOnly: with the process list off the sampler counts the
// /proc entries and reads no process; turned back on, the list returns,
// its first CPU % without an interval (0) and the next with one.
func TestProcessCountOnly(t *testing.T) {
	h := newFixtureHost(t)
	s := newSampler(h.opts, fixtureSystem())
	h.loadStep("testdata/basic/step0")
	full := s.SampleAt(context.Background(), t0)
	if full.ProcessCount != len(full.Processes) || full.ProcessCount == 0 {
		t.Fatalf("full scan: count %d, %d processes", full.ProcessCount, len(full.Processes))
	}

	s.SetProcessList(false)
	h.loadStep("testdata/basic/step1")
	counted := s.SampleAt(context.Background(), t0.Add(2*time.Second))
	if counted.Processes != nil || counted.Errors != nil {
		t.Fatalf("count only: processes %v, errors %v", counted.Processes, counted.Errors)
	}
	// step1 lists 7 pid directories (777 among them, whose stat is
	// missing: counted, though a full scan skips it).
	if counted.ProcessCount != 7 {
		t.Fatalf("count only: ProcessCount %d, want 7", counted.ProcessCount)
	}

	s.SetProcessList(true)
	again := s.SampleAt(context.Background(), t0.Add(4*time.Second))
	if len(again.Processes) != 6 || again.ProcessCount != 6 {
		t.Fatalf("list back on: %d processes, count %d", len(again.Processes), again.ProcessCount)
	}
	for _, p := range again.Processes {
		if p.CPUPct != 0 {
			t.Fatalf("pid %d: CPU %% %v on the first scan after counting only, want 0", p.PID, p.CPUPct)
		}
	}
}

// TestProcessEvery: a sampler that only counts processes still lists them
// once every SetProcessEvery (the flight recorder's process table), with
// CPU % over the whole stretch since the previous list.
func TestProcessEvery(t *testing.T) {
	h := newFixtureHost(t)
	s := newSampler(h.opts, fixtureSystem())
	s.SetProcessList(false)
	s.SetProcessEvery(4 * time.Second)
	h.loadStep("testdata/basic/step0")
	first := s.SampleAt(context.Background(), t0)
	if len(first.Processes) == 0 {
		t.Fatal("the first sample did not list processes: a periodic list is due at once")
	}
	between := s.SampleAt(context.Background(), t0.Add(2*time.Second))
	if between.Processes != nil || between.ProcessCount == 0 {
		t.Fatalf("between lists: %d processes, count %d; want a count only", len(between.Processes), between.ProcessCount)
	}
	h.loadStep("testdata/basic/step1")
	// 3.7 s after the last list: within a tenth of the period, due.
	next := s.SampleAt(context.Background(), t0.Add(3700*time.Millisecond))
	cpu := map[int32]float64{}
	for _, p := range next.Processes {
		cpu[p.PID] = p.CPUPct
	}
	// 30 ticks of pid 1 and 200 of pid 42 over 3.7 s, not over the 1.7 s
	// since the count-only sample.
	if got, want := cpu[1], 30/3.7; math.Abs(got-want) > 1e-9 {
		t.Errorf("pid 1 CPU %v %%, want %v", got, want)
	}
	if got, want := cpu[42], 200/3.7; math.Abs(got-want) > 1e-9 {
		t.Errorf("pid 42 CPU %v %%, want %v", got, want)
	}
	s.SetProcessEvery(0)
	if last := s.SampleAt(context.Background(), t0.Add(10*time.Second)); last.Processes != nil {
		t.Error("listed after SetProcessEvery(0)")
	}
}
