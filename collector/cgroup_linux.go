//go:build linux

package collector

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// listDirs appends the names of dir's subdirectories to dst, reading the
// directory with getdents into buf (reused, returned): a cgroup directory
// holds dozens of files and a few subgroups, and only the subgroups'
// names are allocated. An unreadable directory has none.
func listDirs(dir string, buf []byte, dst []string) ([]string, []byte) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return dst, buf
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return dst, buf
		}
		dst = appendDirents(dst, buf[:n], dir)
	}
}

// appendDirents parses linux_dirent64 records (ino u64, off s64, reclen
// u16, type u8, NUL-terminated name) and appends the directories' names
// but "." and "..". An entry of unknown type (a file system that does not
// say) is looked up.
func appendDirents(dst []string, buf []byte, dir string) []string {
	for len(buf) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
		if reclen < 19 || reclen > len(buf) {
			return dst
		}
		typ := buf[18]
		name := buf[19:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		buf = buf[reclen:]
		if len(name) == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		switch typ {
		case unix.DT_DIR:
			dst = append(dst, string(name))
		case unix.DT_UNKNOWN:
			var st unix.Stat_t
			if unix.Lstat(dir+"/"+string(name), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
				dst = append(dst, string(name))
			}
		}
	}
	return dst
}
