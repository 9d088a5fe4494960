//go:build !linux

package collector

import "os"

// listDirs appends the names of dir's subdirectories to dst (a canned
// tree: other systems have no cgroups). buf is unused.
func listDirs(dir string, buf []byte, dst []string) ([]string, []byte) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return dst, buf
	}
	for _, e := range ents {
		if e.IsDir() {
			dst = append(dst, e.Name())
		}
	}
	return dst, buf
}
