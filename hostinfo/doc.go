// Package hostinfo builds the answers to the endpoint's host_info.get,
// host_info_types.get and system.info in the original agent's shapes
// (rackspace-monitoring-agent hostinfo/*.lua, protocol/virgo_messages.lua;
// the types are in package protocol, hostinfo.go). The original read the
// host through sigar, a few files and a few commands; this package reads
// the same facts from ProcRoot, SysRoot, EtcRoot and the utmp file (roots
// are values in Options, so tests run on canned trees) and from the
// agent's latest collector.Snapshot where it already holds them
// (filesystems, disks, host facts).
//
// Types answered (Types; Linux): CPU, MEMORY, NETWORK, DISK, FILESYSTEM,
// FILESYSTEM_STATE, PROCS, SYSTEM, WHO, DATE, NIL, HOSTNAME, KERNEL_MODULES,
// FSTAB, LOGIN, SYSCTL, IP4ROUTES, IP6ROUTES. On other systems the
// Linux-only ones are left out of Types and answered with the original's
// "Unsupported operating system for X". Every other type of the original's
// list (protocol.HostInfoAllTypes: those that ran commands such as
// dpkg-query, iptables, sshd -T, apache2ctl, or parsed application
// configs) and any unknown type is answered as the original answers a type
// it does not have: a result whose error is "Agent does not support this
// Host Info type". host_info.get never answers with an error object.
//
// Differences from the original, on purpose:
//   - FILESYSTEM, FILESYSTEM_STATE and DISK list the snapshot's real
//     filesystems (sigar also listed proc, sysfs, devpts ... with zero
//     sizes); statfs stays bounded by the collector's timeout.
//   - SYSCTL walks ProcRoot/sys instead of running `sysctl -A`; IP4ROUTES
//     and IP6ROUTES read ProcRoot/net/route and ipv6_route and format them
//     as `netstat -nr4`/`-nr6` print them; HOSTNAME is the snapshot's.
//   - WHO with no utmp file (containers) is an empty list, not an error.
//
// Not here: the wire (package protocol) and the endpoint handler
// (agent.Handler, which calls Source).
package hostinfo
