//go:build unix

package check

import (
	"os"
	"syscall"
)

// ownerTrusted reports whether uid is root or the user this process runs
// as: anyone else could swap the plugin under us.
func ownerTrusted(uid uint32) bool {
	return uid == 0 || int(uid) == os.Geteuid()
}

// groupSysProcAttr starts a plugin in a new process group led by itself.
func groupSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the process group pid leads; ESRCH (group
// gone) is fine.
func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}
