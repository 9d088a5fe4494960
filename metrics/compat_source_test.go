package metrics

import (
	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/notify"
	"github.com/virgo-top/virgo-top/protocol"
)

// compatSources are the fake sources whose collector output client_golang
// encoded before the exposition writer replaced it
// (testdata/clientgolang/<name>.txt): TestClientGolangCompat asserts the
// writer produces the same bytes for them.
func compatSources() map[string]*fakeSource {
	failed := sampleSource()
	failed.snap.Errors = map[string]string{
		collector.SourceMemory: "boom", collector.SourceDisks: "boom", collector.SourceCPU: "boom",
	}
	return map[string]*fakeSource{
		"sample":  sampleSource(),
		"failed":  failed,
		"empty":   {},
		"checks":  {checks: sampleChecks()},
		"awkward": awkwardSource(),
	}
}

// awkwardSource carries what the text format must escape or format with
// care: quotes, backslashes and newlines in label values, invalid UTF-8,
// repeated label sets, NaN, infinities, negative zero, huge and tiny
// numbers, and several notifiers and endpoints to sort.
func awkwardSource() *fakeSource {
	src := sampleSource()
	src.snap.Filesystems = append(src.snap.Filesystems,
		collector.Filesystem{Mount: "/mnt/a\"b\\c\nd", Device: "dev\\x", FSType: "ext4", TotalBytes: 1 << 62},
		collector.Filesystem{Mount: "/mnt/d\xffta", Device: "/dev/sdz", FSType: "xfs", TotalBytes: 123456789012345678},
		collector.Filesystem{Mount: "/mnt/d\xfeta", Device: "/dev/sdz", FSType: "xfs", TotalBytes: 7},
		collector.Filesystem{Mount: "/mnt/日本", Device: "/dev/sdy", FSType: "btrfs", TotalBytes: 1e15},
		collector.Filesystem{Mount: "", Device: "", FSType: ""},
	)
	src.snap.Network = append(src.snap.Network,
		collector.NetIf{Name: "b0", RxBytes: 1 << 53, TxBytes: 1<<53 + 1, LinkState: "down"},
		collector.NetIf{Name: "a0", RxBytes: 999999999999999999, LinkState: "up"},
		collector.NetIf{Name: "A0\t", RxBytes: 100000000000000000},
	)
	src.snap.Disks = append(src.snap.Disks, collector.Disk{Name: "nvme0n1", ReadTimeMs: 1, WriteTimeMs: 123456789})
	metrics := []check.Metric{
		{Name: "nan", Type: check.TypeDouble, Value: "NaN"},
		{Name: "inf", Type: check.TypeDouble, Value: "+Inf"},
		{Name: "neginf", Type: check.TypeDouble, Value: "-Inf"},
		{Name: "negzero", Type: check.TypeDouble, Value: "-0"},
		{Name: "big", Type: check.TypeDouble, Value: "1e21"},
		{Name: "bigint", Type: check.TypeUint64, Value: "18446744073709551615"},
		{Name: "tiny", Type: check.TypeDouble, Value: "1e-7"},
		{Name: "small", Type: check.TypeDouble, Value: "0.0001"},
		{Name: "tenth", Type: check.TypeDouble, Value: "0.1"},
		{Name: "neg", Type: check.TypeInt64, Value: "-42"},
		{Name: "one", Type: check.TypeInt64, Value: "1"},
		{Name: "minusone", Type: check.TypeInt64, Value: "-1"},
		{Name: "e20", Type: check.TypeDouble, Value: "100000000000000000000"},
		{Name: "hex", Type: check.TypeUint64, Value: "0xff"},
		{Name: "third", Type: check.TypeDouble, Value: "0.3333333333333333"},
		{Name: "q\"uote\\back\nline", Type: check.TypeDouble, Value: "3"},
		{Dimension: "d\xff", Name: "x", Type: check.TypeDouble, Value: "4"},
		{Dimension: "d\xfe", Name: "x", Type: check.TypeDouble, Value: "5"},
	}
	src.checks = append(src.checks,
		agent.CheckView{
			Status: check.Status{
				Def:        check.Def{ID: "chZ", Type: "agent.plugin"},
				LastResult: &check.Result{Available: false, Metrics: metrics},
				Runs:       1 << 40,
			},
			Alarms: []agent.AlarmStatus{
				{Name: "b", State: alarm.OK}, {Name: "a", State: alarm.Warning}, {Name: "a", State: alarm.Critical},
			},
			State: alarm.Warning,
		},
		agent.CheckView{
			Status: check.Status{Def: check.Def{ID: "chA", Type: "agent.memory"}},
			Alarms: []agent.AlarmStatus{{Name: "z\"", State: alarm.Unknown}},
		},
	)
	src.status.Endpoints = append(src.status.Endpoints,
		protocol.EndpointStatus{Endpoint: "ep0.example:443", Reconnects: 1},
		protocol.EndpointStatus{Endpoint: "ep1.example:443", Reconnects: 99},
	)
	src.notes["email"] = notify.NotifierStats{Sent: 1}
	src.notes["sms"] = notify.NotifierStats{Failed: 3, Pending: 1}
	return src
}
