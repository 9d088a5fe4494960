//go:build unix

package record

import (
	"errors"
	"os"
	"os/user"
	"strconv"

	"golang.org/x/sys/unix"
)

// noSpace says err is a full disk or an exceeded quota.
func noSpace(err error) bool { return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) }

// lookupGroup returns the gid of the group called name.
func lookupGroup(name string) (int, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return -1, err
	}
	return strconv.Atoi(g.Gid)
}

func chownGroup(path string, gid int) error { return os.Lchown(path, -1, gid) }
