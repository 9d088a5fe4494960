//go:build unix && !linux

package chaos

import "errors"

// mountTmpfs is Linux only here.
func mountTmpfs(dir, size string) (unmount func() error, err error) {
	return nil, errors.New("mounting a tmpfs is only done on Linux")
}
