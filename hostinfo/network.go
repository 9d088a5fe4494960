package hostinfo

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// netDevRow is one interface of /proc/net/dev.
type netDevRow struct {
	name  string
	usage protocol.NetIfUsage
}

// parseNetDev reads /proc/net/dev: rx bytes packets errs drop fifo frame
// compressed multicast, tx bytes packets errs drop fifo colls carrier
// compressed. sigar calls fifo "overruns".
func parseNetDev(b []byte) []netDevRow {
	var out []netDevRow
	for _, line := range strings.Split(string(b), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		f := strings.Fields(rest)
		if name == "" || len(f) < 16 {
			continue
		}
		var v [16]uint64
		for i := range v {
			v[i], _ = strconv.ParseUint(f[i], 10, 64)
		}
		out = append(out, netDevRow{name: name, usage: protocol.NetIfUsage{
			RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3], RxOverruns: v[4], RxFrame: v[5],
			TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11], TxOverruns: v[12],
			TxCollisions: v[13], TxCarrier: v[14], Speed: -1,
		}})
	}
	return out
}

// arphrdTypes are sigar's interface type names for /sys/class/net/X/type.
var arphrdTypes = map[int]string{
	1: "Ethernet", 772: "Local Loopback", 512: "Point-to-Point Protocol", 768: "IPIP Tunnel",
	776: "IPv6-in-IPv4", 778: "IPv6-in-IPv4", 32: "InfiniBand", 24: "IEEE 1394 (Firewire)",
}

// netifInfo is sigar's interface config from SysRoot/class/net/NAME and the
// interface's addresses. Unreadable files leave their fields zero.
func (s *Source) netifInfo(name string) protocol.NetIfInfo {
	dir := filepath.Join(s.opts.sysRoot(), "class", "net", name)
	read := func(f string) string {
		b, err := readFile(dir, f)
		if err != nil {
			return ""
		}
		return firstLine(b)
	}
	info := protocol.NetIfInfo{
		Name: name, Type: "UNSPEC", Hwaddr: "00:00:00:00:00:00", Address: "0.0.0.0", Address6: "::",
		Destination: "0.0.0.0", Broadcast: "0.0.0.0", Netmask: "0.0.0.0", Metric: 1,
	}
	if t, err := strconv.Atoi(read("type")); err == nil {
		if n, ok := arphrdTypes[t]; ok {
			info.Type = n
		}
	}
	if hw := read("address"); hw != "" {
		info.Hwaddr = strings.ToUpper(hw)
	}
	if f, err := strconv.ParseUint(strings.TrimPrefix(read("flags"), "0x"), 16, 64); err == nil {
		info.Flags = f
	}
	info.Mtu, _ = strconv.ParseUint(read("mtu"), 10, 64)
	addrs, _ := s.opts.addrs(name)
	setAddrs(&info, addrs)
	return info
}

// iffBroadcast is IFF_BROADCAST.
const iffBroadcast = 0x2

// setAddrs puts the first IPv4 address (with netmask and broadcast) and the
// first IPv6 address in info, as sigar reports one of each.
func setAddrs(info *protocol.NetIfInfo, addrs []net.Addr) {
	var have4, have6 bool
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if ip4 := ipn.IP.To4(); ip4 != nil {
			if have4 {
				continue
			}
			have4 = true
			info.Address = ip4.String()
			mask := ipn.Mask
			if len(mask) == net.IPv6len {
				mask = mask[12:]
			}
			if len(mask) == net.IPv4len {
				info.Netmask = net.IP(mask).String()
				if info.Flags&iffBroadcast != 0 {
					bc := make(net.IP, 4)
					for i := range bc {
						bc[i] = ip4[i] | ^mask[i]
					}
					info.Broadcast = bc.String()
				}
			}
			continue
		}
		if !have6 && len(ipn.IP) == net.IPv6len {
			have6 = true
			info.Address6 = ipn.IP.String()
		}
	}
}

// netifs is sigar's interface list: every interface of ProcRoot/net/dev.
func (s *Source) netifs(ctx context.Context) ([]protocol.SystemInfoNet, error) {
	b, err := readFile(s.opts.procRoot(), "net/dev")
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	rows := parseNetDev(b)
	out := make([]protocol.SystemInfoNet, 0, len(rows))
	for _, r := range rows {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u := r.usage
		if sb, err := readFile(filepath.Join(s.opts.sysRoot(), "class", "net", r.name), "speed"); err == nil {
			if mbit, err := strconv.ParseInt(firstLine(sb), 10, 64); err == nil && mbit > 0 {
				u.Speed = mbit * 1000000
			}
		}
		out = append(out, protocol.SystemInfoNet{Info: s.netifInfo(r.name), Usage: u})
	}
	return out, nil
}

// buildNetwork is hostinfo/network.lua:27-76.
func buildNetwork(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	nets, err := s.netifs(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.HostInfoNetwork, 0, len(nets))
	for _, n := range nets {
		out = append(out, protocol.HostInfoNetworkFrom(n.Info, n.Usage))
	}
	return out, nil
}
