package hostinfo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// Options say where to read. Empty fields take the live host's defaults.
type Options struct {
	// ProcRoot, SysRoot and EtcRoot replace /proc, /sys and /etc.
	ProcRoot, SysRoot, EtcRoot string
	// UtmpPath is the utmp file (WHO); "" means /var/run/utmp.
	UtmpPath string
	// Root replaces / for the other files read (/var/spool/cron,
	// /var/lib/dpkg, /boot, /usr/lib/systemd ...).
	Root string
	// WtmpPath is the wtmp file (LAST_LOGINS); "" means Root/var/log/wtmp.
	WtmpPath string
	// Run runs a command (an absolute path, no shell) and returns its
	// stdout; nil means exec with cmdTimeout (the package doc lists the
	// commands run).
	Run func(ctx context.Context, path string, args ...string) ([]byte, error)
	// Now is the clock (timestamps, DATE); nil means time.Now.
	Now func() time.Time
	// Location is DATE's time zone; nil means time.Local.
	Location *time.Location
	// Addrs lists an interface's addresses (NETWORK, system.info); nil
	// means net.InterfaceByName(name).Addrs().
	Addrs func(ifname string) ([]net.Addr, error)
	// GOOS decides which types exist; "" means runtime.GOOS.
	GOOS string
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (o Options) procRoot() string { return orDefault(o.ProcRoot, "/proc") }
func (o Options) sysRoot() string  { return orDefault(o.SysRoot, "/sys") }
func (o Options) etcRoot() string  { return orDefault(o.EtcRoot, "/etc") }
func (o Options) utmpPath() string { return orDefault(o.UtmpPath, "/var/run/utmp") }
func (o Options) root() string     { return orDefault(o.Root, "/") }
func (o Options) wtmpPath() string {
	return orDefault(o.WtmpPath, filepath.Join(o.root(), "var/log/wtmp"))
}
func (o Options) goos() string { return orDefault(o.GOOS, runtime.GOOS) }

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) location() *time.Location {
	if o.Location != nil {
		return o.Location
	}
	return time.Local
}

func (o Options) addrs(name string) ([]net.Addr, error) {
	if o.Addrs != nil {
		return o.Addrs(name)
	}
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	return ifi.Addrs()
}

// partial is a builder's result that carries errors beside its metrics, as
// base.lua's _pushParams keeps both (metrics nil: none). Errors are joined
// with newlines.
type partial struct {
	metrics any
	errs    []string
}

// errNoSample is the error of a type that needs the agent's snapshot before
// the first one exists.
var errNoSample = errors.New("no sample yet")

// builder builds one type's metrics. A nil result with a nil error is
// "no data" (protocol.HostInfoNoData).
type builder func(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error)

type entry struct {
	build     builder
	linuxOnly bool // getPlatforms() returns {'linux'} in the original
}

// registry maps every type this package answers to its builder; the file
// and line of each original is in the builder's comment.
var registry = map[string]entry{
	"CPU":              {build: buildCPU},
	"MEMORY":           {build: buildMemory},
	"NETWORK":          {build: buildNetwork},
	"DISK":             {build: buildDisk},
	"FILESYSTEM":       {build: buildFilesystem},
	"FILESYSTEM_STATE": {build: buildFilesystemState, linuxOnly: true},
	"PROCS":            {build: buildProcs},
	"SYSTEM":           {build: buildSystem},
	"WHO":              {build: buildWho},
	"DATE":             {build: buildDate},
	"NIL":              {build: buildNil},
	"HOSTNAME":         {build: buildHostname, linuxOnly: true},
	"KERNEL_MODULES":   {build: buildKernelModules, linuxOnly: true},
	"FSTAB":            {build: buildFstab, linuxOnly: true},
	"LOGIN":            {build: buildLogin, linuxOnly: true},
	"SYSCTL":           {build: buildSysctl, linuxOnly: true},
	"IP4ROUTES":        {build: buildRoutes4, linuxOnly: true},
	"IP6ROUTES":        {build: buildRoutes6, linuxOnly: true},
	"PASSWD":           {build: buildPasswd},
	"CRON":             {build: buildCron, linuxOnly: true},
	"PAM":              {build: buildPAM, linuxOnly: true},
	"FILEPERMS":        {build: buildFileperms, linuxOnly: true},
	"CONNECTIONS":      {build: buildConnections, linuxOnly: true},
	"LAST_LOGINS":      {build: buildLastLogins, linuxOnly: true},
	"SERVICES":         {build: buildServices, linuxOnly: true},
	"PACKAGES":         {build: buildPackages, linuxOnly: true},
	"SSHD":             {build: buildSSHD, linuxOnly: true},
	"AUTOUPDATES":      {build: buildAutoupdates, linuxOnly: true},
	"DELETED_LIBS":     {build: buildDeletedLibs, linuxOnly: true},
	"REMOTE_SERVICES":  {build: buildRemoteServices, linuxOnly: true},
	"IPTABLES":         {build: buildIPTables, linuxOnly: true},
	"IP6TABLES":        {build: buildIP6Tables, linuxOnly: true},
	"CVE":              {build: buildCVE, linuxOnly: true},
	"LSHW":             {build: buildLSHW, linuxOnly: true},
	"PHP":              {build: buildPHP, linuxOnly: true},
	"NGINX_CONFIG":     {build: buildNginx, linuxOnly: true},
	"APACHE2":          {build: buildApache2}, // linux and darwin (apache2.lua:325-327)
	"FAIL2BAN":         {build: buildFail2ban, linuxOnly: true},
	"LSYNCD":           {build: buildLsyncd, linuxOnly: true},
	"WORDPRESS":        {build: buildWordpress, linuxOnly: true},
	"MAGENTO":          {build: buildMagento, linuxOnly: true},
	"POSTFIX":          {build: buildPostfix, linuxOnly: true},
}

// Source answers host_info.get and system.info.
type Source struct {
	opts Options
}

// New returns a Source reading where o says.
func New(o Options) *Source { return &Source{opts: o} }

// Types lists the types answered on this platform, in the original's order
// (hostinfo/init.lua create_class_info).
func (s *Source) Types() []string {
	var out []string
	for _, t := range protocol.HostInfoAllTypes {
		e, ok := registry[t]
		if !ok || (e.linuxOnly && s.opts.goos() != "linux") {
			continue
		}
		out = append(out, t)
	}
	return out
}

// Get builds one type's result from the host and snap (the agent's latest
// snapshot; nil before the first). It never fails: an error travels in
// the result, as hostinfo/base.lua serializes it.
func (s *Source) Get(ctx context.Context, typ string, snap *collector.Snapshot) protocol.HostInfoResult {
	res := protocol.HostInfoResult{Metrics: []any{}, Timestamp: s.opts.now().Unix() * 1000}
	e, ok := registry[typ]
	switch {
	case !ok:
		res.Error = protocol.HostInfoUnsupported
		return res
	case e.linuxOnly && s.opts.goos() != "linux":
		res.Error = protocol.HostInfoUnsupportedOS(typ)
		return res
	}
	m, err := e.build(ctx, s, snap)
	if p, ok := m.(partial); ok {
		// base.lua _pushParams: the rows and the errors of the files or
		// lines that failed, together.
		res.Error = strings.Join(p.errs, "\n")
		if p.metrics != nil {
			res.Metrics = p.metrics
		} else if res.Error == "" {
			res.Error = protocol.HostInfoNoData
		}
		return res
	}
	switch {
	case err != nil:
		res.Error = err.Error()
	case m == nil:
		res.Error = protocol.HostInfoNoData
	default:
		res.Metrics = m
	}
	return res
}

// SystemInfo builds system.info: sysinfo, cpus and netifs.
func (s *Source) SystemInfo(ctx context.Context, snap *collector.Snapshot) (protocol.SystemInfo, error) {
	out := protocol.SystemInfo{SysInfo: sysInfo(snap)}
	cpus, err := s.cpus()
	if err != nil {
		return out, err
	}
	nets, err := s.netifs(ctx)
	if err != nil {
		return out, err
	}
	out.CPUs, out.NetIfs = cpus, nets
	return out, nil
}

// buildNil is hostinfo/nil.lua:19-26: an empty list and no error.
func buildNil(context.Context, *Source, *collector.Snapshot) (any, error) {
	return []any{}, nil
}

// buildDate is hostinfo/date.lua:24-35: os.date('%H:%M:%S %Y %m %d %Z').
func buildDate(_ context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	t := s.opts.now().In(s.opts.location())
	zone, _ := t.Zone()
	return []protocol.HostInfoDate{{
		Time:     t.Format("15:04:05"),
		Date:     protocol.HostInfoDateYMD{Year: t.Format("2006"), Month: t.Format("01"), Day: t.Format("02")},
		Timezone: zone,
	}}, nil
}

// buildHostname is hostinfo/hostname.lua:38-53 (`hostname`, one row
// flattened to an object by _pushParams).
func buildHostname(_ context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	name := ""
	if snap != nil {
		name = snap.Host.Hostname
	}
	if name == "" {
		b, err := readFile(s.opts.procRoot(), "sys/kernel/hostname")
		if err != nil {
			return nil, err
		}
		name = firstLine(b)
	}
	if name == "" {
		return nil, nil
	}
	return protocol.HostInfoHostname{Hostname: name}, nil
}

// buildSystem is hostinfo/system.lua:25-37: sigar sysinfo, a list of one.
func buildSystem(_ context.Context, _ *Source, snap *collector.Snapshot) (any, error) {
	if snap == nil {
		return nil, errNoSample
	}
	si := sysInfo(snap)
	return []protocol.HostInfoSystem{{
		Name: si.Name, Arch: si.Arch, Version: si.Version, Vendor: si.Vendor,
		VendorVersion: si.VendorVersion, VendorName: si.VendorName,
	}}, nil
}

// vendors maps os-release IDs to the vendor names sigar gives.
var vendors = map[string]string{
	"ubuntu": "Ubuntu", "debian": "Debian", "centos": "CentOS", "rhel": "Red Hat",
	"fedora": "Fedora", "amzn": "Amazon", "opensuse": "SuSE", "sles": "SuSE",
	"gentoo": "Gentoo", "arch": "Arch", "alpine": "Alpine", "rocky": "Rocky",
	"almalinux": "AlmaLinux", "ol": "Oracle",
}

// sysInfo is sigar's sys info from the snapshot's host facts.
func sysInfo(snap *collector.Snapshot) protocol.SysInfo {
	if snap == nil {
		return protocol.SysInfo{}
	}
	h := snap.Host
	name := "Linux"
	switch h.OS {
	case "", "linux":
	case "darwin":
		name = "MacOSX"
	default:
		name = h.OS
	}
	vendor := vendors[h.Platform]
	if vendor == "" {
		vendor = h.Platform
	}
	return protocol.SysInfo{
		Name: name, Version: h.Kernel, Arch: h.Arch, Machine: h.Arch,
		Description: fmt.Sprintf("%s %s", vendor, h.PlatformVersion),
		Vendor:      vendor, VendorVersion: h.PlatformVersion, VendorName: name,
	}
}

// buildDisk is hostinfo/disk.lua:25-51: sigar's disks whose name starts
// with /dev/ (virgo util/sigar.lua diskTargets), i.e. mounted devices, with
// their diskstats counters.
func buildDisk(_ context.Context, _ *Source, snap *collector.Snapshot) (any, error) {
	if snap == nil {
		return nil, errNoSample
	}
	byName := map[string]collector.Disk{}
	for _, d := range snap.Disks {
		byName[d.Name] = d
	}
	out := []protocol.HostInfoDisk{}
	seen := map[string]bool{}
	for _, fs := range snap.Filesystems {
		d, ok := byName[fs.Disk]
		if !ok || len(fs.Device) < 5 || fs.Device[:5] != "/dev/" || seen[fs.Device] {
			continue
		}
		seen[fs.Device] = true
		out = append(out, protocol.HostInfoDisk{
			Name: fs.Device, ReadBytes: d.ReadBytes, Reads: d.Reads, Rtime: d.ReadTimeMs,
			Time: d.IOTimeMs, WriteBytes: d.WriteBytes, Writes: d.Writes, Wtime: d.WriteTimeMs,
		})
	}
	return out, nil
}

// buildFilesystem is hostinfo/filesystem.lua:25-71: sizes in KB as sigar's
// file system usage gives them (used = total - free).
func buildFilesystem(_ context.Context, _ *Source, snap *collector.Snapshot) (any, error) {
	if snap == nil {
		return nil, errNoSample
	}
	out := []protocol.HostInfoFilesystem{}
	for _, fs := range snap.Filesystems {
		total, free := fs.TotalBytes/1024, fs.FreeBytes/1024
		out = append(out, protocol.HostInfoFilesystem{
			DirName: fs.Mount, DevName: fs.Device, SysTypeName: fs.FSType, Options: fs.Options,
			Total: total, Free: free, Used: total - min(free, total), Avail: fs.AvailBytes / 1024,
			Files: fs.InodesTotal, FreeFiles: fs.InodesFree,
		})
	}
	return out, nil
}

// buildFilesystemState is hostinfo/filesystem_state.lua:25-33 and
// ro.lua:23-45: each device under its first "ro" or "rw" option.
func buildFilesystemState(_ context.Context, _ *Source, snap *collector.Snapshot) (any, error) {
	if snap == nil {
		return nil, errNoSample
	}
	var ro, rw []string
	for _, fs := range snap.Filesystems {
		switch firstRW(fs.Options, fs.ReadOnly) {
		case "ro":
			ro = append(ro, fs.Device)
		case "rw":
			rw = append(rw, fs.Device)
		}
	}
	return protocol.HostInfoFilesystemState{
		TotalRO: len(ro), TotalRW: len(rw), DevicesRO: join(ro, ","), DevicesRW: join(rw, ","),
	}, nil
}
