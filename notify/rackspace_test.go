package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rackspaceEvent is testEvent with the check's raw metrics, as the agent
// fills them in.
func rackspaceEvent() Event {
	ev := testEvent()
	ev.Metrics = map[string]string{"usage_average": "97.2", "cpu_count": "8", "state_text": "busy", "mem.free": "0x10"}
	ev.RawMetrics = map[string]RawMetric{
		"usage_average": {Type: "double", Value: "97.2", Unit: "percent"},
		"cpu_count":     {Type: "uint64", Value: "8", Unit: "count"},
		"state_text":    {Type: "string", Value: "busy"},
		"mem.free":      {Type: "gauge", Value: "0x10", Unit: "bytes"},
	}
	return ev
}

// shape flattens a decoded JSON document into path -> kind ("object",
// "array", "string", "number", "bool", "null"); metric names and array
// indexes become "*".
func shape(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		out[path] = "object"
		for k, e := range x {
			if path == ".details.metrics" {
				k = "*"
			}
			shape(e, path+"."+k, out)
		}
	case []any:
		out[path] = "array"
		for _, e := range x {
			shape(e, path+"[*]", out)
		}
	case string:
		out[path] = "string"
	case json.Number, float64:
		out[path] = "number"
	case bool:
		out[path] = "bool"
	case nil:
		out[path] = "null"
	}
	if k := out[path]; (k == "string" || k == "number") && strings.HasPrefix(path, ".details.metrics.") && strings.HasSuffix(path, ".data") {
		out[path] = "scalar" // a number or a string, by the metric's type
	}
}

func decodeShape(t *testing.T, b []byte) map[string]string {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	out := map[string]string{}
	shape(v, "", out)
	return out
}

// underNull reports whether an ancestor of path is null in either shape
// (an unknown object has no inner fields to compare).
func underNull(path string, a, b map[string]string) bool {
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '.' || path[i] == '[' {
			p := path[:i]
			if a[p] == "null" || b[p] == "null" {
				return true
			}
		}
	}
	return false
}

// TestWebhookRackspaceFormat posts to a receiver on loopback and checks the
// body has the fields of Rackspace's published example, and no others,
// each of the example's kind (or null where an agent has no value), that
// it is still signed, and that it carries the token.
func TestWebhookRackspaceFormat(t *testing.T) {
	rec, srv := newRecorder(t)
	ns, err := FromConfig(Config{WebhookURL: srv.URL + "/rax", WebhookSecret: "s3cret", WebhookFormat: "rackspace",
		WebhookToken: "account-token", WebhookTenant: "91111"})
	if err != nil {
		t.Fatal(err)
	}
	w := ns[0].(*Webhook)
	w.now = func() time.Time { return fixedNow }
	if err := w.Notify(context.Background(), rackspaceEvent()); err != nil {
		t.Fatal(err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if err := VerifyWebhook("s3cret", r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), r.Body, fixedNow, 0); err != nil {
		t.Errorf("signature: %v", err)
	}
	if got := r.Header.Get(RackspaceTokenHeader); got != "account-token" {
		t.Errorf("%s = %q", RackspaceTokenHeader, got)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}

	example, err := os.ReadFile("testdata/rackspace_webhook_example.json")
	if err != nil {
		t.Fatal(err)
	}
	want, got := decodeShape(t, example), decodeShape(t, r.Body)
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		if underNull(p, want, got) || strings.HasPrefix(p, ".entity.ip_addresses.") { // the host's addresses are unknown here
			continue
		}
		w, g := want[p], got[p]
		switch {
		case w == "":
			t.Errorf("%s: not in Rackspace's example (%s)", p, g)
		case g == "":
			t.Errorf("%s: missing (the example has a %s)", p, w)
		case w != g && w != "null" && g != "null":
			t.Errorf("%s: %s, the example has a %s", p, g, w)
		}
	}

	var body struct {
		EventID    string `json:"event_id"`
		LogEntryID string `json:"log_entry_id"`
		Details    struct {
			Timestamp    int64                      `json:"timestamp"`
			Metrics      map[string]json.RawMessage `json:"metrics"`
			State        string                     `json:"state"`
			Status       string                     `json:"status"`
			Observations []struct {
				State, Status string
				Timestamp     int64
			} `json:"observations"`
		} `json:"details"`
		Entity struct{ ID, Label string } `json:"entity"`
		Check  struct{ ID, Label, Type string }
		Alarm  struct {
			ID, Label string
			CheckID   string `json:"check_id"`
			EntityID  string `json:"entity_id"`
		}
		TenantID string `json:"tenant_id"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	msec := testEvent().Time.UnixMilli()
	ms := strconv.FormatInt(msec, 10)
	if body.EventID != "91111:web1:alHighCPU:chCPU1:"+ms+":CRITICAL" || body.TenantID != "91111" {
		t.Errorf("event_id %q tenant_id %q", body.EventID, body.TenantID)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(body.LogEntryID) {
		t.Errorf("log_entry_id %q is not a UUID", body.LogEntryID)
	}
	d := body.Details
	if d.State != "CRITICAL" || d.Status != "CPU at 97%" || d.Timestamp != msec ||
		len(d.Observations) != 1 || d.Observations[0].State != "CRITICAL" || d.Observations[0].Timestamp != d.Timestamp {
		t.Errorf("details: state %q status %q timestamp %d observations %+v", d.State, d.Status, d.Timestamp, d.Observations)
	}
	wantMetrics := map[string]string{
		"usage_average": `{"type":"n","data":97.2,"unit":"percent"}`,
		"cpu_count":     `{"type":"L","data":8,"unit":"count"}`,
		"state_text":    `{"type":"s","data":"busy","unit":"unknown"}`,
		"mem.free":      `{"type":"l","data":16,"unit":"bytes"}`,
	}
	if len(d.Metrics) != len(wantMetrics) {
		t.Errorf("%d metrics, want %d", len(d.Metrics), len(wantMetrics))
	}
	for k, v := range wantMetrics {
		if string(d.Metrics[k]) != v {
			t.Errorf("metric %s = %s, want %s", k, d.Metrics[k], v)
		}
	}
	if body.Entity.ID != "web1" || body.Check.ID != "chCPU1" || body.Check.Label != "cpu" || body.Check.Type != "agent.cpu" ||
		body.Alarm.ID != "alHighCPU" || body.Alarm.Label != "High CPU" || body.Alarm.CheckID != "chCPU1" || body.Alarm.EntityID != "web1" {
		t.Errorf("entity %+v check %+v alarm %+v", body.Entity, body.Check, body.Alarm)
	}
}

// A retry of the same state carries the same ids; another state others.
func TestRackspaceIDsStable(t *testing.T) {
	ids := func(ev Event) (string, string) {
		b, err := rackspaceBody(ev, "")
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			EventID    string `json:"event_id"`
			LogEntryID string `json:"log_entry_id"`
			TenantID   *string
		}
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if p.TenantID != nil {
			t.Errorf("tenant_id = %q, want null", *p.TenantID)
		}
		return p.EventID, p.LogEntryID
	}
	ev := testEvent()
	e1, l1 := ids(ev)
	e2, l2 := ids(ev)
	ev.Current = StateOK
	e3, l3 := ids(ev)
	if e1 != e2 || l1 != l2 {
		t.Errorf("retry changed ids: %s %s / %s %s", e1, l1, e2, l2)
	}
	if e1 == e3 || l1 == l3 {
		t.Errorf("another state kept ids: %s %s", e3, l3)
	}
	if !strings.HasPrefix(e1, ":web1:alHighCPU:chCPU1:") || !strings.HasSuffix(e1, ":CRITICAL") {
		t.Errorf("event_id = %q", e1)
	}
}

func TestRackspaceMetric(t *testing.T) {
	cases := []struct {
		shown string
		raw   RawMetric
		want  string
	}{
		{"", RawMetric{"int32", "-5", "x"}, `{"type":"i","data":-5,"unit":"x"}`},
		{"", RawMetric{"uint32", "4294967295", ""}, `{"type":"I","data":4294967295,"unit":"unknown"}`},
		{"", RawMetric{"uint32", "4294967296", ""}, `{"type":"s","data":"4294967296","unit":"unknown"}`},
		{"", RawMetric{"int64", "-9223372036854775808", "b"}, `{"type":"l","data":-9223372036854775808,"unit":"b"}`},
		{"", RawMetric{"uint64", "18446744073709551615", "b"}, `{"type":"L","data":18446744073709551615,"unit":"b"}`},
		{"", RawMetric{"uint64", "0xff", ""}, `{"type":"L","data":255,"unit":"unknown"}`},
		{"", RawMetric{"double", "1.5e-7", "s"}, `{"type":"n","data":1.5e-07,"unit":"s"}`},
		{"", RawMetric{"double", "NaN", ""}, `{"type":"s","data":"NaN","unit":"unknown"}`},
		{"", RawMetric{"double", "Inf", ""}, `{"type":"s","data":"Inf","unit":"unknown"}`},
		{"", RawMetric{"int64", "N/A", ""}, `{"type":"s","data":"N/A","unit":"unknown"}`},
		{"", RawMetric{"string", "200", ""}, `{"type":"s","data":"200","unit":"unknown"}`},
		{"", RawMetric{"bool", "true", ""}, `{"type":"s","data":"true","unit":"unknown"}`},
		{"", RawMetric{"gauge", "12", "c"}, `{"type":"l","data":12,"unit":"c"}`},
		{"", RawMetric{"gauge", "18446744073709551615", ""}, `{"type":"L","data":18446744073709551615,"unit":"unknown"}`},
		{"", RawMetric{"gauge", "0.25", ""}, `{"type":"n","data":0.25,"unit":"unknown"}`},
		// No raw metric: inferred from what is shown.
		{"42", RawMetric{}, `{"type":"l","data":42,"unit":"unknown"}`},
		{"97.20%", RawMetric{}, `{"type":"s","data":"97.20%","unit":"unknown"}`},
		{"1_000", RawMetric{}, `{"type":"s","data":"1_000","unit":"unknown"}`},
		{"+1", RawMetric{}, `{"type":"n","data":1,"unit":"unknown"}`},
		{"0x", RawMetric{}, `{"type":"s","data":"0x","unit":"unknown"}`},
	}
	for _, tc := range cases {
		b, err := json.Marshal(rackspaceMetric(tc.shown, tc.raw))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("rackspaceMetric(%q, %+v) = %s, want %s", tc.shown, tc.raw, b, tc.want)
		}
	}
}

func TestWebhookFormatOption(t *testing.T) {
	for _, f := range []string{"", FormatVirgoTop, FormatRackspace} {
		w, err := NewWebhook(WebhookOptions{URL: "http://127.0.0.1:1/", Format: f})
		if err != nil {
			t.Errorf("format %q: %v", f, err)
			continue
		}
		if want := map[string]string{"": FormatVirgoTop}[f]; w.Format() != f && w.Format() != want {
			t.Errorf("format %q -> %q", f, w.Format())
		}
	}
	if _, err := NewWebhook(WebhookOptions{URL: "http://127.0.0.1:1/", Format: "Rackspace"}); err == nil ||
		err.Error() != `webhook: format must be virgo-top or rackspace, got "Rackspace"` {
		t.Errorf("bad format: %v", err)
	}
	if _, err := NewWebhook(WebhookOptions{URL: "http://127.0.0.1:1/", Token: "a\nb"}); err == nil {
		t.Error("a token with a line break was accepted")
	}
}
