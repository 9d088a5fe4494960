// Package fulldisk gives tests a small file system they can fill: a tmpfs
// of a given size (Linux, as root), and Fill, which writes until not one
// more byte fits. The agent's, the recorder's and the chaos tests share it;
// no part of virgo-top imports it.
package fulldisk

import (
	"errors"
	"os"
	"syscall"
	"testing"
)

// ErrUnsupported says a tmpfs cannot be mounted on this system.
var ErrUnsupported = errors.New("mounting a tmpfs needs Linux")

// Mount mounts a tmpfs of size (mount's size= option, e.g. "512k") on dir,
// which it creates, and returns its unmount. It says why it cannot: not
// root, or the kernel refused (no CAP_SYS_ADMIN in a container).
func Mount(dir, size string) (unmount func() error, err error) {
	return mount(dir, size)
}

// TB mounts a tmpfs of size on a new temporary directory for t, unmounted
// at its end; it skips t with the reason when that is not possible.
func TB(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	unmount, err := Mount(dir, size)
	if err != nil {
		t.Skipf("a full disk needs a small tmpfs (CI runs as root): %v", err)
	}
	t.Cleanup(func() {
		if err := unmount(); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// Fill writes the file at path until not one more byte fits.
func Fill(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{64 << 10, 1} {
		buf := make([]byte, n)
		for {
			if _, err := f.Write(buf); err != nil {
				if errors.Is(err, syscall.ENOSPC) {
					break
				}
				t.Fatal(err)
			}
		}
	}
}
