package schema

import "testing"

func TestCheckFamily(t *testing.T) {
	tests := []struct {
		checkType, metric, typ, unit string
		family                       string
		factor                       float64
	}{
		{"agent.memory", "total", "gauge", "bytes", CheckMetricBytes, 1},
		{"agent.memory", "ram", "gauge", "megabytes", CheckMetricBytes, 1 << 20},
		{"agent.memory", "swap_page_in", "gauge", "bytes", CheckMetricTotal, 1},
		{"agent.filesystem", "avail", "int64", "kilobytes", CheckMetricBytes, 1024},
		{"agent.filesystem", "files", "int64", "files", CheckMetric, 1},
		{"agent.cpu", "usage_average", "double", "percent", CheckMetric, 1},
		{"agent.disk", "rtime", "int64", "milliseconds", CheckMetricSecondsTotal, 1e-3},
		{"agent.disk", "read_bytes", "int64", "bytes", CheckMetricBytesTotal, 1},
		{"agent.disk", "service_time", "double", "milliseconds", CheckMetricSeconds, 1e-3},
		{"agent.network", "rx_bytes", "gauge", "bytes", CheckMetricBytesTotal, 1},
		{"agent.network", "rx_packets", "gauge", "packets", CheckMetricTotal, 1},
		{"agent.network", "link_state", "string", "link_state", CheckMetric, 1},
		{"agent.mysql", "core.queries", "gauge", "queries", CheckMetricTotal, 1},
		{"agent.mysql", "innodb.row_lock_time", "gauge", "ms", CheckMetricSecondsTotal, 1e-3},
		{"agent.apache", "total_kbytes", "uint64", "kilobytes", CheckMetricBytesTotal, 1024},
		{"agent.redis", "total_commands_processed", "gauge", "", CheckMetricTotal, 1},
		{"remote.http", "duration", "uint32", "MS", CheckMetricSeconds, 1e-3},
		{"agent.plugin", "latency", "double", "us", CheckMetricSeconds, 1e-6},
		{"agent.plugin", "weird", "int64", " KiB ", CheckMetricBytes, 1024},
	}
	for _, tt := range tests {
		f, k := CheckFamily(tt.checkType, tt.metric, tt.typ, tt.unit)
		if f != tt.family || k != tt.factor {
			t.Errorf("CheckFamily(%q, %q, %q, %q) = %s, %g; want %s, %g",
				tt.checkType, tt.metric, tt.typ, tt.unit, f, k, tt.family, tt.factor)
		}
	}
}

func TestStateValue(t *testing.T) {
	for _, s := range []string{"UNKNOWN", "OK", "WARNING", "CRITICAL"} {
		v, ok := StateValue(s)
		if !ok || StateName(v) != s {
			t.Errorf("%s: %v %v %s", s, v, ok, StateName(v))
		}
	}
	if _, ok := StateValue("BAD"); ok {
		t.Error("BAD accepted")
	}
	if v, _ := StateValue("critical"); v != 2 {
		t.Error("case")
	}
	if StateName(7) != "UNKNOWN" {
		t.Error("StateName(7)")
	}
}
