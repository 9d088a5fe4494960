//go:build unix

package check

import (
	"os"
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

// ownerTrusted reports whether info's file belongs to root or to the user
// this process runs as: anyone else could swap the plugin under us.
func ownerTrusted(info os.FileInfo) (uint32, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, true
	}
	return st.Uid, st.Uid == 0 || int(st.Uid) == os.Geteuid()
}
