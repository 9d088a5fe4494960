package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FsStat is what statfs says about one mounted filesystem, in bytes and
// inodes.
type FsStat struct {
	TotalBytes uint64 // f_blocks * f_frsize
	FreeBytes  uint64 // f_bfree: free including the root reserve
	AvailBytes uint64 // f_bavail: free for unprivileged users
	Inodes     uint64
	InodesFree uint64
}

// mountEntry is one line of /proc/PID/mountinfo or /proc/PID/mounts.
type mountEntry struct {
	device, mount, fstype, options string
	root                           string // subtree mounted; "/" unless a bind mount of a subdirectory
	super                          string // super block options (mountinfo): a cgroup v1 mount's controllers
	major, minor                   uint32
	hasDev                         bool // major/minor known (mountinfo)
}

// parseMountinfo parses /proc/PID/mountinfo:
// "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard".
func parseMountinfo(data []byte) ([]mountEntry, error) {
	var out []mountEntry
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data = nextLine(data)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if len(f) < 6 || sep < 0 || sep+2 >= len(f) {
			return nil, fmt.Errorf("mountinfo line %d: malformed %q", n, line)
		}
		majS, minS, ok := strings.Cut(f[2], ":")
		maj, err1 := strconv.ParseUint(majS, 10, 32)
		mnr, err2 := strconv.ParseUint(minS, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("mountinfo line %d: bad major:minor %q", n, f[2])
		}
		var super string
		if sep+3 < len(f) {
			super = f[sep+3]
		}
		out = append(out, mountEntry{
			super:   super,
			device:  unescapeMount(f[sep+2]),
			mount:   unescapeMount(f[4]),
			fstype:  f[sep+1],
			options: f[5],
			root:    unescapeMount(f[3]),
			major:   uint32(maj),
			minor:   uint32(mnr),
			hasDev:  true,
		})
	}
	return out, nil
}

// parseMounts parses /proc/PID/mounts (fstab format), the fallback when
// mountinfo is unreadable.
func parseMounts(data []byte) ([]mountEntry, error) {
	var out []mountEntry
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data = nextLine(data)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		f := strings.Fields(string(line))
		if len(f) < 4 {
			return nil, fmt.Errorf("mounts line %d: malformed %q", n, line)
		}
		out = append(out, mountEntry{
			device:  unescapeMount(f[0]),
			mount:   unescapeMount(f[1]),
			fstype:  f[2],
			options: f[3],
			root:    "/",
		})
	}
	return out, nil
}

// unescapeMount decodes the kernel's octal escapes (\040 for space,
// \011 tab, \012 newline, \134 backslash) in mount fields.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(v)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// pseudoFS are filesystem types with no storage of their own (or, for
// squashfs/iso9660/erofs, always full), skipped unless AllFilesystems.
// The list follows node_exporter's default exclusions plus tmpfs-like types.
var pseudoFS = map[string]bool{
	"autofs": true, "binfmt_misc": true, "bpf": true, "cgroup": true, "cgroup2": true,
	"configfs": true, "debugfs": true, "devpts": true, "devtmpfs": true, "efivarfs": true,
	"erofs": true, "fusectl": true, "fuse.lxcfs": true, "fuse.gvfsd-fuse": true,
	"fuse.portal": true, "hugetlbfs": true, "iso9660": true, "mqueue": true, "nsfs": true,
	"overlay": true, "proc": true, "procfs": true, "pstore": true, "ramfs": true,
	"rpc_pipefs": true, "securityfs": true, "selinuxfs": true, "squashfs": true,
	"sysfs": true, "tmpfs": true, "tracefs": true, "nfsd": true, "rootfs": true,
}

// selectMounts drops pseudo filesystems (unless all), mounts hidden by a
// later mount on the same path, and duplicate mounts of one device (bind
// mounts): per device it keeps the mount of the device's root with the
// shortest path, so "/" wins over "/etc/hosts" bind-mounted from it.
// Order follows the mount table.
func selectMounts(mounts []mountEntry, all bool) []mountEntry {
	lastAt := make(map[string]int, len(mounts))
	for i, m := range mounts {
		lastAt[m.mount] = i
	}
	best := make(map[string]int)
	var keys []string
	for i, m := range mounts {
		if lastAt[m.mount] != i || (!all && pseudoFS[m.fstype]) {
			continue
		}
		key := m.device
		if m.hasDev && m.major != 0 {
			key = m.devNum()
		} else if all {
			// Pseudo filesystems share device names ("tmpfs", "none").
			key = m.fstype + "\x00" + m.device + "\x00" + m.mount
		}
		j, ok := best[key]
		if !ok {
			best[key] = i
			keys = append(keys, key)
			continue
		}
		if betterMount(m, mounts[j]) {
			best[key] = i
		}
	}
	keep := make([]bool, len(mounts))
	for _, k := range keys {
		keep[best[k]] = true
	}
	var out []mountEntry
	for i, m := range mounts {
		if keep[i] {
			out = append(out, m)
		}
	}
	return out
}

func betterMount(a, b mountEntry) bool {
	if (a.root == "/") != (b.root == "/") {
		return a.root == "/"
	}
	return len(a.mount) < len(b.mount)
}

// filesystemFrom fills a Filesystem from a mount and its statfs. UsedPct
// is df's: used / (used + avail), so the root reserve counts as full.
// mountsOptions are the options as /proc/mounts shows them, and Virgo's
// agent.filesystem reports them (filesystem.lua reads /proc/mounts): the
// mount's own options, then the super block's without its leading rw/ro
// ("rw,relatime" + "rw,errors=remount-ro" -> "rw,relatime,errors=remount-ro").
// From /proc/mounts (no super options) they are the options as read.
func (m mountEntry) mountsOptions() string {
	super := m.super
	if first, rest, _ := strings.Cut(super, ","); first == "rw" || first == "ro" {
		super = rest
	}
	if super == "" {
		return m.options
	}
	if m.options == "" {
		return super
	}
	return m.options + "," + super
}

func filesystemFrom(m mountEntry, st FsStat, disk string) Filesystem {
	fs := Filesystem{
		Mount:       m.mount,
		Device:      m.device,
		Disk:        disk,
		FSType:      m.fstype,
		Options:     m.mountsOptions(),
		TotalBytes:  st.TotalBytes,
		FreeBytes:   st.FreeBytes,
		AvailBytes:  st.AvailBytes,
		InodesTotal: st.Inodes,
		InodesFree:  st.InodesFree,
		ReadOnly:    hasOption(m.options, "ro"),
	}
	if st.TotalBytes > st.FreeBytes {
		fs.UsedBytes = st.TotalBytes - st.FreeBytes
	}
	if d := fs.UsedBytes + fs.AvailBytes; d > 0 {
		fs.UsedPct = float64(fs.UsedBytes) * 100 / float64(d)
	}
	if st.Inodes > 0 && st.Inodes >= st.InodesFree {
		fs.InodesUsedPct = float64(st.Inodes-st.InodesFree) * 100 / float64(st.Inodes)
	}
	return fs
}

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// statfsTimeout bounds one statfs call: a hung NFS server must not stall
// the sampler. The abandoned call is remembered and the mount skipped
// until it returns.
const statfsTimeout = 3 * time.Second

type filesystemSource struct {
	opts   Options
	statfs func(path string) (FsStat, error)

	mu    sync.Mutex
	stuck map[string]bool // paths with a statfs call still outstanding

	// names caches blockNames for blockNamesTTL samples; a mount on a
	// device it does not know refreshes it at once (hotplug).
	names    map[string]string
	namesAge int
}

// blockNamesTTL is how many samples the block device names are reused.
const blockNamesTTL = 60

func newFilesystemSource(opts Options, sys system) *filesystemSource {
	return &filesystemSource{opts: opts, statfs: sys.statfs, stuck: map[string]bool{}}
}

func (*filesystemSource) Name() string { return SourceFilesystems }

var errStatfsTimeout = errors.New("statfs timed out")

func (f *filesystemSource) Collect(ctx context.Context, s *Snapshot) error {
	mounts, err := f.readMounts(ctx)
	if err != nil {
		return err
	}
	mounts = selectMounts(mounts, f.opts.AllFilesystems)
	out := make([]Filesystem, 0, len(mounts))
	var names map[string]string
	if f.opts.procFS() {
		names = f.blockNames(mounts)
	}
	var firstErr error
	for _, m := range mounts {
		st, err := f.statfsBounded(ctx, filepath.Join(f.opts.rootFS(), m.mount))
		if err != nil {
			// A mount we may not stat (EACCES inside containers, a stale
			// NFS handle) is left out, as df does, unless none succeed.
			if firstErr == nil {
				firstErr = fmt.Errorf("statfs %s: %w", m.mount, err)
			}
			continue
		}
		out = append(out, filesystemFrom(m, st, blockName(m, names)))
	}
	if len(out) == 0 && firstErr != nil {
		return firstErr
	}
	s.Filesystems = out
	return nil
}

func (f *filesystemSource) readMounts(ctx context.Context) ([]mountEntry, error) {
	if !f.opts.procFS() {
		return mountsFallback(ctx, f.opts.AllFilesystems)
	}
	root := f.opts.procRoot()
	var errs []error
	for _, pid := range []string{"1", "self"} {
		data, err := readFile(root, pid, "mountinfo")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m, err := parseMountinfo(data)
		if err != nil {
			return nil, fmt.Errorf("parse %s/%s/mountinfo: %w", root, pid, err)
		}
		return m, nil
	}
	data, err := readFile(root, "self", "mounts")
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	m, err := parseMounts(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s/self/mounts: %w", root, err)
	}
	return m, nil
}

func (f *filesystemSource) statfsBounded(ctx context.Context, path string) (FsStat, error) {
	f.mu.Lock()
	if f.stuck[path] {
		f.mu.Unlock()
		return FsStat{}, errStatfsTimeout
	}
	f.stuck[path] = true
	f.mu.Unlock()

	type result struct {
		st  FsStat
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := f.statfs(path)
		f.mu.Lock()
		delete(f.stuck, path)
		f.mu.Unlock()
		done <- result{st, err}
	}()
	timer := time.NewTimer(statfsTimeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.st, r.err
	case <-timer.C:
		return FsStat{}, errStatfsTimeout
	case <-ctx.Done():
		return FsStat{}, ctx.Err()
	}
}

// devNum is the mount's device as "MAJ:MIN", the key of blockNames.
func (m mountEntry) devNum() string {
	return strconv.FormatUint(uint64(m.major), 10) + ":" + strconv.FormatUint(uint64(m.minor), 10)
}

// blockNames is the cached blockNames, refreshed every blockNamesTTL
// samples or when a mount's device is missing from it.
func (f *filesystemSource) blockNames(mounts []mountEntry) map[string]string {
	f.namesAge++
	fresh := f.names != nil && f.namesAge < blockNamesTTL
	for i := 0; fresh && i < len(mounts); i++ {
		if m := mounts[i]; m.hasDev && m.major != 0 {
			_, fresh = f.names[m.devNum()]
		}
	}
	if !fresh {
		f.names, f.namesAge = blockNames(f.opts.sysRoot()), 0
	}
	return f.names
}

// blockNames maps "MAJ:MIN" to the kernel name of every block device
// (SysRoot/class/block/NAME/dev), which is also its /proc/diskstats name
// once sysfs's '!' is turned back into '/'. (SysRoot/dev/block/MAJ:MIN
// would be one read, but ':' is not allowed in file names inside a Go
// module, so the fixtures could not hold it.)
func blockNames(sysRoot string) map[string]string {
	dir := filepath.Join(sysRoot, "class", "block")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make(map[string]string, len(entries))
	for _, e := range entries {
		dev, err := readShort(filepath.Join(dir, e.Name(), "dev"))
		if err != nil {
			continue
		}
		names[dev] = strings.ReplaceAll(e.Name(), "!", "/")
	}
	return names
}

// blockName is the /proc/diskstats name of the block device behind m
// ("sda1", "dm-0"), or the basename of a /dev/ device when sysfs does not
// know it.
func blockName(m mountEntry, names map[string]string) string {
	if m.hasDev {
		if m.major == 0 {
			return ""
		}
		if name, ok := names[m.devNum()]; ok {
			return name
		}
	}
	if strings.HasPrefix(m.device, "/dev/") && !strings.HasPrefix(m.device, "/dev/mapper/") {
		return filepath.Base(m.device)
	}
	return ""
}

// RootDisk names the block device behind "/" as /proc/diskstats does
// ("vda", "sda1", "dm-0"), or "" when "/" is not in snap.
func RootDisk(snap *Snapshot) string {
	if snap == nil {
		return ""
	}
	for _, fs := range snap.Filesystems {
		if fs.Mount == "/" {
			return fs.Disk
		}
	}
	return ""
}
