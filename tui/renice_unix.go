//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tui

import "syscall"

// setPriority sets a process's nice value (on Linux a thread id sets that
// thread's).
func setPriority(pid int32, nice int) error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, int(pid), nice)
}
