package check

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The subreaper. A plugin child that calls setsid (or double-forks) leaves
// the plugin's process group, and when its parent exits it is reparented to
// init, out of our sight. With PR_SET_CHILD_SUBREAPER such orphans are
// reparented to us instead, so at the end of a run everything the plugin
// left behind is either in its process group or among our own children,
// where it can be found and killed without races (a child of ours keeps its
// pid until we reap it).
//
// Adopted orphans must be reaped, and a wait4(-1) that reaps them would
// race every other wait in the process (os/exec's cmd.Wait, os.Process.Wait
// wait for one pid and fail with ECHILD when someone else reaped it). So
// once the reaper is on it owns every wait in the process: plugins are
// started through it and it hands each plugin's exit status to its run;
// nothing else in the process may start and wait for children. That is why
// it is switched on explicitly, by the daemon and the console, and not
// lazily by the first plugin run (test binaries run plugins beside
// exec.Command).

var reaperState struct {
	once sync.Once
	err  error
	r    atomic.Pointer[reaper]
}

// EnableReaper makes this process the child subreaper for plugin runs and
// starts the goroutine that reaps every child of the process for the rest
// of its life (it is never stopped: a subreaper that stopped reaping would
// collect zombies). Call it once at start, before any plugin runs, from a
// program whose only children are plugins: after it, os/exec and
// os.Process.Wait must not be used for other children (their waits would
// fail with ECHILD). Plugin runs use a per-run cgroup instead where one is
// available; the reaper still reaps for them. Calling it again returns the
// first call's result. On systems other than Linux it does nothing.
func EnableReaper() error {
	reaperState.once.Do(func() {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			reaperState.err = fmt.Errorf("PR_SET_CHILD_SUBREAPER: %w", err)
			return
		}
		r := &reaper{procs: make(map[int]*reapEntry), sigc: make(chan os.Signal, 1)}
		signal.Notify(r.sigc, unix.SIGCHLD)
		reaperState.r.Store(r)
		go r.run()
	})
	return reaperState.err
}

// reaper owns every wait of the process once enabled.
type reaper struct {
	// gate keeps reaping out while a plugin is forked and registered
	// (shared) and while a sweep or a signal picks children by pid
	// (exclusive for sweeps, shared for signals): a pid we hold the gate
	// for cannot be reaped, so it cannot be reused.
	gate  sync.RWMutex
	mu    sync.Mutex // guards procs
	procs map[int]*reapEntry
	sigc  chan os.Signal
}

// reapEntry is one plugin the reaper waits for.
type reapEntry struct {
	pid    int
	done   chan struct{} // closed once reaped; status is set then
	status unix.WaitStatus
}

func (e *reapEntry) reaped() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// run reaps on every SIGCHLD (signals coalesce, so each round reaps every
// waitable child). It runs for the life of the process.
func (r *reaper) run() {
	r.reap()
	for range r.sigc {
		r.reap()
	}
}

// reap reaps every waitable child. A plugin's process group is killed
// while the plugin is still a zombie (its pid, which is the group's id,
// cannot be reused before it is reaped), then its status is delivered.
func (r *reaper) reap() {
	r.gate.Lock()
	defer r.gate.Unlock()
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return // ECHILD: no children
		}
		pid := siginfoPid(&info)
		if pid <= 0 {
			return // none waitable now
		}
		r.mu.Lock()
		e := r.procs[pid]
		delete(r.procs, pid)
		r.mu.Unlock()
		if e != nil {
			killGroup(pid)
		}
		var ws unix.WaitStatus
		for {
			_, err = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
			if err != unix.EINTR {
				break
			}
		}
		if e != nil {
			e.status = ws
			close(e.done)
		}
	}
}

// siginfoPid reads si_pid of a SIGCHLD siginfo: the first field of the
// union after three ints, aligned to the pointer size (offset 16 on 64-bit
// systems, 12 on 32-bit ones). x/sys/unix leaves the union opaque.
func siginfoPid(info *unix.Siginfo) int {
	const ptr = unsafe.Sizeof(uintptr(0))
	const off = (12 + ptr - 1) &^ (ptr - 1)
	return int(*(*int32)(unsafe.Add(unsafe.Pointer(info), off)))
}

// forkExec starts a plugin and registers it before the reaper can see it
// exit.
func (r *reaper) forkExec(argv0 string, argv []string, attr *syscall.ProcAttr) (*reapEntry, error) {
	r.gate.RLock()
	defer r.gate.RUnlock()
	// A failed exec is reaped by ForkExec itself; the gate keeps the
	// reaper from taking it first.
	pid, err := syscall.ForkExec(argv0, argv, attr)
	if err != nil {
		return nil, err
	}
	e := &reapEntry{pid: pid, done: make(chan struct{})}
	r.mu.Lock()
	r.procs[pid] = e
	r.mu.Unlock()
	return e, nil
}

// kill sends SIGKILL to a plugin and its group unless it was reaped.
func (r *reaper) kill(e *reapEntry) {
	r.gate.RLock()
	defer r.gate.RUnlock()
	if !e.reaped() {
		killGroup(e.pid)
		_ = unix.Kill(e.pid, unix.SIGKILL)
	}
}

// maxSweepPasses bounds the rounds of a sweep: each round kills one level
// of a tree of detached processes (their children are reparented to us
// once they die).
const maxSweepPasses = 32

// errSurvivors is returned by a sweep that gave up on processes still alive.
var errSurvivors = errors.New("processes survived SIGKILL")

// sweep kills what run marker left among our children: every child that
// is not a running plugin and whose environment carries marker or no
// marker at all (a child that cleared its environment cannot be told
// apart; it is killed by the first run that ends). Children of other runs
// that are still going keep running until their own run ends. It repeats
// until a round finds nothing, so grandchildren reparented to us by their
// parents' deaths are killed too.
func (r *reaper) sweep(marker string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for pass := 0; pass < maxSweepPasses; pass++ {
		dw, err := r.killOrphans(marker)
		if err != nil {
			return err
		}
		if dw.empty() {
			return nil
		}
		done := dw.wait(deadline)
		dw.close()
		if !done {
			return errSurvivors
		}
	}
	return errSurvivors
}

// killOrphans kills the current round of orphans of run marker.
func (r *reaper) killOrphans(marker string) (*deathWatch, error) {
	r.gate.Lock()
	defer r.gate.Unlock()
	kids, err := selfChildren()
	if err != nil {
		return nil, fmt.Errorf("list children: %w", err)
	}
	dw := &deathWatch{}
	for _, pid := range kids {
		r.mu.Lock()
		_, plugin := r.procs[pid]
		r.mu.Unlock()
		if plugin {
			continue
		}
		if state, _, ok := procState(pid); !ok || state == 'Z' || state == 'X' {
			continue
		}
		if m, ok := envMarker(pid); ok && m != "" && m != marker {
			continue
		}
		dw.add(pid) // before the kill: our unreaped child cannot go away
		_ = unix.Kill(pid, unix.SIGKILL)
	}
	return dw, nil
}

// sweepMarked is the sweep without a subreaper or cgroup: every process
// whose environment carries marker is killed (a pidfd opened before the
// marker is read again makes the kill hit that process, not a later one
// with its pid). A descendant that cleared its environment is not found.
func sweepMarked(marker string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	self := os.Getpid()
	for pass := 0; pass < maxSweepPasses; pass++ {
		pids, err := allPids()
		if err != nil {
			return fmt.Errorf("list processes: %w", err)
		}
		dw := &deathWatch{}
		for _, pid := range pids {
			if pid == self {
				continue
			}
			if m, ok := envMarker(pid); !ok || m != marker {
				continue
			}
			fd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				if err == unix.ENOSYS {
					_ = unix.Kill(pid, unix.SIGKILL) // before Linux 5.3: best effort
					dw.pids = append(dw.pids, pid)
				}
				continue
			}
			if m, ok := envMarker(pid); ok && m == marker && unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0) == nil {
				dw.fds = append(dw.fds, fd)
			} else {
				unix.Close(fd)
			}
		}
		if dw.empty() {
			return nil
		}
		done := dw.wait(deadline)
		dw.close()
		if !done {
			return errSurvivors
		}
	}
	return errSurvivors
}

// deathWatch waits for killed processes to exit: on their pidfds, or by
// polling /proc before Linux 5.3.
type deathWatch struct {
	fds  []int
	pids []int
}

func (d *deathWatch) empty() bool { return len(d.fds) == 0 && len(d.pids) == 0 }

// add watches pid, which must be pinned (our unreaped child).
func (d *deathWatch) add(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	switch {
	case err == nil:
		d.fds = append(d.fds, fd)
	case err != unix.ESRCH:
		d.pids = append(d.pids, pid)
	}
}

// wait reports whether every watched process exited before deadline.
func (d *deathWatch) wait(deadline time.Time) bool {
	pfds := make([]unix.PollFd, len(d.fds))
	for i, fd := range d.fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	pids := d.pids
	sleep := time.Millisecond
	for {
		live := pfds[:0]
		for _, p := range pfds {
			if p.Revents == 0 {
				live = append(live, p)
			}
		}
		pfds = live
		alive := pids[:0]
		for _, pid := range pids {
			if st, _, ok := procState(pid); ok && st != 'Z' && st != 'X' {
				alive = append(alive, pid)
			}
		}
		pids = alive
		if len(pfds) == 0 && len(pids) == 0 {
			return true
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		if len(pfds) > 0 && len(pids) == 0 {
			if _, err := unix.Poll(pfds, int(left/time.Millisecond)+1); err != nil && err != unix.EINTR {
				return false
			}
			continue
		}
		time.Sleep(min(sleep, left))
		sleep = min(2*sleep, 50*time.Millisecond)
		if len(pfds) > 0 {
			_, _ = unix.Poll(pfds, 0)
		}
	}
}

func (d *deathWatch) close() {
	for _, fd := range d.fds {
		unix.Close(fd)
	}
	d.fds, d.pids = nil, nil
}
