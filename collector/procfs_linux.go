//go:build linux

package collector

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawProcReader reads /proc with openat/read/close on a reused,
// NUL-terminated path buffer and reused data buffers, so a scan of a
// thousand processes costs no heap allocation per file. (os.Open
// allocates a File, a finalizer and the path string for each.)
type rawProcReader struct {
	root   string
	path   []byte
	dirBuf []byte
}

func newProcReader(root string) procReader {
	return &rawProcReader{root: root, path: make([]byte, 0, len(root)+32), dirBuf: make([]byte, 32<<10)}
}

func (r *rawProcReader) pids(dst []int32) ([]int32, error) {
	fd, err := unix.Open(r.root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return dst, fmt.Errorf("open %s: %w", r.root, err)
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Getdents(fd, r.dirBuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst, fmt.Errorf("getdents %s: %w", r.root, err)
		}
		if n <= 0 {
			return dst, nil
		}
		dst = appendDirentPIDs(dst, r.dirBuf[:n])
	}
}

// appendDirentPIDs parses linux_dirent64 records (ino u64, off s64,
// reclen u16, type u8, NUL-terminated name) and appends numeric names.
func appendDirentPIDs(dst []int32, buf []byte) []int32 {
	for len(buf) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
		if reclen < 19 || reclen > len(buf) {
			return dst
		}
		name := buf[19:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if v, ok := parseUint(name); ok && v > 0 && v <= 1<<31-1 {
			dst = append(dst, int32(v))
		}
		buf = buf[reclen:]
	}
	return dst
}

func (r *rawProcReader) tasks(pid int32, dst []int32) ([]int32, error) {
	r.path = append(r.path[:0], r.root...)
	r.path = append(r.path, '/')
	r.path = strconv.AppendInt(r.path, int64(pid), 10)
	r.path = append(r.path, "/task"...)
	r.path = append(r.path, 0)
	fd, err := openat(r.path, unix.O_DIRECTORY)
	if err != nil {
		return dst, err
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Getdents(fd, r.dirBuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return dst, err
		}
		if n <= 0 {
			return dst, nil
		}
		dst = appendDirentPIDs(dst, r.dirBuf[:n])
	}
}

func (r *rawProcReader) read(pid int32, file string, buf []byte, limit int) ([]byte, error) {
	r.path = append(r.path[:0], r.root...)
	r.path = append(r.path, '/')
	r.path = strconv.AppendInt(r.path, int64(pid), 10)
	r.path = append(r.path, '/')
	r.path = append(r.path, file...)
	r.path = append(r.path, 0)
	return r.readPath(file, buf, limit)
}

func (r *rawProcReader) readTask(pid, tid int32, file string, buf []byte) ([]byte, error) {
	r.path = append(r.path[:0], r.root...)
	r.path = append(r.path, '/')
	r.path = strconv.AppendInt(r.path, int64(pid), 10)
	r.path = append(r.path, "/task/"...)
	r.path = strconv.AppendInt(r.path, int64(tid), 10)
	r.path = append(r.path, '/')
	r.path = append(r.path, file...)
	r.path = append(r.path, 0)
	return r.readPath(file, buf, 0)
}

// readPath reads the file at r.path (NUL-terminated) into buf.
func (r *rawProcReader) readPath(file string, buf []byte, limit int) ([]byte, error) {
	fd, err := openat(r.path, 0)
	if err != nil {
		return buf[:0], err
	}
	defer unix.Close(fd)
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if limit > 0 && len(buf) >= limit {
				return buf[:limit], nil
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf[:0], err
		}
		if n == 0 {
			if limit > 0 && len(buf) > limit {
				buf = buf[:limit]
			}
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		// stat and status are generated whole by one read when the buffer
		// has room (single_open seq files), so a short read is the end: it
		// saves the read that would only return 0. cmdline is read on to
		// EOF as it may come a page at a time.
		if oneShot(file) && len(buf) < cap(buf) {
			if limit > 0 && len(buf) > limit {
				buf = buf[:limit]
			}
			return buf, nil
		}
	}
}

// oneShot reports whether /proc/PID/file is produced whole by one read
// (the single_open seq files).
func oneShot(file string) bool {
	return file == "stat" || file == "status" || file == "io" || file == "cgroup"
}

// openat opens the NUL-terminated path read-only (with extra flags)
// without converting it to a Go string (unix.Open would allocate a copy).
func openat(path []byte, flags int) (int, error) {
	dirfd := unix.AT_FDCWD // a variable: the negative constant does not convert to uintptr
	for {
		fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd),
			uintptr(unsafe.Pointer(&path[0])), uintptr(unix.O_RDONLY|unix.O_CLOEXEC|flags), 0, 0, 0)
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return -1, errno
		}
		return int(fd), nil
	}
}

// readInto reads the file at path into buf[:0], growing buf as needed, and
// returns what it read (buf[:0] and a *fs.PathError on error). It reads
// with open/read/close, without os.File (which allocates and registers
// every file with the poller: two more system calls), and takes a short
// read for the end of the file, as it is for regular files and the
// kernel's seq files (cgroupfs, /proc/pressure, sysfs): a cgroup walk
// reads dozens of files.
func readInto(path string, buf []byte) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return buf[:0], &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxReadInto {
				return buf[:0], fmt.Errorf("read %s: longer than %d bytes", path, maxReadInto)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf[:0], &fs.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		if n == 0 || len(buf) < cap(buf) {
			return buf, nil
		}
	}
}
