package collector

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMountinfo(t *testing.T) {
	in := "27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
		"28 27 8:1 /sub /mnt/my\\040bind rw master:2 propagate_from:3 - ext4 /dev/sda1 rw\n" +
		"29 27 0:40 / /n ro - nfs4 srv:/x\\134y rw\n" +
		"31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
	got, err := parseMountinfo([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "mounts", got, []mountEntry{
		{device: "/dev/sda1", mount: "/", fstype: "ext4", options: "rw,relatime", super: "rw", root: "/", major: 8, minor: 1, hasDev: true},
		{device: "/dev/sda1", mount: "/mnt/my bind", fstype: "ext4", options: "rw", super: "rw", root: "/sub", major: 8, minor: 1, hasDev: true},
		{device: `srv:/x\y`, mount: "/n", fstype: "nfs4", options: "ro", super: "rw", root: "/", major: 0, minor: 40, hasDev: true},
		// A cgroup v1 mount's controllers are its super block options.
		{device: "cgroup", mount: "/sys/fs/cgroup/cpu,cpuacct", fstype: "cgroup", options: "rw,relatime", super: "rw,cpu,cpuacct", root: "/", major: 0, minor: 28, hasDev: true},
	})
	for _, bad := range []string{
		"27 1 8:1 / / rw ext4 /dev/sda1 rw\n",   // no separator
		"27 1 8:1 / / rw - ext4\n",              // nothing after fstype
		"27 1 8-1 / / rw - ext4 /dev/sda1 rw\n", // bad major:minor
		"27 1 8:x / / rw - ext4 /dev/sda1 rw\n",
		"27 1\n",
	} {
		if _, err := parseMountinfo([]byte(bad)); err == nil {
			t.Errorf("parseMountinfo(%q): want error", bad)
		}
	}
}

func TestParseMounts(t *testing.T) {
	got, err := parseMounts([]byte("/dev/vda / ext4 rw,relatime 0 0\n\nproc /proc proc rw 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "mounts", got, []mountEntry{
		{device: "/dev/vda", mount: "/", fstype: "ext4", options: "rw,relatime", root: "/"},
		{device: "proc", mount: "/proc", fstype: "proc", options: "rw", root: "/"},
	})
	if _, err := parseMounts([]byte("/dev/vda /\n")); err == nil {
		t.Error("short line: want error")
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/plain`:         "/plain",
		`/a\040b`:        "/a b",
		`/tab\011x`:      "/tab\tx",
		`/back\134slash`: `/back\slash`,
		`/short\04`:      `/short\04`,
		`/notoct\089`:    `/notoct\089`,
		`\`:              `\`,
	} {
		if got := unescapeMount(in); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSelectMounts(t *testing.T) {
	m := func(dev, mount, fstype, root string, maj, min uint32) mountEntry {
		return mountEntry{device: dev, mount: mount, fstype: fstype, root: root, major: maj, minor: min, hasDev: true}
	}
	in := []mountEntry{
		m("/dev/sda1", "/etc/hosts", "ext4", "/var/lib/docker/hosts", 8, 1), // bind of a file, listed first
		m("/dev/sda1", "/", "ext4", "/", 8, 1),
		m("/dev/sda1", "/home", "ext4", "/", 8, 1), // whole-device bind, longer path
		m("tmpfs", "/run", "tmpfs", "/", 0, 25),
		m("tmpfs", "/tmp", "tmpfs", "/", 0, 26),
		m("/dev/sdb", "/data", "xfs", "/", 8, 16),
		m("/dev/sdc", "/data", "xfs", "/", 8, 32), // mounted over /data: hides sdb
	}
	names := func(ms []mountEntry) (out []string) {
		for _, x := range ms {
			out = append(out, x.device+" "+x.mount)
		}
		return out
	}
	eq(t, "real", names(selectMounts(in, false)), []string{"/dev/sda1 /", "/dev/sdc /data"})
	eq(t, "all", names(selectMounts(in, true)), []string{"/dev/sda1 /", "tmpfs /run", "tmpfs /tmp", "/dev/sdc /data"})
	// mounts-format entries have no numbers: dedupe by device name.
	plain := []mountEntry{
		{device: "/dev/vda", mount: "/etc/resolv.conf", fstype: "ext4", root: "/"},
		{device: "/dev/vda", mount: "/", fstype: "ext4", root: "/"},
	}
	eq(t, "plain", names(selectMounts(plain, false)), []string{"/dev/vda /"})
}

func TestFilesystemFrom(t *testing.T) {
	tests := []struct {
		name string
		st   FsStat
		want Filesystem
	}{
		{"df used%", FsStat{TotalBytes: 100, FreeBytes: 30, AvailBytes: 20, Inodes: 10, InodesFree: 4},
			Filesystem{Mount: "/", TotalBytes: 100, UsedBytes: 70, FreeBytes: 30, AvailBytes: 20,
				UsedPct: 70.0 * 100 / 90, InodesTotal: 10, InodesFree: 4, InodesUsedPct: 60, Options: "ro", ReadOnly: true}},
		{"empty", FsStat{}, Filesystem{Mount: "/", Options: "ro", ReadOnly: true}},
		{"free above total", FsStat{TotalBytes: 10, FreeBytes: 20, AvailBytes: 20, Inodes: 1, InodesFree: 2},
			Filesystem{Mount: "/", TotalBytes: 10, FreeBytes: 20, AvailBytes: 20, InodesTotal: 1, InodesFree: 2, Options: "ro", ReadOnly: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "fs", filesystemFrom(mountEntry{mount: "/", options: "ro"}, tt.st, ""), tt.want)
		})
	}
	if hasOption("rw,nosuid,rootflags=ro", "ro") {
		t.Error("hasOption matched a substring")
	}
}

func TestBlockName(t *testing.T) {
	names := map[string]string{"8:1": "sda1", "253:0": "dm-0"}
	for _, tt := range []struct {
		m    mountEntry
		want string
	}{
		{mountEntry{device: "/dev/sda1", major: 8, minor: 1, hasDev: true}, "sda1"},
		{mountEntry{device: "/dev/mapper/vg-root", major: 253, minor: 0, hasDev: true}, "dm-0"},
		{mountEntry{device: "/dev/mapper/vg-home", major: 253, minor: 1, hasDev: true}, ""},
		{mountEntry{device: "/dev/vdb", major: 252, minor: 16, hasDev: true}, "vdb"}, // not in sysfs
		{mountEntry{device: "tmpfs", major: 0, minor: 25, hasDev: true}, ""},
		{mountEntry{device: "/dev/nvme0n1p2"}, "nvme0n1p2"}, // mounts format
	} {
		if got := blockName(tt.m, names); got != tt.want {
			t.Errorf("blockName(%s) = %q, want %q", tt.m.device, got, tt.want)
		}
	}
}

// TestStatfsHangIsBounded: a statfs that never returns (a dead NFS
// server) is abandoned when the context ends and skipped afterwards
// until it returns.
func TestStatfsHangIsBounded(t *testing.T) {
	release := make(chan struct{})
	f := newFilesystemSource(Options{}, system{statfs: func(string) (FsStat, error) {
		<-release
		return FsStat{TotalBytes: 1}, nil
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := f.statfsBounded(ctx, "/nfs"); err == nil {
		t.Fatal("hung statfs: want error")
	}
	if _, err := f.statfsBounded(context.Background(), "/nfs"); err != errStatfsTimeout {
		t.Fatalf("second call while stuck: err = %v, want errStatfsTimeout", err)
	}
	close(release)
	// The abandoned call now returns and clears its mark.
	for i := 0; i < 5000; i++ {
		f.mu.Lock()
		stuck := f.stuck["/nfs"]
		f.mu.Unlock()
		if !stuck {
			break
		}
		time.Sleep(time.Millisecond)
	}
	st, err := f.statfsBounded(context.Background(), "/nfs")
	if err != nil || st.TotalBytes != 1 {
		t.Fatalf("after recovery: %+v %v", st, err)
	}
}

// TestBlockNamesCache: block device names are read once and reused, and a
// mount on a device the cache does not know (hotplug) refreshes them.
func TestBlockNamesCache(t *testing.T) {
	sys := t.TempDir()
	addDev := func(name, dev string) {
		t.Helper()
		dir := filepath.Join(sys, "class", "block", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dev"), []byte(dev+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	addDev("sda1", "8:1")
	f := &filesystemSource{opts: Options{SysRoot: sys}}
	sda1 := mountEntry{hasDev: true, major: 8, minor: 1}
	if got := f.blockNames([]mountEntry{sda1})["8:1"]; got != "sda1" {
		t.Fatalf("8:1 = %q, want sda1", got)
	}
	// A new device on sysfs is not looked for while every mount is known...
	addDev("sdb1", "8:17")
	if _, ok := f.blockNames([]mountEntry{sda1})["8:17"]; ok {
		t.Fatal("names re-read although every mount was known")
	}
	// ...but a mount on it refreshes the names at once.
	sdb1 := mountEntry{hasDev: true, major: 8, minor: 17}
	if got := f.blockNames([]mountEntry{sda1, sdb1})["8:17"]; got != "sdb1" {
		t.Fatalf("8:17 = %q after a mount appeared on it, want sdb1", got)
	}
	// And the cache expires.
	addDev("dm!0", "253:0")
	for i := 0; i < blockNamesTTL; i++ {
		f.blockNames([]mountEntry{sda1})
	}
	if got := f.blockNames([]mountEntry{sda1})["253:0"]; got != "dm/0" {
		t.Fatalf("253:0 = %q after the TTL, want dm/0", got)
	}
}

func TestReadShort(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got, err := readShort(write("op", "up\n")); err != nil || got != "up" {
		t.Fatalf("readShort = %q, %v", got, err)
	}
	if got, err := readShort(write("empty", "")); err != nil || got != "" {
		t.Fatalf("readShort(empty) = %q, %v", got, err)
	}
	if _, err := readShort(write("long", strings.Repeat("x", 200))); err == nil {
		t.Fatal("readShort accepted 200 bytes")
	}
	if _, err := readShort(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("readShort of a missing file did not fail")
	}
}
