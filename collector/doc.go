// Package collector samples the host: CPU, memory, load, filesystems, disks,
// network, processes and host facts. One file per source, each behind the
// Source interface; a Sampler runs them all and publishes immutable
// Snapshots. The proc/sys/etc roots are values in Options (and, for the
// few gopsutil calls, in the context as common.EnvMap), never
// process-global environment, so tests run on canned trees under
// testdata/ in parallel.
//
// Sources (names as in Options.Sources and Snapshot.Errors):
//
//   - host: hostname, kernel, arch (ProcRoot/sys/kernel), platform
//     (EtcRoot/os-release), uptime, boot time (btime of ProcRoot/stat),
//     virtualization (gopsutil, once per Sampler).
//   - cpu: total and per-core split from deltas of ProcRoot/stat between
//     samples, never since boot; counters that go backwards clamp to 0 and
//     a core that appears reports 0 until its second sample. The same read
//     keeps each CPU's cumulative times in seconds (CPU.Seconds: ticks over
//     USER_HZ, guest and guest_nice apart, never decreasing as
//     node_exporter keeps them), for node_cpu_seconds_total.
//   - memory: ProcRoot/meminfo and vmstat. Used = MemTotal - MemAvailable,
//     as procps-ng 4 `free` prints it; Cached = Cached + SReclaimable. For
//     Virgo's agent.memory, sigar's figures too: actual_free = MemFree +
//     Buffers + Cached (without SReclaimable), ram in MB rounded up to a
//     multiple of 8 (or /proc/mtrr's write-back total, read once), swap
//     pages in and out as pages.
//   - load: ProcRoot/loadavg, parsed here (gopsutil falls back to the live
//     host when the file is missing).
//   - pressure: the host's pressure stall information (PSI) from
//     ProcRoot/pressure/{cpu,memory,io}: some and full, avg10/60/300.
//     Kernels before 4.20, or booted with psi=0, have none: Pressure is
//     nil and that is no error; cpu has no "full" line before 5.13
//     (HasFull false). A malformed file is an error naming it.
//   - filesystems: ProcRoot/1/mountinfo (then self/mountinfo, self/mounts),
//     pseudo filesystems skipped unless Options.AllFilesystems, bind mounts
//     of one device reported once, statfs of RootFS+mount bounded by a
//     timeout so a dead NFS server cannot stall the sampler.
//   - disks: ProcRoot/diskstats, whole disks and partitions; ram and loop
//     devices that never did I/O are left out. service_time and queue are
//     sigar's averages since boot (over /proc/uptime's whole seconds).
//   - network: ProcRoot/net/dev (with the fifo, frame, colls and carrier
//     columns Virgo reports), link state from SysRoot/class/net.
//   - filesystems' options are /proc/mounts': the mount's own, then the
//     super block's.
//   - processes: a lean reader of ProcRoot/PID/stat and status (raw
//     syscalls into reused buffers, no allocation per process in steady
//     state); cmdline is read once per process lifetime (pid, start time
//     and comm), user names come from EtcRoot/passwd read once. The uid
//     (status) and the cgroup (ProcRoot/PID/cgroup: Process.Cgroup and
//     Container) are read at the process's first scan and exec, and again
//     every 10 scans, staggered by pid (a process that drops privileges or
//     is moved to another group). While asked: I/O rates from
//     ProcRoot/PID/io (Sampler.SetProcessIO; read_bytes and write_bytes,
//     IOKnown false where unreadable and on a process's first read), and a
//     row per thread from ProcRoot/PID/task/TID/stat (Sampler.SetThreads;
//     Thread set, PID the tid, PPID the process, the process's user,
//     command line and cgroup; no I/O rates; the main thread is the
//     process's own row; ProcessCount counts processes only).
//   - cgroups: only while asked (Sampler.SetCgroups; or once every
//     SetCgroupsEvery, the recorder's table). The hierarchies come from
//     ProcRoot/self/mountinfo (re-read every minute; mounted under /sys:
//     looked for under SysRoot, else under RootFS): the unified one
//     (cgroup2) and the v1 controllers memory, cpuacct and blkio (and
//     name=systemd where there is no unified one, for membership). Each
//     is walked breadth first, at most 6 levels below its root and 512
//     groups in all (deeper groups are not listed; their usage counts in
//     their ancestors). Groups are merged by path, so a hybrid host (v1
//     controllers beside an empty cgroup2, as systemd's "hybrid" mode
//     and the development machines have) gives one group with CPU from
//     cpuacct.usage, memory from the memory controller, I/O from blkio
//     and PSI from the unified tree; Version 1 when any figure came from
//     a v1 controller. Per group: Procs, the lines of cgroup.procs (the
//     group's own processes, not its children's) of the first of
//     memory, cpuacct, blkio, unified, name=systemd that has the group
//     (the order Process.Cgroup uses); CPU % from the change of
//     cpuacct.usage or cpu.stat usage_usec (100 = one core); MemBytes the
//     working set as docker stats and the kubelet count it: v1
//     memory.usage_in_bytes less memory.stat total_inactive_file, v2
//     memory.current less inactive_file (the v2 root, which has no
//     memory.current, shows the host's used memory); MemLimit from
//     memory.limit_in_bytes or memory.max (0: none, also v1's "unlimited"
//     huge value); I/O rates from blkio.throttle.io_service_bytes_recursive
//     (else the non-recursive file, else blkio.io_service_bytes_recursive)
//     or io.stat rbytes/wbytes, summed over devices; CPU, memory and I/O
//     include the group's descendants. A figure a group lacks is 0; a
//     malformed file leaves its figure 0 (no error: the walk races with
//     groups coming and going). Names: a container's id (docker-ID.scope,
//     /docker/ID, cri-containerd-, crio-, libpod-, the kubelet's
//     cgroupfs ID) as 12 hex digits, kind container; a Kubernetes pod
//     "pod" and 8 characters of its uid; a systemd unit's name (slice,
//     service, scope); other long hex ids as 12 digits; else the last
//     path component (kind cgroup). The root is "/". Process.Container
//     is the innermost container id on the process's path, else its
//     innermost service or scope, else its group's name.
//   - sensors: temperatures from SysRoot/class/hwmon/hwmon*/ (name,
//     tempN_input, _label, _max, _crit in m°C; device/ on old kernels)
//     and the thermal zones (class/thermal/thermal_zone*/type, temp, the
//     "hot" and "critical" trip points) that no hwmon chip already shows
//     (the kernel mirrors most zones as a chip named after the zone's
//     type, and x86_pkg_temp repeats coretemp's package); a chip name seen
//     twice gets "#2"; readings below -100 or above 250 °C are a sensor
//     without a reading, left out. Batteries: class/power_supply/* of
//     type Battery, present, not a peripheral's (scope Device): capacity,
//     else energy_now/energy_full, else charge_now/charge_full; status;
//     power_now, else current_now x voltage_now. Read at most every 5 s
//     (samples in between carry the last reading, the same slices);
//     absent hardware gives nil, never an error.
//
// Off Linux, without a ProcRoot, the sources use gopsutil instead
// (fallback.go); there is no pressure, no cgroup list, no sensors, no
// per-process I/O, cgroup or threads there. A source that fails records its error in Snapshot.Errors
// and the others still run; Snapshot.Durations says how long each took.
//
// Also here: ProcessDetail (the detail view's extra per-process reads),
// DefaultInterface and RootDisk (defaults for checks).
//
// Not here: history, checks, rendering. Those read Snapshots.
package collector
