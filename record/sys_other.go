//go:build !unix && !windows

package record

import (
	"errors"
	"os"
)

// No file locks here: one writer per directory is not enforced.
func tryLock(*os.File) error    { return nil }
func unlockFile(*os.File) error { return nil }
func noSpace(error) bool        { return false }

func lookupGroup(string) (int, error) { return -1, errors.ErrUnsupported }
func chownGroup(string, int) error    { return nil }
