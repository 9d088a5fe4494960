package metrics

import (
	"bytes"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// cgCollector hands an exposition's samples to client_golang as constant
// metrics, so its registry and expfmt encode them: the writer's output is
// compared with theirs (TestClientGolangCompat).
type cgCollector struct {
	t     testing.TB
	x     *exposition
	descs map[*family]*prometheus.Desc
}

func newCGCollector(t testing.TB, x *exposition) *cgCollector {
	c := &cgCollector{t: t, x: x, descs: map[*family]*prometheus.Desc{}}
	for f := range x.samples {
		c.descs[f] = prometheus.NewDesc(f.name, f.help, f.labels, nil)
	}
	return c
}

func (c *cgCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *cgCollector) Collect(ch chan<- prometheus.Metric) {
	for f, ss := range c.x.samples {
		d := c.descs[f]
		for _, s := range ss {
			var m prometheus.Metric
			var err error
			switch f.typ {
			case gaugeType:
				m, err = prometheus.NewConstMetric(d, prometheus.GaugeValue, s.value, s.labels...)
			case counterType:
				m, err = prometheus.NewConstMetric(d, prometheus.CounterValue, s.value, s.labels...)
			case summaryType:
				qs := map[float64]float64{}
				for _, q := range s.sum.quantiles {
					qs[q[0]] = q[1]
				}
				m, err = prometheus.NewConstSummary(d, s.sum.count, s.sum.sum, qs, s.labels...)
			}
			if err != nil {
				c.t.Errorf("client_golang refuses %s%q: %v", f.name, s.labels, err)
				continue
			}
			ch <- m
		}
	}
}

// clientGolangText is x as client_golang's pedantic registry gathers it
// and expfmt's text encoder writes it.
func clientGolangText(t testing.TB, x *exposition) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(newCGCollector(t, x)); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("client_golang gather: %v", err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}
