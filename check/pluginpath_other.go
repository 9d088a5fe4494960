//go:build unix && !linux

package check

import (
	"fmt"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// Other unix systems (darwin, the BSDs): best effort. Components are
// checked by path with lstat; the file is opened with O_NOFOLLOW and its
// descriptor must be the inode that was checked; the path is executed, so
// a trusted user could still swap the file between the check and exec.

func rootNode() (pathNode, error) { return lstatNode("/") }

func lookupNode(parent pathNode, name string) (pathNode, error) {
	return lstatNode(path.Join(parent.path, name))
}

func lstatNode(p string) (pathNode, error) {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return pathNode{}, &os.PathError{Op: "lstat", Path: p, Err: err}
	}
	return pathNode{path: p, fd: -1, mode: uint32(st.Mode), uid: st.Uid, dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

func closeNode(pathNode) {}

func readNodeLink(n pathNode) (string, error) { return os.Readlink(n.path) }

// openNode opens the checked file without following a symlink and checks
// the descriptor is the inode that was checked.
func openNode(n pathNode) (*os.File, error) {
	fd, err := unix.Open(n.path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: n.path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: n.path, Err: err}
	}
	if uint64(st.Dev) != n.dev || uint64(st.Ino) != n.ino || uint32(st.Mode) != n.mode || st.Uid != n.uid {
		unix.Close(fd)
		return nil, fmt.Errorf("%w: %s changed while it was checked", ErrPluginPath, n.path)
	}
	return os.NewFile(uintptr(fd), n.path), nil
}
