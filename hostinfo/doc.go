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
// Types answered (Types; Linux): all 42 of the original's list
// (protocol.HostInfoAllTypes): CPU, MEMORY, NETWORK, DISK, FILESYSTEM,
// FILESYSTEM_STATE, PROCS, SYSTEM, WHO, DATE, NIL, HOSTNAME, KERNEL_MODULES,
// FSTAB, LOGIN, SYSCTL, IP4ROUTES, IP6ROUTES, PASSWD, CRON, PAM, FILEPERMS,
// CONNECTIONS, LAST_LOGINS, SERVICES, PACKAGES, SSHD, AUTOUPDATES,
// DELETED_LIBS, REMOTE_SERVICES, IPTABLES, IP6TABLES, CVE, LSHW, and the
// application types PHP, POSTFIX, NGINX_CONFIG, APACHE2, FAIL2BAN, LSYNCD,
// WORDPRESS, MAGENTO (apps.go, nginx.go, apache2.go, fail2ban.go,
// lsyncd.go, sites.go, wordpress.go, magento.go: the application's own
// commands by absolute path, without the original's `sh -c` pipes, whose
// tail/grep filtering is done in Go; its files read under Root; each
// builder's comment lists where it differs from the original on purpose).
// On other systems the Linux-only ones are left out of Types and answered
// with the original's "Unsupported operating system for X" (APACHE2 is
// linux and darwin, as the original). An unknown type is answered as the
// original answers a type it does not have: a result whose error is "Agent
// does not support this Host Info type". host_info.get never answers with
// an error object. As base.lua's _pushParams does, a type that read some files and failed on others
// sends its rows and the errors together (newline-joined); one unreadable
// file never fails the whole answer. Every type is bounded (files read
// whole at most 4 MiB, the dpkg status file 64 MiB streamed, wtmp's last
// 4 MiB, 20000 rows, 2000 entries a directory, 1000 logins, CVE's first
// 10000 changelogs and 8 MiB of each); the commands run, as the original
// runs them (iptables -S, ip6tables -S, lshw -json, php --version and
// --modules, pgrep -a master, postconf, nginx -V and -t, apache2ctl -V and
// -S (httpd on RHEL and CentOS), ps -u USER -o cmd, ps -eo ...,
// fail2ban-client get logtarget and status, lsyncd -version; rpm -qa,
// rpm -qa --changelog and service yum-cron status on the Red Hat family), by absolute path with no shell, have a 30 s
// timeout and 4 MiB of output; a walk over /proc/PID stops at
// 8192 processes.
//
// Differences from the original, on purpose:
//   - FILESYSTEM, FILESYSTEM_STATE and DISK list the snapshot's real
//     filesystems (sigar also listed proc, sysfs, devpts ... with zero
//     sizes); statfs stays bounded by the collector's timeout.
//   - SYSCTL walks ProcRoot/sys instead of running `sysctl -A`; IP4ROUTES
//     and IP6ROUTES read ProcRoot/net/route and ipv6_route and format them
//     as `netstat -nr4`/`-nr6` print them; HOSTNAME is the snapshot's.
//   - WHO with no utmp file (containers) is an empty list, not an error.
//   - PASSWD reads /etc/shadow instead of running `passwd -S` per user
//     (both need root); LAST_LOGINS reads wtmp instead of running `last`
//     (a login without a host keeps its fields in place, where the
//     original's word count shifted them); CONNECTIONS reads /proc/net/arp
//     and /proc/net/tcp{,6} instead of running `arp -an` and
//     `netstat -naten`; PACKAGES reads /var/lib/dpkg/status instead of
//     running dpkg-query -W; SSHD reads sshd_config (with its Include
//     files, up to the first Match) instead of running `sshd -T`, so only
//     the settings the file sets are sent, not sshd's defaults.
//     DELETED_LIBS reads /proc/PID/maps (" (deleted)") and comm instead of
//     running `lsof -nnP`; REMOTE_SERVICES reads /proc/net/tcp{,6} and
//     /proc/PID/fd instead of running `netstat -tlpen`; AUTOUPDATES reads
//     /etc/apt/apt.conf{,.d} (the flat "APT::Periodic::Unattended-Upgrade"
//     form) instead of running `apt-config dump`; CVE reads
//     /usr/share/doc/*/changelog.Debian.gz with gzip instead of the
//     original's `sh -c 'zcat ... | grep CVE-'`.
//   - PAM splits lines with tabs at white space (the original dropped
//     them); CRON leaves out environment lines (the original sent them as
//     empty objects) and directories; SERVICES' "systemd" lists both wants
//     directories (the original kept whichever it read last); CONNECTIONS
//     is sorted.
//
// Not here: the wire (package protocol) and the endpoint handler
// (agent.Handler, which calls Source).
package hostinfo
