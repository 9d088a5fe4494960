//go:build !linux

package check

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// Running a plugin where there is no fexecve through /proc, no cgroup and
// no subreaper: the checked path is executed in its own process group
// (on unix), and that group is killed when the plugin exits, at its
// timeout and at an output overflow. A descendant that leaves the group
// (setsid) is not killed.

// pluginProc is one running plugin.
type pluginProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's, set before done closes
}

// startPlugin starts the checked path. A script without a "#!" line
// (ENOEXEC) runs as execvp(3) runs it: /bin/sh PATH ARGS, on unix.
func startPlugin(exe *pluginExe, argv, env []string, _ string, _ uint64, stdio [3]*os.File, _ *slog.Logger) (*pluginProc, error) {
	cmd := pluginCommand(exe.path, argv[1:], env, stdio)
	err := cmd.Start()
	if errors.Is(err, syscall.ENOEXEC) && runtime.GOOS != "windows" {
		sh := shellArgv(exe.path, argv)
		cmd = pluginCommand(sh[0], sh[1:], env, stdio)
		cmd.Dir = filepath.Dir(exe.path)
		err = cmd.Start()
	}
	if err != nil {
		return nil, err
	}
	p := &pluginProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func pluginCommand(path string, args, env []string, stdio [3]*os.File) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = filepath.Dir(path)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	cmd.SysProcAttr = groupSysProcAttr()
	return cmd
}

func (p *pluginProc) exited() <-chan struct{} { return p.done }

func (p *pluginProc) kill() {
	killGroup(p.cmd.Process.Pid)
	_ = p.cmd.Process.Kill()
}

// finish kills what the plugin left in its group and returns its exit
// code (-1 when a signal killed it).
func (p *pluginProc) finish(*slog.Logger) (int, error) {
	<-p.done
	killGroup(p.cmd.Process.Pid)
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		return -1, p.err
	}
	return p.cmd.ProcessState.ExitCode(), nil
}
