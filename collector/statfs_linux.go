//go:build linux

package collector

import "golang.org/x/sys/unix"

func statfs(path string) (FsStat, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return FsStat{}, err
	}
	bsize := uint64(st.Frsize)
	if bsize == 0 {
		bsize = uint64(st.Bsize)
	}
	return FsStat{
		TotalBytes: st.Blocks * bsize,
		FreeBytes:  st.Bfree * bsize,
		AvailBytes: st.Bavail * bsize,
		Inodes:     st.Files,
		InodesFree: st.Ffree,
	}, nil
}
