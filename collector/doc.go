// Package collector samples the host: CPU, memory, load, filesystems, disks,
// network, processes and host facts. One file per source, each behind the
// Source interface; a Sampler runs them all and publishes immutable
// Snapshots. The proc/sys/etc roots are passed in the context (gopsutil
// common.EnvMap), never through process-global environment, so tests run on
// canned trees under testdata/ in parallel.
//
// Not here: history, checks, rendering. Those read Snapshots.
package collector
