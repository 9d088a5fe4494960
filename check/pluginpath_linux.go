package check

import (
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// Linux: every component is an O_PATH descriptor opened relative to its
// parent's, so a checked directory cannot be swapped under the walk, and
// the plugin's descriptor is what runs.

func rootNode() (pathNode, error) {
	fd, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return pathNode{}, &os.PathError{Op: "open", Path: "/", Err: err}
	}
	return statNode(fd, "/")
}

// lookupNode opens name in parent without following a final symlink.
func lookupNode(parent pathNode, name string) (pathNode, error) {
	p := path.Join(parent.path, name)
	fd, err := openatRetry(parent.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC)
	if err != nil {
		return pathNode{}, &os.PathError{Op: "open", Path: p, Err: err}
	}
	return statNode(fd, p)
}

func openatRetry(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// statNode fills a node from fd; fd is closed on error.
func statNode(fd int, p string) (pathNode, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return pathNode{}, &os.PathError{Op: "fstat", Path: p, Err: err}
	}
	return pathNode{path: p, fd: fd, mode: st.Mode, uid: st.Uid, dev: st.Dev, ino: st.Ino}, nil
}

func closeNode(n pathNode) {
	if n.fd >= 0 {
		unix.Close(n.fd)
	}
}

// readNodeLink reads the symlink n's descriptor refers to.
func readNodeLink(n pathNode) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		m, err := unix.Readlinkat(n.fd, "", buf)
		if err != nil {
			return "", &os.PathError{Op: "readlink", Path: n.path, Err: err}
		}
		if m < size {
			return string(buf[:m]), nil
		}
	}
}

// openNode hands n's descriptor over as a file: the O_PATH descriptor of
// the checked inode, executed through /proc/self/fd.
func openNode(n pathNode) (*os.File, error) {
	fd, err := unix.FcntlInt(uintptr(n.fd), unix.F_DUPFD_CLOEXEC, 3)
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: n.path, Err: err}
	}
	return os.NewFile(uintptr(fd), n.path), nil
}
