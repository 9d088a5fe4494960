package enginetest

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Sample
		err        string
	}{
		{
			name: "vector",
			body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"x"},"value":[1700000000.5,"1"]},{"metric":{},"value":[1700000000,"NaN"]}]}}`,
			want: []Sample{
				{Metric: map[string]string{"__name__": "up", "job": "x"}, Time: time.UnixMilli(1700000000500), Value: 1},
				{Metric: map[string]string{}, Time: time.Unix(1700000000, 0), Value: math.NaN()},
			},
		},
		{name: "empty", body: `{"status":"success","data":{"resultType":"vector","result":[]}}`, want: []Sample{}},
		{name: "error", body: `{"status":"error","errorType":"bad_data","error":"parse error"}`, err: "parse error"},
		{name: "matrix", body: `{"status":"success","data":{"resultType":"matrix","result":[]}}`, err: "not a vector"},
		{name: "garbage", body: `<html>`, err: "decoding"},
		{name: "short value", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}}`, err: "not [time, value]"},
		{name: "bad number", body: `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`, err: "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseQuery([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d samples, want %d", len(got), len(tt.want))
			}
			for i := range got {
				g, w := got[i], tt.want[i]
				same := g.Value == w.Value || (math.IsNaN(g.Value) && math.IsNaN(w.Value))
				if !same || !g.Time.Equal(w.Time) || len(g.Metric) != len(w.Metric) {
					t.Errorf("sample %d = %+v, want %+v", i, g, w)
				}
				for k, v := range w.Metric {
					if g.Metric[k] != v {
						t.Errorf("sample %d label %s = %q, want %q", i, k, g.Metric[k], v)
					}
				}
			}
		})
	}
}

// TestEngines starts each engine and checks it answers: Prometheus
// scraping node_exporter, so one query goes through both.
func TestEngines(t *testing.T) {
	node := StartNodeExporter(t)
	prom := StartPrometheus(t, PrometheusOptions{
		RemoteWriteReceiver: true,
		ScrapeConfigs:       "- job_name: node\n  static_configs: [{targets: [\"" + strings.TrimPrefix(node, "http://") + "\"]}]\n",
	})
	up := QueryUntil(t, prom, `up{job="node"}`, time.Time{}, func(s []Sample) bool { return len(s) == 1 && s[0].Value == 1 })
	if up[0].Metric["job"] != "node" {
		t.Errorf("up = %+v", up)
	}
	vm := StartVictoriaMetrics(t, VictoriaMetricsOptions{})
	if got := Query(t, vm, `vector(1)`); len(got) != 1 || got[0].Value != 1 {
		t.Errorf("VictoriaMetrics vector(1) = %+v", got)
	}
	am := StartAlertmanager(t)
	if got := Alerts(t, am); len(got) != 0 {
		t.Errorf("new Alertmanager has alerts %+v", got)
	}
}

func FuzzParseQuery(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1.5,"+Inf"]}]}}`))
	f.Add([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":null,"value":[null,null]}]}}`))
	f.Add([]byte(`{"status":"error"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parseQuery(b)
		if err == nil && v == nil {
			t.Fatal("nil result without an error")
		}
	})
}
