package metrics

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/internal/schema"
	"github.com/virgo-top/virgo-top/notify"
	"github.com/virgo-top/virgo-top/protocol"
)

// fakeSource is a Source with fixed answers.
type fakeSource struct {
	snap        *collector.Snapshot
	checks      []agent.CheckView
	status      protocol.Status
	hasEndpoint bool
	notes       map[string]notify.NotifierStats
}

func (f *fakeSource) Latest() *collector.Snapshot { return f.snap }
func (f *fakeSource) Checks() []agent.CheckView   { return f.checks }
func (f *fakeSource) Endpoint() (protocol.Status, bool) {
	return f.status, f.hasEndpoint
}
func (f *fakeSource) Notifications() map[string]notify.NotifierStats { return f.notes }

// secret looks like a monitoring token; it sits in every place a careless
// exporter could copy it from, and must never reach a scrape.
const secret = "MYTOKEN-5f0c1d2e3a4b"

var (
	sampleTime = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	scrapeTime = sampleTime.Add(2 * time.Second)
)

func fixedNow() time.Time { return scrapeTime }

// The agent's name in the tests: every series carries host="web1".
const (
	testHost    = "web1"
	testAgentID = "agentA"
)

var testOpts = Options{Version: "1.2.3", Host: testHost, AgentID: testAgentID}

func sampleSnapshot() *collector.Snapshot {
	return &collector.Snapshot{
		Time:    sampleTime,
		Elapsed: time.Second,
		Host: collector.Host{
			Hostname: "web1", BootTime: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		},
		CPU: collector.CPU{
			CPUTimes: collector.CPUTimes{
				UsagePct: 21.25, UserPct: 12.5, SystemPct: 5, IdlePct: 78.75,
				IOWaitPct: 2, StealPct: 0.25, IRQPct: 1, NicePct: 0.5,
			},
			Cores:   2,
			PerCore: []collector.CPUTimes{{UsagePct: 30}, {UsagePct: 12.5}},
			Seconds: []collector.CPUSeconds{
				{CPU: 0, User: 1234.56, Nice: 7.5, System: 321, Idle: 98765.43, IOWait: 12, IRQ: 1.5, SoftIRQ: 2.25, Steal: 0.5,
					Guest: 1000, GuestNice: 5},
				{CPU: 1, User: 100, System: 50, Idle: 99000},
			},
		},
		Memory: collector.Memory{
			TotalBytes: 8 << 30, FreeBytes: 1 << 30, AvailableBytes: 5 << 30,
			CachedBytes: 3 << 30, BuffersBytes: 256 << 20, SwapTotalBytes: 2 << 30, SwapFreeBytes: 1536 << 20,
		},
		Load: collector.Load{Load1: 0.5, Load5: 0.75, Load15: 1.25, Cores: 2},
		Filesystems: []collector.Filesystem{
			{Mount: "/", Device: "/dev/sda1", FSType: "ext4", TotalBytes: 100 << 30, FreeBytes: 40 << 30,
				AvailBytes: 35 << 30, InodesTotal: 6553600, InodesFree: 6000000},
			// Same mountpoint again (an overmount): the first one wins.
			{Mount: "/", Device: "overlay", FSType: "overlay", TotalBytes: 1, FreeBytes: 1, AvailBytes: 1},
			{Mount: "/mnt/d\xffta", Device: "/dev/sdb1", FSType: "xfs", TotalBytes: 10 << 30, FreeBytes: 9 << 30,
				AvailBytes: 9 << 30, InodesTotal: 1000, InodesFree: 990, ReadOnly: true},
		},
		Disks: []collector.Disk{
			{Name: "sda", Reads: 1000, Writes: 2000, ReadBytes: 4096000, WriteBytes: 8192000,
				ReadTimeMs: 1500, WriteTimeMs: 2500, IOTimeMs: 3250, WeightedMs: 4000},
		},
		Network: []collector.NetIf{
			{Name: "eth0", RxBytes: 123456, TxBytes: 654321, RxPackets: 1000, TxPackets: 900,
				RxErrors: 1, TxErrors: 2, RxDropped: 3, TxDropped: 4, LinkState: "up"},
			{Name: "eth1", RxBytes: 7, LinkState: "down"},
			// The same name twice (a rename between reads): the first wins.
			{Name: "eth0", RxBytes: 1, LinkState: "down"},
		},
		Processes: []collector.Process{
			{PID: 1, Name: "init", Cmdline: "/sbin/init --token " + secret},
			{PID: 2, Name: "kthreadd"},
			{PID: 300, Name: "virgo-top"},
		},
		ProcessCount: 3,
		Durations: map[string]time.Duration{
			collector.SourceCPU:    1500 * time.Microsecond,
			collector.SourceMemory: 250 * time.Microsecond,
		},
	}
}

func sampleChecks() []agent.CheckView {
	cpuRes := &check.Result{
		CheckID: "chCPU", CheckType: "agent.cpu", Time: sampleTime, Available: true,
		Status: "ok token=" + secret,
		Metrics: []check.Metric{
			{Name: "usage_average", Type: check.TypeDouble, Value: "12.5"},
			{Name: "max_cpu_usage", Type: check.TypeDouble, Value: "40", Unit: "percent"},
			{Dimension: "sda", Name: "reads", Type: check.TypeUint64, Value: "42"},
			{Name: "healthy", Type: check.TypeBool, Value: "true"},
			{Name: "note", Type: check.TypeString, Value: secret},
			{Name: "garbage", Type: check.TypeInt64, Value: "not-a-number"},
			// A repeated name: the first one wins.
			{Name: "usage_average", Type: check.TypeDouble, Value: "99"},
		},
	}
	return []agent.CheckView{
		{
			Status: check.Status{
				Def: check.Def{ID: "chCPU", Label: "cpu " + secret, Type: "agent.cpu", Period: 30 * time.Second,
					Details: map[string]any{"token": secret}, Source: "confd:cpu.yaml"},
				LastRun: sampleTime.Add(-time.Second), LastDuration: 250 * time.Millisecond, LastResult: cpuRes,
				Runs: 10, Timeouts: 1, Skipped: 2,
			},
			Alarms: []agent.AlarmStatus{
				{Name: "crit", Label: secret, State: alarm.Critical, Message: "cpu at " + secret},
				{Name: "high", State: alarm.Warning},
				{Name: "new", State: alarm.Unknown, Err: "parse " + secret},
			},
			State:   alarm.Critical,
			Message: "cpu at " + secret,
		},
		{
			Status: check.Status{
				Def:  check.Def{ID: "chPING", Type: "remote.ping", Period: time.Minute},
				Runs: 0,
			},
			State: alarm.Unknown,
		},
		{
			// One metric per check metric family, as agent.disk and
			// agent.memory send them.
			Status: check.Status{
				Def: check.Def{ID: "chDISK", Type: "agent.disk", Period: time.Minute},
				LastResult: &check.Result{CheckID: "chDISK", CheckType: "agent.disk", Time: sampleTime, Available: true,
					Metrics: []check.Metric{
						{Name: "reads", Type: check.TypeInt64, Value: "1000", Unit: "reads"},
						{Name: "read_bytes", Type: check.TypeInt64, Value: "4096000", Unit: "bytes"},
						{Name: "rtime", Type: check.TypeInt64, Value: "1500", Unit: "milliseconds"},
						{Name: "service_time", Type: check.TypeDouble, Value: "0.25", Unit: "milliseconds"},
						{Name: "queue", Type: check.TypeDouble, Value: "0.5", Unit: "seconds"},
					}},
				LastRun: sampleTime, Runs: 1,
			},
			State: alarm.OK,
		},
		{
			Status: check.Status{
				Def: check.Def{ID: "chMEM", Type: "agent.memory", Period: time.Minute},
				LastResult: &check.Result{CheckID: "chMEM", CheckType: "agent.memory", Time: sampleTime, Available: true,
					Metrics: []check.Metric{
						{Name: "used", Type: check.TypeGauge, Value: "3221225472", Unit: "bytes"},
						{Name: "ram", Type: check.TypeGauge, Value: "8192", Unit: "megabytes"},
					}},
				LastRun: sampleTime, Runs: 1,
			},
			State: alarm.OK,
		},
	}
}

func sampleSource() *fakeSource {
	return &fakeSource{
		snap:   sampleSnapshot(),
		checks: sampleChecks(),
		status: protocol.Status{
			Endpoints: []protocol.EndpointStatus{
				{Endpoint: "ep1.example:443", State: protocol.StateConnected, Active: true,
					RTT: 40 * time.Millisecond, RTTKnown: true, Reconnects: 2,
					LastError: "auth failed for " + secret, EntityID: "en" + secret},
				{Endpoint: "ep2.example:443", State: protocol.StateBackoff, Reconnects: 7, Unavailable: 9},
			},
			Spool: protocol.SpoolStats{Depth: 3, Bytes: 1200, Sent: 50, Rejected: 1, Dropped: 4, StoreErrors: 5,
				Dead: 6, Retrying: 1, Degraded: "spool in memory only: open /var/lib/virgo-top/spool.jsonl: read-only file system"},
		},
		hasEndpoint: true,
		notes: map[string]notify.NotifierStats{
			"webhook": {Sent: 5, Failed: 1, Retried: 2, Coalesced: 3, Expired: 1, Pending: 2, WriteErrors: 4},
		},
	}
}

// scrape serves one GET of path from a handler over src on loopback.
func scrape(t testing.TB, src Source, path string) (int, string) {
	t.Helper()
	srv := httptest.NewServer(newHandler(src, testOpts, fixedNow))
	defer srv.Close()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// parse reads a text-format exposition.
func parse(t testing.TB, body string) map[string]*dto.MetricFamily {
	t.Helper()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, body)
	}
	return fams
}

// value finds the sample of family name whose labels are exactly labels
// and host=testHost (added unless labels name the host).
func value(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	mf, ok := fams[name]
	if !ok {
		return 0, false
	}
	if _, named := labels[schema.LabelHost]; !named {
		labels = maps.Clone(labels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[schema.LabelHost] = testHost
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, lp := range m.GetLabel() {
			if v, ok := labels[lp.GetName()]; !ok || v != lp.GetValue() {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// series lists a family's samples as "label=value,... value" lines, sorted.
// The host label is left out when it is host=testHost (and only then).
func series(fams map[string]*dto.MetricFamily, name string) []string {
	var out []string
	for _, m := range fams[name].GetMetric() {
		var b bytes.Buffer
		for _, lp := range m.GetLabel() {
			if lp.GetName() == schema.LabelHost && lp.GetValue() == testHost {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(lp.GetName() + "=" + lp.GetValue())
		}
		var v float64
		switch {
		case m.GetGauge() != nil:
			v = m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			v = m.GetCounter().GetValue()
		}
		out = append(out, b.String()+" "+formatFloat(v))
	}
	sort.Strings(out)
	return out
}
