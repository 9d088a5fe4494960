//go:build !windows

package tui

import "syscall"

// signalChoices are offered by the kill prompt, the default first.
var signalChoices = []signalChoice{
	{"TERM", syscall.SIGTERM},
	{"KILL", syscall.SIGKILL},
	{"HUP", syscall.SIGHUP},
	{"INT", syscall.SIGINT},
}
