package check

import (
	"context"
	"runtime"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
)

// agent.filesystem_state, after the original's check/filesystem_state.lua
// and ro.lua: among the mounts of the latest sample whose type sigar
// classes as a local disk or a remote filesystem, those whose first
// "ro"/"rw" mount option is ro and those whose is rw:
//
//	total_ro, total_rw     int64, unit "total"   (counts)
//	devices_ro, devices_rw string, unit "devices" (device names, comma-joined,
//	                       in mount-table order; "" when none)
//
// The original runs only on Linux; elsewhere it keeps the result
// available with the status "err agent.filesystem_state available only on
// Linux platforms" (filesystem_state.lua line 40). We answer as for every
// type this platform cannot run (unsupportedStatus): unavailable.
//
// The mounts are the collector's (Snapshot.Filesystems), which leave out
// pseudo filesystems and count a device bind-mounted twice once; sigar
// listed every mount, but classes pseudo filesystems as neither local nor
// remote, so only the bind mounts differ.

func runFilesystemState(_ context.Context, rc runCtx) Result {
	snap := rc.snap
	if snap == nil {
		snap = rc.env.Latest()
	}
	if snap == nil {
		return ErrorResult(rc.def, rc.start, msgNoSample)
	}
	goos := snap.Host.OS
	if goos == "" {
		goos = runtime.GOOS
	}
	if goos != "linux" {
		return ErrorResult(rc.def, rc.start, unsupportedStatus(rc.def.Type, "Linux platforms"))
	}
	if fail := sourceError(rc, snap, collector.SourceFilesystems); fail != nil {
		return *fail
	}
	ro, rw := filesystemStates(snap.Filesystems)
	r := NewResult(rc.def, rc.start)
	r.AddInt("total_ro", TypeInt64, int64(len(ro)), "total")
	r.AddInt("total_rw", TypeInt64, int64(len(rw)), "total")
	r.Add("devices_ro", TypeString, strings.Join(ro, ","), "devices")
	r.Add("devices_rw", TypeString, strings.Join(rw, ","), "devices")
	return r
}

// filesystemStates splits the devices of local and remote filesystems by
// their first ro/rw mount option, as ro.lua's gatherReadWriteReadOnlyInfo.
func filesystemStates(fss []collector.Filesystem) (ro, rw []string) {
	for _, fs := range fss {
		switch sigarFSType(fs.FSType) {
		case "local", "remote":
		default:
			continue
		}
		for _, opt := range strings.FieldsFunc(fs.Options, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n'
		}) {
			if opt == "ro" {
				ro = append(ro, fs.Device)
				break
			}
			if opt == "rw" {
				rw = append(rw, fs.Device)
				break
			}
		}
	}
	return ro, rw
}

// sigarFSType is sigar's class of a Linux filesystem type, by its rules
// (sigar_os_fs_type_get for Linux, then sigar_common_fs_type_get): "local"
// for disk filesystems, "remote" for network ones, "cdrom", "swap", and
// "none" for everything else (pseudo filesystems, tmpfs, and the types
// sigar never learnt, such as f2fs or ntfs: the original does not count
// those either).
func sigarFSType(t string) string {
	switch {
	case t == "btrfs", strings.HasPrefix(t, "ext"), t == "gfs", t == "hpfs",
		strings.HasPrefix(t, "jfs"), strings.HasPrefix(t, "ocfs"), strings.HasPrefix(t, "psfs"),
		t == "reiserfs", t == "vzfs", t == "xfs", t == "xiafs",
		t == "cvfs", t == "msdos", t == "minix", t == "vxfs", t == "vfat", t == "zfs":
		return "local"
	case strings.HasPrefix(t, "nfs"), t == "smbfs", t == "afs", t == "cifs":
		return "remote"
	case t == "iso9660":
		return "cdrom"
	case t == "swap":
		return "swap"
	}
	return "none"
}
