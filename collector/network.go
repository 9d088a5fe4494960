package collector

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// netCounters is one interface line of /proc/net/dev.
type netCounters struct {
	name                                    string
	rxBytes, rxPackets, rxErrors, rxDropped uint64
	txBytes, txPackets, txErrors, txDropped uint64
	// The fifo, frame, colls and carrier columns, read as sigar's
	// sigar_net_interface_stat_get (linux_sigar.c) reads them.
	rxFifo, rxFrame, txFifo, txColls, txCarrier uint64
}

// parseNetDev parses /proc/net/dev (two header lines, then
// "  eth0: rx(8 fields) tx(8 fields)"). The columns are, as the kernel's
// header names them: rx bytes packets errs drop fifo frame compressed
// multicast, tx bytes packets errs drop fifo colls carrier compressed.
func parseNetDev(data []byte) ([]netCounters, error) {
	var out []netCounters
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data = nextLine(data)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 || bytes.Contains(line, []byte("|")) {
			continue // headers and blank lines
		}
		name := string(bytes.TrimSpace(line[:colon]))
		f := bytes.Fields(line[colon+1:])
		if name == "" || len(f) < 16 {
			return nil, fmt.Errorf("net/dev line %d: malformed %q", n, line)
		}
		var v [16]uint64
		for i := range v {
			x, err := strconv.ParseUint(string(f[i]), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("net/dev %s field %d: %w", name, i+1, err)
			}
			v[i] = x
		}
		out = append(out, netCounters{
			name:    name,
			rxBytes: v[0], rxPackets: v[1], rxErrors: v[2], rxDropped: v[3],
			txBytes: v[8], txPackets: v[9], txErrors: v[10], txDropped: v[11],
			rxFifo: v[4], rxFrame: v[5], txFifo: v[12], txColls: v[13], txCarrier: v[14],
		})
	}
	return out, nil
}

func netFrom(cur, prev netCounters, havePrev bool, elapsed time.Duration) NetIf {
	n := NetIf{
		Name:    cur.name,
		RxBytes: cur.rxBytes, TxBytes: cur.txBytes,
		RxPackets: cur.rxPackets, TxPackets: cur.txPackets,
		RxErrors: cur.rxErrors, TxErrors: cur.txErrors,
		RxDropped: cur.rxDropped, TxDropped: cur.txDropped,
		RxOverruns: cur.rxFifo, RxFrame: cur.rxFrame,
		TxOverruns: cur.txFifo, TxCollisions: cur.txColls, TxCarrier: cur.txCarrier,
	}
	if !havePrev {
		return n
	}
	n.RxBps = rate(cur.rxBytes, prev.rxBytes, elapsed)
	n.TxBps = rate(cur.txBytes, prev.txBytes, elapsed)
	n.RxPps = rate(cur.rxPackets, prev.rxPackets, elapsed)
	n.TxPps = rate(cur.txPackets, prev.txPackets, elapsed)
	n.RxErrPS = rate(cur.rxErrors, prev.rxErrors, elapsed)
	n.TxErrPS = rate(cur.txErrors, prev.txErrors, elapsed)
	n.RxDropPS = rate(cur.rxDropped, prev.rxDropped, elapsed)
	n.TxDropPS = rate(cur.txDropped, prev.txDropped, elapsed)
	return n
}

// linkState maps sysfs operstate (and carrier, when operstate says
// "unknown" as it does for lo and many virtual devices) to up/down/unknown.
func linkState(sysRoot, name string) string {
	dir := filepath.Join(sysRoot, "class", "net", name)
	op, err := readShort(filepath.Join(dir, "operstate"))
	if err == nil {
		switch op {
		case "up":
			return "up"
		case "down", "lowerlayerdown", "notpresent":
			return "down"
		}
	}
	carrier, err := readShort(filepath.Join(dir, "carrier"))
	if err != nil {
		return "unknown" // reading carrier of an admin-down device fails with EINVAL
	}
	switch carrier {
	case "1":
		return "up"
	case "0":
		return "down"
	}
	return "unknown"
}

type networkSource struct {
	opts     Options
	prev     map[string]netCounters
	prevTime time.Time
}

func newNetworkSource(opts Options) *networkSource {
	return &networkSource{opts: opts, prev: map[string]netCounters{}}
}

func (*networkSource) Name() string { return SourceNetwork }

func (n *networkSource) Collect(ctx context.Context, s *Snapshot) error {
	var counters []netCounters
	if n.opts.procFS() {
		data, err := readFile(n.opts.procRoot(), "net", "dev")
		if err != nil {
			return err
		}
		if counters, err = parseNetDev(data); err != nil {
			return fmt.Errorf("parse %s/net/dev: %w", n.opts.procRoot(), err)
		}
	} else {
		var err error
		if counters, err = netFallback(ctx); err != nil {
			return err
		}
	}
	elapsed := elapsedSince(n.prevTime, s.Time)
	out := make([]NetIf, 0, len(counters))
	next := make(map[string]netCounters, len(counters))
	for _, c := range counters {
		prev, ok := n.prev[c.name]
		nif := netFrom(c, prev, ok && elapsed > 0, elapsed)
		if n.opts.procFS() {
			nif.LinkState = linkState(n.opts.sysRoot(), c.name)
		}
		out = append(out, nif)
		next[c.name] = c
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	n.prev, n.prevTime = next, s.Time
	s.Network = out
	return nil
}

// parseDefaultRoute returns the interface of the IPv4 default route with
// the lowest metric in /proc/net/route, or "" if there is none.
func parseDefaultRoute(data []byte) string {
	best, bestMetric := "", uint64(math.MaxUint64)
	for first := true; len(data) > 0; first = false {
		var line []byte
		line, data = nextLine(data)
		f := strings.Fields(string(line))
		if first || len(f) < 8 {
			continue // header
		}
		flags, err := strconv.ParseUint(f[3], 16, 32)
		if err != nil || flags&0x1 == 0 { // RTF_UP
			continue
		}
		if f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		metric, err := strconv.ParseUint(f[6], 10, 64)
		if err != nil {
			continue
		}
		if metric < bestMetric {
			best, bestMetric = f[0], metric
		}
	}
	return best
}

// DefaultInterface names the interface of the default route (from
// ProcRoot/net/route), falling back to the first non-loopback interface
// that is up, in name order. "" if there is none.
func DefaultInterface(opts Options) string {
	if !opts.procFS() {
		return firstUpInterface()
	}
	if data, err := readFile(opts.procRoot(), "net", "route"); err == nil {
		if name := parseDefaultRoute(data); name != "" {
			return name
		}
	}
	entries, err := os.ReadDir(filepath.Join(opts.sysRoot(), "class", "net"))
	if err != nil {
		return ""
	}
	for _, e := range entries { // ReadDir sorts by name
		if e.Name() == "lo" {
			continue
		}
		if linkState(opts.sysRoot(), e.Name()) == "up" {
			return e.Name()
		}
	}
	return ""
}

func firstUpInterface() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	sort.Slice(ifs, func(i, j int) bool { return ifs[i].Name < ifs[j].Name })
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback == 0 && i.Flags&net.FlagUp != 0 {
			return i.Name
		}
	}
	return ""
}
