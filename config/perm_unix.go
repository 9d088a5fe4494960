//go:build unix

package config

import (
	"fmt"
	"io/fs"
	"os"
)

// CheckPermissions reports, as an error wrapping ErrInsecurePermissions,
// when the file at path can be read or written by its group or by others:
// it holds the monitoring token. The caller decides whether to refuse to
// start or to warn. On systems without Unix permissions it returns nil.
func CheckPermissions(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("check permissions: %w", err)
	}
	return checkMode(path, fi)
}

// checkMode is CheckPermissions for a file already stat'ed (ReadTokenFile
// checks the descriptor it reads).
func checkMode(path string, fi fs.FileInfo) error {
	if perm := fi.Mode().Perm(); perm&0o066 != 0 {
		return fmt.Errorf("%s has mode %#o: group or others can read or write it, and it holds the monitoring token (chmod 600 it): %w",
			path, perm, ErrInsecurePermissions)
	}
	return nil
}
