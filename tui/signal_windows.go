//go:build windows

package tui

import "syscall"

// signalChoices are offered by the signal menu: Windows can only terminate.
var signalChoices = []signalChoice{
	{"KILL", syscall.SIGKILL},
}
