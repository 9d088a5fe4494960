//go:build !linux

package check

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
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

func startPlugin(exe *pluginExe, argv, env []string, _ string, _ uint64, stdio [3]*os.File, _ *slog.Logger) (*pluginProc, error) {
	cmd := exec.Command(exe.path, argv[1:]...)
	cmd.Dir = filepath.Dir(exe.path)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio[0], stdio[1], stdio[2]
	cmd.SysProcAttr = groupSysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &pluginProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
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
