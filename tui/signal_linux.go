//go:build linux

package tui

import "syscall"

// platformSignals are Linux's signals beyond the ones every Unix has.
var platformSignals = []signalChoice{{"STKFLT", syscall.Signal(16)}, {"PWR", syscall.SIGPWR}}
