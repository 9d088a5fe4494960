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

// defaultSignal is the menu's first choice: TERM where there is one.
func defaultSignal() int {
	for i, c := range signalChoices {
		if c.Name == "TERM" {
			return i
		}
	}
	return 0
}

// signalByNumber finds a signal of the menu by its number.
func signalByNumber(n int) (int, bool) {
	for i, c := range signalChoices {
		if int(c.Sig) == n {
			return i, true
		}
	}
	return 0, false
}
