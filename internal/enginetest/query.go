package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

// Sample is one element of an instant query's vector result.
type Sample struct {
	Metric map[string]string
	Time   time.Time
	Value  float64 // NaN, +Inf and -Inf as the engine wrote them
}

// Query runs an instant PromQL query at the current time against a
// Prometheus-compatible engine (Prometheus, VictoriaMetrics) and returns
// its vector result. Anything else (an error, another result type) fails
// the test.
func Query(t testing.TB, baseURL, promql string) []Sample {
	t.Helper()
	v, err := query(baseURL, promql, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// QueryAt is Query evaluated at time at (the engines look back 5 minutes
// from it for each series' latest sample).
func QueryAt(t testing.TB, baseURL, promql string, at time.Time) []Sample {
	t.Helper()
	v, err := query(baseURL, promql, at)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// QueryUntil repeats QueryAt (at the current time when at is zero) until
// ok accepts the result, which it returns, and fails the test when a
// minute passes first: engines make written samples searchable after a
// short while, which a test must wait out without asserting on it.
func QueryUntil(t testing.TB, baseURL, promql string, at time.Time, ok func([]Sample) bool) []Sample {
	t.Helper()
	deadline := time.Now().Add(readyWait)
	for {
		v, err := query(baseURL, promql, at)
		if err == nil && ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("query %q at %s: no acceptable result after %s; last: %v %v", promql, baseURL, readyWait, v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// query flushes VictoriaMetrics' in-memory buffers (a 404 elsewhere) and
// runs promql.
func query(baseURL, promql string, at time.Time) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = get(ctx, baseURL+"/internal/force_flush")
	q := url.Values{"query": {promql}}
	if !at.IsZero() {
		q.Set("time", strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v1/query?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", promql, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", promql, err)
	}
	return parseQuery(body)
}

// parseQuery decodes an /api/v1/query answer holding a vector.
func parseQuery(body []byte) ([]Sample, error) {
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []json.RawMessage `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding query answer %.200q: %w", body, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query failed: %s: %s", r.Status, r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query result is a %q, not a vector", r.Data.ResultType)
	}
	out := make([]Sample, 0, len(r.Data.Result))
	for _, e := range r.Data.Result {
		if len(e.Value) != 2 {
			return nil, fmt.Errorf("query result value %v is not [time, value]", e.Value)
		}
		var ts float64
		var vs string
		if err := json.Unmarshal(e.Value[0], &ts); err != nil {
			return nil, fmt.Errorf("query result time: %w", err)
		}
		if err := json.Unmarshal(e.Value[1], &vs); err != nil {
			return nil, fmt.Errorf("query result value: %w", err)
		}
		v, err := strconv.ParseFloat(vs, 64)
		if err != nil {
			return nil, fmt.Errorf("query result value: %w", err)
		}
		sec, frac := math.Modf(ts)
		out = append(out, Sample{
			Metric: e.Metric,
			Time:   time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6),
			Value:  v,
		})
	}
	return out, nil
}

// Alert is an alert as Alertmanager's GET /api/v2/alerts shows it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"` // active, suppressed, unprocessed
	} `json:"status"`
}

// Alerts returns Alertmanager's current alerts (GET /api/v2/alerts: the
// active, silenced and inhibited ones, not the resolved ones), filtered by
// the given label matchers, e.g. `alertname="CPU"`.
func Alerts(t testing.TB, baseURL string, filter ...string) []Alert {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := url.Values{"filter": filter}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v2/alerts?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET alerts: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET alerts: %s %v: %.500s", resp.Status, err, body)
	}
	var out []Alert
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("decoding alerts %.500q: %v", body, err)
	}
	return out
}
