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
//     a core that appears reports 0 until its second sample.
//   - memory: ProcRoot/meminfo and vmstat. Used = MemTotal - MemAvailable,
//     as procps-ng 4 `free` prints it; Cached = Cached + SReclaimable.
//   - load: ProcRoot/loadavg, parsed here (gopsutil falls back to the live
//     host when the file is missing).
//   - filesystems: ProcRoot/1/mountinfo (then self/mountinfo, self/mounts),
//     pseudo filesystems skipped unless Options.AllFilesystems, bind mounts
//     of one device reported once, statfs of RootFS+mount bounded by a
//     timeout so a dead NFS server cannot stall the sampler.
//   - disks: ProcRoot/diskstats, whole disks and partitions; ram and loop
//     devices that never did I/O are left out.
//   - network: ProcRoot/net/dev, link state from SysRoot/class/net.
//   - processes: a lean reader of ProcRoot/PID/stat and status (raw
//     syscalls into reused buffers, no allocation per process in steady
//     state); cmdline is read once per process lifetime (pid, start time
//     and comm), user names come from EtcRoot/passwd read once.
//
// Off Linux, without a ProcRoot, the sources use gopsutil instead
// (fallback.go). A source that fails records its error in Snapshot.Errors
// and the others still run; Snapshot.Durations says how long each took.
//
// Also here: ProcessDetail (the detail view's extra per-process reads),
// DefaultInterface and RootDisk (defaults for checks).
//
// Not here: history, checks, rendering. Those read Snapshots.
package collector
