package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestLockStateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	unlock, err := LockStateDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, StateLockFile))
	if strings.TrimSpace(string(b)) != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want our pid", b)
	}
	// flock locks belong to the open file: a second open conflicts even
	// in this process, as a second daemon's would.
	_, err = LockStateDir(dir)
	var busy *StateDirBusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second lock: %v, want *StateDirBusyError", err)
	}
	if busy.PID != os.Getpid() || busy.ExitCode() != 2 || !strings.Contains(busy.Error(), "in use by pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("busy = %+v: %v", busy, busy)
	}
	unlock()
	unlock2, err := LockStateDir(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	unlock2()
}
