//go:build unix

package metrics

import "syscall"

// maxOpenFiles is the soft limit on open descriptors (process_max_fds).
func maxOpenFiles() (uint64, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	return uint64(lim.Cur), true
}
