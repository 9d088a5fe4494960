// Package schema is the one metric schema that every place virgo-top
// writes or reads series in Prometheus' data model shares: the agent's
// /metrics, the endpoint's remote write (virgo-top endpoint) and the fleet
// view's queries (virgo-top fleet). It holds names and rules only; nothing
// here writes or reads a wire format.
//
// # Check metrics
//
// A check's numeric metrics go to one family per base unit, labelled
// check_id, check_type and metric (the metric's full name, a dimension
// folded in as "dimension.name"), values converted to the base unit:
//
//	virgo_check_metric_bytes          bytes (KiB, kilobytes and megabytes converted)
//	virgo_check_metric_seconds        seconds (ms, milliseconds, microseconds converted)
//	virgo_check_metric                anything else (percent, counts, unitless)
//	virgo_check_metric_bytes_total    cumulative counters in bytes
//	virgo_check_metric_seconds_total  cumulative counters in seconds
//	virgo_check_metric_total          other cumulative counters (packets, queries, ...)
//
// A metric is a counter when Virgo sends it with type "gauge", which in
// Rackspace Monitoring's data model is the ever-increasing value whose
// rate the platform computes (network rx_bytes, mysql core.queries, redis
// total_commands_processed), agent.memory excepted (the original sends
// its levels with that type), plus the cumulative values the original
// sends untyped (IsCounter lists them). agent.memory's swap_page_in and
// swap_page_out are page counts the original labels "bytes": they go to
// virgo_check_metric_total unconverted.
//
// # Host and agent
//
// Every series carries the host label (the agent's host name, LabelHost);
// series that reach an engine through the endpoint also carry agent_id.
// virgo_agent_info{host, agent_id} (value 1) joins the two on /metrics.
package schema

import "strings"

// Label names.
const (
	LabelHost      = "host"
	LabelAgentID   = "agent_id"
	LabelCheckID   = "check_id"
	LabelCheckType = "check_type"
	LabelMetric    = "metric"
	LabelAlarm     = "alarm"
)

// Family names shared by /metrics, the endpoint and the fleet view.
const (
	// AgentInfo is virgo_agent_info{host, agent_id} 1.
	AgentInfo = "virgo_agent_info"
	// CheckState is the worst alarm state of a check (availability for a
	// check without alarms), labelled check_id, check_type: StateValue.
	CheckState = "virgo_check_state"
	// CheckAvailable is 1 when the check's last result was available.
	CheckAvailable = "virgo_check_available"
	// AlarmState is an alarm's state, labelled check_id, alarm: StateValue.
	AlarmState = "virgo_alarm_state"

	CheckMetric             = "virgo_check_metric"
	CheckMetricBytes        = "virgo_check_metric_bytes"
	CheckMetricSeconds      = "virgo_check_metric_seconds"
	CheckMetricTotal        = "virgo_check_metric_total"
	CheckMetricBytesTotal   = "virgo_check_metric_bytes_total"
	CheckMetricSecondsTotal = "virgo_check_metric_seconds_total"
)

// CheckMetricFamilies lists every check metric family, gauges first.
var CheckMetricFamilies = []string{
	CheckMetric, CheckMetricBytes, CheckMetricSeconds,
	CheckMetricTotal, CheckMetricBytesTotal, CheckMetricSecondsTotal,
}

// StateValue encodes an alarm or check state as the number the state
// families carry: -1 UNKNOWN, 0 OK, 1 WARNING, 2 CRITICAL. ok is false for
// any other text (compared without case).
func StateValue(state string) (v float64, ok bool) {
	switch strings.ToUpper(state) {
	case "UNKNOWN":
		return -1, true
	case "OK":
		return 0, true
	case "WARNING":
		return 1, true
	case "CRITICAL":
		return 2, true
	}
	return 0, false
}

// StateName is StateValue's inverse; any other value is "UNKNOWN".
func StateName(v float64) string {
	switch v {
	case 0:
		return "OK"
	case 1:
		return "WARNING"
	case 2:
		return "CRITICAL"
	}
	return "UNKNOWN"
}

// Base units of check metric families.
const (
	UnitNone    = ""
	UnitBytes   = "bytes"
	UnitSeconds = "seconds"
)

// BaseUnit maps a check metric's unit (as Virgo's checks and plugins write
// it) to its base unit and the factor that converts a value to it. Units
// without a base unit (percent, count, packets, ...) give UnitNone and 1.
func BaseUnit(unit string) (base string, factor float64) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "b", "byte", "bytes":
		return UnitBytes, 1
	case "kb", "kib", "kbyte", "kbytes", "kilobyte", "kilobytes":
		// Virgo's kilobytes (sigar's filesystem sizes, apache's
		// Total kBytes) are 1024 bytes.
		return UnitBytes, 1024
	case "mb", "mib", "mbyte", "mbytes", "megabyte", "megabytes":
		return UnitBytes, 1024 * 1024
	case "gb", "gib", "gigabyte", "gigabytes":
		return UnitBytes, 1024 * 1024 * 1024
	case "s", "sec", "secs", "second", "seconds":
		return UnitSeconds, 1
	case "ms", "msec", "millisecond", "milliseconds":
		return UnitSeconds, 1e-3
	case "us", "µs", "usec", "microsecond", "microseconds":
		return UnitSeconds, 1e-6
	case "ns", "nsec", "nanosecond", "nanoseconds":
		return UnitSeconds, 1e-9
	}
	return UnitNone, 1
}

// cumulative lists the counters the original sends without the "gauge"
// type, by check type.
var cumulative = map[string]map[string]bool{
	"agent.disk": {
		"reads": true, "writes": true, "read_bytes": true, "write_bytes": true,
		"rtime": true, "wtime": true, "qtime": true, "time": true,
	},
	"agent.memory": {"swap_page_in": true, "swap_page_out": true},
	"agent.apache": {"total_kbytes": true},
}

// unitless lists metrics whose declared unit is wrong: the original sends
// agent.memory's swap_page_in/out (sigar's page counts) with unit
// "bytes"; converting them would report pages as bytes.
var unitless = map[string]map[string]bool{
	"agent.memory": {"swap_page_in": true, "swap_page_out": true},
}

// IsCounter reports whether a check metric is cumulative (its family gets
// the _total suffix). metricType is the wire type ("gauge", "uint64", ...).
func IsCounter(checkType, metric, metricType string) bool {
	if cumulative[checkType][metric] {
		return true
	}
	return metricType == "gauge" && checkType != "agent.memory"
}

// CheckFamily returns the family a check metric's value goes to and the
// factor that converts the value to the family's base unit.
func CheckFamily(checkType, metric, metricType, unit string) (family string, factor float64) {
	base, factor := BaseUnit(unit)
	if unitless[checkType][metric] {
		base, factor = UnitNone, 1
	}
	family = CheckMetric
	if base != UnitNone {
		family += "_" + base
	}
	if IsCounter(checkType, metric, metricType) {
		family += "_total"
	}
	return family, factor
}
