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
	// ProcessCount is the number of processes: len(Processes), or, when
	// the sampler only counts them (Sampler.SetProcessList(false)), the
	// count alone with Processes nil.
	ProcessCount int `json:"process_count"`
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

// CPU is total and per-core usage computed from deltas between two samples.
type CPU struct {
	CPUTimes
	Cores   int        `json:"cores"`
	PerCore []CPUTimes `json:"per_core"`
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
	LinkState string `json:"link_state,omitempty"` // up, down, unknown
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
}
