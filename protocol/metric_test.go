package protocol

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestMetricConstructors(t *testing.T) {
	tests := []struct {
		got  MetricValue
		want MetricValue
	}{
		{Int64(-5, "x"), MetricValue{TypeInt64, "-5", "x"}},
		{Uint64(math.MaxUint64, "bytes"), MetricValue{TypeUint64, "18446744073709551615", "bytes"}},
		{Int32(math.MinInt32, ""), MetricValue{TypeInt32, "-2147483648", ""}},
		{Uint32(7, "reads"), MetricValue{TypeUint32, "7", "reads"}},
		{Gauge(8338522112, "bytes"), MetricValue{TypeGauge, "8338522112", "bytes"}},
		{Double(12.5, "percent"), MetricValue{TypeDouble, "12.5", "percent"}},
		{Double(1e21, ""), MetricValue{TypeDouble, "1000000000000000000000", ""}},
		{Double(0.0000001, ""), MetricValue{TypeDouble, "0.0000001", ""}},
		{String("rw,noatime"), MetricValue{TypeString, "rw,noatime", ""}},
		{Bool(true), MetricValue{TypeBool, "true", ""}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %+v, want %+v", tt.got, tt.want)
		}
	}
}

func TestMetricValueDecode(t *testing.T) {
	tests := []struct {
		v       MetricValue
		f       float64
		wantErr string
	}{
		{MetricValue{Type: TypeInt64, Value: "8338522112"}, 8338522112, ""},
		{MetricValue{Type: TypeInt64, Value: "0x1f1e33"}, 0x1f1e33, ""},
		{MetricValue{Type: TypeGauge, Value: "0X10"}, 16, ""},
		{MetricValue{Type: TypeUint64, Value: "0xffffffffffffffff"}, math.MaxUint64, ""},
		{MetricValue{Type: TypeInt64, Value: "-9223372036854775808"}, math.MinInt64, ""},
		{MetricValue{Type: TypeInt64, Value: "9223372036854775808"}, 0, "out of range for int64"},
		{MetricValue{Type: TypeInt32, Value: "2147483648"}, 0, "out of range for int32"},
		{MetricValue{Type: TypeInt32, Value: "-0x80000000"}, math.MinInt32, ""},
		{MetricValue{Type: TypeUint32, Value: "4294967296"}, 0, "out of range for uint32"},
		{MetricValue{Type: TypeUint64, Value: "-1"}, 0, "not an integer"},
		{MetricValue{Type: TypeUint64, Value: "0x"}, 0, "not an integer"},
		{MetricValue{Type: TypeInt64, Value: "1.5"}, 0, "not an integer"},
		{MetricValue{Type: TypeDouble, Value: "12.5"}, 12.5, ""},
		{MetricValue{Type: TypeDouble, Value: "1e3"}, 1000, ""},
		{MetricValue{Type: TypeDouble, Value: "abc"}, 0, "not a double"},
		{MetricValue{Type: TypeBool, Value: "true"}, 1, ""},
		{MetricValue{Type: TypeBool, Value: "0"}, 0, ""},
		{MetricValue{Type: TypeBool, Value: "yes"}, 0, "not a bool"},
		{MetricValue{Type: TypeString, Value: "up"}, 0, "not a number"},
		{MetricValue{Type: "q", Value: "1"}, 0, "unknown"},
	}
	for _, tt := range tests {
		f, err := tt.v.Float64()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: error %v, want %q", tt.v, err, tt.wantErr)
			}
			continue
		}
		if err != nil || f != tt.f {
			t.Errorf("%+v: %v %v, want %v", tt.v, f, err, tt.f)
		}
	}
}

func TestMetricsOrderAndShape(t *testing.T) {
	var m Metrics
	m.Add("", "used", Gauge(10, "bytes"))
	m.Add("", "free", Gauge(20, "bytes"))
	m.Add("eth0", "rx_bytes", Uint64(5, "bytes"))
	m.Add("", "used", Gauge(11, "bytes")) // replaced in place
	m.Add("eth0", "link_state", String("up"))
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	want := `[[null,{"used":{"t":"gauge","v":"11","u":"bytes"},"free":{"t":"gauge","v":"20","u":"bytes"}}],` +
		`["eth0",{"rx_bytes":{"t":"uint64","v":"5","u":"bytes"},"link_state":{"t":"string","v":"up"}}]]`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(back)
	if string(b2) != want || back.Len() != 4 {
		t.Fatalf("round trip %s (len %d)", b2, back.Len())
	}
	if v, ok := back.Get("eth0", "link_state"); !ok || v.Value != "up" {
		t.Fatalf("get link_state: %+v %v", v, ok)
	}
	if _, ok := back.Get("", "link_state"); ok {
		t.Fatal("link_state found in the null dimension")
	}
	var empty Metrics
	if b, _ := json.Marshal(empty); string(b) != "[]" {
		t.Fatalf("empty metrics %s", b)
	}
}

func TestMetricsUnmarshalErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, "want a list"},
		{`[[null]]`, "want a [dimension, {metrics}] pair"},
		{`[[1,{}]]`, "dimension must be a string or null"},
		{`[[null,[]]]`, "metrics must be an object"},
		{`[[null,{"a":{"t":"z","v":"1"}}]]`, "unknown type"},
		{`[[null,{"a":5}]]`, `"a"`},
	}
	for _, tt := range tests {
		var m Metrics
		err := json.Unmarshal([]byte(tt.in), &m)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestBackoffAndJitter(t *testing.T) {
	tests := []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{0, 0.5, 500 * time.Millisecond},
		{0, 0.999, 999 * time.Millisecond},
		{1, 0.5, time.Second},
		{3, 1, 8 * time.Second},
		{5, 1, 32 * time.Second},
		{6, 1, 60 * time.Second},
		{6, 0.5, 30 * time.Second},
		{100, 0.25, 15 * time.Second},
		{0, 0, 0},
	}
	for _, tt := range tests {
		if got := Backoff(time.Second, time.Minute, tt.n, tt.r); got != tt.want {
			t.Errorf("Backoff(n=%d, r=%v) = %v, want %v", tt.n, tt.r, got, tt.want)
		}
	}
	jitters := []struct {
		hb   time.Duration
		r    float64
		want time.Duration
	}{
		{time.Second, 1, 700 * time.Millisecond},
		{time.Second, 0.5, 350 * time.Millisecond},
		{30 * time.Second, 1, 7 * time.Second},
		{100 * time.Millisecond, 1, 70 * time.Millisecond},
		{5 * time.Millisecond, 1, 700 * time.Microsecond},
		{0, 1, 0},
	}
	for _, tt := range jitters {
		if got := HeartbeatJitter(tt.hb, tt.r); got != tt.want {
			t.Errorf("HeartbeatJitter(%v, %v) = %v, want %v", tt.hb, tt.r, got, tt.want)
		}
	}
}

func TestHeartbeatSample(t *testing.T) {
	sent := time.UnixMilli(1_000_000)
	recv := sent.Add(40 * time.Millisecond)
	rtt, off := heartbeatSample(sent, recv, 1_000_520) // server 500 ms ahead
	if rtt != 40*time.Millisecond || off != 500*time.Millisecond {
		t.Fatalf("rtt %v offset %v", rtt, off)
	}
	rtt, off = heartbeatSample(sent, recv, 999_900)
	if rtt != 40*time.Millisecond || off != -120*time.Millisecond {
		t.Fatalf("rtt %v offset %v", rtt, off)
	}
}

func TestMasking(t *testing.T) {
	for _, tt := range []struct{ token, want string }{
		{"0123456789abcdef.7777", "****7777"},
		{"0123456.7777", "****7777"}, // 12: the shortest that shows its end
		{"0000.7777", "****"},        // shorter: a third or more would show
		{"*0000", "****"},            // found by FuzzMaskedLine: was "****0000"
		{"abc", "****"},
		{"", "****"},
	} {
		if got := MaskToken(tt.token); got != tt.want {
			t.Errorf("MaskToken(%q) = %q, want %q", tt.token, got, tt.want)
		}
	}
	tests := []struct{ in, want string }{
		{"http://user:pw@proxy:3128", "http://user:xxxxx@proxy:3128"},
		{"proxy:3128", "http://proxy:3128"},
		{"http://proxy", "http://proxy:80"},
		{"socks5://u:pw@h:1", "xxxxx@h:1"},
	}
	for _, tt := range tests {
		if got := MaskProxyURL(tt.in); got != tt.want {
			t.Errorf("MaskProxyURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	env := map[string]string{"https_proxy": "http://lower:1"}
	if got := ProxyFromEnv(func(k string) string { return env[k] }); got != "http://lower:1" {
		t.Errorf("ProxyFromEnv = %q", got)
	}
	env["HTTPS_PROXY"] = "http://upper:1"
	if got := ProxyFromEnv(func(k string) string { return env[k] }); got != "http://upper:1" {
		t.Errorf("ProxyFromEnv = %q", got)
	}
}
