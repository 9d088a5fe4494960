package check

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Per-run cgroups. Where this process's cgroup v2 is ours to change (no
// systemd, or a unit with Delegate=yes), every plugin run gets a child
// cgroup, the plugin is cloned straight into it (CLONE_INTO_CGROUP, so not
// even its first fork escapes) and at the end of the run "1" is written to
// its cgroup.kill: every descendant dies however it detached (setsid,
// double fork), then the cgroup is removed. Needs Linux 5.14 (cgroup.kill).

// cgroupPrefix names the run cgroups: virgo-top-plugin-<agent pid>-<run>.
const cgroupPrefix = "virgo-top-plugin-"

// cgroupRemoveWait bounds the wait for a killed cgroup to empty (a process
// in uninterruptible sleep ignores SIGKILL until it wakes).
const cgroupRemoveWait = 5 * time.Second

var pluginCgroups struct {
	once   sync.Once
	parent string // our cgroup directory, when usable
	err    error  // why not
	// off is set when a start into a run cgroup failed where a start
	// without one worked, and by tests that exercise the other paths.
	off atomic.Bool

	mu       sync.Mutex
	leftover []string // run cgroups that did not empty in time
}

// cgroupParentDir returns the directory run cgroups are created in, or why
// there is none.
func cgroupParentDir() (string, error) {
	pluginCgroups.once.Do(func() {
		pluginCgroups.parent, pluginCgroups.err = discoverCgroup()
		if pluginCgroups.err == nil {
			removeStaleCgroups(pluginCgroups.parent)
		}
	})
	if pluginCgroups.err != nil {
		return "", pluginCgroups.err
	}
	if pluginCgroups.off.Load() {
		return "", errors.New("cgroups switched off")
	}
	return pluginCgroups.parent, nil
}

// discoverCgroup finds this process's cgroup v2 directory and checks that
// run cgroups can be made in it.
func discoverCgroup() (string, error) {
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	rel, ok := parseCgroupV2Path(cg)
	if !ok {
		return "", errors.New("no cgroup v2 membership in /proc/self/cgroup")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	dir, ok := cgroupDir(mi, rel)
	if !ok {
		return "", fmt.Errorf("cgroup %s is not under a mounted cgroup2", rel)
	}
	if _, err := os.Stat("/run/systemd/system"); err == nil && !cgroupDelegated(dir) {
		return "", fmt.Errorf("cgroup %s belongs to systemd and is not delegated (Delegate=yes)", dir)
	}
	if err := unix.Access(dir, unix.W_OK); err != nil {
		return "", fmt.Errorf("cgroup %s: %w", dir, err)
	}
	// Moving a process between cgroups needs write access to the
	// cgroup.procs of their common ancestor: ours.
	if err := unix.Access(filepath.Join(dir, "cgroup.procs"), unix.W_OK); err != nil {
		return "", fmt.Errorf("cgroup %s: %w", dir, err)
	}
	probe := filepath.Join(dir, fmt.Sprintf("%s%d-probe", cgroupPrefix, os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		return "", fmt.Errorf("cgroup %s: %w", dir, err)
	}
	_, kerr := os.Stat(filepath.Join(probe, "cgroup.kill"))
	if err := unix.Rmdir(probe); err != nil {
		return "", fmt.Errorf("cgroup %s: %w", probe, err)
	}
	if kerr != nil {
		return "", fmt.Errorf("cgroup %s: no cgroup.kill (Linux 5.14 or newer needed)", dir)
	}
	return dir, nil
}

// parseCgroupV2Path returns the path of the "0::" line of /proc/self/cgroup.
func parseCgroupV2Path(b []byte) (string, bool) {
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok && strings.HasPrefix(p, "/") {
			if strings.HasSuffix(p, " (deleted)") {
				return "", false
			}
			return p, true
		}
	}
	return "", false
}

// cgroupDir maps cgroup path rel to a directory through the cgroup2 mount
// in mountinfo whose root contains it.
func cgroupDir(mountinfo []byte, rel string) (string, bool) {
	for _, line := range strings.Split(string(mountinfo), "\n") {
		// id parent major:minor root mountpoint opts... - fstype source superopts
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 1 || qf[0] != "cgroup2" {
			continue
		}
		root, mnt := unescapeMount(pf[3]), unescapeMount(pf[4])
		if !within(rel, root) {
			continue
		}
		sub := strings.TrimPrefix(rel, root)
		if root == "/" {
			sub = rel
		}
		return filepath.Join(mnt, sub), true
	}
	return "", false
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cgroupDelegated reports whether systemd delegated dir or an ancestor to
// us: it marks a delegated cgroup with the trusted.delegate (and, for
// unprivileged users, user.delegate) extended attribute (systemd 251+),
// and hands a delegated cgroup of a unit with User= or DynamicUser= to
// that user.
func cgroupDelegated(dir string) bool {
	var st unix.Stat_t
	if euid := os.Geteuid(); euid != 0 && unix.Stat(dir, &st) == nil && int(st.Uid) == euid {
		return true
	}
	buf := make([]byte, 8)
	for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
		for _, attr := range []string{"trusted.delegate", "user.delegate"} {
			if n, err := unix.Getxattr(d, attr, buf); err == nil && string(buf[:n]) == "1" {
				return true
			}
		}
		if _, err := os.Stat(filepath.Join(d, "..", "cgroup.controllers")); err != nil {
			break // d is the hierarchy's root
		}
	}
	return false
}

// removeStaleCgroups kills and removes run cgroups left by an agent that
// died mid-run (a crash, SIGKILL): their plugins would run on unsupervised.
func removeStaleCgroups(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), cgroupPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		owner, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(owner)
		if err != nil || pid == os.Getpid() || unix.Kill(pid, 0) != unix.ESRCH {
			continue // ours, or its agent may be alive
		}
		c := &runCgroup{dir: filepath.Join(parent, e.Name()), fd: -1}
		_ = c.remove(cgroupRemoveWait)
	}
}

// runCgroup is one plugin run's cgroup.
type runCgroup struct {
	dir string
	fd  int // O_DIRECTORY descriptor for CLONE_INTO_CGROUP; -1 once closed
}

// newRunCgroup makes the cgroup for run seq under parent.
func newRunCgroup(parent string, seq uint64) (*runCgroup, error) {
	retryLeftovers()
	dir := filepath.Join(parent, fmt.Sprintf("%s%d-%d", cgroupPrefix, os.Getpid(), seq))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		_ = unix.Rmdir(dir)
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &runCgroup{dir: dir, fd: fd}, nil
}

// kill sends SIGKILL to every process in the cgroup.
func (c *runCgroup) kill() error {
	f, err := os.OpenFile(filepath.Join(c.dir, "cgroup.kill"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte("1"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// remove kills whatever is left in the cgroup, waits up to wait for it to
// empty and removes it. A cgroup that does not empty in time is kept for
// a later run to remove.
func (c *runCgroup) remove(wait time.Duration) error {
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
	err := c.waitEmpty(wait)
	if err == nil {
		err = unix.Rmdir(c.dir)
		if err == unix.ENOENT {
			err = nil
		}
	}
	if err != nil {
		pluginCgroups.mu.Lock()
		pluginCgroups.leftover = append(pluginCgroups.leftover, c.dir)
		pluginCgroups.mu.Unlock()
		return fmt.Errorf("remove %s: %w", c.dir, err)
	}
	return nil
}

// waitEmpty kills the cgroup's processes if it has any and waits for
// cgroup.events to say "populated 0" (the kernel notifies a change to it
// with POLLPRI).
func (c *runCgroup) waitEmpty(wait time.Duration) error {
	f, err := os.Open(filepath.Join(c.dir, "cgroup.events"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fd := int(f.Fd())
	deadline := time.Now().Add(wait)
	killed := false
	buf := make([]byte, 256)
	for {
		n, err := unix.Pread(fd, buf, 0)
		if err != nil {
			return &os.PathError{Op: "read", Path: f.Name(), Err: err}
		}
		if !cgroupPopulated(buf[:n]) {
			return nil
		}
		if !killed {
			if err := c.kill(); err != nil {
				return err
			}
			killed = true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return errors.New("processes survived SIGKILL")
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}
		if _, err := unix.Poll(fds, int(min(left, time.Second)/time.Millisecond)+1); err != nil && err != unix.EINTR {
			return err
		}
	}
}

// cgroupPopulated reads the populated key of cgroup.events.
func cgroupPopulated(events []byte) bool {
	for _, line := range bytes.Split(events, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("populated ")); ok {
			return string(bytes.TrimSpace(v)) != "0"
		}
	}
	return false
}

// retryLeftovers removes run cgroups that were still busy when their run
// ended; those still busy stay on the list.
func retryLeftovers() {
	pluginCgroups.mu.Lock()
	dirs := pluginCgroups.leftover
	pluginCgroups.leftover = nil
	pluginCgroups.mu.Unlock()
	for _, d := range dirs {
		c := &runCgroup{dir: d, fd: -1}
		_ = c.remove(0)
	}
}
