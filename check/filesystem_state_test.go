package check

import (
	"fmt"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// TestFilesystemState runs agent.filesystem_state on canned mounts: only
// filesystems sigar classes as local or remote count, by their first
// ro/rw option, with the original's names, types and units.
func TestFilesystemState(t *testing.T) {
	fs := func(dev, typ, opts string) collector.Filesystem {
		return collector.Filesystem{Device: dev, Mount: "/m/" + dev, FSType: typ, Options: opts, ReadOnly: opts == "ro"}
	}
	for _, tc := range []struct {
		name   string
		fss    []collector.Filesystem
		ro, rw []string
	}{
		{"none", nil, nil, nil},
		{"mixed", []collector.Filesystem{
			fs("/dev/sda1", "ext4", "rw,relatime"),
			fs("/dev/sdb1", "xfs", "ro,noatime"),
			fs("server:/export", "nfs4", "rw,vers=4.2"),
			fs("//nas/share", "cifs", "ro"),
			fs("tmpfs", "tmpfs", "rw,nosuid"),          // ram: not counted
			fs("/dev/sr0", "iso9660", "ro"),            // cdrom: not counted
			fs("/dev/nvme0n1p2", "f2fs", "rw"),         // sigar never learnt f2fs
			fs("/dev/sdc1", "btrfs", "noatime,ro,rw"),  // the first of ro/rw wins
			fs("/dev/sdd1", "vfat", "relatime,errors"), // neither: not counted
		}, []string{"/dev/sdb1", "//nas/share", "/dev/sdc1"}, []string{"/dev/sda1", "server:/export"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := testSnapshot()
			snap.Host.OS = "linux"
			snap.Filesystems = tc.fss
			r := runAt(t, &fakeEnv{snap: snap}, Def{ID: "s", Type: TypeFilesystemState, Period: time.Minute})
			join := func(s []string) string {
				out := ""
				for i, x := range s {
					if i > 0 {
						out += ","
					}
					out += x
				}
				return out
			}
			want := []Metric{
				m("total_ro", TypeInt64, fmt.Sprint(len(tc.ro)), "total"),
				m("total_rw", TypeInt64, fmt.Sprint(len(tc.rw)), "total"),
				m("devices_ro", TypeString, join(tc.ro), "devices"),
				m("devices_rw", TypeString, join(tc.rw), "devices"),
			}
			if !r.Available || r.Status != StatusSuccess || fmt.Sprint(r.Metrics) != fmt.Sprint(want) {
				t.Errorf("got %v %q %v\nwant %v", r.Available, r.Status, r.Metrics, want)
			}
		})
	}
}

// TestFilesystemStateFailures: no sample yet, a failed filesystem source,
// and a host that is not Linux.
func TestFilesystemStateFailures(t *testing.T) {
	def := Def{ID: "s", Type: TypeFilesystemState, Period: time.Minute}
	if r := runAt(t, &fakeEnv{}, def); r.Available || r.Status != msgNoSample {
		t.Errorf("no sample: %v %q", r.Available, r.Status)
	}
	snap := testSnapshot()
	snap.Host.OS = "linux"
	snap.Errors = map[string]string{collector.SourceFilesystems: "mountinfo: permission denied"}
	if r := runAt(t, &fakeEnv{snap: snap}, def); r.Available || r.Status != "Collecting filesystems failed: mountinfo: permission denied" {
		t.Errorf("source error: %v %q", r.Available, r.Status)
	}
	snap = testSnapshot()
	snap.Host.OS = "darwin"
	r := runAt(t, &fakeEnv{snap: snap}, def)
	if want := "agent.filesystem_state is not supported on this platform: available only on Linux platforms"; r.Available || r.Status != want {
		t.Errorf("darwin: %v %q, want %q", r.Available, r.Status, want)
	}
}

func TestSigarFSType(t *testing.T) {
	for typ, want := range map[string]string{
		"ext2": "local", "ext3": "local", "ext4": "local", "xfs": "local", "btrfs": "local", "zfs": "local",
		"vfat": "local", "jfs": "local", "reiserfs": "local", "ocfs2": "local",
		"nfs": "remote", "nfs4": "remote", "cifs": "remote", "smbfs": "remote", "afs": "remote",
		"iso9660": "cdrom", "swap": "swap",
		"tmpfs": "none", "proc": "none", "overlay": "none", "f2fs": "none", "ntfs": "none", "": "none",
	} {
		if got := sigarFSType(typ); got != want {
			t.Errorf("sigarFSType(%q) = %q, want %q", typ, got, want)
		}
	}
}
