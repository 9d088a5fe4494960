package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// peerLine reads a peer fixture and joins it into one line, as the peer's
// fixture loader does before sending.
func peerLine(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "peer", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
}

func TestIDRoundTrip(t *testing.T) {
	tests := []struct {
		in       string
		key      string
		isString bool
	}{
		{`0`, "0", false},
		{`42`, "42", false},
		{`"42"`, "42", true},
		{`"abc"`, "abc", true},
		{`18446744073709551615`, "18446744073709551615", false},
	}
	for _, tt := range tests {
		var id ID
		if err := json.Unmarshal([]byte(tt.in), &id); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if id.String() != tt.key || id.IsString() != tt.isString {
			t.Errorf("%s: got key %q string %v", tt.in, id.String(), id.IsString())
		}
		out, err := json.Marshal(id)
		if err != nil || string(out) != tt.in {
			t.Errorf("%s: marshalled as %s (%v)", tt.in, out, err)
		}
	}
	for _, bad := range []string{`true`, `{}`, `[1]`, `null`} {
		var id ID
		if err := json.Unmarshal([]byte(bad), &id); err == nil {
			t.Errorf("%s: accepted as id %q", bad, id.String())
		}
	}
	if got, _ := json.Marshal(ID{}); string(got) != "0" {
		t.Errorf("zero ID marshals as %s", got)
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		method   string // request if not empty
		id       string
		errKind  string // "", "version", "decode"
		errMatch string
	}{
		{name: "request", line: `{"v":"1","id":3,"source":"endpoint","target":"agentA","method":"check_schedule.changed"}`, method: "check_schedule.changed", id: "3"},
		{name: "string id", line: `{"v":"1","id":"7","source":"a","target":"endpoint","method":"heartbeat.post","params":{"timestamp":1}}`, method: "heartbeat.post", id: "7"},
		{name: "response", line: `{"v":"1","id":4,"source":"endpoint","target":"agentA","result":0,"error":null}`, id: "4"},
		{name: "trailing comma", line: `{"v":"1","id":4,"result":[1,2,],"error":null,}`, id: "4"},
		{name: "comma in string kept", line: `{"v":"1","id":4,"result":",}","error":null}`, id: "4"},
		{name: "version", line: `{"v":"2","id":1,"result":{}}`, id: "1", errKind: "version", errMatch: "Version mismatch: message_version=1 response_version=2"},
		{name: "missing version", line: `{"id":1,"result":{}}`, id: "1", errKind: "version", errMatch: "response_version="},
		{name: "garbage", line: `this is not JSON`, errKind: "decode", errMatch: `malformed message at byte 2: invalid character 'h' in literal true (expecting 'r') (line starts "this is not JSON")`},
		{name: "truncated", line: `{"v":"1","id":1`, errKind: "decode", errMatch: "unexpected end of JSON input"},
		{name: "missing id", line: `{"v":"1","result":{}}`, errKind: "decode", errMatch: `missing "id"`},
		{name: "bool id", line: `{"v":"1","id":true}`, errKind: "decode", errMatch: "id must be a number or a string"},
		{name: "error not object", line: `{"v":"1","id":1,"error":"x"}`, errKind: "decode", errMatch: `field "error"`},
		{name: "empty method", line: `{"v":"1","id":1,"method":""}`, errKind: "decode", errMatch: `empty "method"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.line))
			switch tt.errKind {
			case "":
				if err != nil {
					t.Fatal(err)
				}
			case "version":
				var ve *VersionError
				if !errors.As(err, &ve) {
					t.Fatalf("got %v, want *VersionError", err)
				}
			case "decode":
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("got %v, want *DecodeError", err)
				}
			}
			if tt.errMatch != "" && (err == nil || !strings.Contains(err.Error(), tt.errMatch)) {
				t.Fatalf("error %v does not contain %q", err, tt.errMatch)
			}
			if tt.errKind == "decode" {
				return
			}
			if tt.method != "" {
				if m.Request == nil || m.Response != nil || m.Request.Method != tt.method || m.Request.ID.String() != tt.id {
					t.Fatalf("got %+v, want request %s id %s", m, tt.method, tt.id)
				}
			} else if m.Response == nil || m.Request != nil || m.Response.ID.String() != tt.id {
				t.Fatalf("got %+v, want response id %s", m, tt.id)
			}
		})
	}
}

func TestPeerResponseFixturesDecode(t *testing.T) {
	tests := []struct {
		file    string
		result  string // compact result JSON
		errCode int
		errType string
		version bool
	}{
		{file: "handshake.hello.response.json", result: `{"heartbeat_interval":1000}`},
		{file: "heartbeat.post.response.json", result: `{"timestamp":1325645515246}`},
		{file: "check_metrics.post.response.json", result: `0`},
		{file: "check_schedule.changed.response.json", result: `0`},
		{file: "binary_upgrade.get_version.response.json", result: `{"version":"5.0.0.1"}`},
		{file: "bundle_upgrade.get_version.response.json", result: `{"version":"1.0.2.19"}`},
		{file: "invalid-process-version/handshake.hello.response.json", result: `null`, errCode: 400},
		{file: "invalid-bundle-version/handshake.hello.response.json", result: `null`, errCode: 400},
		{file: "rate-limiting/rate-limit-error.json", errCode: 400, errType: ErrorTypeRateLimit},
		{file: "invalid-version/handshake.hello.response.json", result: `{"heartbeat_interval":1000}`, version: true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := Decode(peerLine(t, tt.file))
			var ve *VersionError
			if tt.version {
				if !errors.As(err, &ve) || ve.ResponseVersion != "2147483647" {
					t.Fatalf("got %v, want version error", err)
				}
				if err.Error() != "Version mismatch: message_version=1 response_version=2147483647" {
					t.Fatalf("message %q", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			r := m.Response
			if r == nil {
				t.Fatal("not a response")
			}
			var got bytes.Buffer
			if len(r.Result) > 0 {
				if err := json.Compact(&got, r.Result); err != nil {
					t.Fatal(err)
				}
			}
			if tt.result != "" && got.String() != tt.result {
				t.Errorf("result %s, want %s", got.String(), tt.result)
			}
			if tt.errCode == 0 {
				if r.Error != nil {
					t.Errorf("unexpected error %v", r.Error)
				}
				return
			}
			if r.Error == nil || r.Error.Code != tt.errCode || r.Error.Type != tt.errType {
				t.Fatalf("error %+v, want code %d type %q", r.Error, tt.errCode, tt.errType)
			}
			if r.Error.RateLimited() != (tt.errType == ErrorTypeRateLimit) || r.Error.Fatal() != r.Error.RateLimited() {
				t.Errorf("rate limited %v fatal %v", r.Error.RateLimited(), r.Error.Fatal())
			}
		})
	}
}

func TestPeerRequestFixturesDecode(t *testing.T) {
	for _, f := range []string{"handshake.hello", "heartbeat.post", "check_schedule.get", "check_metrics.post", "check_schedule.changed", "binary_upgrade.available", "bundle_upgrade.available", "binary_upgrade.get_version", "bundle_upgrade.get_version", "system_info.network_interfaces"} {
		m, err := Decode(peerLine(t, f+".request.json"))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if m.Request == nil || m.Request.Method != f {
			t.Fatalf("%s: got %+v", f, m)
		}
	}
	m, _ := Decode(peerLine(t, "check_metrics.post.request.json"))
	var p MetricsPost
	if err := json.Unmarshal(m.Request.Params, &p); err != nil {
		t.Fatal(err)
	}
	if p.CheckID != "chAAAAA" || p.CheckType != "agent.memory" || p.State != StateAvailable || p.Metrics.Len() != 11 {
		t.Fatalf("post %+v", p)
	}
	v, ok := p.Metrics.Get("", "total")
	if !ok || v != (MetricValue{Type: TypeInt64, Value: "16707923968", Unit: "bytes"}) {
		t.Fatalf("total = %+v", v)
	}
	if n, err := v.Int64(); err != nil || n != 16707923968 {
		t.Fatalf("total = %d %v", n, err)
	}
	if p.Metrics.Dimensions[0].Metrics[0].Name != "actual_free" || p.Metrics.Dimensions[0].Metrics[10].Name != "used" {
		t.Fatalf("order lost: %+v", p.Metrics.Dimensions[0].Metrics)
	}
}

func TestScheduleShapes(t *testing.T) {
	m, err := Decode(peerLine(t, "check_schedule.get.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s Schedule
	if err := json.Unmarshal(m.Response.Result, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Checks) != 1 || s.Checks[0].ID != "ch1234" || s.Checks[0].Type != "agent.cpu" || s.Checks[0].Period != 30 || !strings.Contains(string(s.Checks[0].Details), `"foo": "foo"`) {
		t.Fatalf("single-object schedule read as %+v", s)
	}
	arr := `{"checks":[{"id":"a","type":"agent.memory","period":5,"timeout":5,"disabled":true,"alarms":{"x":{"label":"L","criteria":"return new AlarmStatus(OK);"}}},{"id":"b","type":"agent.cpu","period":10,"timeout":3,"disabled":false}]}`
	if err := json.Unmarshal([]byte(arr), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Checks) != 2 || s.Checks[0].ID != "a" || !s.Checks[0].Disabled || s.Checks[0].Alarms["x"].Criteria != "return new AlarmStatus(OK);" || s.Checks[1].Timeout != 3 {
		t.Fatalf("array schedule read as %+v", s)
	}
	for _, tt := range []struct{ in string }{{`{}`}, {`{"checks":null}`}} {
		if err := json.Unmarshal([]byte(tt.in), &s); err != nil || len(s.Checks) != 0 {
			t.Errorf("%s: %+v %v", tt.in, s, err)
		}
	}
	if err := json.Unmarshal([]byte(`{"checks":7}`), &s); err == nil {
		t.Error("checks:7 accepted")
	}
}

func TestErrorFatal(t *testing.T) {
	tests := []struct {
		e            Error
		fatal, limit bool
		text         string
	}{
		{Error{Code: 400, Message: "old"}, false, false, "endpoint error 400: old"},
		{Error{Code: 500, Message: "boom"}, true, false, "endpoint error 500: boom"},
		{Error{Code: 400, Message: "slow down", Type: ErrorTypeRateLimit}, true, true, "endpoint error 400 (rateLimitReached): slow down"},
		{Error{Code: 503, Message: "storage down", Type: ErrorTypeUnavailable}, false, false, "endpoint error 503 (unavailable): storage down"},
		{Error{Code: 429, Message: "stop", Type: ErrorTypeRateLimit}, true, true, "endpoint error 429 (rateLimitReached): stop"},
	}
	for _, tt := range tests {
		// Only a non-400 rate limit stops the agent (connection.lua:205).
		if stops := tt.limit && tt.e.Code != 400; tt.e.StopsAgent() != stops {
			t.Errorf("%+v: StopsAgent %v", tt.e, tt.e.StopsAgent())
		}
		if tt.e.Fatal() != tt.fatal || tt.e.RateLimited() != tt.limit || tt.e.Error() != tt.text {
			t.Errorf("%+v: fatal %v limit %v text %q", tt.e, tt.e.Fatal(), tt.e.RateLimited(), tt.e.Error())
		}
	}
}

// TestMinCheckPeriod: min_check_period as the original's Scheduler:rebuild
// computes it (schedule/scheduler.lua:53-61): one day with no check, else
// the shortest period plus 15 s of schedule jitter.
func TestMinCheckPeriod(t *testing.T) {
	tests := []struct {
		periods []time.Duration
		want    int64
	}{
		{nil, 86400000},
		{[]time.Duration{30 * time.Second}, 45000},
		{[]time.Duration{5 * time.Minute, 60 * time.Second, 30 * time.Second}, 45000},
		{[]time.Duration{0, -time.Second}, 86400000},
		{[]time.Duration{48 * time.Hour}, 86400000},
		{[]time.Duration{time.Second}, 16000},
	}
	for _, tt := range tests {
		if got := MinCheckPeriod(tt.periods); got != tt.want {
			t.Errorf("MinCheckPeriod(%v) = %d, want %d", tt.periods, got, tt.want)
		}
	}
}

// TestMetricsPostAlwaysCarriesMinCheckPeriod: the original and the poller
// send min_check_period in every post (virgo_messages.lua:63; the poller's
// MetricsPostContent has no omitempty), so a zero goes on the wire too.
func TestMetricsPostAlwaysCarriesMinCheckPeriod(t *testing.T) {
	b, err := json.Marshal(MetricsPost{CheckID: "ch1", CheckType: "agent.cpu", State: StateAvailable})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if string(m["min_check_period"]) != "0" {
		t.Errorf("post %s: min_check_period missing", b)
	}
}
