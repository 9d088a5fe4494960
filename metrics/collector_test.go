package metrics

import (
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/internal/schema"
)

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func TestScrapeValues(t *testing.T) {
	code, body := scrape(t, sampleSource(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("status %d\n%s", code, body)
	}
	fams := parse(t, body)
	type L = map[string]string
	root := L{"device": "/dev/sda1", "fstype": "ext4", "mountpoint": "/"}
	data := L{"device": "/dev/sdb1", "fstype": "xfs", "mountpoint": "/mnt/d\uFFFDta"}
	sda := L{"device": "sda"}
	eth0 := L{"device": "eth0"}
	cpu := L{"check_id": "chCPU", "check_type": "agent.cpu"}
	ping := L{"check_id": "chPING", "check_type": "remote.ping"}
	ep1 := L{"endpoint": "ep1.example:443"}
	ep2 := L{"endpoint": "ep2.example:443"}
	tests := []struct {
		name   string
		labels L
		want   float64
	}{
		{"node_load1", nil, 0.5},
		{"node_load5", nil, 0.75},
		{"node_load15", nil, 1.25},
		{"node_memory_MemTotal_bytes", nil, 8 << 30},
		{"node_memory_MemAvailable_bytes", nil, 5 << 30},
		{"node_memory_Cached_bytes", nil, 3 << 30},
		{"node_memory_Buffers_bytes", nil, 256 << 20},
		{"node_memory_MemFree_bytes", nil, 1 << 30},
		{"node_memory_SwapTotal_bytes", nil, 2 << 30},
		{"node_memory_SwapFree_bytes", nil, 1536 << 20},
		{"node_filesystem_size_bytes", root, 100 << 30},
		{"node_filesystem_free_bytes", root, 40 << 30},
		{"node_filesystem_avail_bytes", root, 35 << 30},
		{"node_filesystem_files", root, 6553600},
		{"node_filesystem_files_free", root, 6000000},
		{"node_filesystem_readonly", root, 0},
		{"node_filesystem_size_bytes", data, 10 << 30},
		{"node_filesystem_readonly", data, 1},
		{"node_disk_read_bytes_total", sda, 4096000},
		{"node_disk_written_bytes_total", sda, 8192000},
		{"node_disk_reads_completed_total", sda, 1000},
		{"node_disk_writes_completed_total", sda, 2000},
		{"node_disk_read_time_seconds_total", sda, 1.5},
		{"node_disk_write_time_seconds_total", sda, 2.5},
		{"node_disk_io_time_seconds_total", sda, 3.25},
		{"node_disk_io_time_weighted_seconds_total", sda, 4},
		{"node_network_receive_bytes_total", eth0, 123456},
		{"node_network_transmit_bytes_total", eth0, 654321},
		{"node_network_receive_packets_total", eth0, 1000},
		{"node_network_transmit_packets_total", eth0, 900},
		{"node_network_receive_errs_total", eth0, 1},
		{"node_network_transmit_errs_total", eth0, 2},
		{"node_network_receive_drop_total", eth0, 3},
		{"node_network_transmit_drop_total", eth0, 4},
		{"node_network_up", eth0, 1},
		{"node_network_up", L{"device": "eth1"}, 0},
		{"node_boot_time_seconds", nil, 1795132800},
		{"node_time_seconds", nil, 1795521602},
		{"virgo_snapshot_timestamp_seconds", nil, 1795521600},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "user"}, 1234.56},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "nice"}, 7.5},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "system"}, 321},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "idle"}, 98765.43},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "iowait"}, 12},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "irq"}, 1.5},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "softirq"}, 2.25},
		{"node_cpu_seconds_total", L{"cpu": "0", "mode": "steal"}, 0.5},
		{"node_cpu_seconds_total", L{"cpu": "1", "mode": "idle"}, 99000},
		{"node_cpu_guest_seconds_total", L{"cpu": "0", "mode": "user"}, 1000},
		{"node_cpu_guest_seconds_total", L{"cpu": "0", "mode": "nice"}, 5},
		{"node_cpu_guest_seconds_total", L{"cpu": "1", "mode": "user"}, 0},
		{"virgo_cpu_usage_percent", L{"mode": "user"}, 12.5},
		{"virgo_cpu_usage_percent", L{"mode": "nice"}, 0.5},
		{"virgo_cpu_usage_percent", L{"mode": "system"}, 5},
		{"virgo_cpu_usage_percent", L{"mode": "iowait"}, 2},
		{"virgo_cpu_usage_percent", L{"mode": "irq"}, 1},
		{"virgo_cpu_usage_percent", L{"mode": "steal"}, 0.25},
		{"virgo_cpu_usage_percent", L{"mode": "idle"}, 78.75},
		{"virgo_cpu_usage_percent", L{"mode": "total"}, 21.25},
		{"virgo_cpu_core_usage_percent", L{"cpu": "0"}, 30},
		{"virgo_cpu_core_usage_percent", L{"cpu": "1"}, 12.5},
		{"virgo_processes", nil, 3},
		{"virgo_scrape_collector_success", L{"collector": "cpu"}, 1},
		{"virgo_scrape_collector_success", L{"collector": "memory"}, 1},
		{"virgo_scrape_collector_duration_seconds", L{"collector": "cpu"}, 0.0015},
		{"virgo_scrape_collector_duration_seconds", L{"collector": "memory"}, 0.00025},

		{"virgo_check_metric", L{"check_id": "chCPU", "check_type": "agent.cpu", "metric": "usage_average"}, 12.5},
		{"virgo_check_metric", L{"check_id": "chCPU", "check_type": "agent.cpu", "metric": "max_cpu_usage"}, 40},
		{"virgo_check_metric", L{"check_id": "chCPU", "check_type": "agent.cpu", "metric": "sda.reads"}, 42},
		{"virgo_check_metric", L{"check_id": "chCPU", "check_type": "agent.cpu", "metric": "healthy"}, 1},
		{"virgo_check_metric_total", L{"check_id": "chDISK", "check_type": "agent.disk", "metric": "reads"}, 1000},
		{"virgo_check_metric_bytes_total", L{"check_id": "chDISK", "check_type": "agent.disk", "metric": "read_bytes"}, 4096000},
		{"virgo_check_metric_seconds_total", L{"check_id": "chDISK", "check_type": "agent.disk", "metric": "rtime"}, 1.5},
		{"virgo_check_metric_seconds", L{"check_id": "chDISK", "check_type": "agent.disk", "metric": "service_time"}, 0.00025},
		{"virgo_check_metric_seconds", L{"check_id": "chDISK", "check_type": "agent.disk", "metric": "queue"}, 0.5},
		{"virgo_check_metric_bytes", L{"check_id": "chMEM", "check_type": "agent.memory", "metric": "used"}, 3 << 30},
		{"virgo_check_metric_bytes", L{"check_id": "chMEM", "check_type": "agent.memory", "metric": "ram"}, 8 << 30},
		{"virgo_check_available", cpu, 1},
		{"virgo_check_last_run_timestamp_seconds", cpu, 1795521599},
		{"virgo_check_duration_seconds", cpu, 0.25},
		{"virgo_check_runs_total", cpu, 10},
		{"virgo_check_timeouts_total", cpu, 1},
		{"virgo_check_skipped_total", cpu, 2},
		{"virgo_check_state", cpu, 2},
		{"virgo_check_runs_total", ping, 0},
		{"virgo_check_state", ping, -1},
		{"virgo_alarm_state", L{"check_id": "chCPU", "alarm": "crit"}, 2},
		{"virgo_alarm_state", L{"check_id": "chCPU", "alarm": "high"}, 1},
		{"virgo_alarm_state", L{"check_id": "chCPU", "alarm": "new"}, -1},
		{"virgo_alarm_status", L{"check_id": "chCPU", "alarm": "high", "state": "WARNING"}, 1},
		{"virgo_alarm_status", L{"check_id": "chCPU", "alarm": "high", "state": "OK"}, 0},

		{"virgo_endpoint_up", ep1, 1},
		{"virgo_endpoint_up", ep2, 0},
		{"virgo_endpoint_active", ep1, 1},
		{"virgo_endpoint_active", ep2, 0},
		{"virgo_endpoint_rtt_seconds", ep1, 0.04},
		{"virgo_endpoint_reconnects_total", ep1, 2},
		{"virgo_endpoint_reconnects_total", ep2, 7},
		{"virgo_spool_depth", nil, 3},
		{"virgo_spool_bytes", nil, 1200},
		{"virgo_spool_dropped_total", nil, 4},
		{"virgo_spool_sent_total", nil, 50},
		{"virgo_spool_rejected_total", nil, 1},
		{"virgo_spool_store_errors_total", nil, 5},
		{"virgo_notifications_total", L{"notifier": "webhook", "result": "sent"}, 5},
		{"virgo_notifications_total", L{"notifier": "webhook", "result": "failed"}, 1},
		{"virgo_notifications_total", L{"notifier": "webhook", "result": "retried"}, 2},
		{"virgo_notifications_total", L{"notifier": "webhook", "result": "coalesced"}, 3},
		{"virgo_notifications_total", L{"notifier": "webhook", "result": "expired"}, 1},
		{"virgo_notify_pending", L{"notifier": "webhook"}, 2},
		{"virgo_notify_state_write_errors_total", L{"notifier": "webhook"}, 4},
		{"virgo_build_info", L{"version": "1.2.3", "goversion": runtime.Version()}, 1},
	}
	for _, tt := range tests {
		got, ok := value(fams, tt.name, tt.labels)
		if !ok {
			t.Errorf("%s%v: missing; family has %v", tt.name, tt.labels, series(fams, tt.name))
			continue
		}
		if got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

// TestScrapeSeriesSets pins whole families where which series exist is
// the point: duplicates dropped, absent values not invented.
func TestScrapeSeriesSets(t *testing.T) {
	_, body := scrape(t, sampleSource(), "/metrics")
	fams := parse(t, body)
	tests := []struct {
		name string
		want []string
	}{
		// The overlay on "/" is dropped: one series per mountpoint.
		{"node_filesystem_size_bytes", []string{
			"device=/dev/sda1,fstype=ext4,mountpoint=/ 107374182400",
			"device=/dev/sdb1,fstype=xfs,mountpoint=/mnt/d\uFFFDta 10737418240",
		}},
		// The second "eth0" is dropped.
		{"node_network_receive_bytes_total", []string{"device=eth0 123456", "device=eth1 7"}},
		// Strings, non-numbers and the repeated name are not exported.
		{"virgo_check_metric", []string{
			"check_id=chCPU,check_type=agent.cpu,metric=healthy 1",
			"check_id=chCPU,check_type=agent.cpu,metric=max_cpu_usage 40",
			"check_id=chCPU,check_type=agent.cpu,metric=sda.reads 42",
			"check_id=chCPU,check_type=agent.cpu,metric=usage_average 12.5",
		}},
		// chPING never ran: no availability, no last run.
		{"virgo_check_available", []string{"check_id=chCPU,check_type=agent.cpu 1",
			"check_id=chDISK,check_type=agent.disk 1", "check_id=chMEM,check_type=agent.memory 1"}},
		{"virgo_check_last_run_timestamp_seconds", []string{"check_id=chCPU,check_type=agent.cpu 1795521599",
			"check_id=chDISK,check_type=agent.disk 1795521600", "check_id=chMEM,check_type=agent.memory 1795521600"}},
		// The RTT of ep2 is unknown.
		{"virgo_endpoint_rtt_seconds", []string{"endpoint=ep1.example:443 0.04"}},
		// The state set: every state, 1 for the current one.
		{"virgo_alarm_status", []string{
			"alarm=crit,check_id=chCPU,state=CRITICAL 1",
			"alarm=crit,check_id=chCPU,state=OK 0",
			"alarm=crit,check_id=chCPU,state=UNKNOWN 0",
			"alarm=crit,check_id=chCPU,state=WARNING 0",
			"alarm=high,check_id=chCPU,state=CRITICAL 0",
			"alarm=high,check_id=chCPU,state=OK 0",
			"alarm=high,check_id=chCPU,state=UNKNOWN 0",
			"alarm=high,check_id=chCPU,state=WARNING 1",
			"alarm=new,check_id=chCPU,state=CRITICAL 0",
			"alarm=new,check_id=chCPU,state=OK 0",
			"alarm=new,check_id=chCPU,state=UNKNOWN 1",
			"alarm=new,check_id=chCPU,state=WARNING 0",
		}},
		{"virgo_scrape_collector_success", []string{"collector=cpu 1", "collector=memory 1"}},
	}
	for _, tt := range tests {
		if got := series(fams, tt.name); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// expectedFamilies is every family a full scrape of sampleSource has.
var expectedFamilies = []string{
	"virgo_agent_info",
	"node_load1", "node_load5", "node_load15",
	"node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes", "node_memory_Cached_bytes",
	"node_memory_Buffers_bytes", "node_memory_MemFree_bytes", "node_memory_SwapTotal_bytes", "node_memory_SwapFree_bytes",
	"node_filesystem_size_bytes", "node_filesystem_free_bytes", "node_filesystem_avail_bytes",
	"node_filesystem_files", "node_filesystem_files_free", "node_filesystem_readonly",
	"node_disk_read_bytes_total", "node_disk_written_bytes_total", "node_disk_reads_completed_total",
	"node_disk_writes_completed_total", "node_disk_read_time_seconds_total", "node_disk_write_time_seconds_total",
	"node_disk_io_time_seconds_total", "node_disk_io_time_weighted_seconds_total",
	"node_network_receive_bytes_total", "node_network_transmit_bytes_total",
	"node_network_receive_packets_total", "node_network_transmit_packets_total",
	"node_network_receive_errs_total", "node_network_transmit_errs_total",
	"node_network_receive_drop_total", "node_network_transmit_drop_total", "node_network_up",
	"node_boot_time_seconds", "node_time_seconds", "virgo_snapshot_timestamp_seconds",
	"node_cpu_seconds_total", "node_cpu_guest_seconds_total",
	"virgo_cpu_usage_percent", "virgo_cpu_core_usage_percent", "virgo_processes",
	"virgo_scrape_collector_success", "virgo_scrape_collector_duration_seconds",
	"virgo_check_metric", "virgo_check_metric_bytes", "virgo_check_metric_seconds",
	"virgo_check_metric_total", "virgo_check_metric_bytes_total", "virgo_check_metric_seconds_total", "virgo_check_available", "virgo_check_last_run_timestamp_seconds",
	"virgo_check_duration_seconds", "virgo_check_runs_total", "virgo_check_timeouts_total",
	"virgo_check_skipped_total", "virgo_check_state", "virgo_alarm_state", "virgo_alarm_status",
	"virgo_endpoint_up", "virgo_endpoint_active", "virgo_endpoint_rtt_seconds", "virgo_endpoint_reconnects_total",
	"virgo_spool_depth", "virgo_spool_bytes", "virgo_spool_dropped_total", "virgo_spool_sent_total",
	"virgo_spool_rejected_total", "virgo_spool_store_errors_total",
	"virgo_notifications_total", "virgo_build_info",
	"go_goroutines", "go_threads", "go_memstats_alloc_bytes", "go_memstats_heap_inuse_bytes",
	"go_gc_duration_seconds",
}

func TestScrapeHasEveryFamily(t *testing.T) {
	_, body := scrape(t, sampleSource(), "/metrics")
	fams := parse(t, body)
	want := expectedFamilies
	if runtime.GOOS == "linux" {
		want = append(want[:len(want):len(want)], "process_cpu_seconds_total", "process_resident_memory_bytes",
			"process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_start_time_seconds")
	}
	for _, name := range want {
		if _, ok := fams[name]; !ok {
			t.Errorf("family %s missing", name)
		}
	}
	// Every family the collector describes is in a full scrape: the
	// sample source exercises all of them.
	for _, fam := range newFamilies().all {
		name := fam.name
		if _, ok := fams[name]; !ok {
			t.Errorf("described family %s never emitted by the sample", name)
		}
	}
}

// TestHostAndAgentInfo: every series of a scrape carries the host label
// (the configured host, else the host name) and virgo_agent_info joins it
// to the agent ID, empty when none is configured.
func TestHostAndAgentInfo(t *testing.T) {
	hostname, _ := os.Hostname()
	tests := []struct {
		name string
		opts Options
		host string
		info string
	}{
		{"configured", Options{Host: "web1", AgentID: "agentA"}, "web1", `virgo_agent_info{agent_id="agentA",host="web1"} 1`},
		{"no agent id", Options{Host: "db\"quoted\""}, `db"quoted"`, `virgo_agent_info{agent_id="",host="db\"quoted\""} 1`},
		{"host name", Options{AgentID: "a1"}, hostname, `virgo_agent_info{agent_id="a1",host="` + hostname + `"} 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			newHandler(sampleSource(), tt.opts, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			body := rec.Body.String()
			if !strings.Contains(body, "\n"+tt.info+"\n") {
				t.Errorf("no line %q in\n%s", tt.info, body)
			}
			if !strings.Contains(body, `go_gc_duration_seconds{host="`) {
				t.Errorf("the summary has no host label")
			}
			n := 0
			for _, mf := range parse(t, body) {
				for _, m := range mf.GetMetric() {
					n++
					if !hasLabel(&dto.MetricFamily{Metric: []*dto.Metric{m}}, schema.LabelHost, tt.host) {
						t.Errorf("%s%v: no host=%q", mf.GetName(), m.GetLabel(), tt.host)
					}
				}
			}
			if n < 100 {
				t.Errorf("only %d series", n)
			}
		})
	}
}

// TestNodeFamiliesOff: with OmitNodeFamilies (metrics_node_families
// false) no node_* family is exported, and every other family is as it
// is with them on.
func TestNodeFamiliesOff(t *testing.T) {
	families := func(o Options) (node, other []string) {
		rec := httptest.NewRecorder()
		newHandler(sampleSource(), o, fixedNow).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for name := range parse(t, rec.Body.String()) {
			if strings.HasPrefix(name, "node_") {
				node = append(node, name)
			} else {
				other = append(other, name)
			}
		}
		slices.Sort(node)
		slices.Sort(other)
		return node, other
	}
	onNode, onOther := families(testOpts)
	if len(onNode) < 30 {
		t.Errorf("node families on: only %v", onNode)
	}
	off := testOpts
	off.OmitNodeFamilies = true
	offNode, offOther := families(off)
	if len(offNode) != 0 {
		t.Errorf("node families off, yet %v", offNode)
	}
	if !slices.Equal(onOther, offOther) {
		t.Errorf("other families differ:\n on %v\noff %v", onOther, offOther)
	}
	// The collector alone too.
	var b strings.Builder
	if err := newCollector(sampleSource(), off, fixedNow).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(b.String()) {
		if strings.HasPrefix(line, "node_") || strings.HasPrefix(line, "# HELP node_") || strings.HasPrefix(line, "# TYPE node_") {
			t.Errorf("collector with node families off writes %q", line)
		}
	}
}

func TestNoSecretsExposed(t *testing.T) {
	_, body := scrape(t, sampleSource(), "/metrics")
	if strings.Contains(body, secret) || strings.Contains(body, "MYTOKEN") {
		t.Fatalf("scrape carries the token-looking string:\n%s", body)
	}
}

func TestFailedSourcesAreOmitted(t *testing.T) {
	src := sampleSource()
	src.snap.Errors = map[string]string{
		collector.SourceMemory:      "read meminfo: boom",
		collector.SourceFilesystems: "mounts: boom",
		collector.SourceDisks:       "diskstats: boom",
		collector.SourceNetwork:     "netdev: boom",
		collector.SourceLoad:        "loadavg: boom",
		collector.SourceProcesses:   "proc: boom",
		collector.SourceHost:        "host: boom",
		collector.SourceCPU:         "stat: boom",
	}
	_, body := scrape(t, src, "/metrics")
	fams := parse(t, body)
	for name := range fams {
		if strings.HasPrefix(name, "node_") && name != "node_time_seconds" ||
			strings.HasPrefix(name, "virgo_cpu_") || name == "virgo_processes" {
			t.Errorf("family %s exported from a failed source", name)
		}
	}
	// Every failed source is 0 (none of them timed: no duration).
	wantSuccess := []string{
		"collector=cpu 0", "collector=disks 0", "collector=filesystems 0", "collector=host 0",
		"collector=load 0", "collector=memory 0", "collector=network 0", "collector=processes 0",
	}
	if got := series(fams, "virgo_scrape_collector_success"); !reflect.DeepEqual(got, wantSuccess) {
		t.Errorf("virgo_scrape_collector_success:\n got %q\nwant %q", got, wantSuccess)
	}
	// Checks and the endpoint do not depend on the snapshot.
	if _, ok := value(fams, "virgo_spool_depth", nil); !ok {
		t.Error("virgo_spool_depth missing")
	}
}

func TestFirstSampleHasNoCPUPercentages(t *testing.T) {
	src := sampleSource()
	src.snap.Elapsed = 0
	_, body := scrape(t, src, "/metrics")
	fams := parse(t, body)
	for _, name := range []string{"virgo_cpu_usage_percent", "virgo_cpu_core_usage_percent"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s exported on the first sample", name)
		}
	}
	if v, ok := value(fams, "node_load1", nil); !ok || v != 0.5 {
		t.Errorf("node_load1 = %v, %v; want 0.5", v, ok)
	}
	// Cumulative times need no interval.
	if v, ok := value(fams, "node_cpu_seconds_total", map[string]string{"cpu": "0", "mode": "user"}); !ok || v != 1234.56 {
		t.Errorf("node_cpu_seconds_total{cpu=0,mode=user} = %v, %v; want 1234.56", v, ok)
	}
}

func TestScrapeWithoutSnapshotOrEndpoint(t *testing.T) {
	src := &fakeSource{checks: sampleChecks()}
	code, body := scrape(t, src, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	fams := parse(t, body)
	for name := range fams {
		switch {
		case strings.HasPrefix(name, "node_") && name != "node_time_seconds",
			strings.HasPrefix(name, "virgo_spool_"), strings.HasPrefix(name, "virgo_endpoint_"),
			name == "virgo_notifications_total", name == "virgo_snapshot_timestamp_seconds":
			t.Errorf("family %s exported with no snapshot, endpoint or notifier", name)
		}
	}
	if v, ok := value(fams, "virgo_check_runs_total", map[string]string{"check_id": "chCPU", "check_type": "agent.cpu"}); !ok || v != 10 {
		t.Errorf("virgo_check_runs_total = %v, %v; want 10", v, ok)
	}
}

// TestCollectAndLint runs promlint over the collector's output. The only
// problems allowed are node_exporter's own meminfo names, which are
// camelCase on purpose (they mirror /proc/meminfo), as in node_exporter.
func TestCollectAndLint(t *testing.T) {
	lint(t, newCollector(sampleSource(), testOpts, fixedNow))
}

// lint fails t for every promlint problem of c's output but the allowed
// camelCase ones.
func lint(t *testing.T, c *Collector) {
	t.Helper()
	var b strings.Builder
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.New(strings.NewReader(b.String())).Lint()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"node_memory_MemTotal_bytes": true, "node_memory_MemAvailable_bytes": true,
		"node_memory_MemFree_bytes": true, "node_memory_SwapTotal_bytes": true,
		"node_memory_SwapFree_bytes": true,
	}
	for _, p := range problems {
		if allowed[p.Metric] && p.Text == "metric names should be written in 'snake_case' not 'camelCase'" {
			continue
		}
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestLabelSanitizing(t *testing.T) {
	tests := []struct{ in, want string }{
		{"eth0", "eth0"},
		{"", ""},
		{"/mnt/d\xffta", "/mnt/d\uFFFDta"},
		{"\xc3", "\uFFFD"},
		{"日本", "日本"},
	}
	for _, tt := range tests {
		if got := sanitizeLabel(tt.in); got != tt.want {
			t.Errorf("sanitizeLabel(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAlarmStateValues(t *testing.T) {
	// The documented encoding of virgo_alarm_state.
	tests := []struct {
		state string
		want  float64
	}{{"UNKNOWN", -1}, {"OK", 0}, {"WARNING", 1}, {"CRITICAL", 2}}
	for _, tt := range tests {
		for _, s := range alarmStates {
			if s.String() == tt.state {
				if got := stateValue(s); got != tt.want {
					t.Errorf("stateValue(%s) = %v, want %v", tt.state, got, tt.want)
				}
			}
		}
	}
	if len(alarmStates) != len(tests) {
		t.Errorf("state set has %d members, want %d", len(alarmStates), len(tests))
	}
}

// FuzzLabelValues feeds arbitrary strings into every label a snapshot,
// check or endpoint supplies: the scrape must still parse with
// client_golang's text parser, with valid UTF-8 label values that read
// back as they went in.
func FuzzLabelValues(f *testing.F) {
	f.Add("/", "eth0", "chCPU", "usage", "ep:443", "webhook", "web1")
	f.Add("/mnt/d\xffta", "\xc3", "ch\x00", "dim.x", "", "", "h\xff")
	f.Add("", "", "", "", "", "", "")
	f.Add("a\nb\"c\\", "{}", "x=y", "metric\xfe", "日本", "\xed\xa0\x80", "a\"b\\c\nd")
	f.Fuzz(func(t *testing.T, mount, iface, checkID, metricName, endpoint, notifier, host string) {
		src := sampleSource()
		src.snap.Filesystems = append(src.snap.Filesystems, collector.Filesystem{Mount: mount, Device: mount, FSType: iface})
		src.snap.Network = append(src.snap.Network, collector.NetIf{Name: iface}, collector.NetIf{Name: iface + "\xff"})
		src.snap.Disks = append(src.snap.Disks, collector.Disk{Name: iface})
		src.checks = append(src.checks, agent.CheckView{
			Status: check.Status{
				Def: check.Def{ID: checkID, Type: metricName},
				LastResult: &check.Result{Available: true, Metrics: []check.Metric{
					{Name: metricName, Type: check.TypeDouble, Value: "1"},
					{Dimension: checkID, Name: metricName, Type: check.TypeDouble, Value: "2"},
				}},
			},
			Alarms: []agent.AlarmStatus{{Name: metricName}, {Name: metricName + "\xff"}},
		})
		src.status.Endpoints = append(src.status.Endpoints, src.status.Endpoints[0])
		src.status.Endpoints[len(src.status.Endpoints)-1].Endpoint = endpoint
		src.notes[notifier] = src.notes["webhook"]

		opts := testOpts
		opts.Host = host
		wantHost := sanitizeLabel(opts.host())
		var b strings.Builder
		if err := newCollector(src, opts, fixedNow).WriteText(&b); err != nil {
			t.Fatal(err)
		}
		fams := parse(t, b.String())
		for _, mf := range fams {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if !utf8.ValidString(lp.GetValue()) {
						t.Fatalf("%s: label %s=%q is not UTF-8", mf.GetName(), lp.GetName(), lp.GetValue())
					}
				}
				if !hasLabel(&dto.MetricFamily{Metric: []*dto.Metric{m}}, schema.LabelHost, wantHost) {
					t.Fatalf("%s%v: no host=%q", mf.GetName(), m.GetLabel(), wantHost)
				}
			}
		}
		// Every label value comes back as it went in (sanitized).
		for _, l := range []struct{ fam, name, value string }{
			{"node_network_receive_bytes_total", "device", iface},
			{"virgo_endpoint_reconnects_total", "endpoint", endpoint},
			{"virgo_notify_pending", "notifier", notifier},
			{"virgo_check_runs_total", "check_id", checkID},
		} {
			if !hasLabel(fams[l.fam], l.name, sanitizeLabel(l.value)) {
				t.Errorf("%s has no series with %s=%q", l.fam, l.name, sanitizeLabel(l.value))
			}
		}
	})
}

// hasLabel reports whether a series of mf has label name=value.
func hasLabel(mf *dto.MetricFamily, name, value string) bool {
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == name && lp.GetValue() == value {
				return true
			}
		}
	}
	return false
}

func TestUnixSeconds(t *testing.T) {
	tests := []struct {
		t    time.Time
		want float64
	}{
		{time.Unix(0, 0), 0},
		{time.Unix(1795521600, 0), 1795521600},
		{time.Unix(1795521600, 500_000_000), 1795521600.5},
	}
	for _, tt := range tests {
		if got := unixSeconds(tt.t); got != tt.want {
			t.Errorf("unixSeconds(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
}
