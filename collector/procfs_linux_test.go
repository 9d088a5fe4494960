//go:build linux

package collector

import (
	"encoding/binary"
	"testing"
)

func dirent(name string) []byte {
	reclen := (19 + len(name) + 1 + 7) &^ 7
	b := make([]byte, reclen)
	binary.NativeEndian.PutUint16(b[16:18], uint16(reclen))
	copy(b[19:], name)
	return b
}

func TestAppendDirentPIDs(t *testing.T) {
	var buf []byte
	for _, n := range []string{".", "..", "1", "self", "4194304", "12a", "2147483648"} {
		buf = append(buf, dirent(n)...)
	}
	eq(t, "pids", appendDirentPIDs(nil, buf), []int32{1, 4194304})
	// A record length that runs past the buffer stops parsing.
	bad := dirent("7")
	binary.NativeEndian.PutUint16(bad[16:18], 500)
	eq(t, "bad reclen", appendDirentPIDs(nil, bad), []int32(nil))
}

func FuzzAppendDirentPIDs(f *testing.F) {
	f.Add(append(dirent("1"), dirent("self")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, pid := range appendDirentPIDs(nil, data) {
			if pid <= 0 {
				t.Fatalf("pid %d", pid)
			}
		}
	})
}
