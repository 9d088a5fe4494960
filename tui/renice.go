package tui

import (
	"errors"
	"strconv"
	"syscall"
)

// Nice values: -20 (most CPU) to 19 (least).
const (
	minNice = -20
	maxNice = 19
)

// reniceMsg is the outcome of setting a process's nice value.
type reniceMsg struct {
	pid  int32
	nice int
	err  error
}

// reniceError explains a failed renice: lowering a nice value needs root
// (CAP_SYS_NICE) even on one's own process, and another user's process
// cannot be reniced at all without it.
func reniceError(pid int32, nice int, err error) string {
	t := "renice " + strconv.Itoa(int(pid)) + " to " + strconv.Itoa(nice) + " failed: " + err.Error()
	switch {
	case errors.Is(err, syscall.EACCES):
		t += " (only root may lower a nice value, that is raise a priority)"
	case errors.Is(err, syscall.EPERM):
		t += " (not your process: only root may renice another user's)"
	case errors.Is(err, syscall.ESRCH):
		t += " (the process is gone)"
	}
	return t
}
