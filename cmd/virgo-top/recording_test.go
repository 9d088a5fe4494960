package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/config"
)

func TestFindRecording(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "xdg"))
	cfg := config.Default()
	cfg.StateDir = filepath.Join(base, "state")

	if got, err := findRecording("/some/rec", "/other", cfg); err != nil || got != "/some/rec" {
		t.Errorf("--record: %q %v", got, err)
	}
	if got, err := findRecording("", "/srv/state", cfg); err != nil || got != "/srv/state/record" {
		t.Errorf("--state-dir: %q %v", got, err)
	}
	_, err := findRecording("", "", cfg)
	if err == nil || !strings.Contains(err.Error(), "no recording found") || !strings.Contains(err.Error(), cfg.StateDir) {
		t.Errorf("none: %v", err)
	}
	console := filepath.Join(base, "xdg", "virgo-top", "record")
	os.MkdirAll(console, 0o750)
	if got, err := findRecording("", "", cfg); err != nil || got != console {
		t.Errorf("the console's: %q %v", got, err)
	}
	daemon := filepath.Join(cfg.StateDir, "record")
	os.MkdirAll(daemon, 0o750)
	if got, err := findRecording("", "", cfg); err != nil || got != daemon {
		t.Errorf("the daemon's wins: %q %v", got, err)
	}
}
