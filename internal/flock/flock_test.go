package flock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	a, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := TryLock(a); err != nil {
		t.Fatal(err)
	}
	WritePID(a)
	// flock locks belong to the open file: a second one conflicts even
	// in this process, as another process's would.
	b, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := TryLock(b); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if pid := ReadPID(b); pid != os.Getpid() {
		t.Errorf("holder pid %d", pid)
	}
	if err := Unlock(a); err != nil {
		t.Fatal(err)
	}
	if err := TryLock(b); err != nil {
		t.Errorf("after unlock: %v", err)
	}
}
