//go:build linux

package chaos

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// mountTmpfs mounts a tmpfs of size (mount's size= option, e.g. "2m") on
// dir, which it creates. It returns why it cannot: not root, or the kernel
// refused (no CAP_SYS_ADMIN in a container).
func mountTmpfs(dir, size string) (unmount func() error, err error) {
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
