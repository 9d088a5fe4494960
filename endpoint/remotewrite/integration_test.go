package remotewrite

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/internal/enginetest"
)

// Integration tests against the real engines (Debian's prometheus and
// victoria-metrics), started on loopback by internal/enginetest.

// engineSeries are written at now-30s and now-20s and read back.
func engineSeries(now time.Time, run string) []Series {
	t0 := now.Add(-30 * time.Second).UnixMilli()
	return []Series{
		{
			Labels:  []Label{{"metric", "usage"}, {"agent_id", "agent-1"}, {"__name__", "virgo_rw_test"}, {"run", run}, {"host", "hôte-日本"}},
			Samples: []Sample{{41.25, t0}, {42.5, t0 + 10000}},
		},
		{
			Labels:  []Label{{"__name__", "virgo_rw_test"}, {"agent_id", "agent-2"}, {"run", run}, {"metric", "usage"}, {"empty", ""}},
			Samples: []Sample{{math.Inf(1), t0 + 10000}},
		},
	}
}

// checkReadBack queries each series' latest value at now and compares.
func checkReadBack(t *testing.T, base string, now time.Time, run string) {
	t.Helper()
	got := enginetest.QueryUntil(t, base, `virgo_rw_test{run="`+run+`"}`, now, func(s []enginetest.Sample) bool { return len(s) == 2 })
	want := map[string]struct {
		v      float64
		labels map[string]string
	}{
		"agent-1": {42.5, map[string]string{"__name__": "virgo_rw_test", "agent_id": "agent-1", "metric": "usage", "run": run, "host": "hôte-日本"}},
		"agent-2": {math.Inf(1), map[string]string{"__name__": "virgo_rw_test", "agent_id": "agent-2", "metric": "usage", "run": run}},
	}
	for _, s := range got {
		w, ok := want[s.Metric["agent_id"]]
		if !ok {
			t.Errorf("unexpected series %v", s.Metric)
			continue
		}
		if s.Value != w.v {
			t.Errorf("%s = %v, want %v", s.Metric["agent_id"], s.Value, w.v)
		}
		if len(s.Metric) != len(w.labels) {
			t.Errorf("%s labels %v, want %v", s.Metric["agent_id"], s.Metric, w.labels)
		}
		for k, v := range w.labels {
			if s.Metric[k] != v {
				t.Errorf("%s label %s = %q, want %q", s.Metric["agent_id"], k, s.Metric[k], v)
			}
		}
	}
}

func TestPrometheus(t *testing.T) {
	base := enginetest.StartPrometheus(t, enginetest.PrometheusOptions{RemoteWriteReceiver: true})
	c, err := New(Config{URL: base + "/api/v1/write", Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := c.Write(context.Background(), engineSeries(now, "p1")); err != nil {
		t.Fatal(err)
	}
	checkReadBack(t, base, now, "p1")

	// A sample older than the series' latest is out of order: Prometheus
	// refuses the request with a 400, which no retry can fix.
	old := []Series{{
		Labels:  []Label{{"__name__", "virgo_rw_test"}, {"agent_id", "agent-1"}, {"metric", "usage"}, {"run", "p1"}, {"host", "hôte-日本"}},
		Samples: []Sample{{1, now.Add(-time.Hour).UnixMilli()}},
	}}
	err = c.Write(context.Background(), old)
	if !IsPermanent(err) {
		t.Fatalf("out-of-order write: err = %v, want a permanent error", err)
	}
	if e := err.(*Error); e.Status != 400 || !strings.Contains(e.Body, "out of order") {
		t.Errorf("out-of-order write: %d %q, want 400 and Prometheus' message", e.Status, e.Body)
	}
	// A sample far older than the head block is out of bounds: also 400.
	ancient := []Series{{
		Labels:  []Label{{"__name__", "virgo_rw_test_new"}, {"run", "p1"}},
		Samples: []Sample{{1, now.Add(-30 * 24 * time.Hour).UnixMilli()}},
	}}
	err = c.Write(context.Background(), ancient)
	if !IsPermanent(err) {
		t.Fatalf("too-old write: err = %v, want a permanent error", err)
	}
	if e := err.(*Error); !strings.Contains(e.Body, "out of bounds") {
		t.Errorf("too-old write: body %q, want Prometheus' message", e.Body)
	}
	t.Logf("Prometheus refusals: %v", err)
}

func TestVictoriaMetrics(t *testing.T) {
	base := enginetest.StartVictoriaMetrics(t, enginetest.VictoriaMetricsOptions{})
	c, err := New(Config{URL: base + "/api/v1/write", Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := c.Write(context.Background(), engineSeries(now, "v1")); err != nil {
		t.Fatal(err)
	}
	checkReadBack(t, base, now, "v1")
}
