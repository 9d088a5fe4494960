//go:build unix

package check

import (
	"os/exec"
	"syscall"
)

// setProcessGroup starts cmd in a new process group led by itself.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killProcessGroup sends SIGKILL to cmd's whole process group.
func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	// The group id is the leader's pid; ESRCH (group gone) is fine.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
