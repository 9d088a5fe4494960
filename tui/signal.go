package tui

import (
	"fmt"
	"os"
	"syscall"
)

// signalChoice is one signal the kill prompt offers.
type signalChoice struct {
	Name string // "TERM"
	Sig  syscall.Signal
}

// sendSignal is the default Options.Signal: os.Process.Signal, which on
// Windows supports only SIGKILL (the only choice offered there).
func sendSignal(pid int32, sig syscall.Signal) error {
	proc, err := os.FindProcess(int(pid))
	if err != nil {
		return fmt.Errorf("find process %d: %w", pid, err)
	}
	if err := proc.Signal(sig); err != nil {
		return fmt.Errorf("signal %d: %w", pid, err)
	}
	return nil
}
