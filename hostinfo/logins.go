package hostinfo

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// parseArp returns the addresses of /proc/net/arp, the lines `arp -an`
// prints (connections.lua ArpReader, lines 35-39, keeps the address).
func parseArp(b []byte) []string {
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) == 0 || net.ParseIP(f[0]) == nil {
			continue
		}
		out = append(out, f[0])
	}
	return out
}

// hexAddr formats a /proc/net/tcp{,6} address as netstat -n prints it
// (an IPv4-mapped IPv6 address as ::ffff:a.b.c.d).
func hexAddr(h string) (string, bool) {
	b, err := hex.DecodeString(h)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return "", false
	}
	ip := make(net.IP, len(b))
	for i := 0; i < len(b); i += 4 { // each 32-bit word is in host (little-endian) order
		binary.BigEndian.PutUint32(ip[i:], binary.LittleEndian.Uint32(b[i:]))
	}
	if len(ip) == 16 && ip.To4() != nil && !ip.Equal(net.IPv4zero) && bytes.HasPrefix(ip, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}) {
		return "::ffff:" + ip.To4().String(), true
	}
	return ip.String(), true
}

// tcpRemotes returns the foreign addresses of the connections of a
// /proc/net/tcp or tcp6 file that are not listening, as connections.lua's
// NetstatReader and its handler (lines 42-58, 103-121) collect them from
// `netstat -naten`.
func tcpRemotes(b []byte) []string {
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 4 || f[3] == "0A" { // 0A: LISTEN
			continue
		}
		addr, _, ok := strings.Cut(f[2], ":")
		if !ok {
			continue
		}
		if a, ok := hexAddr(addr); ok {
			out = append(out, a)
		}
	}
	return out
}

// buildConnections is hostinfo/connections.lua:63-155: the neighbours of
// the arp table that are no TCP connection's foreign address (the
// original's "ports" stays empty, so only "address" is sent), sorted (the
// original's order was a Lua table's).
func buildConnections(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	var errs []string
	remotes := map[string]bool{}
	for _, f := range []string{"net/tcp", "net/tcp6"} {
		b, err := readFile(s.opts.procRoot(), f)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || f == "net/tcp" {
				errs = append(errs, err.Error())
			}
			continue
		}
		for _, a := range tcpRemotes(b) {
			remotes[a] = true
		}
	}
	arp, err := readFile(s.opts.procRoot(), "net/arp")
	if err != nil {
		return partial{errs: append(errs, err.Error())}, nil
	}
	seen := map[string]bool{}
	var rows []protocol.HostInfoConnection
	for _, a := range parseArp(arp) {
		if remotes[a] || seen[a] || len(rows) >= maxRows {
			continue
		}
		seen[a] = true
		rows = append(rows, protocol.HostInfoConnection{Address: a})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Address < rows[j].Address })
	return partial{metrics: protocol.HostInfoRows(rows), errs: errs}, nil
}

// utmp record types and offsets beyond who.go's.
const (
	utmpRunLvl     = 1
	utmpBootTime   = 2
	utmpDeadProc   = 8
	utmpOffPID     = 4
	maxWtmp        = 4 << 20 // the newest ~10900 records
	maxLastLogins  = 1000
	lastUserWidth  = 8  // `last` prints the user in 8 columns
	lastHostWidth  = 16 // and the host in 16
	lastLoginTime  = "Mon Jan 2 15:04"
	lastBeginsTime = "Mon Jan 2 15:04:05 2006"
)

type wtmpRec struct {
	typ        int16
	line, user string
	host       string
	t          int64
}

// readTail reads the last n bytes of path, aligned to whole records.
func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := int64(0)
	if fi.Size() > n {
		off = (fi.Size() - n + utmpSize - 1) / utmpSize * utmpSize
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(io.LimitReader(f, n))
}

func parseWtmp(b []byte) []wtmpRec {
	var out []wtmpRec
	for off := 0; off+utmpSize <= len(b); off += utmpSize {
		r := b[off : off+utmpSize]
		out = append(out, wtmpRec{
			typ:  int16(binary.LittleEndian.Uint16(r[0:2])),
			line: cstr(r[utmpOffLine : utmpOffLine+32]),
			user: cstr(r[utmpOffUser : utmpOffUser+32]),
			host: cstr(r[utmpOffHost : utmpOffHost+256]),
			t:    int64(int32(binary.LittleEndian.Uint32(r[utmpOffSec : utmpOffSec+4]))),
		})
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// lastDuration is `last`'s "(D+HH:MM)".
func lastDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	m := int64(d / time.Minute)
	days, h, mm := m/1440, m/60%24, m%60
	if days > 0 {
		return fmt.Sprintf("%d+%02d:%02d", days, h, mm)
	}
	return fmt.Sprintf("%02d:%02d", h, mm)
}

// lastLogins is what last_logins.lua's Reader and handler (lines 27-102)
// make of `last`'s output, computed from wtmp records as `last` computes
// it: newest first, a session ended by its line's next DEAD_PROCESS (or
// by a reboot or shutdown: "crash"/"down"), still logged in otherwise.
// Unlike the original's word-counting, a login without a host keeps its
// fields in place.
func lastLogins(recs []wtmpRec, loc *time.Location) protocol.HostInfoLastLogins {
	var out protocol.HostInfoLastLogins
	logout := map[string]int64{} // line -> time of its next logout
	down := int64(0)             // time of the next reboot or shutdown
	downWord := ""
	rows := 0
	for i := len(recs) - 1; i >= 0 && rows < maxLastLogins; i-- {
		r := recs[i]
		switch {
		case r.typ == utmpBootTime:
			out.Bootups = append(out.Bootups, protocol.HostInfoBootup{Type: truncate(r.user, lastUserWidth), Kernel: truncate(r.host, lastHostWidth)})
			rows++
			down, downWord = r.t, "crash"
			clear(logout)
		case r.typ == utmpRunLvl && (r.user == "shutdown" || r.line == "~~"):
			down, downWord = r.t, "down"
			clear(logout)
		case r.typ == utmpDeadProc && r.line != "":
			logout[r.line] = r.t
		case r.typ == utmpUserProcess && r.user != "":
			user, host := truncate(r.user, lastUserWidth), truncate(r.host, lastHostWidth)
			login := time.Unix(r.t, 0).In(loc).Format(lastLoginTime)
			end, ok := logout[r.line]
			switch {
			case ok:
				out.PreviousLogins = append(out.PreviousLogins, protocol.HostInfoLogin{User: user, Host: host, LoginTime: login,
					LogoutTime: time.Unix(end, 0).In(loc).Format("15:04"), Duration: lastDuration(time.Duration(end-r.t) * time.Second)})
			case down != 0:
				out.PreviousLogins = append(out.PreviousLogins, protocol.HostInfoLogin{User: user, Host: host, LoginTime: login,
					LogoutTime: downWord, Duration: lastDuration(time.Duration(down-r.t) * time.Second)})
			default:
				out.LoggedIn = append(out.LoggedIn, protocol.HostInfoLoggedIn{User: user, Host: host, LoginTime: login})
			}
			rows++
			logout[r.line] = r.t
		}
	}
	if len(recs) > 0 {
		out.DataCollectionStart = time.Unix(recs[0].t, 0).In(loc).Format(lastBeginsTime)
		if len(out.Bootups) == 1 {
			out.Bootups[0].When = out.DataCollectionStart
		}
	}
	return out
}

// buildLastLogins is hostinfo/last_logins.lua:73-103. The original runs
// `last`; this reads the wtmp file `last` reads.
func buildLastLogins(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	b, err := readTail(s.opts.wtmpPath(), maxWtmp)
	if err != nil {
		return partial{errs: []string{err.Error()}}, nil
	}
	recs := parseWtmp(b)
	if len(recs) == 0 {
		return nil, nil
	}
	return lastLogins(recs, s.opts.location()), nil
}
