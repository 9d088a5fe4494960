package collector

import "time"

// Snapshot is one coherent sample of every source, taken at Time. It is a
// value: once published by the Sampler it is never mutated, so readers (TUI,
// checks, history, /metrics) may keep a pointer to it without locks.
//
// The JSON field names are a contract: `virgo-top snapshot --json`, scripts
// and checks rely on them.
type Snapshot struct {
	Time time.Time `json:"time"`
	// Elapsed is the real time between the previous sample and this one,
	// the denominator of every rate in the snapshot. Zero on the first sample.
	Elapsed     time.Duration `json:"elapsed_ns"`
	Host        Host          `json:"host"`
	CPU         CPU           `json:"cpu"`
	Memory      Memory        `json:"memory"`
	Load        Load          `json:"load"`
	Filesystems []Filesystem  `json:"filesystems"`
	Disks       []Disk        `json:"disks"`
	Network     []NetIf       `json:"network"`
	Processes   []Process     `json:"processes"`
	// ProcessCount is the number of processes: len(Processes) less the
	// thread rows (Sampler.SetThreads), or, when the sampler only counts
	// them (Sampler.SetProcessList(false)), the count alone with
	// Processes nil.
	ProcessCount int `json:"process_count"`
	// Pressure is the host's pressure stall information (ProcRoot/pressure);
	// nil where the kernel has none (before 4.20, PSI disabled, macOS,
	// Windows).
	Pressure *Pressure `json:"pressure,omitempty"`
	// Cgroups lists the control groups (systemd slices, services, scopes,
	// containers), sorted by path, while the sampler is asked for them
	// (Sampler.SetCgroups, SetCgroupsEvery); nil otherwise or where there
	// are none (no cgroup file system, macOS, Windows).
	Cgroups []Cgroup `json:"cgroups,omitempty"`
	// Sensors are temperatures from hwmon and thermal zones; Batteries
	// from power_supply; read at most every 5 s, the samples in between
	// sharing the last reading. Absent hardware: nil.
	Sensors   []Sensor  `json:"sensors,omitempty"`
	Batteries []Battery `json:"batteries,omitempty"`
	// Errors holds one entry per source that failed during this sample,
	// keyed by source name ("cpu", "disk", ...). A failed source leaves its
	// section at the zero value; the others are still filled.
	Errors map[string]string `json:"errors,omitempty"`
	// Durations is how long each source took, for self-monitoring.
	Durations map[string]time.Duration `json:"durations_ns,omitempty"`
}

// Host describes the machine.
type Host struct {
	Hostname        string    `json:"hostname"`
	OS              string    `json:"os"`
	Platform        string    `json:"platform"`
	PlatformVersion string    `json:"platform_version"`
	Kernel          string    `json:"kernel"`
	Arch            string    `json:"arch"`
	UptimeS         uint64    `json:"uptime_s"`
	BootTime        time.Time `json:"boot_time"`
	Virtualization  string    `json:"virtualization,omitempty"`
	VirtRole        string    `json:"virtualization_role,omitempty"`
}

// CPUTimes is a usage split in percent of the interval (0-100).
type CPUTimes struct {
	UsagePct  float64 `json:"usage_pct"`
	UserPct   float64 `json:"user_pct"`
	SystemPct float64 `json:"system_pct"`
	IdlePct   float64 `json:"idle_pct"`
	IOWaitPct float64 `json:"iowait_pct"`
	StealPct  float64 `json:"steal_pct"`
	IRQPct    float64 `json:"irq_pct"`
	NicePct   float64 `json:"nice_pct"`
}

// CPU is total and per-core usage computed from deltas between two
// samples, and each CPU's cumulative times.
type CPU struct {
	CPUTimes
	Cores   int        `json:"cores"`
	PerCore []CPUTimes `json:"per_core"`
	// Seconds are the cumulative times of each CPU (in PerCore's order),
	// from the first sample on.
	Seconds []CPUSeconds `json:"seconds,omitempty"`
}

// CPUSeconds is one CPU's time by mode since boot, in seconds, with
// node_exporter's meaning (node_cpu_seconds_total): /proc/stat's ticks
// divided by USER_HZ (100), each never decreasing between samples (a time
// that goes backwards keeps its previous value; an idle time that goes
// back 3 s or more starts the CPU over, as after a hotplug). Guest and
// GuestNice are already included in User and Nice by the kernel. Off
// Linux the times are gopsutil's (cpu.Times per CPU; fields it does not
// know on that OS are 0).
type CPUSeconds struct {
	CPU       int     `json:"cpu"` // N of /proc/stat's cpuN
	User      float64 `json:"user"`
	Nice      float64 `json:"nice"`
	System    float64 `json:"system"`
	Idle      float64 `json:"idle"`
	IOWait    float64 `json:"iowait"`
	IRQ       float64 `json:"irq"`
	SoftIRQ   float64 `json:"softirq"`
	Steal     float64 `json:"steal"`
	Guest     float64 `json:"guest"`
	GuestNice float64 `json:"guest_nice"`
}

// Memory in bytes.
type Memory struct {
	TotalBytes     uint64  `json:"total_bytes"`
	UsedBytes      uint64  `json:"used_bytes"`
	FreeBytes      uint64  `json:"free_bytes"`
	AvailableBytes uint64  `json:"available_bytes"`
	CachedBytes    uint64  `json:"cached_bytes"`
	BuffersBytes   uint64  `json:"buffers_bytes"`
	UsedPct        float64 `json:"used_pct"`
	SwapTotalBytes uint64  `json:"swap_total_bytes"`
	SwapUsedBytes  uint64  `json:"swap_used_bytes"`
	SwapFreeBytes  uint64  `json:"swap_free_bytes"`
	// SwapInBytes/SwapOutBytes are cumulative pages swapped in/out since
	// boot, in bytes (Virgo's swap_page_in/out).
	SwapInBytes  uint64 `json:"swap_in_bytes"`
	SwapOutBytes uint64 `json:"swap_out_bytes"`
	// SwapInPages/SwapOutPages are the same counts in pages (pswpin and
	// pswpout of ProcRoot/vmstat), as sigar reports swap page_in/page_out.
	SwapInPages  uint64 `json:"swap_in_pages,omitempty"`
	SwapOutPages uint64 `json:"swap_out_pages,omitempty"`
	// ActualFreeBytes is sigar's actual_free on Linux: MemFree + Buffers +
	// Cached (meminfo's Cached alone, without SReclaimable). 0 where the
	// source is not ProcRoot/meminfo (gopsutil off Linux).
	ActualFreeBytes uint64 `json:"actual_free_bytes,omitempty"`
	// RAMMB is sigar's "ram": the write-back ranges of ProcRoot/mtrr in MB
	// when they add up to between the total and 256 MB more, else the
	// total in whole MB rounded up to a multiple of 8 (SigarRAM). 0 where
	// the source is not ProcRoot/meminfo.
	RAMMB uint64 `json:"ram_mb,omitempty"`
}

// Load averages and the number of logical cores they relate to.
type Load struct {
	Load1  float64 `json:"load1"`
	Load5  float64 `json:"load5"`
	Load15 float64 `json:"load15"`
	Cores  int     `json:"cores"`
}

// Filesystem is one real mount.
type Filesystem struct {
	Mount  string `json:"mount"`
	Device string `json:"device"`
	// Disk is the block device behind Device as named in /proc/diskstats
	// (and Disk.Name): "sda1", "dm-0"; "" for filesystems without one.
	Disk          string  `json:"disk,omitempty"`
	FSType        string  `json:"fstype"`
	Options       string  `json:"options,omitempty"`
	TotalBytes    uint64  `json:"total_bytes"`
	UsedBytes     uint64  `json:"used_bytes"`
	FreeBytes     uint64  `json:"free_bytes"`
	AvailBytes    uint64  `json:"avail_bytes"`
	UsedPct       float64 `json:"used_pct"`
	InodesTotal   uint64  `json:"inodes_total"`
	InodesFree    uint64  `json:"inodes_free"`
	InodesUsedPct float64 `json:"inodes_used_pct"`
	ReadOnly      bool    `json:"read_only,omitempty"`
}

// Disk is one block device; rates are per second over Snapshot.Elapsed.
type Disk struct {
	Name string `json:"name"`
	// Partition is true for partitions (sda1) of a whole disk (sda); the
	// disk's counters already include its partitions' I/O.
	Partition bool    `json:"partition,omitempty"`
	ReadBps   float64 `json:"read_bps"`
	WriteBps  float64 `json:"write_bps"`
	ReadIOPS  float64 `json:"read_iops"`
	WriteIOPS float64 `json:"write_iops"`
	BusyPct   float64 `json:"busy_pct"`
	// Cumulative counters since boot, as Virgo's agent.disk reports them.
	Reads       uint64 `json:"reads"`
	Writes      uint64 `json:"writes"`
	ReadBytes   uint64 `json:"read_bytes"`
	WriteBytes  uint64 `json:"write_bytes"`
	ReadTimeMs  uint64 `json:"read_time_ms"`
	WriteTimeMs uint64 `json:"write_time_ms"`
	IOTimeMs    uint64 `json:"io_time_ms"`
	WeightedMs  uint64 `json:"weighted_io_time_ms"`
	// ServiceTimeMs and Queue are sigar's service_time and queue as the
	// original agent.disk reports them: averages since boot (each run of
	// the original opens a new sigar, whose previous reading is zero),
	// over the whole seconds of ProcRoot/uptime (u):
	//   service_time = (IOTimeMs/u*100) / ((Reads+Writes)*100/u), ms per
	//                  I/O; 0 with no I/O
	//   queue        = WeightedMs/u/1000, the average number of I/Os in
	//                  flight
	// Both 0 in the first second after boot (sigar: NaN) and off Linux.
	ServiceTimeMs float64 `json:"service_time_ms,omitempty"`
	Queue         float64 `json:"queue,omitempty"`
}

// NetIf is one network interface; rates are per second over Snapshot.Elapsed.
type NetIf struct {
	Name     string  `json:"name"`
	RxBps    float64 `json:"rx_bps"`
	TxBps    float64 `json:"tx_bps"`
	RxPps    float64 `json:"rx_pps"`
	TxPps    float64 `json:"tx_pps"`
	RxErrPS  float64 `json:"rx_errors_ps"`
	TxErrPS  float64 `json:"tx_errors_ps"`
	RxDropPS float64 `json:"rx_drops_ps"`
	TxDropPS float64 `json:"tx_drops_ps"`
	// Cumulative counters since boot (Virgo's agent.network).
	RxBytes   uint64 `json:"rx_bytes"`
	TxBytes   uint64 `json:"tx_bytes"`
	RxPackets uint64 `json:"rx_packets"`
	TxPackets uint64 `json:"tx_packets"`
	RxErrors  uint64 `json:"rx_errors"`
	TxErrors  uint64 `json:"tx_errors"`
	RxDropped uint64 `json:"rx_dropped"`
	TxDropped uint64 `json:"tx_dropped"`
	// The other columns of ProcRoot/net/dev, as sigar names them: rx
	// fifo (RxOverruns) and frame, tx fifo (TxOverruns), colls and
	// carrier. 0 off Linux.
	RxOverruns   uint64 `json:"rx_overruns,omitempty"`
	RxFrame      uint64 `json:"rx_frame,omitempty"`
	TxOverruns   uint64 `json:"tx_overruns,omitempty"`
	TxCollisions uint64 `json:"tx_collisions,omitempty"`
	TxCarrier    uint64 `json:"tx_carrier,omitempty"`
	LinkState    string `json:"link_state,omitempty"` // up, down, unknown
}

// Process is one process; CPUPct is delta based (100 = one full core).
type Process struct {
	PID       int32     `json:"pid"`
	PPID      int32     `json:"ppid"`
	Name      string    `json:"name"`
	User      string    `json:"user"`
	UID       uint32    `json:"uid"`
	State     string    `json:"state"`
	Threads   int32     `json:"threads"`
	CPUPct    float64   `json:"cpu_pct"`
	CPUTimeS  float64   `json:"cpu_time_s"` // user+system seconds since start
	RSSBytes  uint64    `json:"rss_bytes"`
	VMSBytes  uint64    `json:"vms_bytes"`
	MemPct    float64   `json:"mem_pct"`
	StartTime time.Time `json:"start_time"`
	Nice      int32     `json:"nice"`
	// Cmdline is argv joined by spaces, at most 4096 bytes, read once per
	// process lifetime (again after exec); "" for kernel threads and
	// zombies. ProcessDetail reads it in full.
	Cmdline string `json:"cmdline"`
	// IOReadBps/IOWriteBps are storage I/O rates from ProcRoot/PID/io
	// (read_bytes, write_bytes) over Snapshot.Elapsed, read only while the
	// sampler is asked for them (Sampler.SetProcessIO); IOKnown is false
	// when they were not read or could not be (another user's process
	// without CAP_SYS_PTRACE): shown as "-", never 0.
	IOReadBps  float64 `json:"io_read_bps,omitempty"`
	IOWriteBps float64 `json:"io_write_bps,omitempty"`
	IOKnown    bool    `json:"io_known,omitempty"`
	// Cgroup is the process's control group path (cgroup v2; on a hybrid
	// host the v1 memory or cpuacct controller's, or the unified one's
	// where those are "/"), as Cgroup.Path names it; "" where unknown.
	// Container is its short name: a container id (12 hex digits), a
	// systemd unit ("nginx.service"), or "" at the root.
	Cgroup    string `json:"cgroup,omitempty"`
	Container string `json:"container,omitempty"`
	// Thread is set on a thread's row (Sampler.SetThreads): PID is the
	// thread id and PPID the process it belongs to.
	Thread bool `json:"thread,omitempty"`
}

// PSI is one resource's pressure line pair: the share of wall time some
// (or all, "full") runnable tasks were stalled on it, averaged over 10,
// 60 and 300 s, in percent. HasFull is false for cpu on kernels before
// 5.13, which print no full line.
type PSI struct {
	SomeAvg10  float64 `json:"some_avg10"`
	SomeAvg60  float64 `json:"some_avg60"`
	SomeAvg300 float64 `json:"some_avg300"`
	FullAvg10  float64 `json:"full_avg10"`
	FullAvg60  float64 `json:"full_avg60"`
	FullAvg300 float64 `json:"full_avg300"`
	HasFull    bool    `json:"has_full,omitempty"`
}

// Pressure is PSI for cpu, memory and io.
type Pressure struct {
	CPU    PSI `json:"cpu"`
	Memory PSI `json:"memory"`
	IO     PSI `json:"io"`
}

// Cgroup is one control group; rates are per second over Snapshot.Elapsed.
type Cgroup struct {
	// Path is relative to the hierarchy's root ("/system.slice/nginx.service").
	Path string `json:"path"`
	// Name is the short form shown (unit name or 12-digit container id);
	// Kind is slice, service, scope, container or cgroup.
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Version is 2 (unified) or 1 (a hybrid host's v1 controllers).
	Version int `json:"version"`
	// Procs counts the group's own processes (cgroup.procs), not its
	// children's; CPU, memory and I/O include its descendants.
	Procs      int     `json:"procs"`
	CPUPct     float64 `json:"cpu_pct"`             // 100 = one full core
	MemBytes   uint64  `json:"mem_bytes"`           // working set: usage less inactive file cache
	MemLimit   uint64  `json:"mem_limit,omitempty"` // 0: no limit
	IOReadBps  float64 `json:"io_read_bps"`
	IOWriteBps float64 `json:"io_write_bps"`
	// Pressure of this group (cgroup v2 with PSI); nil otherwise.
	Pressure *Pressure `json:"pressure,omitempty"`
}

// Sensor is one temperature reading in degrees Celsius; High and Crit
// are the chip's thresholds, 0 when it gives none.
type Sensor struct {
	Chip  string  `json:"chip"`  // hwmon name ("coretemp", "nvme") or thermal zone type
	Label string  `json:"label"` // "Package id 0", "Composite", "temp1"
	TempC float64 `json:"temp_c"`
	HighC float64 `json:"high_c,omitempty"`
	CritC float64 `json:"crit_c,omitempty"`
}

// Battery is one power_supply of type Battery.
type Battery struct {
	Name    string  `json:"name"`
	Percent float64 `json:"percent"`
	Status  string  `json:"status"` // Charging, Discharging, Full, Not charging, Unknown
	// PowerW is the charge or discharge rate in watts, 0 when unknown.
	PowerW float64 `json:"power_w,omitempty"`
}
