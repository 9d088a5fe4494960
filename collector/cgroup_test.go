package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const (
	dockerID = "a1b2c3d4e5f60123456789abcdef0123456789abcdef0123456789abcdef0123"
	criID    = "f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed"
	podSlice = "kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice"
	sandbox  = "57da532e61f066368275b916a2771594"
)

// sampleCgroups walks the two steps of a canned cgroup tree, 2 s apart,
// with the host's used memory set (the unified root's stand-in).
func sampleCgroups(t *testing.T, tree string) (step0, step1 *Snapshot) {
	t.Helper()
	h := newFixtureHost(t)
	src := newCgroupSource(h.opts)
	src.on.Store(true)
	mem := Memory{TotalBytes: 8e9, UsedBytes: 3e9}
	for i, step := range []string{"step0", "step1"} {
		h.loadStep(filepath.Join("testdata", tree, step))
		s := &Snapshot{Time: t0.Add(time.Duration(i) * 2 * time.Second), Memory: mem}
		if err := src.Collect(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if i == 0 {
			step0 = s
		} else {
			step1 = s
		}
	}
	return step0, step1
}

func psiOf(s0, s1, s2 float64) PSI { return PSI{SomeAvg10: s0, SomeAvg60: s1, SomeAvg300: s2} }

func psiFull(s [3]float64, f [3]float64) PSI {
	return PSI{SomeAvg10: s[0], SomeAvg60: s[1], SomeAvg300: s[2], FullAvg10: f[0], FullAvg60: f[1], FullAvg300: f[2], HasFull: true}
}

func TestCgroupsV2(t *testing.T) {
	s0, s1 := sampleCgroups(t, "cgroup-v2")
	zero := psiFull([3]float64{}, [3]float64{})
	hostPSI := &Pressure{CPU: psiFull([3]float64{1.5, 1.25, 1}, [3]float64{0.5, 0.25, 0}),
		Memory: psiFull([3]float64{0.25, 0.5, 0.75}, [3]float64{0.1, 0.2, 0.3}),
		IO:     psiFull([3]float64{2, 1, 0.5}, [3]float64{1, 0.5, 0.25})}
	kp := "/kubepods.slice/kubepods-burstable.slice/" + podSlice
	eq(t, "step1", s1.Cgroups, []Cgroup{
		// The root has no memory.current: the host's used memory.
		{Path: "/", Name: "/", Kind: "cgroup", Version: 2, Procs: 3, CPUPct: 150, MemBytes: 3e9, Pressure: hostPSI},
		{Path: "/deep.slice", Name: "deep.slice", Kind: "slice", Version: 2},
		{Path: "/deep.slice/a", Name: "a", Kind: "cgroup", Version: 2},
		{Path: "/deep.slice/a/b", Name: "b", Kind: "cgroup", Version: 2},
		{Path: "/deep.slice/a/b/c", Name: "c", Kind: "cgroup", Version: 2},
		{Path: "/deep.slice/a/b/c/d", Name: "d", Kind: "cgroup", Version: 2},
		// Six levels below the root; its child f, the seventh, is cut.
		{Path: "/deep.slice/a/b/c/d/e", Name: "e", Kind: "cgroup", Version: 2},
		{Path: "/init.scope", Name: "init.scope", Kind: "scope", Version: 2, Procs: 1, CPUPct: 1, MemBytes: 8 << 20},
		{Path: "/kubepods.slice", Name: "kubepods.slice", Kind: "slice", Version: 2},
		{Path: "/kubepods.slice/kubepods-burstable.slice", Name: "kubepods-burstable.slice", Kind: "slice", Version: 2},
		{Path: kp, Name: "pod1a2b3c4d", Kind: "slice", Version: 2},
		{Path: kp + "/cri-containerd-" + criID + ".scope", Name: "f00dfeedf00d", Kind: "container", Version: 2, Procs: 1, CPUPct: 50},
		// 1 s of CPU in 2 s; memory.current less inactive_file; 2 and 4
		// MiB more read and written on 8:0.
		{Path: "/system.slice", Name: "system.slice", Kind: "slice", Version: 2, CPUPct: 50, MemBytes: 1536 << 20,
			IOReadBps: 1 << 20, IOWriteBps: 2 << 20, Pressure: hostPSI},
		{Path: "/system.slice/docker-" + dockerID + ".scope", Name: "a1b2c3d4e5f6", Kind: "container", Version: 2, Procs: 2,
			CPUPct: 100, MemBytes: 300 << 20, MemLimit: 1 << 30},
		// New since the last walk: no rate yet.
		{Path: "/system.slice/new.service", Name: "new.service", Kind: "service", Version: 2, Procs: 1},
		// cpu.pressure without a "full" line (before Linux 5.13).
		{Path: "/system.slice/nginx.service", Name: "nginx.service", Kind: "service", Version: 2, Procs: 3, CPUPct: 20,
			MemBytes: 90 << 20, MemLimit: 256 << 20, IOReadBps: 1024000,
			Pressure: &Pressure{CPU: psiOf(3, 2, 1), Memory: zero, IO: zero}},
		{Path: "/user.slice", Name: "user.slice", Kind: "slice", Version: 2},
		{Path: "/user.slice/user-1000.slice", Name: "user-1000.slice", Kind: "slice", Version: 2},
		{Path: "/user.slice/user-1000.slice/session-2.scope", Name: "session-2.scope", Kind: "scope", Version: 2, Procs: 2,
			CPUPct: 5, MemBytes: 19 << 20},
	})
	for _, g := range s0.Cgroups {
		if g.CPUPct != 0 || g.IOReadBps != 0 || g.IOWriteBps != 0 {
			t.Errorf("first walk: %s has rates %+v", g.Path, g)
		}
		if g.Path == "/system.slice/gone.service" && g.Procs != 1 {
			t.Errorf("gone.service in step0: %+v", g)
		}
	}
}

// TestCgroupsHybrid: the layout of the development machines, v1
// controllers beside an empty cgroup2: one group per path with CPU from
// cpuacct, memory from memory, I/O from blkio and PSI from the unified
// tree; groups only in the unified tree are version 2; name=systemd is
// not walked.
func TestCgroupsHybrid(t *testing.T) {
	_, s1 := sampleCgroups(t, "cgroup-hybrid")
	zero := psiFull([3]float64{}, [3]float64{})
	eq(t, "step1", s1.Cgroups, []Cgroup{
		// Processes from the memory hierarchy's root; memory usage less
		// total_inactive_file; the "unlimited" limit is none.
		{Path: "/", Name: "/", Kind: "cgroup", Version: 1, Procs: 4, CPUPct: 150, MemBytes: 1580838912 - 407044096,
			IOReadBps: 3 << 20, IOWriteBps: 1 << 20,
			Pressure: &Pressure{CPU: psiFull([3]float64{21.34, 19.4, 8.22}, [3]float64{}),
				Memory: psiFull([3]float64{0.45, 0.54, 0.23}, [3]float64{0, 0.14, 0.06}), IO: zero}},
		{Path: "/process_api", Name: "process_api", Kind: "cgroup", Version: 1, MemBytes: 5218304 - 1024},
		{Path: "/process_api/" + sandbox, Name: "57da532e61f0", Kind: "cgroup", Version: 1, Procs: 2, MemBytes: 5218304 - 1024},
		{Path: "/system.slice", Name: "system.slice", Kind: "slice", Version: 1, CPUPct: 50},
		{Path: "/system.slice/cron.service", Name: "cron.service", Kind: "service", Version: 2, Procs: 1, CPUPct: 10},
		// blkio from the non-recursive file (no recursive one).
		{Path: "/system.slice/nginx.service", Name: "nginx.service", Kind: "service", Version: 1, Procs: 3, CPUPct: 25,
			MemBytes: 100 << 20, MemLimit: 256 << 20, IOReadBps: 204800,
			Pressure: &Pressure{CPU: psiFull([3]float64{4, 3, 2}, [3]float64{1, 0.5, 0.25}), Memory: zero, IO: zero}},
	})
}

// TestCgroupsOnDemand: the sampler walks only while asked, or once every
// SetCgroupsEvery; turned off, a later walk starts afresh (no rate over
// the time it was off).
func TestCgroupsOnDemand(t *testing.T) {
	h := newFixtureHost(t)
	h.opts.Sources = []string{SourceCgroups}
	s := newSampler(h.opts, fixtureSystem())
	h.loadStep("testdata/cgroup-v2/step0")
	at := func(sec float64) *Snapshot {
		return s.SampleAt(context.Background(), t0.Add(time.Duration(sec*float64(time.Second))))
	}
	if snap := at(0); snap.Cgroups != nil || snap.Errors != nil {
		t.Fatalf("off by default: %d groups, errors %v", len(snap.Cgroups), snap.Errors)
	}
	s.SetCgroups(true)
	if snap := at(1); len(snap.Cgroups) != 19 {
		t.Fatalf("on: %d groups, want 19", len(snap.Cgroups))
	}
	s.SetCgroups(false)
	if snap := at(2); snap.Cgroups != nil {
		t.Fatal("off again: still walking")
	}
	h.loadStep("testdata/cgroup-v2/step1")
	s.SetCgroups(true)
	for _, g := range at(3).Cgroups {
		if g.CPUPct != 0 {
			t.Fatalf("first walk after off: %s CPU %v %%, want none", g.Path, g.CPUPct)
		}
	}
	s.SetCgroups(false)
	s.SetCgroupsEvery(5 * time.Second)
	var walked []float64
	for _, sec := range []float64{4, 5, 7.6, 8, 9, 12.5, 13} {
		if at(sec).Cgroups != nil {
			walked = append(walked, sec)
		}
	}
	// Due 4.5 s (a tenth of slack) after the previous walk at 3 s.
	eq(t, "periodic walks", walked, []float64{7.6, 12.5})
}

func TestCgroupsAbsent(t *testing.T) {
	for name, mountinfo := range map[string]string{
		"no cgroup mounts": "22 1 0:21 / /proc rw - proc proc rw\n",
		"mount not there":  "30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
	} {
		t.Run(name, func(t *testing.T) {
			h := newFixtureHost(t)
			p := filepath.Join(h.opts.ProcRoot, "self", "mountinfo")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(mountinfo), 0o644)
			src := newCgroupSource(h.opts)
			src.on.Store(true)
			var s Snapshot
			if err := src.Collect(context.Background(), &s); err != nil || s.Cgroups != nil {
				t.Fatalf("err %v, %d groups; want none and no error", err, len(s.Cgroups))
			}
		})
	}
}

func TestFindHierarchies(t *testing.T) {
	mounts, err := parseMountinfo([]byte(
		"31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n" +
			"32 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n" +
			"33 30 0:29 / /mnt/again rw - cgroup cgroup rw,memory\n" + // the same hierarchy again
			"39 30 0:36 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n" +
			"34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n" +
			"40 1 0:37 /docker/abc /host/cgroup rw - cgroup2 cgroup2 rw\n"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "hierarchies", findHierarchies(mounts, "/S", "/R"), []cgHier{
		{dir: "/S/fs/cgroup/memory", root: "/", roles: 1 << roleMemory, rank: roleMemory},
		{dir: "/S/fs/cgroup/cpu,cpuacct", root: "/", roles: 1 << roleCPU, rank: roleCPU},
		// Not under /sys: under RootFS; a namespace's subtree keeps its path.
		{dir: "/R/host/cgroup", root: "/docker/abc", roles: 1 << roleV2, rank: roleV2},
	})
}

func TestParseProcCgroup(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"unified", "0::/system.slice/nginx.service\n", "/system.slice/nginx.service"},
		{"unified root", "0::/\n", "/"},
		{"hybrid, memory", "9:name=systemd:/\n4:memory:/process_api/" + sandbox + "\n2:cpuacct:/\n1:cpu:/\n0::/\n", "/process_api/" + sandbox},
		{"hybrid, cpuacct", "5:memory:/\n3:cpu,cpuacct:/system.slice/cron.service\n0::/system.slice/cron.service\n", "/system.slice/cron.service"},
		{"hybrid, unified", "5:memory:/\n3:cpu,cpuacct:/\n1:name=systemd:/user.slice/a.scope\n0::/user.slice/a.scope\n", "/user.slice/a.scope"},
		{"legacy v1, name=systemd", "5:memory:/\n3:cpu,cpuacct:/\n1:name=systemd:/system.slice/sshd.service\n", "/system.slice/sshd.service"},
		{"all at the root", "5:memory:/\n0::/\n", "/"},
		{"path with a colon", "0::/a:b\n", "/a:b"},
		{"no cgroups", "", ""},
		{"garbage", "x\n1:memory\n2:memory:relative\n", ""},
	} {
		if got := string(parseProcCgroup([]byte(tt.in))); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCgroupNames(t *testing.T) {
	for _, tt := range []struct{ path, name, kind, container string }{
		{"/", "/", "cgroup", ""},
		{"/system.slice", "system.slice", "slice", "system.slice"},
		{"/system.slice/nginx.service", "nginx.service", "service", "nginx.service"},
		{"/user.slice/user-1000.slice/session-2.scope", "session-2.scope", "scope", "session-2.scope"},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/app-firefox-123.scope", "app-firefox-123.scope", "scope", "app-firefox-123.scope"},
		{"/system.slice/docker-" + dockerID + ".scope", "a1b2c3d4e5f6", "container", "a1b2c3d4e5f6"},
		{"/docker/" + dockerID, "a1b2c3d4e5f6", "container", "a1b2c3d4e5f6"},
		// A process in a container's own systemd: the container.
		{"/docker/" + dockerID + "/init.scope", "init.scope", "scope", "a1b2c3d4e5f6"},
		{"/machine.slice/libpod-" + dockerID + ".scope", "a1b2c3d4e5f6", "container", "a1b2c3d4e5f6"},
		{"/machine.slice/libpod-conmon-" + dockerID + ".scope", "libpod-conmon-" + dockerID + ".scope", "scope", "libpod-conmon-" + dockerID + ".scope"},
		{"/kubepods.slice/kubepods-burstable.slice/" + podSlice + "/cri-containerd-" + criID + ".scope", "f00dfeedf00d", "container", "f00dfeedf00d"},
		{"/kubepods.slice/kubepods-burstable.slice/" + podSlice + "/crio-" + criID + ".scope", "f00dfeedf00d", "container", "f00dfeedf00d"},
		{"/kubepods.slice/kubepods-burstable.slice/" + podSlice, "pod1a2b3c4d", "slice", "pod1a2b3c4d"},
		{"/kubepods/besteffort/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" + criID, "f00dfeedf00d", "container", "f00dfeedf00d"},
		{"/kubepods/besteffort/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "pod1a2b3c4d", "cgroup", "pod1a2b3c4d"},
		{"/process_api/" + sandbox, "57da532e61f0", "cgroup", "57da532e61f0"},
		{"/burn", "burn", "cgroup", "burn"},
		{"/ipod", "ipod", "cgroup", "ipod"},
	} {
		name, kind := cgroupName(tt.path)
		if name != tt.name || kind != tt.kind {
			t.Errorf("cgroupName(%q) = %q, %q; want %q, %q", tt.path, name, kind, tt.name, tt.kind)
		}
		if c := containerOf(tt.path); c != tt.container {
			t.Errorf("containerOf(%q) = %q, want %q", tt.path, c, tt.container)
		}
	}
}

func TestCgroupFileParsers(t *testing.T) {
	if r, w, ok := parseIOStat([]byte("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=5 wbytes=7\n\n")); !ok || r != 15 || w != 27 {
		t.Errorf("io.stat: %d %d %v", r, w, ok)
	}
	for _, bad := range []string{"8:0 rbytes=x\n", "8:0 rbytes\n", "8:0 rbytes=18446744073709551615\n8:1 rbytes=1\n"} {
		if _, _, ok := parseIOStat([]byte(bad)); ok {
			t.Errorf("io.stat %q: want failure", bad)
		}
	}
	if r, w, ok := parseBlkio([]byte("8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:0 Total 60\n8:16 Read 1\nTotal 61\n")); !ok || r != 11 || w != 20 {
		t.Errorf("blkio: %d %d %v", r, w, ok)
	}
	if _, _, ok := parseBlkio([]byte("8:0 Read -1\n")); ok {
		t.Error("blkio: negative accepted")
	}
	if v, ok := parseKeyedUint([]byte("usage_usec 12\nuser_usec 3\n"), "user_usec"); !ok || v != 3 {
		t.Errorf("keyed: %d %v", v, ok)
	}
	if _, ok := parseKeyedUint([]byte("usage 12\n"), "usage_usec"); ok {
		t.Error("keyed: a missing key found")
	}
	for in, want := range map[string]uint64{"max\n": 0, "268435456\n": 268435456, "9223372036854771712\n": 0, "": 0} {
		if got := memLimit([]byte(in)); got != want {
			t.Errorf("memLimit(%q) = %d, want %d", in, got, want)
		}
	}
	if n := countLines([]byte("1\n2\n\n3")); n != 3 {
		t.Errorf("countLines = %d", n)
	}
}
