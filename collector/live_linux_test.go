//go:build linux

package collector

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLiveHost samples the machine running the tests twice and checks the
// numbers against what /proc says directly.
func TestLiveHost(t *testing.T) {
	ctx := context.Background()
	s := NewSampler(Options{})
	first := s.Sample(ctx)
	if first.Elapsed != 0 || first.CPU.UsagePct != 0 {
		t.Errorf("first sample: elapsed %v usage %v, want 0", first.Elapsed, first.CPU.UsagePct)
	}
	time.Sleep(50 * time.Millisecond)
	snap := s.Sample(ctx)
	if len(snap.Errors) > 0 {
		t.Fatalf("errors: %v", snap.Errors)
	}
	if snap.Elapsed <= 0 {
		t.Errorf("Elapsed = %v, want > 0", snap.Elapsed)
	}

	mi, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMeminfo(mi)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Memory.TotalBytes != m.total {
		t.Errorf("TotalBytes = %d, /proc/meminfo MemTotal = %d", snap.Memory.TotalBytes, m.total)
	}

	st, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	cpus := 0
	for _, line := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(line, "cpu") && !strings.HasPrefix(line, "cpu ") {
			cpus++
		}
	}
	if len(snap.CPU.PerCore) != cpus || snap.CPU.Cores != cpus || snap.Load.Cores != cpus {
		t.Errorf("per_core %d, cores %d, load cores %d; /proc/stat has %d cpuN lines",
			len(snap.CPU.PerCore), snap.CPU.Cores, snap.Load.Cores, cpus)
	}
	if u := snap.CPU.UsagePct; u < 0 || u > 100 {
		t.Errorf("usage %v out of [0,100]", u)
	}

	var pid1, self bool
	for _, p := range snap.Processes {
		pid1 = pid1 || p.PID == 1
		if p.PID == int32(os.Getpid()) {
			self = true
			if p.Cmdline == "" || p.RSSBytes == 0 || p.User == "" {
				t.Errorf("own process entry incomplete: %+v", p)
			}
		}
	}
	if !pid1 || !self {
		t.Errorf("pid 1 present %v, own pid present %v among %d processes", pid1, self, len(snap.Processes))
	}

	// This container mounts its root filesystem at /; check / is listed
	// whenever the mount table says so.
	if mounts, err := os.ReadFile("/proc/self/mounts"); err == nil && strings.Contains(string(mounts), " / ") {
		if rootFS(snap) == nil {
			t.Errorf("/ not among filesystems: %+v", snap.Filesystems)
		} else if fs := rootFS(snap); fs.TotalBytes == 0 || fs.UsedPct < 0 || fs.UsedPct > 100 {
			t.Errorf("/ looks wrong: %+v", *fs)
		} else if strings.HasPrefix(fs.Device, "/dev/") {
			// The device behind / must be one of the listed disks.
			found := false
			for _, d := range snap.Disks {
				found = found || d.Name == RootDisk(snap)
			}
			if !found {
				t.Errorf("RootDisk %q (device %s) not among disks %+v", RootDisk(snap), fs.Device, snap.Disks)
			}
		}
	}
	if _, err := os.Stat("/proc/net/dev"); err == nil && len(snap.Network) == 0 {
		t.Error("no network interfaces")
	}
	if snap.Host.Kernel == "" || snap.Host.Hostname == "" || snap.Host.BootTime.IsZero() {
		t.Errorf("host incomplete: %+v", snap.Host)
	}
	if testing.Verbose() {
		b, _ := json.MarshalIndent(struct {
			Host    Host
			CPU     CPU
			Memory  Memory
			FS      []Filesystem
			Disks   []Disk
			Net     []NetIf
			Procs   int
			Root    string
			Default string
		}{snap.Host, snap.CPU, snap.Memory, snap.Filesystems, snap.Disks, snap.Network, len(snap.Processes), RootDisk(snap), DefaultInterface(Options{})}, "", " ")
		t.Logf("%s", b)
	}
}

func rootFS(s *Snapshot) *Filesystem {
	for i := range s.Filesystems {
		if s.Filesystems[i].Mount == "/" {
			return &s.Filesystems[i]
		}
	}
	return nil
}

func TestLiveProcessDetail(t *testing.T) {
	d, err := ProcessDetail(context.Background(), Options{}, int32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	cwd, _ := os.Getwd()
	if d.Exe != exe || d.Cwd != cwd || d.OpenFDs < 3 || !d.IOReadable || d.Threads < 1 || len(d.Status) == 0 {
		t.Errorf("detail of self: exe %q (want %q) cwd %q (want %q) fds %d io %v threads %d status lines %d unreadable %v",
			d.Exe, exe, d.Cwd, cwd, d.OpenFDs, d.IOReadable, d.Threads, len(d.Status), d.Unreadable)
	}
	if _, err := ProcessDetail(context.Background(), Options{}, 1<<30); err == nil {
		t.Error("detail of a pid that does not exist: want error")
	}
}

// TestLiveOpenFiles: the detail names what each descriptor points at, in
// descriptor order, a file we opened among them.
func TestLiveOpenFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "marker.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ProcessDetail(context.Background(), Options{}, int32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for i, of := range d.OpenFiles {
		if i > 0 && of.FD <= d.OpenFiles[i-1].FD {
			t.Errorf("not in descriptor order: %v", d.OpenFiles)
		}
		if of.FD == int(f.Fd()) && of.Target == path {
			found = true
		}
	}
	if !found || len(d.OpenFiles) == 0 || len(d.OpenFiles) > MaxOpenFiles {
		t.Errorf("fd %d -> %s not among %d open files: %v", f.Fd(), path, len(d.OpenFiles), d.OpenFiles)
	}
}

// TestOpenFilesBounded: a process with more descriptors than MaxOpenFiles
// lists the lowest ones.
func TestOpenFilesBounded(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	for fd := MaxOpenFiles + 40; fd >= 0; fd-- {
		n := strconv.Itoa(fd)
		if err := os.Symlink("/tmp/f"+n, filepath.Join(dir, "fd", n)); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	names = append(names, "not-a-number", "99999") // 99999 does not exist: skipped
	got := readOpenFiles(dir, names)
	if len(got) != MaxOpenFiles || got[0] != (OpenFile{FD: 0, Target: "/tmp/f0"}) || got[MaxOpenFiles-1].FD != MaxOpenFiles-1 {
		t.Errorf("got %d, first %v last %v", len(got), got[0], got[len(got)-1])
	}
}

// TestLiveMountsOptions: the options of every mount are what /proc/mounts
// shows (Virgo's agent.filesystem reads them there).
func TestLiveMountsOptions(t *testing.T) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skip(err)
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Skip(err)
	}
	entries, err := parseMountinfo(mi)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{} // mount point -> options; the last mount wins, as in mountinfo
	for _, l := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(l); len(f) >= 4 {
			want[unescapeMount(f[1])] = f[3]
		}
	}
	got := map[string]string{}
	for _, e := range entries {
		got[e.mount] = e.mountsOptions()
	}
	for mnt, w := range want {
		if got[mnt] != w {
			t.Errorf("%s: options %q, /proc/mounts says %q", mnt, got[mnt], w)
		}
	}
}
