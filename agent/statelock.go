package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/virgo-top/virgo-top/internal/flock"
)

// StateLockFile is the lock file in the state dir: it holds the pid of
// the daemon that owns the dir.
const StateLockFile = "lock"

// StateDirBusyError says another process holds the state dir's lock. Two
// daemons on one state dir would each load, rewrite and ack the other's
// spool, and one's results would be lost.
type StateDirBusyError struct {
	Dir string
	PID int // the holder's pid as it wrote it; 0 when unreadable
}

func (e *StateDirBusyError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("state dir %s is in use by %s (lock %s): is another virgo-top daemon running with this state_dir?",
		e.Dir, holder, filepath.Join(e.Dir, StateLockFile))
}

// ExitCode makes the daemon exit with 2, as for a usage error.
func (e *StateDirBusyError) ExitCode() int { return 2 }

// LockStateDir takes an exclusive lock on dir (created if missing) for this
// process, and writes our pid into the lock file. It returns
// *StateDirBusyError when another process holds it; unlock releases it.
// The lock is advisory (flock on unix, LockFileEx on Windows) and goes
// with the process: a killed daemon never leaves a stale lock.
func LockStateDir(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	path := filepath.Join(dir, StateLockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state dir lock: %w", err)
	}
	if err := flock.TryLock(f); err != nil {
		busy := &StateDirBusyError{Dir: dir, PID: flock.ReadPID(f)}
		f.Close()
		if errors.Is(err, flock.ErrLocked) {
			return nil, busy
		}
		return nil, fmt.Errorf("state dir lock %s: %w", path, err)
	}
	flock.WritePID(f)
	return func() {
		_ = flock.Unlock(f)
		f.Close()
	}, nil
}
