//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tui

import "errors"

// setPriority: nice values are a Unix notion.
func setPriority(int32, int) error {
	return errors.New("renice is not supported on this system")
}
