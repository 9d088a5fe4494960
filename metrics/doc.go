// Package metrics exposes the agent's latest state in the Prometheus text
// format: host data from the latest collector.Snapshot under node_exporter's
// names (node_cpu_seconds_total, node_load1, node_memory_MemAvailable_bytes,
// node_filesystem_*, node_disk_*, node_network_*; Options.OmitNodeFamilies,
// the config's metrics_node_families false, leaves every node_* family out),
// and virgo-top's own families under virgo_ for what node_exporter has no
// family for: CPU percentages, check metrics (one family per base unit,
// internal/schema's CheckFamily) and availability, alarm states, endpoint
// links, the spool and notifications. The README's /metrics section lists
// every family with its labels and units, and the families renamed.
//
// Nothing here collects. A scrape reads what the agent already has (the
// latest Snapshot, the check views, the endpoint and notifier counters)
// through the narrow Source interface and turns it into samples, so the
// one collection loop of the design stays the only reader of /proc (the
// agent's own process families aside: they read /proc/self).
//
// What lives here: the collector (NewCollector), the exposition writer
// (the Prometheus text format 0.0.4, written with the standard library
// only: client_golang is a test dependency, never in the binary), the HTTP
// handler with /metrics and /healthz (NewHandler), the listener with graceful
// shutdown (Serve) and the adapter over agent.Runtime (RuntimeSource).
// What does not: configuration (config's metrics_listen), and any secret:
// no configuration value is exported, and check status strings, labels,
// details and endpoint errors never become label values.
//
// The exposition is what client_golang's registry and expfmt write for the
// same samples, byte for byte (TestClientGolangCompat, which keeps their
// encoding in testdata/clientgolang): families sorted by
// name, samples by label values, labels in name order, HELP and label
// values escaped and floats formatted as expfmt does. Besides the
// collector's families, /metrics has virgo_build_info{version,goversion}
// and the agent's own Go and process families under client_golang's names
// and meanings: go_goroutines, go_threads, go_memstats_alloc_bytes,
// go_memstats_heap_inuse_bytes, go_gc_duration_seconds (a summary of the
// recent GC pauses), process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds and process_start_time_seconds. At
// most four scrapes run at once (more get 503) and each has 10 s.
//
// # Host and agent
//
// Every series on /metrics, node_exporter's names and the Go and process
// families included, carries the host label (schema.LabelHost: the
// agent's host name, Options.Host), so scrapes of many agents stay apart
// however they are relabelled. virgo_agent_info{agent_id, host} 1 joins
// the host to the agent ID (the configured monitoring_id, empty when none
// is configured), as internal/schema describes.
//
// # Alarm states
//
// virgo_alarm_state{check_id, alarm} encodes an alarm's state as a number:
//
//	-1 UNKNOWN   0 OK   1 WARNING   2 CRITICAL
//
// so "virgo_alarm_state >= 1" selects alarms that are not OK. The same
// state is also exposed as a state set, virgo_alarm_status{check_id,
// alarm, state}, with one series per possible state, 1 for the current
// one and 0 for the others.
//
// # Omitted families
//
// A snapshot source that failed (Snapshot.Errors) leaves its section at
// the zero value: its families are omitted rather than reported as zeros,
// and virgo_scrape_collector_success{collector} is 0. CPU percentages are
// omitted on the first sample (Snapshot.Elapsed is zero, so there is no
// interval to split). Series whose label values repeat within a family (two
// filesystems mounted on the same mountpoint, label values that become
// equal after invalid UTF-8 is replaced) keep the first one.
package metrics
