package fleet_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/internal/enginetest"
)

// backfilledPrometheus writes om (OpenMetrics text, "# EOF" added) into a
// fresh TSDB with promtool and starts Prometheus on it, scraping nothing.
func backfilledPrometheus(t *testing.T, om string) string {
	t.Helper()
	promtool := enginetest.Binary(t, "/usr/bin/promtool")
	dir := t.TempDir()
	src := filepath.Join(dir, "data.om")
	if err := os.WriteFile(src, []byte(om+"# EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "tsdb", "create-blocks-from", "openmetrics", src, filepath.Join(dir, "prom-data")).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	return enginetest.StartPrometheus(t, enginetest.PrometheusOptions{ScrapeInterval: time.Minute, DataDir: filepath.Join(dir, "prom-data")})
}

// Hosts named by a host label whose node_uname_info names another
// nodename (node_exporter targets labelled with host) are one host, not
// two: the host label wins over the nodename. A host that stopped within
// the lookback is DOWN with the age of its last sample. An agent through
// virgo-top endpoint (no series whose value is a time) is on every page
// sort, even by a column it has no value for.
func TestHostLabelledNodeExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	end := time.Now().Add(-time.Hour).Truncate(time.Minute)
	var b strings.Builder
	b.WriteString("# TYPE node_uname_info gauge\n")
	series := func(name, labels string, last time.Time, value func(ts int64) float64) {
		for ts := end.Add(-time.Hour); !ts.After(last); ts = ts.Add(time.Minute) {
			fmt.Fprintf(&b, "%s{%s} %g %d\n", name, labels, value(ts.Unix()), ts.Unix())
		}
	}
	one := func(int64) float64 { return 1 }
	self := func(ts int64) float64 { return float64(ts) }
	series("node_uname_info", `host="nodeh",instance="a:9100",job="node",nodename="other-name"`, end, one)
	series("node_uname_info", `instance="b:9100",job="node",nodename="plain"`, end, one)
	series("node_uname_info", `instance="c:9100",job="node",nodename="stopped"`, end.Add(-30*time.Minute), one)
	b.WriteString("# TYPE node_time_seconds gauge\n")
	series("node_time_seconds", `host="nodeh",instance="a:9100",job="node"`, end, self)
	series("node_time_seconds", `instance="b:9100",job="node"`, end, self)
	series("node_time_seconds", `instance="c:9100",job="node"`, end.Add(-30*time.Minute), self)
	// An agent through virgo-top endpoint: no series whose value is a time.
	b.WriteString("# TYPE virgo_check_metric gauge\n")
	series("virgo_check_metric", `check_type="agent.cpu",host="ep1",instance="gw:9111",job="endpoint",metric="usage_average"`, end, func(int64) float64 { return 12 })
	url := backfilledPrometheus(t, b.String())
	c, err := fleet.New(fleet.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.NewFleet(c, fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []fleet.Request{{Sort: fleet.ColHost}, {Sort: fleet.ColHost, Limit: 10}, {Sort: fleet.ColMem, Desc: true, Limit: 10}, {Sort: fleet.ColLoad, Limit: 10}} {
		req.At = end
		tb, err := f.Table(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range tb.Hosts {
			s := h.Host + ":" + h.Status
			if h.Age != nil {
				s += ":" + fleet.FormatAge(*h.Age)
			}
			got = append(got, s)
		}
		sort.Strings(got)
		if want := "ep1:UP:0s nodeh:UP:0s plain:UP:0s stopped:DOWN:30m"; strings.Join(got, " ") != want || tb.Total != 4 {
			t.Errorf("%s limit %d: %d hosts %v, want %s", req.Sort, req.Limit, tb.Total, got, want)
		}
	}
}

// TestColumnsPreferTheWholeHost: an agent's /metrics has node_filesystem_*
// for every filesystem and an agent.filesystem check for one of them; the
// fullest filesystem (and memory, network) comes from the whole host, never
// from the one filesystem a check happens to target. A host reporting only
// check metrics (through virgo-top endpoint) still gets them from those.
func TestColumnsPreferTheWholeHost(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prometheus")
	}
	end := time.Now().Add(-time.Hour).Truncate(time.Minute)
	var b strings.Builder
	series := func(name, labels string, value float64) {
		for ts := end.Add(-time.Hour); !ts.After(end); ts = ts.Add(time.Minute) {
			fmt.Fprintf(&b, "%s{%s} %g %d\n", name, labels, value, ts.Unix())
		}
	}
	const agent = `host="both",instance="a:19100",job="virgo"`
	b.WriteString("# TYPE virgo_agent_info gauge\n")
	series("virgo_agent_info", agent+`,agent_id="both"`, 1)
	b.WriteString("# TYPE node_filesystem_avail_bytes gauge\n")
	series("node_filesystem_avail_bytes", agent+`,device="/dev/vda",fstype="ext4",mountpoint="/"`, 90)
	series("node_filesystem_avail_bytes", agent+`,device="/dev/vdb",fstype="ext4",mountpoint="/data"`, 25)
	b.WriteString("# TYPE node_filesystem_size_bytes gauge\n")
	series("node_filesystem_size_bytes", agent+`,device="/dev/vda",fstype="ext4",mountpoint="/"`, 100)
	series("node_filesystem_size_bytes", agent+`,device="/dev/vdb",fstype="ext4",mountpoint="/data"`, 100)
	b.WriteString("# TYPE virgo_check_metric_bytes gauge\n")
	series("virgo_check_metric_bytes", agent+`,check_id="root",check_type="agent.filesystem",metric="used"`, 10)
	series("virgo_check_metric_bytes", agent+`,check_id="root",check_type="agent.filesystem",metric="total"`, 100)
	const ep = `host="ep",instance="gw:9111",job="endpoint",agent_id="ep"`
	series("virgo_check_metric_bytes", ep+`,check_id="root",check_type="agent.filesystem",metric="used"`, 40)
	series("virgo_check_metric_bytes", ep+`,check_id="root",check_type="agent.filesystem",metric="total"`, 100)
	b.WriteString("# TYPE virgo_check_metric gauge\n")
	series("virgo_check_metric", ep+`,check_id="cpu",check_type="agent.cpu",metric="usage_average"`, 12)
	url := backfilledPrometheus(t, b.String())
	c, err := fleet.New(fleet.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.NewFleet(c, fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tb, err := f.Table(context.Background(), fleet.Request{Sort: fleet.ColHost, At: end})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, h := range tb.Hosts {
		if h.Disk != nil {
			got[h.Host] = *h.Disk
		}
	}
	if want := map[string]float64{"both": 75, "ep": 40}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fullest filesystem %v, want %v", got, want)
	}
}
