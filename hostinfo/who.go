package hostinfo

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// The glibc utmp record on Linux (64-bit and 32-bit alike since the
// time fields are 32-bit): 384 bytes, little-endian on every architecture
// this agent ships for.
const (
	utmpSize        = 384
	utmpUserProcess = 7
	utmpOffLine     = 8   // ut_line[32]
	utmpOffUser     = 44  // ut_user[32]
	utmpOffHost     = 76  // ut_host[256]
	utmpOffSec      = 340 // ut_tv.tv_sec (int32)
	maxUtmp         = 1 << 20
)

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.ToValidUTF8(b, []byte("?")))
}

// parseUtmp returns the logged-in users of a utmp file (USER_PROCESS
// records), as sigar_who_list_get does. A trailing partial record is
// ignored.
func parseUtmp(b []byte) []protocol.HostInfoWho {
	out := []protocol.HostInfoWho{}
	for off := 0; off+utmpSize <= len(b); off += utmpSize {
		r := b[off : off+utmpSize]
		if int16(binary.LittleEndian.Uint16(r[0:2])) != utmpUserProcess {
			continue
		}
		user := cstr(r[utmpOffUser : utmpOffUser+32])
		if user == "" {
			continue
		}
		out = append(out, protocol.HostInfoWho{
			User:   user,
			Device: cstr(r[utmpOffLine : utmpOffLine+32]),
			Host:   cstr(r[utmpOffHost : utmpOffHost+256]),
			Time:   int64(int32(binary.LittleEndian.Uint32(r[utmpOffSec : utmpOffSec+4]))),
		})
	}
	return out
}

// buildWho is hostinfo/who.lua:25-36 (sigar who: user, device, time,
// host). No utmp file means nobody is logged in.
func buildWho(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	f, err := os.Open(s.opts.utmpPath())
	if errors.Is(err, fs.ErrNotExist) {
		return []protocol.HostInfoWho{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("who: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(ioLimitN(f, maxUtmp)); err != nil {
		return nil, fmt.Errorf("who: %w", err)
	}
	return parseUtmp(buf.Bytes()), nil
}
