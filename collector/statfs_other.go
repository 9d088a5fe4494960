//go:build !linux

package collector

import "github.com/shirou/gopsutil/v3/disk"

// statfs is gopsutil's portable disk.Usage. It reports Free as space
// available to unprivileged users; the root reserve is unknown, so Free
// and Avail are the same here.
func statfs(path string) (FsStat, error) {
	u, err := disk.Usage(path)
	if err != nil {
		return FsStat{}, err
	}
	return FsStat{
		TotalBytes: u.Total,
		FreeBytes:  u.Total - u.Used,
		AvailBytes: u.Free,
		Inodes:     u.InodesTotal,
		InodesFree: u.InodesFree,
	}, nil
}
