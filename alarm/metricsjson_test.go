package alarm

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestParseMetricsJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Metrics
	}{
		{"plain", `{"usage_average": 12.5, "link_state": "up", "count": 3}`,
			Metrics{"usage_average": num(12.5), "link_state": str("up"), "count": ival(3)}},
		{"bool", `{"up": true, "down": false}`, Metrics{"up": str("true"), "down": str("false")}},
		{"empty", ` {} `, Metrics{}},
		{"wire double", `{"cpu": {"t":"double","v":"12.5","u":"percent"}}`, Metrics{"cpu": num(12.5)}},
		{"wire hex int64", `{"free": {"t":"int64","v":"0x1f","u":"bytes"}}`, Metrics{"free": ival(31)}},
		{"wire decimal int64", `{"actual_free": {"t":"int64","v":"8338522112","u":"bytes"}}`, Metrics{"actual_free": ival(8338522112)}},
		{"wire gauge hex", `{"rx": {"t":"gauge","v":"0x1F1E33"}}`, Metrics{"rx": ival(0x1f1e33)}},
		{"wire uint64 max", `{"m": {"t":"uint64","v":"0xffffffffffffffff"}}`, Metrics{"m": uval(math.MaxUint64)}},
		{"wire negative int32", `{"n": {"t":"int32","v":"-12"}}`, Metrics{"n": ival(-12)}},
		{"wire string", `{"options": {"t":"string","v":"rw,noatime"}}`, Metrics{"options": str("rw,noatime")}},
		{"wire string that looks numeric stays string", `{"version": {"t":"string","v":"2.8"}}`, Metrics{"version": str("2.8")}},
		{"wire no type numeric", `{"x": {"v":"7"}}`, Metrics{"x": ival(7)}},
		{"wire no type hex", `{"x": {"v":"0x10"}}`, Metrics{"x": ival(16)}},
		{"wire no type float", `{"x": {"v":"1.5e3"}}`, Metrics{"x": num(1500)}},
		{"wire no type text", `{"x": {"v":"up"}}`, Metrics{"x": str("up")}},
		{"wire number v", `{"x": {"t":"double","v":2.5}}`, Metrics{"x": num(2.5)}},
		{"post list", `[[null,{"actual_free":{"t":"int64","v":"8338522112","u":"bytes"}}],["mysql",{"connections":{"t":"gauge","v":"0x10"}}]]`,
			Metrics{"actual_free": ival(8338522112), "mysql.connections": ival(16)}},
		{"empty list", `[]`, Metrics{}},

		// Integers keep 64-bit precision; other numbers are float64.
		{"json 2^53+1", `{"a": 9007199254740993}`, Metrics{"a": ival(1<<53 + 1)}},
		{"json MaxInt64 and MinInt64", `{"a": 9223372036854775807, "b": -9223372036854775808}`, Metrics{"a": ival(math.MaxInt64), "b": ival(math.MinInt64)}},
		{"json MaxUint64", `{"a": 18446744073709551615}`, Metrics{"a": uval(math.MaxUint64)}},
		{"json beyond uint64 is a float", `{"a": 18446744073709551616, "b": -9223372036854775809}`, Metrics{"a": num(1 << 64), "b": num(-(1 << 63))}},
		{"json fraction and exponent are floats", `{"a": 3.0, "b": 1e3, "c": -0}`, Metrics{"a": num(3), "b": num(1000), "c": ival(0)}},
		{"wire int64 2^53+1", `{"a": {"t":"int64","v":"9007199254740993"}}`, Metrics{"a": ival(1<<53 + 1)}},
		{"wire int64 min", `{"a": {"t":"int64","v":"-9223372036854775808"}, "b": {"t":"int64","v":"-0x8000000000000000"}}`, Metrics{"a": ival(math.MinInt64), "b": ival(math.MinInt64)}},
		{"wire uint64 max decimal", `{"a": {"t":"uint64","v":"18446744073709551615"}}`, Metrics{"a": uval(math.MaxUint64)}},
		{"wire negative beyond int64 is a float", `{"a": {"t":"int64","v":"-18446744073709551615"}}`, Metrics{"a": num(-(1 << 64))}},
		{"wire no type integer", `{"x": {"v":"9007199254740993"}}`, Metrics{"x": ival(1<<53 + 1)}},
		{"wire number v integer", `{"x": {"t":"uint64","v":18446744073709551615}}`, Metrics{"x": uval(math.MaxUint64)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMetricsJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseMetricsJSON: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestParseMetricsJSONErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", `nope`, "metrics JSON: invalid character"},
		{"array of numbers", `[1]`, "metrics JSON: json: cannot unmarshal number"},
		{"top-level string", `"x"`, "metrics JSON: json: cannot unmarshal string"},
		{"null", `null`, "metrics JSON: expected an object, found null"},
		{"trailing", `{} {}`, "metrics JSON: unexpected data after the value"},
		{"list trailing", `[] x`, "metrics JSON: unexpected data after the value"},
		{"list not pairs", `[[null]]`, "metrics JSON: entry 0: want [dimension, {metrics}], got 1 elements"},
		{"list bad dimension", `[[1, {}]]`, "metrics JSON: entry 0: dimension must be null or a string"},
		{"list bad metrics", `[[null, 5]]`, "metrics JSON: entry 0: metrics must be an object"},
		{"list null metrics", `[[null, null]]`, "metrics JSON: entry 0: metrics must be an object"},
		{"list duplicate", `[["a",{"b":1}],[null,{"a.b":2}]]`, `metrics JSON: metric "a.b" appears twice`},
		{"list bad value", `[[null,{"x":{"t":"int64","v":"1.5"}}]]`, `metrics JSON: metric "x": int64 value "1.5": not a decimal or 0x-hex integer`},
		{"null value", `{"a": null}`, `metrics JSON: metric "a": value is null`},
		{"array value", `{"a": [1]}`, `metrics JSON: metric "a": value must be a number, string, boolean or {"t","v","u"} object`},
		{"huge number", `{"a": 1e999}`, `metrics JSON: metric "a": number 1e999: `},
		{"missing v", `{"a": {"t":"double"}}`, `metrics JSON: metric "a": missing "v"`},
		{"bad t", `{"a": {"t":"float","v":"1"}}`, `metrics JSON: metric "a": unknown type "float" (want string, bool, double, int32, uint32, int64, uint64 or gauge)`},
		{"t not string", `{"a": {"t":1,"v":"1"}}`, `metrics JSON: metric "a": "t" must be a string`},
		{"bad double", `{"a": {"t":"double","v":"abc"}}`, `metrics JSON: metric "a": double value "abc" is not a number`},
		{"bad hex", `{"a": {"t":"int64","v":"0xzz"}}`, `metrics JSON: metric "a": int64 value "0xzz": not a decimal or 0x-hex integer`},
		{"float in int", `{"a": {"t":"uint32","v":"1.5"}}`, `metrics JSON: metric "a": uint32 value "1.5": not a decimal or 0x-hex integer`},
		{"v object", `{"a": {"t":"string","v":{}}}`, `metrics JSON: metric "a": "v" must be a string`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMetricsJSON([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseMetricsJSON succeeded: %+v", m)
			}
			// Errors from encoding/json and strconv are matched by prefix.
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error:\n got %s\nwant %s...", err, tc.want)
			}
		})
	}
}

// TestAlarmTestFlow is the `virgo-top alarm test` path: criteria text plus
// metrics JSON in Virgo's shape give a state and message.
func TestAlarmTestFlow(t *testing.T) {
	c := mustParse(t, `if (percentage(metric['used'], metric['total']) > 90) { return new AlarmStatus(CRITICAL, 'Memory #{used} of #{total} bytes used'); }
return new AlarmStatus(OK, 'Memory fine');`)
	m, err := ParseMetricsJSON([]byte(`{"used":{"t":"int64","v":"0x3b9aca00","u":"bytes"},"total":{"t":"int64","v":"1050000000","u":"bytes"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Evaluate(Observation{Available: true, Metrics: m}, nil)
	want := Result{State: Critical, Message: "Memory 1000000000 of 1050000000 bytes used", Rule: 0}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestAlarmTestFlowIntegers: `alarm test --metrics` keeps 64-bit integers
// exact from the JSON to the comparison and the message.
func TestAlarmTestFlowIntegers(t *testing.T) {
	c := mustParse(t, `if (metric['a'] > 9007199254740992) { return CRITICAL, 'a=#{a} b=#{b}'; } return OK, 'a=#{a}';`)
	tests := []struct{ in, want string }{
		{`{"a": 9007199254740993, "b": {"t":"uint64","v":"18446744073709551615"}}`, "CRITICAL a=9007199254740993 b=18446744073709551615"},
		{`{"a": 9007199254740992, "b": 0}`, "OK a=9007199254740992"},
		{`{"a": {"t":"int64","v":"9223372036854775807"}, "b": -1}`, "CRITICAL a=9223372036854775807 b=-1"},
	}
	for _, tc := range tests {
		m, err := ParseMetricsJSON([]byte(tc.in))
		if err != nil {
			t.Fatal(err)
		}
		res := c.Evaluate(Observation{Available: true, Metrics: m}, nil)
		if got := res.State.String() + " " + res.Message; got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
