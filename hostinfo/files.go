package hostinfo

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// parseModules reads /proc/modules as kernel_modules.lua's Reader
// (lines 26-45): name, size, instances, dependencies split at commas,
// state, offset.
func parseModules(b []byte) []protocol.HostInfoKernelModule {
	var out []protocol.HostInfoKernelModule
	for _, line := range contentLines(b) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		at := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		deps := []string{}
		for _, d := range strings.Split(at(3), ",") {
			if d != "" {
				deps = append(deps, d)
			}
		}
		out = append(out, protocol.HostInfoKernelModule{
			Name: f[0], MemSize: at(1), InstanceCount: at(2), Dependencies: deps, State: at(4), MemOffset: at(5),
		})
	}
	return out
}

// buildKernelModules is hostinfo/kernel_modules.lua:54-74.
func buildKernelModules(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	b, err := readFile(s.opts.procRoot(), "modules")
	if err != nil {
		return nil, err
	}
	return protocol.HostInfoRows(parseModules(b)), nil
}

// parseFstab reads /etc/fstab as fstab.lua's Reader (lines 25-34): the
// first five fields, the fifth named "pass".
func parseFstab(b []byte) []protocol.HostInfoFstab {
	var out []protocol.HostInfoFstab
	for _, line := range contentLines(b) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		f = append(f, "", "", "", "")
		out = append(out, protocol.HostInfoFstab{FileSystem: f[0], MountPoint: f[1], Type: f[2], Options: f[3], Pass: f[4]})
	}
	return out
}

// buildFstab is hostinfo/fstab.lua:43-63.
func buildFstab(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	b, err := readFile(s.opts.etcRoot(), "fstab")
	if err != nil {
		return nil, err
	}
	return protocol.HostInfoRows(parseFstab(b)), nil
}

// parseLoginDefs reads /etc/login.defs as login.lua's Reader (lines
// 26-32): the first two words of each line; a key without a value is left
// out, a repeated key takes its last value (misc.safeMerge, util/misc.lua
// merge).
func parseLoginDefs(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range contentLines(b) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		out[f[0]] = f[1]
	}
	return out
}

// buildLogin is hostinfo/login.lua:41-61.
func buildLogin(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	b, err := readFile(s.opts.etcRoot(), "login.defs")
	if err != nil {
		return nil, err
	}
	m := parseLoginDefs(b)
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// maxSysctl bounds the SYSCTL walk.
const maxSysctl = 50000

// sysctlValue is sysctl.lua's Reader (lines 28-33) applied to what
// `sysctl -A` prints for one file: the first line, trimmed, up to any '='.
func sysctlValue(b []byte) string {
	v, _, _ := strings.Cut(string(b), "\n")
	v, _, _ = strings.Cut(v, "=")
	return strings.TrimSpace(v)
}

// buildSysctl is hostinfo/sysctl.lua:37-56: every readable file under
// ProcRoot/sys, keyed by its dotted path. Unreadable files (write-only,
// root-only) are left out, as sysctl -A leaves them out of its stdout.
func buildSysctl(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	root := filepath.Join(s.opts.procRoot(), "sys")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable directory: skip it
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if d.IsDir() || !d.Type().IsRegular() || len(out) >= maxSysctl {
			return nil
		}
		b, rerr := readFile(p, "")
		if rerr != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		out[strings.ReplaceAll(filepath.ToSlash(rel), "/", ".")] = sysctlValue(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sysctl: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// Route flags (linux/route.h, linux/ipv6_route.h).
const (
	rtfUp        = 0x1
	rtfGateway   = 0x2
	rtfHost      = 0x4
	rtfReinstate = 0x8
	rtfDynamic   = 0x10
	rtfModified  = 0x20
	rtfReject    = 0x200
	rtfDefault   = 0x10000
	rtfAllOnLink = 0x20000
	rtfAddrconf  = 0x40000
	rtfNoNextHop = 0x200000
	rtfExpires   = 0x400000
	rtfCache     = 0x1000000
	rtfFlow      = 0x2000000
)

// route4Flags spells flags as net-tools' netstat -r does for IPv4.
func route4Flags(f uint64) string {
	var b strings.Builder
	for _, x := range []struct {
		bit uint64
		c   byte
	}{{rtfUp, 'U'}, {rtfGateway, 'G'}, {rtfReject, '!'}, {rtfHost, 'H'}, {rtfReinstate, 'R'}, {rtfDynamic, 'D'}, {rtfModified, 'M'}} {
		if f&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// route6Flags spells flags as net-tools' netstat -r does for IPv6.
func route6Flags(f uint64) string {
	var b strings.Builder
	for _, x := range []struct {
		bit uint64
		c   byte
	}{{rtfUp, 'U'}, {rtfReject, '!'}, {rtfGateway, 'G'}, {rtfHost, 'H'}, {rtfDefault, 'D'}, {rtfAddrconf, 'A'},
		{rtfCache, 'C'}, {rtfAllOnLink, 'a'}, {rtfExpires, 'e'}, {rtfModified, 'm'}, {rtfNoNextHop, 'n'}, {rtfFlow, 'f'}} {
		if f&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// hexIPv4 turns /proc/net/route's host-order hex word into a dotted quad.
func hexIPv4(s string) (string, error) {
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return "", err
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return net.IP(b[:]).String(), nil
}

// parseRoute4 reads /proc/net/route (Iface Destination Gateway Flags RefCnt
// Use Metric Mask MTU Window IRTT) into netstat -nr4's columns; netstat's
// "MSS" column is the MTU field.
func parseRoute4(b []byte) []protocol.HostInfoRoute4 {
	var out []protocol.HostInfoRoute4
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 11 || f[0] == "Iface" {
			continue
		}
		dst, e1 := hexIPv4(f[1])
		gw, e2 := hexIPv4(f[2])
		mask, e3 := hexIPv4(f[7])
		flags, e4 := strconv.ParseUint(f[3], 16, 64)
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil || flags&rtfUp == 0 {
			continue // netstat lists only routes that are up
		}
		out = append(out, protocol.HostInfoRoute4{
			Destination: dst, Gateway: gw, Genmask: mask, Flags: route4Flags(flags),
			MSS: decimal(f[8]), Window: decimal(f[9]), IRTT: decimal(f[10]), Iface: f[0],
		})
	}
	return out
}

// decimal is a decimal field as netstat prints it; an unparsable one
// stays as read.
func decimal(s string) string {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return s
	}
	return strconv.FormatUint(n, 10)
}

// parseRoute6 reads /proc/net/ipv6_route (dest destlen src srclen nexthop
// metric refcnt use flags iface, hex) into netstat -nr6's columns.
func parseRoute6(b []byte) []protocol.HostInfoRoute6 {
	var out []protocol.HostInfoRoute6
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 10 {
			continue
		}
		dst, e1 := hex.DecodeString(f[0])
		plen, e2 := strconv.ParseUint(f[1], 16, 8)
		nh, e3 := hex.DecodeString(f[4])
		met, e4 := strconv.ParseUint(f[5], 16, 32)
		ref, e5 := strconv.ParseUint(f[6], 16, 32)
		use, e6 := strconv.ParseUint(f[7], 16, 32)
		flags, e7 := strconv.ParseUint(f[8], 16, 32)
		if err := errors.Join(e1, e2, e3, e4, e5, e6, e7); err != nil || len(dst) != 16 || len(nh) != 16 {
			continue
		}
		out = append(out, protocol.HostInfoRoute6{
			Destination: net.IP(dst).String() + "/" + strconv.FormatUint(plen, 10),
			NextHop:     net.IP(nh).String(), Flag: route6Flags(flags),
			Met: strconv.FormatUint(met, 10), Ref: strconv.FormatUint(ref, 10), Use: strconv.FormatUint(use, 10),
			Iface: f[9],
		})
	}
	return out
}

// buildRoutes4 is hostinfo/ip4routes.lua:53-68 (netstat -nr4).
func buildRoutes4(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	b, err := readFile(s.opts.procRoot(), "net/route")
	if err != nil {
		return nil, err
	}
	return protocol.HostInfoRows(parseRoute4(b)), nil
}

// buildRoutes6 is hostinfo/ip6routes.lua:51-66 (netstat -nr6).
func buildRoutes6(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	b, err := readFile(s.opts.procRoot(), "net/ipv6_route")
	if err != nil {
		return nil, err
	}
	return protocol.HostInfoRows(parseRoute6(b)), nil
}
