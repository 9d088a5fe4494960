//go:build !unix && !windows

package record

import "errors"

func noSpace(error) bool { return false }

func lookupGroup(string) (int, error) { return -1, errors.ErrUnsupported }
func chownGroup(string, int) error    { return nil }
