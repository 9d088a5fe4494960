package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/virgo-top/virgo-top/config"
)

// userStateDir is virgo-top's directory in the user's state dir:
// $XDG_STATE_HOME/virgo-top, else ~/.local/state/virgo-top. The console
// keeps its own recording and what notification receivers were told there.
func userStateDir() (string, error) {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no user state dir: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "virgo-top"), nil
}

// daemonRecordDir is where the daemon records: state_dir/record.
func daemonRecordDir(cfg config.Config) string { return filepath.Join(cfg.StateDir, "record") }

// consoleRecordDir is where a console records its own session when no
// daemon records on the host.
func consoleRecordDir() (string, error) {
	d, err := userStateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "record"), nil
}

// findRecording resolves the recording that replay, dump and record info
// read: recordPath (--record: a recording's directory or one segment
// file) when given, else stateDir/record (--state-dir), else the daemon's
// (state_dir of the config) when it holds one, else the console's own.
// The error says where it looked.
func findRecording(recordPath, stateDir string, cfg config.Config) (string, error) {
	switch {
	case recordPath != "":
		return recordPath, nil
	case stateDir != "":
		return filepath.Join(stateDir, "record"), nil
	}
	var looked []string
	candidates := []string{daemonRecordDir(cfg)}
	if d, err := consoleRecordDir(); err == nil {
		candidates = append(candidates, d)
	}
	for _, d := range candidates {
		looked = append(looked, d)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			// Not readable (say, a daemon's recording and a user not in
			// its group): say so rather than fall through silently.
			return "", fmt.Errorf("recording %s: %w (members of the virgo-top group can read the daemon's recording)", d, err)
		}
	}
	return "", fmt.Errorf("no recording found (looked in %v): the daemon records in state_dir/record, a console without a daemon in %s; or name one with --record PATH or --state-dir DIR",
		looked, "$XDG_STATE_HOME/virgo-top/record")
}
