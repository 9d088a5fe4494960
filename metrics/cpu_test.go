package metrics

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/collector"
)

// TestNodeCPUSecondsFromProc samples a canned /proc/stat (testdata/proc,
// guest-heavy: most of cpu1's user time is a VM's) with the collector and
// asserts node_cpu_seconds_total and node_cpu_guest_seconds_total line for
// line: node_exporter's names, labels and values (ticks / USER_HZ), guest
// time in its own family only, so the modes of node_cpu_seconds_total add
// up to the CPU's time once.
func TestNodeCPUSecondsFromProc(t *testing.T) {
	s := collector.NewSampler(collector.Options{ProcRoot: "testdata/proc", Sources: []string{collector.SourceCPU}})
	snap := s.SampleAt(context.Background(), sampleTime)
	if len(snap.Errors) > 0 {
		t.Fatalf("sample errors: %v", snap.Errors)
	}
	var b strings.Builder
	if err := newCollector(&fakeSource{snap: snap}, testOpts, fixedNow).WriteText(&b); err != nil {
		t.Fatal(err)
	}
	var got []string
	for line := range strings.Lines(b.String()) {
		if strings.Contains(line, "node_cpu_") {
			got = append(got, strings.TrimSuffix(line, "\n"))
		}
	}
	want := []string{
		`# HELP node_cpu_guest_seconds_total Seconds the CPUs spent in guests (VMs) for each mode.`,
		`# TYPE node_cpu_guest_seconds_total counter`,
		`node_cpu_guest_seconds_total{cpu="0",host="web1",mode="nice"} 3`,
		`node_cpu_guest_seconds_total{cpu="0",host="web1",mode="user"} 9000`,
		`node_cpu_guest_seconds_total{cpu="1",host="web1",mode="nice"} 37`,
		`node_cpu_guest_seconds_total{cpu="1",host="web1",mode="user"} 15000`,
		`# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.`,
		`# TYPE node_cpu_seconds_total counter`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="idle"} 76543.21`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="iowait"} 9.99`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="irq"} 0`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="nice"} 3.21`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="softirq"} 0.34`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="steal"} 0.01`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="system"} 123.45`,
		`node_cpu_seconds_total{cpu="0",host="web1",mode="user"} 9876.54`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="idle"} 77812.2`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="iowait"} 30.44`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="irq"} 0`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="nice"} 41.45`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="softirq"} 15.77`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="steal"} 0`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="system"} 601.77`,
		`node_cpu_seconds_total{cpu="1",host="web1",mode="user"} 19003.48`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The modes add up to the eight first fields of the cpu line (guest
	// and guest_nice are in user and nice already): cpu1 is 97,642.71 s,
	// not 97,642.71 + 15,037.
	fams := parse(t, b.String())
	var sum float64
	for _, m := range fams["node_cpu_seconds_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "cpu" && lp.GetValue() == "1" {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	if want := (1900348 + 4145 + 60177 + 7781220 + 3044 + 0 + 1577 + 0) / 100.0; sum < want-1e-6 || sum > want+1e-6 {
		t.Errorf("cpu1's modes add up to %v s, want %v", sum, want)
	}
}
