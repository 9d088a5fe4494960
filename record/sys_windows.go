//go:build windows

package record

import (
	"errors"

	"golang.org/x/sys/windows"
)

func noSpace(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL)
}

// Windows has no group ownership of this kind: the Group option is
// ignored there.
func lookupGroup(string) (int, error) { return -1, errors.ErrUnsupported }

func chownGroup(string, int) error { return nil }
