package check

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Running a plugin on Linux.
//
// Exec: the plugin's checked O_PATH descriptor is passed to the child as
// its fd 3 (not close-on-exec there: ProcAttr.Files are dup2'd into place)
// and the child execs "/proc/self/fd/3", which is fexecve: the kernel runs
// the inode that was checked, whatever happened to its path since. For a
// "#!" script the kernel starts the interpreter with "/proc/self/fd/3" as
// the script's path and the interpreter opens it, so fd 3 must still be
// open after exec: it is, and the plugin inherits it (a read-only handle
// on its own file). In a script $0 is therefore /proc/self/fd/3, not the
// plugin's path; its working directory is the plugin's directory, so
// relative paths to files beside it still work. A script without a "#!"
// line, which the kernel refuses with ENOEXEC, runs as execvp(3) runs it:
// "/bin/sh /proc/self/fd/3 ARGS", so the shell reads the descriptor that
// was checked, and $0 is /proc/self/fd/3 there too.
//
// Kill: see killMode. The plugin always leads its own process group, and
// that group is killed when the plugin exits, at its timeout and at an
// output overflow.

// pluginExecPath is the plugin's descriptor as the child sees it.
const pluginExecPath = "/proc/self/fd/3"

// sweepWait bounds the wait for a sweep's SIGKILLed processes to exit.
const sweepWait = 5 * time.Second

// pluginProc is one running plugin.
type pluginProc struct {
	pid    int
	marker string
	cg     *runCgroup // the run's cgroup, or nil
	r      *reaper    // non-nil when the reaper owns the wait
	entry  *reapEntry // the reaper's entry for the plugin
	done   chan struct{}
	// waitErr is set before done closes when the reaper is off.
	waitErr error
}

var logModeOnce sync.Once

// startPlugin starts exe with argv and env, stdin, stdout and stderr from
// stdio, in its own process group, in a run cgroup when one can be made.
func startPlugin(exe *pluginExe, argv, env []string, marker string, seq uint64, stdio [3]*os.File, log *slog.Logger) (*pluginProc, error) {
	p := &pluginProc{marker: marker, r: reaperState.r.Load()}
	parent, cgErr := cgroupParentDir()
	if cgErr == nil {
		if p.cg, cgErr = newRunCgroup(parent, seq); cgErr != nil {
			log.Warn("plugin run cgroup", "err", cgErr)
		}
	}
	logModeOnce.Do(func() {
		switch {
		case p.cg != nil:
			log.Info("plugin runs are killed with their cgroup", "parent", parent)
		case p.r != nil:
			log.Info("plugin runs are killed through the subreaper", "no_cgroup", cgErr.Error())
		default:
			log.Warn("plugin descendants that clear their environment can outlive their run: no cgroup and no subreaper",
				"no_cgroup", cgErr.Error())
		}
	})
	attr := &syscall.ProcAttr{
		Dir:   filepath.Dir(exe.path),
		Env:   env,
		Files: []uintptr{stdio[0].Fd(), stdio[1].Fd(), stdio[2].Fd(), exe.file.Fd()},
		Sys:   groupSysProcAttr(),
	}
	if p.cg != nil {
		attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, p.cg.fd
	}
	err := p.fork(argv, attr)
	if err != nil && p.cg != nil {
		// Cloning into the cgroup can fail where a plain start works (no
		// clone3, a cgroup that refuses processes); an exec error fails
		// both ways. The first start never ran the plugin.
		cg := p.cg
		p.cg = nil
		_ = cg.remove(0)
		attr.Sys = groupSysProcAttr()
		if err2 := p.fork(argv, attr); err2 == nil {
			pluginCgroups.off.Store(true)
			log.Warn("plugin cgroups switched off: a start into a run cgroup failed", "cgroup", cg.dir, "err", err)
			err = nil
		} else {
			err = err2
		}
	}
	runtime.KeepAlive(stdio)
	runtime.KeepAlive(exe.file)
	if err != nil {
		return nil, err
	}
	if p.cg != nil {
		unix.Close(p.cg.fd)
		p.cg.fd = -1
	}
	return p, nil
}

// fork starts the plugin from its descriptor. A file the kernel cannot
// execute for want of a "#!" line (ENOEXEC) runs under /bin/sh as execvp
// runs it, still from the descriptor: /bin/sh /proc/self/fd/3 ARGS, never
// by its path again.
func (p *pluginProc) fork(argv []string, attr *syscall.ProcAttr) error {
	err := p.forkPath(pluginExecPath, argv, attr)
	if errors.Is(err, syscall.ENOEXEC) {
		err = p.forkPath(shellPath, shellArgv(pluginExecPath, argv), attr)
	}
	return err
}

func (p *pluginProc) forkPath(path string, argv []string, attr *syscall.ProcAttr) error {
	if p.r != nil {
		e, err := p.r.forkExec(path, argv, attr)
		if err != nil {
			return err
		}
		p.entry, p.pid, p.done = e, e.pid, e.done
		return nil
	}
	pid, err := syscall.ForkExec(path, argv, attr)
	if err != nil {
		return err
	}
	p.pid, p.done = pid, make(chan struct{})
	go p.waitExit()
	return nil
}

// waitExit waits for the plugin to exit without reaping it (WNOWAIT): its
// pid and group id stay ours until finish has killed the group.
func (p *pluginProc) waitExit() {
	defer close(p.done)
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			p.waitErr = err
			return
		}
	}
}

// exited is closed when the plugin has exited.
func (p *pluginProc) exited() <-chan struct{} { return p.done }

// kill kills the plugin, its process group and its cgroup, at a timeout or
// an output overflow.
func (p *pluginProc) kill() {
	if p.cg != nil {
		_ = p.cg.kill()
	}
	if p.entry != nil {
		p.r.kill(p.entry)
		return
	}
	// Not reaped before finish: the pid is still the plugin's.
	killGroup(p.pid)
	_ = unix.Kill(p.pid, unix.SIGKILL)
}

// finish runs after the plugin exited: it kills everything the run left
// behind (the process group, then the cgroup, or the reaper's or the
// marker's sweep), reaps the plugin and returns its exit code (-1 when a
// signal killed it).
func (p *pluginProc) finish(log *slog.Logger) (int, error) {
	<-p.done
	if p.entry == nil {
		killGroup(p.pid) // the leader is a zombie: its group id cannot be reused yet
	}
	var err error
	switch {
	case p.cg != nil:
		err = p.cg.remove(cgroupRemoveWait)
	case p.r != nil:
		err = p.r.sweep(p.marker, sweepWait)
	default:
		err = sweepMarked(p.marker, sweepWait)
	}
	if err != nil {
		log.Warn("plugin run: killing its descendants", "err", err)
	}
	var ws unix.WaitStatus
	if p.entry != nil {
		ws = p.entry.status
	} else {
		if p.waitErr != nil {
			return -1, fmt.Errorf("wait: %w", p.waitErr)
		}
		for {
			_, err = unix.Wait4(p.pid, &ws, 0, nil)
			if err != unix.EINTR {
				break
			}
		}
		if err != nil {
			return -1, fmt.Errorf("wait: %w", err)
		}
	}
	if ws.Exited() {
		return ws.ExitStatus(), nil
	}
	return -1, nil
}
