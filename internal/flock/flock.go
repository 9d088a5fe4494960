// Package flock takes the advisory, process-wide file locks that keep one
// daemon per state dir and one writer per recording: flock(2) on unix,
// LockFileEx on Windows. A lock goes with its process, so a killed holder
// never leaves a stale one; the holder writes its pid into the file so the
// next one can say who holds it.
package flock

import (
	"bytes"
	"errors"
	"os"
	"strconv"
)

// ErrLocked is returned by TryLock when another process holds the lock.
var ErrLocked = errors.New("locked by another process")

// TryLock takes an exclusive lock on f without waiting: ErrLocked when
// another open file (of any process) holds it.
func TryLock(f *os.File) error { return tryLock(f) }

// Unlock releases the lock on f.
func Unlock(f *os.File) error { return unlockFile(f) }

// ReadPID is the pid the holder wrote into f, 0 if none can be read.
func ReadPID(f *os.File) int {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, _ := strconv.Atoi(string(bytes.TrimSpace(buf[:n])))
	return pid
}

// WritePID replaces f's content with our pid (best effort: the lock holds
// without it).
func WritePID(f *os.File) {
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
}
