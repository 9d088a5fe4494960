package main

import (
	"log/slog"
	"path/filepath"
	"testing"
)

// TestConsoleNotifyDir: the console keeps what receivers were told in the
// user's state dir, locked; a second console keeps it in memory.
func TestConsoleNotifyDir(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", base)
	log := slog.New(slog.DiscardHandler)
	dir, unlock := consoleNotifyDir(log)
	if want := filepath.Join(base, "virgo-top", "notify"); dir != want {
		t.Fatalf("dir %q, want %q", dir, want)
	}
	second, unlock2 := consoleNotifyDir(log)
	unlock2()
	if second != "" {
		t.Errorf("a second console got the locked dir %q", second)
	}
	unlock()
	again, unlock3 := consoleNotifyDir(log)
	defer unlock3()
	if again != dir {
		t.Errorf("after unlock: %q", again)
	}
}
