//go:build !linux

package collector

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// osProcReader reads a /proc-style tree (a canned one: other systems
// have no /proc) through package os.
type osProcReader struct{ root string }

func newProcReader(root string) procReader { return osProcReader{root: root} }

func (r osProcReader) pids(dst []int32) ([]int32, error) {
	f, err := os.Open(r.root)
	if err != nil {
		return dst, fmt.Errorf("open %s: %w", r.root, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return dst, fmt.Errorf("list %s: %w", r.root, err)
	}
	for _, n := range names {
		if v, ok := parseUint([]byte(n)); ok && v > 0 && v <= 1<<31-1 {
			dst = append(dst, int32(v))
		}
	}
	return dst, nil
}

func (r osProcReader) tasks(pid int32, dst []int32) ([]int32, error) {
	return osProcReader{root: filepath.Join(r.root, strconv.Itoa(int(pid)), "task")}.pids(dst)
}

func (r osProcReader) read(pid int32, file string, buf []byte, limit int) ([]byte, error) {
	return readLimited(filepath.Join(r.root, strconv.Itoa(int(pid)), file), buf, limit)
}

func (r osProcReader) readTask(pid, tid int32, file string, buf []byte) ([]byte, error) {
	return readLimited(filepath.Join(r.root, strconv.Itoa(int(pid)), "task", strconv.Itoa(int(tid)), file), buf, 0)
}

func readLimited(path string, buf []byte, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], err
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if limit > 0 && len(buf) >= limit {
				return buf[:limit], nil
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			if limit > 0 && len(buf) > limit {
				buf = buf[:limit]
			}
			return buf, nil
		}
		if err != nil {
			return buf[:0], err
		}
	}
}

// readInto reads the file at path into buf[:0], growing buf as needed, and
// returns what it read (buf[:0] on error). Unlike os.ReadFile it
// allocates no buffer per read: callers keep the result's [:0] for the
// next one.
func readInto(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], err
	}
	defer f.Close()
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxReadInto {
				return buf[:0], fmt.Errorf("read %s: longer than %d bytes", path, maxReadInto)
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf[:0], err
		}
	}
}
