package metrics

import (
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/internal/schema"
	"github.com/virgo-top/virgo-top/notify"
	"github.com/virgo-top/virgo-top/protocol"
)

// Source is what a scrape reads: the agent's latest state. It is narrow so
// tests can use fakes; RuntimeSource adapts an agent.Runtime. Every method
// must be safe to call from the HTTP server's goroutines.
type Source interface {
	// Latest is the newest Snapshot, nil before the first sample.
	Latest() *collector.Snapshot
	// Checks lists every scheduled check with its alarm states.
	Checks() []agent.CheckView
	// Endpoint reports the endpoint links and the spool; false when no
	// endpoint is configured.
	Endpoint() (protocol.Status, bool)
	// Notifications counts each notifier's outcomes, by notifier name.
	Notifications() map[string]notify.NotifierStats
}

// Options name the agent on /metrics.
type Options struct {
	// Version labels virgo_build_info (the handler's only).
	Version string
	// Host is the value of the host label (schema.LabelHost) every
	// series carries; empty: the host name (os.Hostname).
	Host string
	// AgentID is virgo_agent_info's agent_id: the configured
	// monitoring_id, empty when none is configured.
	AgentID string
	// OmitNodeFamilies leaves out node_exporter's names (every node_*
	// family), for hosts where node_exporter runs too
	// (metrics_node_families false).
	OmitNodeFamilies bool
}

// host is o.Host, or the host name when it is empty.
func (o Options) host() string {
	if o.Host != "" {
		return o.Host
	}
	h, _ := os.Hostname()
	return h
}

// families holds every family the collector emits.
type families struct {
	agentInfo *family

	load1, load5, load15 *family

	memTotal, memAvailable, memCached, memBuffers, memFree, swapTotal, swapFree *family

	fsSize, fsFree, fsAvail, fsFiles, fsFilesFree, fsReadOnly *family

	diskReadBytes, diskWrittenBytes, diskReads, diskWrites      *family
	diskReadTime, diskWriteTime, diskIOTime, diskIOTimeWeighted *family

	netRxBytes, netTxBytes, netRxPackets, netTxPackets *family
	netRxErrs, netTxErrs, netRxDrop, netTxDrop         *family
	netUp                                              *family

	bootTime, nodeTime, snapshotTime *family

	cpuSeconds, cpuGuestSeconds *family

	cpuUsage, cpuCoreUsage, processes, collectorSuccess, collectorDuration *family

	// checkMetrics are the check metric families by name
	// (schema.CheckMetricFamilies).
	checkMetrics                                             map[string]*family
	checkAvailable, checkLastRun, checkDuration              *family
	checkRuns, checkTimeouts, checkSkipped, checkState       *family
	alarmState, alarmStatus                                  *family
	endpointUp, endpointActive, endpointRTT, endpointReconns *family
	spoolDepth, spoolBytes, spoolDropped, spoolSent          *family
	spoolRejected, spoolStoreErrors, notificationsTotal      *family
	notifyPending, notifyStateWriteErrors                    *family
	spoolDead, spoolRetrying, spoolDegraded, endpointUnavail *family
	all                                                      []*family
}

func newFamilies() *families {
	fsLabels := []string{"device", "fstype", "mountpoint"}
	checkLabels := []string{"check_id", "check_type"}
	f := &families{
		agentInfo: gauge(schema.AgentInfo,
			"A metric with a constant '1' value labeled by the agent's host name and agent ID (monitoring_id; empty when not configured).",
			schema.LabelAgentID),

		load1:  gauge("node_load1", "1m load average."),
		load5:  gauge("node_load5", "5m load average."),
		load15: gauge("node_load15", "15m load average."),

		memTotal:     gauge("node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes."),
		memAvailable: gauge("node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes."),
		memCached:    gauge("node_memory_Cached_bytes", "Memory information field Cached_bytes."),
		memBuffers:   gauge("node_memory_Buffers_bytes", "Memory information field Buffers_bytes."),
		memFree:      gauge("node_memory_MemFree_bytes", "Memory information field MemFree_bytes."),
		swapTotal:    gauge("node_memory_SwapTotal_bytes", "Memory information field SwapTotal_bytes."),
		swapFree:     gauge("node_memory_SwapFree_bytes", "Memory information field SwapFree_bytes."),

		fsSize:      gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", fsLabels...),
		fsFree:      gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.", fsLabels...),
		fsAvail:     gauge("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", fsLabels...),
		fsFiles:     gauge("node_filesystem_files", "Filesystem total file nodes.", fsLabels...),
		fsFilesFree: gauge("node_filesystem_files_free", "Filesystem total free file nodes.", fsLabels...),
		fsReadOnly:  gauge("node_filesystem_readonly", "Filesystem read-only status.", fsLabels...),

		diskReadBytes:      counter("node_disk_read_bytes_total", "The total number of bytes read successfully.", "device"),
		diskWrittenBytes:   counter("node_disk_written_bytes_total", "The total number of bytes written successfully.", "device"),
		diskReads:          counter("node_disk_reads_completed_total", "The total number of reads completed successfully.", "device"),
		diskWrites:         counter("node_disk_writes_completed_total", "The total number of writes completed successfully.", "device"),
		diskReadTime:       counter("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads.", "device"),
		diskWriteTime:      counter("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes.", "device"),
		diskIOTime:         counter("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os.", "device"),
		diskIOTimeWeighted: counter("node_disk_io_time_weighted_seconds_total", "The weighted number of seconds spent doing I/Os.", "device"),

		netRxBytes:   counter("node_network_receive_bytes_total", "Network device statistic receive_bytes.", "device"),
		netTxBytes:   counter("node_network_transmit_bytes_total", "Network device statistic transmit_bytes.", "device"),
		netRxPackets: counter("node_network_receive_packets_total", "Network device statistic receive_packets.", "device"),
		netTxPackets: counter("node_network_transmit_packets_total", "Network device statistic transmit_packets.", "device"),
		netRxErrs:    counter("node_network_receive_errs_total", "Network device statistic receive_errs.", "device"),
		netTxErrs:    counter("node_network_transmit_errs_total", "Network device statistic transmit_errs.", "device"),
		netRxDrop:    counter("node_network_receive_drop_total", "Network device statistic receive_drop.", "device"),
		netTxDrop:    counter("node_network_transmit_drop_total", "Network device statistic transmit_drop.", "device"),
		netUp:        gauge("node_network_up", "Value is 1 if operstate is 'up', 0 otherwise.", "device"),

		cpuSeconds:      counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", "cpu", "mode"),
		cpuGuestSeconds: counter("node_cpu_guest_seconds_total", "Seconds the CPUs spent in guests (VMs) for each mode.", "cpu", "mode"),

		bootTime:     gauge("node_boot_time_seconds", "Node boot time, in unixtime."),
		nodeTime:     gauge("node_time_seconds", "System time in seconds since epoch (1970), at scrape time."),
		snapshotTime: gauge("virgo_snapshot_timestamp_seconds", "Time of the collector sample the node_ and virgo_ host values come from, in unixtime."),

		cpuUsage:          gauge("virgo_cpu_usage_percent", "CPU time split over the last sample interval, in percent of all cores (mode=\"total\" is everything but idle).", "mode"),
		cpuCoreUsage:      gauge("virgo_cpu_core_usage_percent", "One core's busy time over the last sample interval, in percent.", "cpu"),
		processes:         gauge("virgo_processes", "Number of processes in the latest sample."),
		collectorSuccess:  gauge("virgo_scrape_collector_success", "virgo-top: Whether the collector source succeeded in the latest sample (1) or failed (0).", "collector"),
		collectorDuration: gauge("virgo_scrape_collector_duration_seconds", "virgo-top: How long the collector source took in the latest sample.", "collector"),

		checkAvailable: gauge("virgo_check_available", "1 when the check's last result was available, 0 when not.", checkLabels...),
		checkLastRun:   gauge("virgo_check_last_run_timestamp_seconds", "Start of the check's last finished run, in unixtime.", checkLabels...),
		checkDuration:  gauge("virgo_check_duration_seconds", "How long the check's last run took.", checkLabels...),
		checkRuns:      counter("virgo_check_runs_total", "Finished runs of the check.", checkLabels...),
		checkTimeouts:  counter("virgo_check_timeouts_total", "Runs of the check that hit their timeout.", checkLabels...),
		checkSkipped:   counter("virgo_check_skipped_total", "Due runs skipped because the previous run was still going.", checkLabels...),
		checkState:     gauge("virgo_check_state", "Worst alarm state of the check (availability for a check without alarms): -1 UNKNOWN, 0 OK, 1 WARNING, 2 CRITICAL.", checkLabels...),
		alarmState:     gauge("virgo_alarm_state", "Alarm state: -1 UNKNOWN, 0 OK, 1 WARNING, 2 CRITICAL.", "check_id", "alarm"),
		alarmStatus:    gauge("virgo_alarm_status", "Alarm state as a state set: 1 for the current state, 0 for the others.", "check_id", "alarm", "state"),

		endpointUp:      gauge("virgo_endpoint_up", "1 when the endpoint connection is established, 0 otherwise.", "endpoint"),
		endpointActive:  gauge("virgo_endpoint_active", "1 for the endpoint metrics currently go to.", "endpoint"),
		endpointRTT:     gauge("virgo_endpoint_rtt_seconds", "Round trip of the last heartbeat to the endpoint.", "endpoint"),
		endpointReconns: counter("virgo_endpoint_reconnects_total", "Connection attempts to the endpoint after the first.", "endpoint"),

		spoolDepth:       gauge("virgo_spool_depth", "Metric posts waiting in the spool."),
		spoolBytes:       gauge("virgo_spool_bytes", "Encoded size of the metric posts waiting in the spool."),
		spoolDropped:     counter("virgo_spool_dropped_total", "Metric posts dropped, oldest first, past the spool's bound."),
		spoolSent:        counter("virgo_spool_sent_total", "Metric posts acknowledged by an endpoint."),
		spoolRejected:    counter("virgo_spool_rejected_total", "Refusals of metric posts: error replies counted against a post (all but 'unavailable'), and posts over the line limit."),
		spoolDead:        counter("virgo_spool_dead_total", "Metric posts moved to the dead letter (state_dir/spool.dead) after spool_max_attempts refusals, or oversized."),
		spoolRetrying:    gauge("virgo_spool_retrying", "Metric posts in the spool refused at least once, waiting for their next try."),
		spoolDegraded:    gauge("virgo_spool_degraded", "1 while the spool is not (fully) on disk: a full or unwritable state dir; /healthz says why."),
		endpointUnavail:  counter("virgo_endpoint_unavailable_total", "Replies of type 'unavailable' to metric posts (the endpoint's storage is down; retried).", "endpoint"),
		spoolStoreErrors: counter("virgo_spool_store_errors_total", "Failed writes of the persistent spool (the post stays in memory)."),

		notificationsTotal: counter("virgo_notifications_total",
			"Notification outcomes by notifier: sent, failed (attempts), retried, coalesced (state changes folded into a later notification), expired (undelivered past the outbox's bound).", "notifier", "result"),
		notifyPending:          gauge("virgo_notify_pending", "Alarms whose current state the notifier has not delivered yet.", "notifier"),
		notifyStateWriteErrors: counter("virgo_notify_state_write_errors_total", "Failed writes of the notifier's state file (kept in memory, retried).", "notifier"),
	}
	f.checkMetrics = checkMetricFamilies()
	f.all = []*family{
		f.agentInfo,
		f.load1, f.load5, f.load15,
		f.memTotal, f.memAvailable, f.memCached, f.memBuffers, f.memFree, f.swapTotal, f.swapFree,
		f.fsSize, f.fsFree, f.fsAvail, f.fsFiles, f.fsFilesFree, f.fsReadOnly,
		f.diskReadBytes, f.diskWrittenBytes, f.diskReads, f.diskWrites,
		f.diskReadTime, f.diskWriteTime, f.diskIOTime, f.diskIOTimeWeighted,
		f.netRxBytes, f.netTxBytes, f.netRxPackets, f.netTxPackets,
		f.netRxErrs, f.netTxErrs, f.netRxDrop, f.netTxDrop, f.netUp,
		f.bootTime, f.nodeTime, f.snapshotTime,
		f.cpuSeconds, f.cpuGuestSeconds,
		f.cpuUsage, f.cpuCoreUsage, f.processes, f.collectorSuccess, f.collectorDuration,
		f.checkAvailable, f.checkLastRun, f.checkDuration,
		f.checkRuns, f.checkTimeouts, f.checkSkipped, f.checkState,
		f.alarmState, f.alarmStatus,
		f.endpointUp, f.endpointActive, f.endpointRTT, f.endpointReconns,
		f.spoolDepth, f.spoolBytes, f.spoolDropped, f.spoolSent, f.spoolRejected, f.spoolStoreErrors,
		f.spoolDead, f.spoolRetrying, f.spoolDegraded, f.endpointUnavail,
		f.notificationsTotal, f.notifyPending, f.notifyStateWriteErrors,
	}
	for _, name := range schema.CheckMetricFamilies {
		f.all = append(f.all, f.checkMetrics[name])
	}
	withHost(f.all...)
	return f
}

// checkMetricFamilies builds schema.CheckMetricFamilies, each with HELP
// naming its unit.
func checkMetricFamilies() map[string]*family {
	const what = "metric of the check's last result"
	help := map[string]string{
		schema.CheckMetric:             "Numeric " + what + " without a base unit (percent, counts, ...).",
		schema.CheckMetricBytes:        "Numeric " + what + ", in bytes (kilobytes and megabytes converted).",
		schema.CheckMetricSeconds:      "Numeric " + what + ", in seconds (milliseconds and microseconds converted).",
		schema.CheckMetricTotal:        "Cumulative " + what + " without a base unit (packets, queries, ...).",
		schema.CheckMetricBytesTotal:   "Cumulative " + what + ", in bytes (kilobytes and megabytes converted).",
		schema.CheckMetricSecondsTotal: "Cumulative " + what + ", in seconds (milliseconds and microseconds converted).",
	}
	out := make(map[string]*family, len(help))
	for _, name := range schema.CheckMetricFamilies {
		newFam := gauge
		if strings.HasSuffix(name, "_total") {
			newFam = counter
		}
		out[name] = newFam(name, help[name], schema.LabelCheckID, schema.LabelCheckType, schema.LabelMetric)
	}
	return out
}

// stateValue is an alarm state as virgo_alarm_state encodes it.
func stateValue(s alarm.State) float64 {
	switch s {
	case alarm.OK:
		return 0
	case alarm.Warning:
		return 1
	case alarm.Critical:
		return 2
	}
	return -1
}

// alarmStates are the members of the virgo_alarm_status state set.
var alarmStates = []alarm.State{alarm.OK, alarm.Warning, alarm.Critical, alarm.Unknown}

// Collector turns a Source's state into samples at scrape time.
type Collector struct {
	src      Source
	f        *families
	host     string
	agentID  string
	omitNode bool
	now      func() time.Time
}

// NewCollector returns a collector that reads src on every scrape and
// names the agent as o says.
func NewCollector(src Source, o Options) *Collector { return newCollector(src, o, time.Now) }

func newCollector(src Source, o Options, now func() time.Time) *Collector {
	return &Collector{src: src, f: newFamilies(), host: o.host(), agentID: o.AgentID, omitNode: o.OmitNodeFamilies, now: now}
}

// newEmitter is an emitter for one scrape with the collector's host label
// and node family choice.
func (c *Collector) newEmitter(x *exposition) *emitter {
	e := newEmitter(x, c.host)
	e.omitNode = c.omitNode
	return e
}

// WriteText writes the Source's current state in the Prometheus text
// format (0.0.4), as /metrics serves it without the build, Go and process
// families.
func (c *Collector) WriteText(w io.Writer) error {
	x := newExposition()
	c.collect(c.newEmitter(x))
	return x.writeText(w)
}

// collect adds the Source's current state to e.
func (c *Collector) collect(e *emitter) {
	e.emit(c.f.agentInfo, 1, c.agentID)
	e.emit(c.f.nodeTime, float64(c.now().UnixNano())/1e9)
	if snap := c.src.Latest(); snap != nil {
		c.collectSnapshot(e, snap)
	}
	c.collectChecks(e, c.src.Checks())
	if st, ok := c.src.Endpoint(); ok {
		c.collectEndpoint(e, st)
	}
	c.collectNotifications(e, c.src.Notifications())
}

func (c *Collector) collectSnapshot(e *emitter, s *collector.Snapshot) {
	f := c.f
	ok := func(source string) bool { _, failed := s.Errors[source]; return !failed }

	e.emit(f.snapshotTime, unixSeconds(s.Time))
	for source, d := range s.Durations {
		e.emit(f.collectorDuration, d.Seconds(), source)
		e.emit(f.collectorSuccess, boolValue(ok(source)), source)
	}
	for source := range s.Errors {
		if _, timed := s.Durations[source]; !timed {
			e.emit(f.collectorSuccess, 0, source)
		}
	}

	if ok(collector.SourceHost) && !s.Host.BootTime.IsZero() {
		e.emit(f.bootTime, unixSeconds(s.Host.BootTime))
	}
	if ok(collector.SourceLoad) {
		e.emit(f.load1, s.Load.Load1)
		e.emit(f.load5, s.Load.Load5)
		e.emit(f.load15, s.Load.Load15)
	}
	if ok(collector.SourceMemory) {
		m := s.Memory
		e.emit(f.memTotal, float64(m.TotalBytes))
		e.emit(f.memAvailable, float64(m.AvailableBytes))
		e.emit(f.memCached, float64(m.CachedBytes))
		e.emit(f.memBuffers, float64(m.BuffersBytes))
		e.emit(f.memFree, float64(m.FreeBytes))
		e.emit(f.swapTotal, float64(m.SwapTotalBytes))
		e.emit(f.swapFree, float64(m.SwapFreeBytes))
	}
	if ok(collector.SourceCPU) {
		// node_exporter's modes; guest time is in user and nice already,
		// so it has a family of its own.
		for _, c := range s.CPU.Seconds {
			cpu := strconv.Itoa(c.CPU)
			e.emit(f.cpuSeconds, c.User, cpu, "user")
			e.emit(f.cpuSeconds, c.Nice, cpu, "nice")
			e.emit(f.cpuSeconds, c.System, cpu, "system")
			e.emit(f.cpuSeconds, c.Idle, cpu, "idle")
			e.emit(f.cpuSeconds, c.IOWait, cpu, "iowait")
			e.emit(f.cpuSeconds, c.IRQ, cpu, "irq")
			e.emit(f.cpuSeconds, c.SoftIRQ, cpu, "softirq")
			e.emit(f.cpuSeconds, c.Steal, cpu, "steal")
			e.emit(f.cpuGuestSeconds, c.Guest, cpu, "user")
			e.emit(f.cpuGuestSeconds, c.GuestNice, cpu, "nice")
		}
	}
	// The first sample has no interval to split: its percentages are zeros.
	if ok(collector.SourceCPU) && s.Elapsed > 0 {
		t := s.CPU.CPUTimes
		e.emit(f.cpuUsage, t.UserPct, "user")
		e.emit(f.cpuUsage, t.NicePct, "nice")
		e.emit(f.cpuUsage, t.SystemPct, "system")
		e.emit(f.cpuUsage, t.IOWaitPct, "iowait")
		e.emit(f.cpuUsage, t.IRQPct, "irq")
		e.emit(f.cpuUsage, t.StealPct, "steal")
		e.emit(f.cpuUsage, t.IdlePct, "idle")
		e.emit(f.cpuUsage, t.UsagePct, "total")
		for i, core := range s.CPU.PerCore {
			e.emit(f.cpuCoreUsage, core.UsagePct, strconv.Itoa(i))
		}
	}
	if ok(collector.SourceFilesystems) {
		for _, fs := range s.Filesystems {
			// Keyed on the mountpoint alone: a second mount on the same
			// path is the same statfs answer under other labels.
			if !e.first(f.fsSize, fs.Mount) {
				continue
			}
			labels := []string{fs.Device, fs.FSType, fs.Mount}
			e.emit(f.fsSize, float64(fs.TotalBytes), labels...)
			e.emit(f.fsFree, float64(fs.FreeBytes), labels...)
			e.emit(f.fsAvail, float64(fs.AvailBytes), labels...)
			e.emit(f.fsFiles, float64(fs.InodesTotal), labels...)
			e.emit(f.fsFilesFree, float64(fs.InodesFree), labels...)
			e.emit(f.fsReadOnly, boolValue(fs.ReadOnly), labels...)
		}
	}
	if ok(collector.SourceDisks) {
		for _, d := range s.Disks {
			e.emit(f.diskReadBytes, float64(d.ReadBytes), d.Name)
			e.emit(f.diskWrittenBytes, float64(d.WriteBytes), d.Name)
			e.emit(f.diskReads, float64(d.Reads), d.Name)
			e.emit(f.diskWrites, float64(d.Writes), d.Name)
			e.emit(f.diskReadTime, msToSeconds(d.ReadTimeMs), d.Name)
			e.emit(f.diskWriteTime, msToSeconds(d.WriteTimeMs), d.Name)
			e.emit(f.diskIOTime, msToSeconds(d.IOTimeMs), d.Name)
			e.emit(f.diskIOTimeWeighted, msToSeconds(d.WeightedMs), d.Name)
		}
	}
	if ok(collector.SourceNetwork) {
		for _, n := range s.Network {
			e.emit(f.netRxBytes, float64(n.RxBytes), n.Name)
			e.emit(f.netTxBytes, float64(n.TxBytes), n.Name)
			e.emit(f.netRxPackets, float64(n.RxPackets), n.Name)
			e.emit(f.netTxPackets, float64(n.TxPackets), n.Name)
			e.emit(f.netRxErrs, float64(n.RxErrors), n.Name)
			e.emit(f.netTxErrs, float64(n.TxErrors), n.Name)
			e.emit(f.netRxDrop, float64(n.RxDropped), n.Name)
			e.emit(f.netTxDrop, float64(n.TxDropped), n.Name)
			if n.LinkState != "" {
				e.emit(f.netUp, boolValue(n.LinkState == "up"), n.Name)
			}
		}
	}
	if ok(collector.SourceProcesses) {
		e.emit(f.processes, float64(s.ProcessCount))
	}
}

func (c *Collector) collectChecks(e *emitter, views []agent.CheckView) {
	f := c.f
	for _, v := range views {
		id, typ := v.Def.ID, v.Def.Type
		e.emit(f.checkRuns, float64(v.Runs), id, typ)
		e.emit(f.checkTimeouts, float64(v.Timeouts), id, typ)
		e.emit(f.checkSkipped, float64(v.Skipped), id, typ)
		e.emit(f.checkState, stateValue(v.State), id, typ)
		if !v.LastRun.IsZero() {
			e.emit(f.checkLastRun, unixSeconds(v.LastRun), id, typ)
			e.emit(f.checkDuration, v.LastDuration.Seconds(), id, typ)
		}
		if r := v.LastResult; r != nil {
			e.emit(f.checkAvailable, boolValue(r.Available), id, typ)
			for i, m := range r.Metrics {
				if m.Type == check.TypeString {
					continue
				}
				x, isNum := m.Float()
				if !isNum {
					continue
				}
				// One series per metric name, whichever family its unit
				// picks: the first of a repeated name that is not a string
				// wins (the emitter drops repeats within a family too).
				if repeated(r.Metrics[:i], m) {
					continue
				}
				name := m.FullName()
				fam, factor := schema.CheckFamily(typ, name, m.Type, m.Unit)
				e.emit(f.checkMetrics[fam], x*factor, id, typ, name)
			}
		}
		for _, a := range v.Alarms {
			e.emit(f.alarmState, stateValue(a.State), id, a.Name)
			for _, s := range alarmStates {
				e.emit(f.alarmStatus, boolValue(s == a.State), id, a.Name, s.String())
			}
		}
	}
}

func (c *Collector) collectEndpoint(e *emitter, st protocol.Status) {
	f := c.f
	for _, ep := range st.Endpoints {
		e.emit(f.endpointUp, boolValue(ep.State == protocol.StateConnected), ep.Endpoint)
		e.emit(f.endpointActive, boolValue(ep.Active), ep.Endpoint)
		e.emit(f.endpointReconns, float64(ep.Reconnects), ep.Endpoint)
		e.emit(f.endpointUnavail, float64(ep.Unavailable), ep.Endpoint)
		if ep.RTTKnown {
			e.emit(f.endpointRTT, ep.RTT.Seconds(), ep.Endpoint)
		}
	}
	sp := st.Spool
	e.emit(f.spoolDepth, float64(sp.Depth))
	e.emit(f.spoolBytes, float64(sp.Bytes))
	e.emit(f.spoolDropped, float64(sp.Dropped))
	e.emit(f.spoolSent, float64(sp.Sent))
	e.emit(f.spoolRejected, float64(sp.Rejected))
	e.emit(f.spoolStoreErrors, float64(sp.StoreErrors))
	e.emit(f.spoolDead, float64(sp.Dead))
	e.emit(f.spoolRetrying, float64(sp.Retrying))
	e.emit(f.spoolDegraded, boolValue(sp.Degraded != ""))
}

func (c *Collector) collectNotifications(e *emitter, stats map[string]notify.NotifierStats) {
	f := c.f
	for name, s := range stats {
		e.emit(f.notificationsTotal, float64(s.Sent), name, "sent")
		e.emit(f.notificationsTotal, float64(s.Failed), name, "failed")
		e.emit(f.notificationsTotal, float64(s.Retried), name, "retried")
		e.emit(f.notificationsTotal, float64(s.Coalesced), name, "coalesced")
		e.emit(f.notificationsTotal, float64(s.Expired), name, "expired")
		e.emit(f.notifyPending, float64(s.Pending), name)
		e.emit(f.notifyStateWriteErrors, float64(s.WriteErrors), name)
	}
}

// repeated reports whether a metric before m that is not a string has m's
// full name. A linear scan: results have tens of metrics, and it
// allocates nothing.
func repeated(before []check.Metric, m check.Metric) bool {
	for _, p := range before {
		if p.Type != check.TypeString && sameFullName(p, m) {
			return true
		}
	}
	return false
}

// sameFullName compares a.FullName() and b.FullName() without building them.
func sameFullName(a, b check.Metric) bool {
	if a.Dimension == b.Dimension && a.Name == b.Name {
		return true
	}
	// "x.y" with no dimension equals dimension "x", name "y".
	an, bn := len(a.Dimension)+len(a.Name), len(b.Dimension)+len(b.Name)
	if a.Dimension != "" {
		an++
	}
	if b.Dimension != "" {
		bn++
	}
	return an == bn && a.FullName() == b.FullName()
}

// unixSeconds is t in seconds since the epoch; whole seconds stay exact.
func unixSeconds(t time.Time) float64 { return float64(t.Unix()) + float64(t.Nanosecond())/1e9 }

func msToSeconds(ms uint64) float64 { return float64(ms) / 1000 }

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
