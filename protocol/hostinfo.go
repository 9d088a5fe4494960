package protocol

// host_info.get and system.info results, in the shapes the original agent
// sends (rackspace-monitoring-agent hostinfo/*.lua, serialized by
// hostinfo/base.lua; protocol/virgo_messages.lua SystemInfoResponse) with
// sigar's field names. The Go poller (racker/rackspace-monitoring-poller,
// protocol/hostinfo/*.go) declares a subset of the same; where the two
// disagree the Lua agent wins, since it is what endpoints received from
// hosts:
//   - CPU: the poller says "softirq", the agent (sigar) sends "soft_irq".
//   - MEMORY: the poller says "used_percentage"/"swap_percentage", the agent
//     sends "used_percent"/"free_percent" and swap_page_in/out.
//   - SYSTEM: the poller decodes "metrics" as one object, the agent sends a
//     list of one (system.lua inserts into its params; base.lua's serialize
//     does not flatten it).
//
// The envelope is {metrics, timestamp[, error]}: a Lua table drops a nil
// field, so "error" is absent when there is none. timestamp is gmtNow():
// os.time()*1000, whole seconds in milliseconds.
//
// Types whose original reads a file or runs a command (KERNEL_MODULES,
// FSTAB, ...) go through base.lua's _pushParams, which flattens a list of
// exactly one entry into that entry and reports an empty result as the
// error HostInfoNoData. HostInfoRows reproduces both.

// HostInfoResult is the result of host_info.get.
type HostInfoResult struct {
	Metrics   any    `json:"metrics"`
	Timestamp int64  `json:"timestamp"` // ms since the epoch, whole seconds
	Error     string `json:"error,omitempty"`
}

// Errors the original puts in HostInfoResult.Error (the spelling of
// "recieved" is the original's).
const (
	HostInfoUnsupported = "Agent does not support this Host Info type"
	HostInfoNoData      = "No error specified but no data recieved"
)

// HostInfoUnsupportedOS is the original's error for a type that exists but
// not on this platform (base.lua HostInfo:run).
func HostInfoUnsupportedOS(typ string) string {
	return "Unsupported operating system for " + typ
}

// HostInfoRows returns what base.lua's _pushParams keeps of a list: nil (the
// caller reports HostInfoNoData) when empty, the entry itself when there is
// exactly one, else the list.
func HostInfoRows[T any](rows []T) any {
	switch len(rows) {
	case 0:
		return nil
	case 1:
		return rows[0]
	}
	return rows
}

// HostInfoAllTypes are the types of the original's hostinfo/all.lua, in its
// order. An agent answers the ones it supports (host_info_types.get); any
// other type gets HostInfoUnsupported.
var HostInfoAllTypes = []string{
	"NGINX_CONFIG", "CONNECTIONS", "IPTABLES", "IP6TABLES", "AUTOUPDATES",
	"PASSWD", "PAM", "CRON", "KERNEL_MODULES", "CPU", "DISK", "FILESYSTEM",
	"FILESYSTEM_STATE", "LOGIN", "MEMORY", "NETWORK", "NIL", "PACKAGES",
	"PROCS", "SYSTEM", "WHO", "DATE", "SYSCTL", "SSHD", "FSTAB", "FILEPERMS",
	"SERVICES", "DELETED_LIBS", "CVE", "LAST_LOGINS", "REMOTE_SERVICES",
	"IP4ROUTES", "IP6ROUTES", "APACHE2", "FAIL2BAN", "LSYNCD", "WORDPRESS",
	"MAGENTO", "PHP", "POSTFIX", "HOSTNAME", "LSHW",
}

// CPUData is sigar's cpu data: counters since boot in milliseconds.
type CPUData struct {
	User    uint64 `json:"user"`
	Sys     uint64 `json:"sys"`
	Idle    uint64 `json:"idle"`
	Nice    uint64 `json:"nice"`
	Wait    uint64 `json:"wait"`
	Irq     uint64 `json:"irq"`
	SoftIrq uint64 `json:"soft_irq"`
	Stolen  uint64 `json:"stolen"`
	Total   uint64 `json:"total"`
}

// CPUInfo is sigar's cpu info (cache_size in KB, mhz in MHz).
type CPUInfo struct {
	Vendor         string `json:"vendor"`
	Model          string `json:"model"`
	Mhz            int64  `json:"mhz"`
	TotalSockets   int64  `json:"total_sockets"`
	TotalCores     int64  `json:"total_cores"`
	CoresPerSocket int64  `json:"cores_per_socket"`
	CacheSize      int64  `json:"cache_size"`
}

// HostInfoCPU is one entry of the CPU type (hostinfo/cpu.lua): the data
// fields, five info fields and the name "cpu.N".
type HostInfoCPU struct {
	CPUData
	Mhz          int64  `json:"mhz"`
	Model        string `json:"model"`
	TotalCores   int64  `json:"total_cores"`
	TotalSockets int64  `json:"total_sockets"`
	Vendor       string `json:"vendor"`
	Name         string `json:"name"`
}

// HostInfoMemory is the MEMORY type (hostinfo/memory.lua): sigar mem and
// swap; bytes, ram in MB rounded up to a multiple of 8, swap pages.
type HostInfoMemory struct {
	ActualFree  uint64  `json:"actual_free"`
	ActualUsed  uint64  `json:"actual_used"`
	Free        uint64  `json:"free"`
	FreePercent float64 `json:"free_percent"`
	RAM         uint64  `json:"ram"`
	Total       uint64  `json:"total"`
	Used        uint64  `json:"used"`
	UsedPercent float64 `json:"used_percent"`
	SwapTotal   uint64  `json:"swap_total"`
	SwapUsed    uint64  `json:"swap_used"`
	SwapFree    uint64  `json:"swap_free"`
	SwapPageIn  uint64  `json:"swap_page_in"`
	SwapPageOut uint64  `json:"swap_page_out"`
}

// NetIfInfo is sigar's net interface config (system.info netifs[].info).
type NetIfInfo struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Hwaddr      string `json:"hwaddr"`
	Address     string `json:"address"`
	Address6    string `json:"address6"`
	Destination string `json:"destination"`
	Broadcast   string `json:"broadcast"`
	Netmask     string `json:"netmask"`
	Flags       uint64 `json:"flags"`
	Mtu         uint64 `json:"mtu"`
	Metric      uint64 `json:"metric"`
}

// NetIfUsage is sigar's net interface stat (system.info netifs[].usage);
// speed in bit/s, -1 when unknown.
type NetIfUsage struct {
	RxPackets    uint64 `json:"rx_packets"`
	RxBytes      uint64 `json:"rx_bytes"`
	RxErrors     uint64 `json:"rx_errors"`
	RxOverruns   uint64 `json:"rx_overruns"`
	RxDropped    uint64 `json:"rx_dropped"`
	RxFrame      uint64 `json:"rx_frame"`
	TxPackets    uint64 `json:"tx_packets"`
	TxBytes      uint64 `json:"tx_bytes"`
	TxErrors     uint64 `json:"tx_errors"`
	TxOverruns   uint64 `json:"tx_overruns"`
	TxDropped    uint64 `json:"tx_dropped"`
	TxCollisions uint64 `json:"tx_collisions"`
	TxCarrier    uint64 `json:"tx_carrier"`
	Speed        int64  `json:"speed"`
}

// HostInfoNetwork is one entry of the NETWORK type (hostinfo/network.lua):
// nine info fields and twelve usage fields.
type HostInfoNetwork struct {
	Address      string `json:"address"`
	Address6     string `json:"address6"`
	Broadcast    string `json:"broadcast"`
	Flags        uint64 `json:"flags"`
	Hwaddr       string `json:"hwaddr"`
	Mtu          uint64 `json:"mtu"`
	Name         string `json:"name"`
	Netmask      string `json:"netmask"`
	Type         string `json:"type"`
	RxPackets    uint64 `json:"rx_packets"`
	RxBytes      uint64 `json:"rx_bytes"`
	RxErrors     uint64 `json:"rx_errors"`
	RxOverruns   uint64 `json:"rx_overruns"`
	RxDropped    uint64 `json:"rx_dropped"`
	TxPackets    uint64 `json:"tx_packets"`
	TxBytes      uint64 `json:"tx_bytes"`
	TxErrors     uint64 `json:"tx_errors"`
	TxOverruns   uint64 `json:"tx_overruns"`
	TxDropped    uint64 `json:"tx_dropped"`
	TxCollisions uint64 `json:"tx_collisions"`
	TxCarrier    uint64 `json:"tx_carrier"`
}

// HostInfoNetworkFrom joins an interface's info and usage as network.lua
// does.
func HostInfoNetworkFrom(i NetIfInfo, u NetIfUsage) HostInfoNetwork {
	return HostInfoNetwork{
		Address: i.Address, Address6: i.Address6, Broadcast: i.Broadcast, Flags: i.Flags,
		Hwaddr: i.Hwaddr, Mtu: i.Mtu, Name: i.Name, Netmask: i.Netmask, Type: i.Type,
		RxPackets: u.RxPackets, RxBytes: u.RxBytes, RxErrors: u.RxErrors, RxOverruns: u.RxOverruns,
		RxDropped: u.RxDropped, TxPackets: u.TxPackets, TxBytes: u.TxBytes, TxErrors: u.TxErrors,
		TxOverruns: u.TxOverruns, TxDropped: u.TxDropped, TxCollisions: u.TxCollisions, TxCarrier: u.TxCarrier,
	}
}

// HostInfoDisk is one entry of the DISK type (hostinfo/disk.lua): a mounted
// /dev device; times in ms.
type HostInfoDisk struct {
	Name       string `json:"name"`
	ReadBytes  uint64 `json:"read_bytes"`
	Reads      uint64 `json:"reads"`
	Rtime      uint64 `json:"rtime"`
	Time       uint64 `json:"time"`
	WriteBytes uint64 `json:"write_bytes"`
	Writes     uint64 `json:"writes"`
	Wtime      uint64 `json:"wtime"`
}

// HostInfoFilesystem is one entry of the FILESYSTEM type
// (hostinfo/filesystem.lua); sizes in KB.
type HostInfoFilesystem struct {
	DirName     string `json:"dir_name"`
	DevName     string `json:"dev_name"`
	SysTypeName string `json:"sys_type_name"`
	Options     string `json:"options"`
	Total       uint64 `json:"total"`
	Free        uint64 `json:"free"`
	Used        uint64 `json:"used"`
	Avail       uint64 `json:"avail"`
	Files       uint64 `json:"files"`
	FreeFiles   uint64 `json:"free_files"`
}

// HostInfoFilesystemState is the FILESYSTEM_STATE type
// (hostinfo/filesystem_state.lua, ro.lua): local and remote devices by their
// first ro/rw mount option.
type HostInfoFilesystemState struct {
	TotalRO   int    `json:"total_ro"`
	TotalRW   int    `json:"total_rw"`
	DevicesRO string `json:"devices_ro"`
	DevicesRW string `json:"devices_rw"`
}

// HostInfoProcess is one entry of the PROCS type (hostinfo/procs.lua): the
// pid, then four groups that are each present only when sigar could read
// them (exe needs the right to read another user's /proc/PID/cwd).
type HostInfoProcess struct {
	PID int64 `json:"pid"`
	*ProcExe
	*ProcTime
	*ProcState
	*ProcMem
}

// ProcExe is sigar's proc exe: the executable, cwd and root.
type ProcExe struct {
	ExeName string `json:"exe_name"`
	ExeCwd  string `json:"exe_cwd"`
	ExeRoot string `json:"exe_root"`
}

// ProcTime is sigar's proc time: start in ms since the epoch, CPU in ms.
type ProcTime struct {
	StartTime uint64 `json:"time_start_time"`
	User      uint64 `json:"time_user"`
	Sys       uint64 `json:"time_sys"`
	Total     uint64 `json:"time_total"`
}

// ProcState is sigar's proc state (name is the command, comm).
type ProcState struct {
	Name     string `json:"state_name"`
	PPID     int64  `json:"state_ppid"`
	Priority int64  `json:"state_priority"`
	Nice     int64  `json:"state_nice"`
	Threads  int64  `json:"state_threads"`
}

// ProcMem is sigar's proc mem, in bytes and fault counts.
type ProcMem struct {
	Size        uint64 `json:"memory_size"`
	Resident    uint64 `json:"memory_resident"`
	Share       uint64 `json:"memory_share"`
	MajorFaults uint64 `json:"memory_major_faults"`
	MinorFaults uint64 `json:"memory_minor_faults"`
	PageFaults  uint64 `json:"memory_page_faults"`
}

// SysInfo is sigar's sys info (system.info sysinfo).
type SysInfo struct {
	Name           string `json:"name"`
	Version        string `json:"version"`
	Arch           string `json:"arch"`
	Machine        string `json:"machine"`
	Description    string `json:"description"`
	PatchLevel     string `json:"patch_level"`
	Vendor         string `json:"vendor"`
	VendorVersion  string `json:"vendor_version"`
	VendorName     string `json:"vendor_name"`
	VendorCodeName string `json:"vendor_code_name"`
}

// HostInfoSystem is the one entry of the SYSTEM type (hostinfo/system.lua).
type HostInfoSystem struct {
	Name          string `json:"name"`
	Arch          string `json:"arch"`
	Version       string `json:"version"`
	Vendor        string `json:"vendor"`
	VendorVersion string `json:"vendor_version"`
	VendorName    string `json:"vendor_name"`
}

// HostInfoWho is one logged-in user of the WHO type (hostinfo/who.lua);
// time in seconds since the epoch.
type HostInfoWho struct {
	User   string `json:"user"`
	Device string `json:"device"`
	Time   int64  `json:"time"`
	Host   string `json:"host"`
}

// HostInfoDate is the one entry of the DATE type (hostinfo/date.lua): the
// host's local time as strings.
type HostInfoDate struct {
	Time     string          `json:"time"` // HH:MM:SS
	Date     HostInfoDateYMD `json:"date"`
	Timezone string          `json:"timezone"`
}

// HostInfoDateYMD is DATE's date: zero-padded strings.
type HostInfoDateYMD struct {
	Year  string `json:"year"`
	Month string `json:"month"`
	Day   string `json:"day"`
}

// HostInfoHostname is the HOSTNAME type (hostinfo/hostname.lua).
type HostInfoHostname struct {
	Hostname string `json:"hostname"`
}

// HostInfoKernelModule is one line of /proc/modules (KERNEL_MODULES,
// hostinfo/kernel_modules.lua); every field a string as read.
type HostInfoKernelModule struct {
	Name          string   `json:"name"`
	MemSize       string   `json:"mem_size,omitempty"`
	InstanceCount string   `json:"instanceCount,omitempty"`
	Dependencies  []string `json:"dependencies"`
	State         string   `json:"state,omitempty"`
	MemOffset     string   `json:"memOffset,omitempty"`
}

// HostInfoFstab is one line of /etc/fstab (FSTAB, hostinfo/fstab.lua).
// "pass" is the line's fifth field (the dump frequency), as the original
// names it.
type HostInfoFstab struct {
	FileSystem string `json:"file_system"`
	MountPoint string `json:"mount_point,omitempty"`
	Type       string `json:"type,omitempty"`
	Options    string `json:"options,omitempty"`
	Pass       string `json:"pass,omitempty"`
}

// HostInfoRoute4 is one IPv4 route as `netstat -nr4` prints it (IP4ROUTES,
// hostinfo/ip4routes.lua).
type HostInfoRoute4 struct {
	Destination string `json:"destination"`
	Gateway     string `json:"gateway"`
	Genmask     string `json:"genmask"`
	Flags       string `json:"flags"`
	MSS         string `json:"mss"`
	Window      string `json:"window"`
	IRTT        string `json:"irtt"`
	Iface       string `json:"iface"`
}

// HostInfoRoute6 is one IPv6 route as `netstat -nr6` prints it (IP6ROUTES,
// hostinfo/ip6routes.lua).
type HostInfoRoute6 struct {
	Destination string `json:"destination"`
	NextHop     string `json:"next_hop"`
	Flag        string `json:"flag"`
	Met         string `json:"met"`
	Ref         string `json:"ref"`
	Use         string `json:"use"`
	Iface       string `json:"iface"`
}

// SystemInfo is the result of system.info (virgo_messages.lua
// SystemInfoResponse).
type SystemInfo struct {
	SysInfo SysInfo         `json:"sysinfo"`
	CPUs    []SystemInfoCPU `json:"cpus"`
	NetIfs  []SystemInfoNet `json:"netifs"`
}

// SystemInfoCPU is one entry of system.info cpus.
type SystemInfoCPU struct {
	Info CPUInfo `json:"info"`
	Data CPUData `json:"data"`
}

// SystemInfoNet is one entry of system.info netifs.
type SystemInfoNet struct {
	Info  NetIfInfo  `json:"info"`
	Usage NetIfUsage `json:"usage"`
}

// HostInfoPasswd is one account of the PASSWD type (hostinfo/passwd.lua
// Reader): the first six words `passwd -S` prints, named as the original
// names them (its "warning_period" holds the maximum age and its
// "inactivity_period" the warning period: the Reader skips one word).
type HostInfoPasswd struct {
	Name             string `json:"name"`
	Status           string `json:"status"`
	LastChanged      string `json:"last_changed"`
	MinimumAge       string `json:"minimum_age"`
	WarningPeriod    string `json:"warning_period"`
	InactivityPeriod string `json:"inactivity_period"`
}

// HostInfoCron is one crontab line of the CRON type (hostinfo/cron.lua
// Reader): either Time ("@reboot" ...) and Command, or the five schedule
// fields and Command.
type HostInfoCron struct {
	Time    string `json:"time,omitempty"`
	M       string `json:"m,omitempty"`
	H       string `json:"h,omitempty"`
	Dom     string `json:"dom,omitempty"`
	Mon     string `json:"mon,omitempty"`
	Dow     string `json:"dow,omitempty"`
	Command string `json:"command"`
}

// HostInfoPAM is one rule of a /etc/pam.d file (PAM, hostinfo/pam.lua).
type HostInfoPAM struct {
	ModuleInterface string `json:"module_interface"`
	ControlFlags    string `json:"control_flags"`
	ModuleName      string `json:"module_name"`
	ModuleArguments string `json:"module_arguments"`
	FileName        string `json:"file_name"`
}

// HostInfoFilePerm is one file of the FILEPERMS type
// (hostinfo/fileperms.lua): its permission bits as an octal string.
type HostInfoFilePerm struct {
	FileName       string `json:"fileName"`
	OctalFilePerms string `json:"octalFilePerms"`
	StickyBit      bool   `json:"stickyBit"`
	Setgid         bool   `json:"setgid"`
	Setuid         bool   `json:"setuid"`
}

// HostInfoConnection is one address of the CONNECTIONS type
// (hostinfo/connections.lua): a neighbour (arp) with no TCP connection
// to it. The original declares "ports" but never fills it.
type HostInfoConnection struct {
	Address string `json:"address"`
}

// HostInfoLastLogins is the LAST_LOGINS type (hostinfo/last_logins.lua):
// `last` grouped by kind; a group with no entry is absent.
type HostInfoLastLogins struct {
	Bootups             []HostInfoBootup   `json:"bootups,omitempty"`
	LoggedIn            []HostInfoLoggedIn `json:"logged_in,omitempty"`
	PreviousLogins      []HostInfoLogin    `json:"previous_logins,omitempty"`
	DataCollectionStart string             `json:"data_collection_start,omitempty"`
}

// HostInfoBootup is a "reboot system boot KERNEL" line of `last`; When is
// the wtmp start, set only when there is exactly one bootup.
type HostInfoBootup struct {
	Type   string `json:"type"`
	Kernel string `json:"kernel"`
	When   string `json:"when,omitempty"`
}

// HostInfoLoggedIn is a "still logged in" line of `last`.
type HostInfoLoggedIn struct {
	User      string `json:"user"`
	Host      string `json:"host"`
	LoginTime string `json:"login_time"`
}

// HostInfoLogin is a finished session of `last`.
type HostInfoLogin struct {
	User       string `json:"user"`
	Host       string `json:"host"`
	LoginTime  string `json:"login_time"`
	LogoutTime string `json:"logout_time"`
	Duration   string `json:"duration"`
}

// HostInfoServices is the SERVICES type (hostinfo/services.lua): the
// entries of each init system's directory under the keys "init",
// "initd", "system", "systemv" and "systemd"; a directory that cannot be
// read is absent (and named in the result's error), an empty one is [].
type HostInfoServices map[string][]string

// HostInfoPackage is one package of the PACKAGES type
// (hostinfo/packages.lua LinuxReader).
type HostInfoPackage struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HostInfoAutoupdates is the AUTOUPDATES type (hostinfo/autoupdates.lua):
// "enabled" as one object, "disabled" as a list of one (the original
// inserts that row into its params directly, past _pushParams).
type HostInfoAutoupdates struct {
	UpdateMethod string `json:"update_method"`
	Status       string `json:"status"`
}

// HostInfoDeletedLibsNone is the DELETED_LIBS metrics when no process maps
// a deleted file: the original sends this string as its metrics
// (deleted_libs.lua finalCb, flattened by _pushParams).
const HostInfoDeletedLibsNone = "No services using deleted libraries found"

// HostInfoDeletedLib is one deleted file a process maps (DELETED_LIBS,
// hostinfo/deleted_libs.lua: a "DEL" line of `lsof -nnP`).
type HostInfoDeletedLib struct {
	UsedByProcess  string `json:"used_by_process"`
	DeletedLibName string `json:"deleted_lib_name"`
}

// HostInfoRemoteService is one listening TCP socket as `netstat -tlpen`
// prints it (REMOTE_SERVICES, hostinfo/remote_services.lua); "proccess"
// is the original's spelling, pid and proccess are "-" when the owner
// cannot be seen.
type HostInfoRemoteService struct {
	Protocol    string `json:"protocol"`
	RecvQ       string `json:"recvq"`
	SendQ       string `json:"sendq"`
	LocalAddr   string `json:"local_addr"`
	ForeignAddr string `json:"foreign_addr"`
	State       string `json:"state"`
	User        string `json:"user"`
	Inode       string `json:"inode"`
	PID         string `json:"pid"`
	Process     string `json:"proccess"`
}

// HostInfoIPTablesRule is one line of `iptables -S` / `ip6tables -S`
// (IPTABLES, IP6TABLES; hostinfo/iptables.lua, ip6tables.lua Reader): a
// policy (-P chain policy), a new chain (-N chain) or a rule (-A chain,
// policy = the line from the chain's name on).
type HostInfoIPTablesRule struct {
	Type   string `json:"type"`
	Chain  string `json:"chain"`
	Policy string `json:"policy,omitempty"`
}

// HostInfoCVE is the CVE type (hostinfo/cve.lua): the sorted CVE ids
// mentioned in the packages' changelogs (13 characters each, as cut).
type HostInfoCVE struct {
	PatchedCVE []string `json:"patched_CVE"`
}

// HostInfoLSHW is the LSHW type (hostinfo/lshw.lua): `lshw -json` as
// parsed.
type HostInfoLSHW struct {
	Info any `json:"info"`
}

// HostInfoPHP is the PHP type (hostinfo/php.lua:71-169): `php --version`,
// `php --modules` and the "PHP Fatal error:" lines of the web server's
// error logs, merged into one object. The original merges each line's
// table into the result, so a field written by several lines keeps the
// last one (error_lines, startup_error_lines: a string, not a list) and
// most_recent_error keeps the first.
type HostInfoPHP struct {
	LogFiles          string              `json:"log_files"`
	Modules           []string            `json:"modules"`
	Version           *HostInfoPHPVersion `json:"version,omitempty"`
	StartupErrorLines string              `json:"startup_error_lines,omitempty"`
	StartupErrorCount int                 `json:"startup_error_count,omitempty"`
	StartupErrors     bool                `json:"startup_errors,omitempty"`
	ErrorLines        string              `json:"error_lines,omitempty"`
	MostRecentError   string              `json:"most_recent_error,omitempty"`
	ErrorCount        int                 `json:"error_count,omitempty"`
	Errors            bool                `json:"errors,omitempty"`
}

// HostInfoPHPVersion is PHP's version: type "PHP" or "HipHop"; version
// is absent when the line that set it had none (php.lua:28-41).
type HostInfoPHPVersion struct {
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// HostInfoPostfix is the POSTFIX type (hostinfo/postfix.lua:64-155).
// CurrentConfiguration is a map[string]string of postconf's kept keys, or
// an empty list ([]: the original's JSON encoder writes an empty table so)
// when postconf printed none. MailQueueSize is absent when there is no
// queue_directory.
type HostInfoPostfix struct {
	CurrentConfiguration any                    `json:"current_configuration"`
	MailQueueSize        map[string]int         `json:"mail_queue_size,omitempty"`
	Process              HostInfoPostfixProcess `json:"process"`
}

// HostInfoPostfixProcess is the last line of `pgrep -a master` (PID and
// the line's last word), or only Process = HostInfoPostfixNotRunning.
type HostInfoPostfixProcess struct {
	PID     string `json:"PID,omitempty"`
	Process string `json:"process"`
}

// HostInfoPostfixNotRunning is postfix.lua:76's process when pgrep printed
// nothing.
const HostInfoPostfixNotRunning = "Postfix is not running"

// HostInfoNginx is the NGINX_CONFIG type (hostinfo/nginx_config.lua:
// 113-314): `nginx -V` (version, configure_arguments), `nginx -t` (status
// 0 when a line says the syntax is ok, stderr the last other line), the
// prefix and conf_path of the configure arguments, the includes of
// nginx.conf and the vhosts of the included files. Each step needs the
// one before, so later fields are absent when an earlier one found
// nothing.
type HostInfoNginx struct {
	Version            string   `json:"version,omitempty"`
	ConfigureArguments []string `json:"configure_arguments,omitempty"`
	Status             *int     `json:"status,omitempty"`
	Stderr             string   `json:"stderr,omitempty"`
	Prefix             string   `json:"prefix,omitempty"`
	ConfPath           string   `json:"conf_path,omitempty"`
	Includes           []string `json:"includes,omitempty"`
	// Vhosts maps a server_name ("" for a file without one) to its
	// HostInfoNginxVhost; an empty list when no file was read.
	Vhosts any `json:"vhosts,omitempty"`
}

// HostInfoNginxVhost is one included file as nginx_config.lua:229-238
// sums it up: the last server_name and root, every listen (a string when
// there is one, a list when more, "" when none) and the location blocks
// (each the directives of the block, "location" its path).
type HostInfoNginxVhost struct {
	Domain    string              `json:"domain"`
	Listen    any                 `json:"listen"`
	Docroot   string              `json:"docroot"`
	Locations []map[string]string `json:"locations"`
}

// HostInfoApache2 is the APACHE2 type (hostinfo/apache2.lua:124-323):
// `apache2ctl -V` (httpd on the Red Hat family), `apache2ctl -S`'s
// virtual hosts with the DocumentRoot and logs of their config files, and
// the count of the server's processes. syntax_ok is always true: the
// original sets any false value to true (line 282). cients (sic) is a
// count as a string.
type HostInfoApache2 struct {
	Bin          string                                     `json:"bin"`
	Version      string                                     `json:"version,omitempty"`
	Mpm          string                                     `json:"mpm,omitempty"`
	ConfigPath   string                                     `json:"config_path,omitempty"`
	ConfigFile   string                                     `json:"config_file,omitempty"`
	MaxClients   string                                     `json:"max_clients,omitempty"`
	SyntaxOK     bool                                       `json:"syntax_ok"`
	SyntaxErrors string                                     `json:"syntax_errors,omitempty"`
	User         string                                     `json:"user,omitempty"`
	Cients       string                                     `json:"cients"`
	Vhosts       map[string]map[string]HostInfoApache2Vhost `json:"vhosts,omitempty"`
}

// HostInfoApache2Vhost is one line of `apache2ctl -S` under its
// NameVirtualHost (apache2.lua:230-251): keyed by its name, or "default"
// for the default server (which has no port, and whose accesslogs the
// original always sends empty: it reads a key that is never set).
type HostInfoApache2Vhost struct {
	Vhost      string `json:"vhost"`
	Conf       string `json:"conf"`
	Port       string `json:"port,omitempty"`
	Docroot    string `json:"docroot"`
	Accesslogs string `json:"accesslogs"`
	Errorlog   string `json:"errorlog"`
}

// HostInfoFail2ban is the FAIL2BAN type (hostinfo/fail2ban.lua:74-190):
// the jails of `fail2ban-client status` (each run of letters of the
// "Jail list:" line, as the original splits it), and from the log file
// that `fail2ban-client get logtarget` names, the first 500 Ban and Unban
// lines (activity) and per address and jail the bans counted and the last
// status (banned). Banned and Activity are absent when the log target is
// unknown, and an empty list (an empty Lua table) when the log has none.
type HostInfoFail2ban struct {
	Banned   any       `json:"banned,omitempty"`
	Activity *[]string `json:"activity,omitempty"` // nil: absent; empty: []
	Jails    *[]string `json:"jails,omitempty"`
}

// HostInfoFail2banBan is one address's record in one jail.
type HostInfoFail2banBan struct {
	Count  int    `json:"count"`
	Status string `json:"status"`
}

// HostInfoLsyncd is the LSYNCD type (hostinfo/lsyncd.lua:40-141): the
// binary's path, the unique config files named after " lsyncd" on the
// command lines of the running lsync processes, whether `lsyncd -version`
// printed anything, and status, which the original always sends false
// (line 117 tests an error table that is never nil). With no lsync
// process running only Bin is sent, with the error HostInfoLsyncdNotFound.
type HostInfoLsyncd struct {
	Bin        string    `json:"bin"`
	ConfigFile *[]string `json:"config_file,omitempty"`
	Installed  *bool     `json:"installed,omitempty"`
	Status     *bool     `json:"status,omitempty"`
}

// HostInfoLsyncdNotFound is lsyncd.lua:96's error when no lsync process
// runs (grep's exit code, as the original's misc.run words it).
const HostInfoLsyncdNotFound = "Lsyncd not found: Process exited with exit code 1"

// HostInfoWordpress is the WORDPRESS type (hostinfo/wordpress.lua:42-241):
// the docroot of every vhost the APACHE2 and NGINX_CONFIG types find, and
// per site the WordPress installation found under it. Found is a map of
// HostInfoWordpressSite, or an empty list when none was (an empty Lua
// table).
type HostInfoWordpress struct {
	Docroots map[string]string `json:"docroots"`
	Found    any               `json:"found"`
}

// HostInfoWordpressSite is one WordPress (wordpress.lua:175-201): path is
// the directory of wp-config.php with its trailing "/"; version is a list
// (the original inserts each $wp_version into a table); plugins is each
// plugin file's first word of "Plugin Name:" and its "Version:".
type HostInfoWordpressSite struct {
	Path    string                    `json:"path"`
	Version []string                  `json:"version,omitempty"`
	Plugins []HostInfoWordpressPlugin `json:"plugins,omitempty"`
}

// HostInfoWordpressPlugin is one plugin (wordpress.lua:146-151).
type HostInfoWordpressPlugin struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// HostInfoNoVhosts is wordpress.lua:53's and magento.lua:78's error for a
// web server that has no vhosts.
const HostInfoNoVhosts = "No vhosts found"

// HostInfoMagento is the MAGENTO type (hostinfo/magento.lua:66-209): per
// site (the APACHE2 and NGINX_CONFIG docroots, as WORDPRESS) the
// Magento whose Mage.php was found under it. The map is the metrics
// itself (the original merges it into its result).
type HostInfoMagento map[string]HostInfoMagentoSite

// HostInfoMagentoSite is one Mage.php (magento.lua:165-171): version
// ("major.minor.revision.patch" of getVersionInfo, "" when none) and
// edition (the EDITION_ constant $_currentEdition names, "Unknown" when
// none) come together, or not at all when the file named an edition it
// did not define or could not be read.
type HostInfoMagentoSite struct {
	Path    string  `json:"path"`
	Version *string `json:"version,omitempty"`
	Edition *string `json:"edition,omitempty"`
}
