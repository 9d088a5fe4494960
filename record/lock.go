package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/virgo-top/virgo-top/internal/flock"
)

// ErrBusy matches a *BusyError with errors.Is.
var ErrBusy = errors.New("record: the recording has a writer already")

// BusyError says another process writes the recording in Dir: open it
// with Open to read it instead (a second console does).
type BusyError struct {
	Dir string
	PID int // the writer's pid as it wrote it in the lock file; 0 if unreadable
}

func (e *BusyError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("record: %s is being recorded by %s (lock %s)", e.Dir, holder, filepath.Join(e.Dir, lockName))
}

// Is makes errors.Is(err, ErrBusy) true.
func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// lockDir takes the writer's lock of dir: an advisory lock (flock on
// unix, LockFileEx on Windows) on dir/writer.lock, which holds our pid.
// It goes with the process: a killed writer never leaves a stale lock.
// Readers never take it.
func lockDir(dir string, perm os.FileMode) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, perm)
	if errors.Is(err, os.ErrPermission) {
		// Someone else's recording that we may only read: say who writes
		// it if someone does, else that we may not.
		if rf, rerr := os.Open(path); rerr == nil {
			if lerr := flock.TryLock(rf); errors.Is(lerr, flock.ErrLocked) {
				busy := &BusyError{Dir: dir, PID: flock.ReadPID(rf)}
				rf.Close()
				return nil, busy
			}
			rf.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("record: lock %s: %w", path, err)
	}
	if err := flock.TryLock(f); err != nil {
		pid := flock.ReadPID(f)
		f.Close()
		if errors.Is(err, flock.ErrLocked) {
			return nil, &BusyError{Dir: dir, PID: pid}
		}
		return nil, fmt.Errorf("record: lock %s: %w", path, err)
	}
	_ = f.Chmod(perm) // whatever the umask; fails harmlessly on another's file
	flock.WritePID(f)
	return f, nil
}

func unlockDir(f *os.File) {
	_ = flock.Unlock(f)
	f.Close()
}

// Writing reports whether a process writes the recording in dir right now
// (holds its writer lock), and that process's pid (0 if unreadable). The
// console asks this to read a daemon's recording instead of starting its
// own. It probes the lock without keeping it: a writer that opens at that
// very instant gets a BusyError, which OpenWriter's callers retry.
func Writing(dir string) (pid int, ok bool) {
	f, err := os.Open(filepath.Join(dir, lockName))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	if err := flock.TryLock(f); err != nil {
		if errors.Is(err, flock.ErrLocked) {
			return flock.ReadPID(f), true
		}
		return 0, false
	}
	_ = flock.Unlock(f)
	return 0, false
}
