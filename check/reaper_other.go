//go:build !linux

package check

// EnableReaper does nothing on systems other than Linux: a plugin's
// descendants that leave its process group are not killed there.
func EnableReaper() error { return nil }
