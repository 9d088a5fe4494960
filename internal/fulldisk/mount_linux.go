package fulldisk

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

func mount(dir, size string) (func() error, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root (mounting a tmpfs needs root)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0700"); err != nil {
		return nil, fmt.Errorf("mount a tmpfs on %s: %w", dir, err)
	}
	return func() error { return syscall.Unmount(dir, syscall.MNT_DETACH) }, nil
}
