package metrics

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
)

// checkEnv is a check.Env over one snapshot.
type checkEnv struct{ snap *collector.Snapshot }

func (e checkEnv) Latest() *collector.Snapshot { return e.snap }
func (checkEnv) CPUWindow(time.Time) (check.CPUStats, bool) {
	return check.CPUStats{}, false
}

// checkMetricSnapshot is what the agent.* checks of TestCheckMetricFamilies
// read.
func checkMetricSnapshot() *collector.Snapshot {
	return &collector.Snapshot{
		Time: sampleTime, Elapsed: time.Second,
		Memory: collector.Memory{
			TotalBytes: 8 << 30, FreeBytes: 1 << 30, AvailableBytes: 5 << 30, ActualFreeBytes: 6 << 30,
			BuffersBytes: 256 << 20, CachedBytes: 3 << 30, RAMMB: 8192,
			SwapTotalBytes: 2 << 30, SwapFreeBytes: 1536 << 20, SwapUsedBytes: 512 << 20,
			SwapInPages: 10, SwapOutPages: 20,
		},
		Filesystems: []collector.Filesystem{{
			Mount: "/", Device: "/dev/sda1", Disk: "sda1", FSType: "ext4",
			TotalBytes: 100 << 30, UsedBytes: 60 << 30, FreeBytes: 40 << 30, AvailBytes: 35 << 30,
			InodesTotal: 6553600, InodesFree: 6000000,
		}},
		Disks: []collector.Disk{{
			Name: "sda", Reads: 1000, Writes: 2000, ReadBytes: 4096000, WriteBytes: 8192000,
			ReadTimeMs: 1500, WriteTimeMs: 2500, IOTimeMs: 3250, WeightedMs: 4000,
			ServiceTimeMs: 1.25, Queue: 0.5,
		}},
		Network: []collector.NetIf{{
			Name: "eth0", RxBytes: 123456, TxBytes: 654321, RxPackets: 1000, TxPackets: 900,
			RxErrors: 1, TxErrors: 2, RxDropped: 3, TxDropped: 4, LinkState: "up",
		}},
	}
}

// TestCheckMetricFamilies runs real checks (agent.memory, agent.filesystem
// in kilobytes, agent.disk in milliseconds, agent.network's counters, and
// a plugin's output with units) and asserts the check metric lines of the
// scrape exactly: one family per base unit, the counters under _total
// (schema.CheckFamily), values in bytes and seconds, strings left out.
func TestCheckMetricFamilies(t *testing.T) {
	env := checkEnv{checkMetricSnapshot()}
	defs := []check.Def{
		{ID: "chMem", Type: check.TypeMemory},
		{ID: "chFS", Type: check.TypeFilesystem, Details: map[string]any{"target": "/"}},
		{ID: "chDisk", Type: check.TypeDisk, Details: map[string]any{"target": "sda"}},
		{ID: "chNet", Type: check.TypeNetwork, Details: map[string]any{"target": "eth0"}},
	}
	var views []agent.CheckView
	for _, d := range defs {
		r := check.RunOnce(context.Background(), env, d, check.SchedulerOptions{})
		if !r.Available {
			t.Fatalf("%s: %s", d.Type, r.Status)
		}
		views = append(views, agent.CheckView{Status: check.Status{Def: d, LastResult: &r}})
	}
	out, err := check.ParsePluginOutput([]byte("status ok\n" +
		"metric latency float 12.5 ms\n" +
		"metric cache.size int 2048 KB\n" +
		"metric uptime int 3600 seconds\n" +
		"metric requests gauge 12345 requests\n" +
		"metric sent gauge 1 MB\n" +
		"metric ratio float 0.75 percent\n" +
		"metric version string 1.2.3\n"))
	if err != nil {
		t.Fatal(err)
	}
	views = append(views, agent.CheckView{Status: check.Status{
		Def:        check.Def{ID: "chPlug", Type: check.TypePlugin},
		LastResult: &check.Result{Available: true, Metrics: out.Metrics},
	}})

	var b strings.Builder
	if err := newCollector(&fakeSource{checks: views}, testOpts, fixedNow).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(b.String()) {
		if strings.HasPrefix(line, "virgo_check_metric") {
			got = append(got, strings.TrimSuffix(line, "\n"))
		}
	}
	want := []string{
		`virgo_check_metric{check_id="chFS",check_type="agent.filesystem",host="web1",metric="files"} 6.5536e+06`,
		`virgo_check_metric{check_id="chFS",check_type="agent.filesystem",host="web1",metric="free_files"} 6e+06`,
		`virgo_check_metric{check_id="chPlug",check_type="agent.plugin",host="web1",metric="ratio"} 0.75`,
		`virgo_check_metric_bytes{check_id="chFS",check_type="agent.filesystem",host="web1",metric="avail"} 3.758096384e+10`,
		`virgo_check_metric_bytes{check_id="chFS",check_type="agent.filesystem",host="web1",metric="free"} 4.294967296e+10`,
		`virgo_check_metric_bytes{check_id="chFS",check_type="agent.filesystem",host="web1",metric="total"} 1.073741824e+11`,
		`virgo_check_metric_bytes{check_id="chFS",check_type="agent.filesystem",host="web1",metric="used"} 6.442450944e+10`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="actual_free"} 6.442450944e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="actual_used"} 2.147483648e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="free"} 1.073741824e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="ram"} 8.589934592e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="swap_free"} 1.610612736e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="swap_total"} 2.147483648e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="swap_used"} 5.36870912e+08`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="total"} 8.589934592e+09`,
		`virgo_check_metric_bytes{check_id="chMem",check_type="agent.memory",host="web1",metric="used"} 7.516192768e+09`,
		`virgo_check_metric_bytes{check_id="chPlug",check_type="agent.plugin",host="web1",metric="cache.size"} 2.097152e+06`,
		`virgo_check_metric_bytes_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="read_bytes"} 4.096e+06`,
		`virgo_check_metric_bytes_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="write_bytes"} 8.192e+06`,
		`virgo_check_metric_bytes_total{check_id="chNet",check_type="agent.network",host="web1",metric="rx_bytes"} 123456`,
		`virgo_check_metric_bytes_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_bytes"} 654321`,
		`virgo_check_metric_bytes_total{check_id="chPlug",check_type="agent.plugin",host="web1",metric="sent"} 1.048576e+06`,
		`virgo_check_metric_seconds{check_id="chDisk",check_type="agent.disk",host="web1",metric="queue"} 0.5`,
		`virgo_check_metric_seconds{check_id="chDisk",check_type="agent.disk",host="web1",metric="service_time"} 0.00125`,
		`virgo_check_metric_seconds{check_id="chPlug",check_type="agent.plugin",host="web1",metric="latency"} 0.0125`,
		`virgo_check_metric_seconds{check_id="chPlug",check_type="agent.plugin",host="web1",metric="uptime"} 3600`,
		`virgo_check_metric_seconds_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="qtime"} 4`,
		`virgo_check_metric_seconds_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="rtime"} 1.5`,
		`virgo_check_metric_seconds_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="time"} 3.25`,
		`virgo_check_metric_seconds_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="wtime"} 2.5`,
		`virgo_check_metric_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="reads"} 1000`,
		`virgo_check_metric_total{check_id="chDisk",check_type="agent.disk",host="web1",metric="writes"} 2000`,
		`virgo_check_metric_total{check_id="chMem",check_type="agent.memory",host="web1",metric="swap_page_in"} 10`,
		`virgo_check_metric_total{check_id="chMem",check_type="agent.memory",host="web1",metric="swap_page_out"} 20`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="rx_dropped"} 3`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="rx_errors"} 1`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="rx_frame"} 0`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="rx_overruns"} 0`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="rx_packets"} 1000`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_carrier"} 0`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_collisions"} 0`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_dropped"} 4`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_errors"} 2`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_overruns"} 0`,
		`virgo_check_metric_total{check_id="chNet",check_type="agent.network",host="web1",metric="tx_packets"} 900`,
		`virgo_check_metric_total{check_id="chPlug",check_type="agent.plugin",host="web1",metric="requests"} 12345`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every family's HELP names its unit.
	for _, h := range []string{
		"# HELP virgo_check_metric_bytes Numeric metric of the check's last result, in bytes",
		"# HELP virgo_check_metric_seconds Numeric metric of the check's last result, in seconds",
		"# HELP virgo_check_metric_bytes_total Cumulative metric of the check's last result, in bytes",
		"# HELP virgo_check_metric_seconds_total Cumulative metric of the check's last result, in seconds",
		"# HELP virgo_check_metric Numeric metric of the check's last result without a base unit",
		"# HELP virgo_check_metric_total Cumulative metric of the check's last result without a base unit",
	} {
		if !strings.Contains(b.String(), h) {
			t.Errorf("no %q", h)
		}
	}
}

// TestCheckMetricRepeatedName: a metric name repeated within a result is
// one series, the first's, even when the repeat's unit picks another
// family; a dimension folds in, so "a.b" repeats dimension "a", name "b".
// A string metric of the same name does not count.
func TestCheckMetricRepeatedName(t *testing.T) {
	views := []agent.CheckView{{Status: check.Status{
		Def: check.Def{ID: "ch", Type: check.TypePlugin},
		LastResult: &check.Result{Available: true, Metrics: []check.Metric{
			{Name: "x", Type: check.TypeString, Value: "text"},
			{Name: "x", Type: check.TypeDouble, Value: "5", Unit: "ms"},
			{Name: "x", Type: check.TypeDouble, Value: "7", Unit: "bytes"},
			{Name: "x", Type: check.TypeDouble, Value: "9"},
			{Dimension: "a", Name: "b", Type: check.TypeInt64, Value: "1"},
			{Name: "a.b", Type: check.TypeInt64, Value: "2", Unit: "KB"},
			{Name: "ab", Type: check.TypeInt64, Value: "3"},
		}},
	}}}
	var b strings.Builder
	if err := newCollector(&fakeSource{checks: views}, testOpts, fixedNow).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(b.String()) {
		if strings.HasPrefix(line, "virgo_check_metric") {
			got = append(got, strings.TrimSuffix(line, "\n"))
		}
	}
	want := []string{
		`virgo_check_metric{check_id="ch",check_type="agent.plugin",host="web1",metric="a.b"} 1`,
		`virgo_check_metric{check_id="ch",check_type="agent.plugin",host="web1",metric="ab"} 3`,
		`virgo_check_metric_seconds{check_id="ch",check_type="agent.plugin",host="web1",metric="x"} 0.005`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
