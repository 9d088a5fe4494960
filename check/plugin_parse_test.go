package check

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestParsePluginOutput(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want PluginOutput
		err  string
	}{
		{name: "empty", in: "", want: PluginOutput{}},
		{
			name: "virgo partial_output example",
			in: "status Everything is OK\nmetric logged_users int 7\nmetric active_processes int 200\n" +
				"metric avg_wait_time float 100.7\nmetric something string foo bar foo\nmetric packet_count gauge 150000\n",
			want: PluginOutput{Status: "Everything is OK", HasStatus: true, Metrics: []Metric{
				m("logged_users", "int64", "7", ""), m("active_processes", "int64", "200", ""),
				m("avg_wait_time", "double", "100.7", ""), m("something", "string", "foo bar foo", ""),
				m("packet_count", "gauge", "150000", ""),
			}},
		},
		{
			name: "units, dimensions, internal types",
			in:   "metric mysql.queries uint64 12 queries\nmetric a.b.c double 1.5 ms\nmetric up bool true\nmetric n int32 -5\nmetric u uint32 0x10\n",
			want: PluginOutput{Metrics: []Metric{
				{Dimension: "mysql", Name: "queries", Type: "uint64", Value: "12", Unit: "queries"},
				{Dimension: "a.b", Name: "c", Type: "double", Value: "1.5", Unit: "ms"},
				m("up", "bool", "true", ""), m("n", "int32", "-5", ""), m("u", "uint32", "16", ""),
			}},
		},
		{
			name: "string value keeps words, no unit, blanks collapse",
			in:   "metric msg string  hello   big\tworld \n",
			want: PluginOutput{Metrics: []Metric{m("msg", "string", "hello big world", "")}},
		},
		{
			name: "legacy status",
			in:   "status warn disk   almost full\n",
			want: PluginOutput{Status: "disk almost full", HasStatus: true, Metrics: []Metric{m("legacy_state", "string", "warn", "")}},
		},
		{
			name: "legacy status with no message",
			in:   "status err\n",
			want: PluginOutput{Status: "", HasStatus: true, Metrics: []Metric{m("legacy_state", "string", "err", "")}},
		},
		{name: "status not legacy", in: "status okay then\n", want: PluginOutput{Status: "okay then", HasStatus: true}},
		{name: "bare status", in: "status\n", want: PluginOutput{Status: "", HasStatus: true}},
		{name: "duplicate status ignored", in: "status first\nstatus second\n", want: PluginOutput{Status: "first", HasStatus: true}},
		{name: "state unavailable", in: "state unavailable\nstatus down\n", want: PluginOutput{Status: "down", HasStatus: true, HasState: true}},
		{name: "duplicate state ignored", in: "state available\nstate unavailable\n", want: PluginOutput{Available: true, HasState: true}},
		{name: "bad state", in: "metric a int 1\nstate maybe\n", want: PluginOutput{}, err: "State line not in the following format: <available|unavailable>"},
		{name: "timestamp", in: "timestamp 1700000000123\n", want: PluginOutput{Timestamp: time.UnixMilli(1700000000123).UTC()}},
		{name: "bad timestamp", in: "timestamp soon\n", err: "Timestamp line not in the following format: timestamp <timestamp>"},
		{name: "negative timestamp", in: "timestamp -1\n", err: "Timestamp line not in the following format: timestamp <timestamp>"},
		{name: "huge timestamp", in: "timestamp 99999999999999999\n", err: "Timestamp line not in the following format: timestamp <timestamp>"},
		{name: "crlf and blank lines", in: "status ok fine\r\n\r\n\nmetric a int 1\r\n", want: PluginOutput{
			Status: "fine", HasStatus: true, Metrics: []Metric{m("legacy_state", "string", "ok", ""), m("a", "int64", "1", "")}}},
		{name: "no trailing newline", in: "metric a gauge 2", want: PluginOutput{Metrics: []Metric{m("a", "gauge", "2", "")}}},
		{
			name: "unrecognized line clears metrics and stops",
			in:   "status fine\nmetric a int 1\nsome unknown line\nmetric b int 2\nstatus later\n",
			want: PluginOutput{Status: "fine", HasStatus: true},
			err:  `Unrecognized line "some unknown line"`,
		},
		{name: "keyword must be a word", in: "statusfoo\n", err: `Unrecognized line "statusfoo"`},
		{name: "metric too short", in: "metric a int\n", err: MsgMetricLineFormat},
		{name: "metric bare", in: "metric\n", err: MsgMetricLineFormat},
		{name: "bad type", in: "metric metric1 intfoo 1\n", err: `Invalid type "intfoo" for metric "metric1"`},
		{name: "too many parts", in: "metric m int 100 200 bytes\n", err: `Invalid "<value> [<unit>]" combination "100 200 bytes" for a non-string metric`},
		{name: "integers normalised", in: "metric a int 007\nmetric b int -0x10\nmetric c gauge 0XfF\nmetric d gauge 1.5e3\nmetric e uint64 +3\nmetric f int32 -2147483648\n",
			want: PluginOutput{Metrics: []Metric{m("a", "int64", "7", ""), m("b", "int64", "-16", ""), m("c", "gauge", "255", ""),
				m("d", "gauge", "1.5e3", ""), m("e", "uint64", "3", ""), m("f", "int32", "-2147483648", "")}}},
		{name: "int64 hex overflow", in: "metric a int 0x8000000000000000\n", err: `Invalid value "0x8000000000000000" for metric "a" of type int`},
		{name: "min int64 in hex", in: "metric a int -0x8000000000000000\n", want: PluginOutput{Metrics: []Metric{m("a", "int64", "-9223372036854775808", "")}}},
		{name: "underscores rejected", in: "metric a int 1_000\n", err: `Invalid value "1_000" for metric "a" of type int`},
		{name: "bad int", in: "metric m int 1.5\n", err: `Invalid value "1.5" for metric "m" of type int`},
		{name: "bad float", in: "metric m float abc\n", err: `Invalid value "abc" for metric "m" of type float`},
		{name: "nan", in: "metric m double NaN\n", err: `Invalid value "NaN" for metric "m" of type double`},
		{name: "int32 overflow", in: "metric m int32 3000000000\n", err: `Invalid value "3000000000" for metric "m" of type int32`},
		{name: "bad bool", in: "metric m bool yes\n", err: `Invalid value "yes" for metric "m" of type bool`},
		{name: "empty name after dot", in: "metric foo. int 1\n", err: `Invalid metric name "foo."`},
		{name: "empty dimension", in: "metric .foo int 1\n", err: `Invalid metric name ".foo"`},
		{name: "invalid utf8 replaced", in: "status caf\xe9 \x00ok\n", want: PluginOutput{Status: "caf\uFFFD \uFFFDok", HasStatus: true}},
		{name: "RLO in status is removed", in: "status disk \u202Egnp.exe\u202C ok\n",
			want: PluginOutput{Status: "disk gnp.exe ok", HasStatus: true}},
		{name: "every bidi control removed", in: "status a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069j\u200Ek\u200Fl\u061Cm\n",
			want: PluginOutput{Status: "abcdefghijklm", HasStatus: true}},
		{name: "bidi in a string metric removed", in: "metric note string user \u2067admin\u2069 logged in\n",
			want: PluginOutput{Metrics: []Metric{m("note", "string", "user admin logged in", "")}}},
		{name: "other format characters removed, ZWJ kept", in: "status so\u00ADft \uFEFFbom \U000E0041tag \u0602x \U0001F469\u200D\U0001F4BB\n",
			want: PluginOutput{Status: "soft bom tag x \U0001F469\u200D\U0001F4BB", HasStatus: true}},
		{name: "C1 and line separators replaced", in: "status a\u009Bb\u2028c\u2029d\n",
			want: PluginOutput{Status: "a\uFFFDb\uFFFDc\uFFFDd", HasStatus: true}},
		{name: "a keyword hidden by a format character", in: "sta\u200Btus x\n", want: PluginOutput{Status: "x", HasStatus: true}},
		{name: "binary junk", in: "\x7fELF\x02\x01\x01\n", err: "Unrecognized line \"\uFFFDELF\uFFFD\uFFFD\uFFFD\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePluginOutput([]byte(tc.in))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			var perr *PluginOutputError
			if tc.err != "" && !errors.As(err, &perr) {
				t.Errorf("error %T is not a *PluginOutputError", err)
			}
			if tc.err != "" && got.Metrics != nil {
				t.Errorf("metrics not cleared on error: %v", got.Metrics)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParsePluginOutputLongStatus(t *testing.T) {
	got, err := ParsePluginOutput([]byte("status " + strings.Repeat("x", 1000)))
	if err != nil || len(got.Status) != MaxStatusLen {
		t.Fatalf("len(status) = %d, err %v", len(got.Status), err)
	}
}

func FuzzParsePluginOutput(f *testing.F) {
	for _, s := range []string{
		"status ok all good\nmetric a int 1\n",
		"state unavailable\nstatus x\ntimestamp 1\n",
		"metric a.b string x y z\nmetric c float 1.5 ms\n",
		"metric m int 100 200 bytes\n",
		"garbage\n\x00\xff",
		"metric foo. int 1",
		"status\nstate\nmetric\ntimestamp\n",
		"status \u202Eevil\u202C\nmetric s string a\u2066b\u200Dc\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := ParsePluginOutput(in)
		if err != nil {
			if out.Metrics != nil {
				t.Fatalf("metrics kept after error %v", err)
			}
			if !utf8.ValidString(err.Error()) {
				t.Fatalf("error is not UTF-8: %q", err)
			}
		}
		if len(out.Status) > MaxStatusLen || !utf8.ValidString(out.Status) || hasFormatChar(out.Status) {
			t.Fatalf("bad status %q", out.Status)
		}
		for _, mt := range out.Metrics {
			if mt.Name == "" || !KnownMetricType(mt.Type) || !utf8.ValidString(mt.Value) || hasFormatChar(mt.Value) || hasFormatChar(mt.Name) {
				t.Fatalf("bad metric %+v", mt)
			}
			if v, err := normalizeValue(mt.Type, mt.Value); err != nil || v != mt.Value {
				t.Fatalf("metric %+v has an invalid value", mt)
			}
		}
	})
}

// hasFormatChar reports a format character other than ZWJ/ZWNJ, or a
// control character other than tab.
func hasFormatChar(s string) bool {
	for _, r := range s {
		if r != '\u200c' && r != '\u200d' && unicode.Is(unicode.Cf, r) || unicode.IsControl(r) && r != '\t' {
			return true
		}
	}
	return false
}
