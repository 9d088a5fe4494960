package alarm

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzCriteria are parsed once and evaluated against fuzzed metrics.
var fuzzCriteria = []string{
	cpuCriteria,
	httpCriteria,
	thresholdCriteria,
	`if (rate(metric['a']) > 1000) { return CRITICAL, 'rate #{a}'; } if (previous(metric['s']) != metric['s']) { return WARNING, 'changed #{s}'; } return OK;`,
	`if (percentage(metric['a'], metric['b']) >= 90 || percentage(rate(metric['a']), rate(metric['b'])) < -1) { return CRITICAL, '#{a}/#{b}'; }`,
	`if (metric['s'] regex '^(up|down)$' && metric['s'] nregex 'down') { return OK, '#{s}'; } return WARNING, 'link #{s} #{a} #{b}';`,
	`if (metric['a'] == metric['s'] || metric['b'] != metric['s'] || metric['a'] < metric['b']) { return WARNING, '#{s}#{s}#{s}'; }`,
	issue12Criteria,
	`if (metric['s'] > 1 || metric['x'] < 2 && metric['a'] >= metric['s']) { return CRITICAL, '#{s}'; } return OK, '#{missing}';`,
	`if (metric['i'] > metric['u'] || metric['i'] == 9007199254740993 || metric['u'] >= 18446744073709551615) { return WARNING, '#{i} #{u}'; }
if (rate(metric['u']) > 1e18 || rate(metric['i']) < -1 || percentage(metric['i'], metric['u']) > 50) { return CRITICAL, 'rate #{u}'; }
if (metric['i'] < metric['a'] || metric['u'] == metric['b'] || metric['i'] regex '^-') { return WARNING, '#{i}#{a}'; }
return OK, '#{i} #{u} #{a}';`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzCriteria {
		f.Add(s)
	}
	f.Add(":set consecutiveCount=3\n:set consistencyLevel=ALL\nreturn new AlarmStatus(OK, 'x');")
	f.Add(publishedOnMetalSMART)
	f.Add(publishedHolland)
	f.Add(publishedReplication)
	f.Add("if (metric['a'] > -.5 \\\r\n|| metric['a'] < .5e1) { return OK, 'a\\\r\nb'; }")
	f.Add("/* unterminated")
	f.Add("if ((((metric['a'] > 1)))) { return OK; }")
	f.Add(`return OK, '\u00e9\t\'';`)
	f.Add("if (metric['a'] > 'x' || 'y' <= metric['a']) { return OK; }")
	f.Add("if (metric['a'] == 9007199254740993 && metric['a'] < 18446744073709551616 && metric['a'] > -9223372036854775808) { return WARNING, '#{a} #{nope}'; }")
	f.Add("if (percentage('5', metric['a']) > 1 || metric['a'] regex '^[0-9]+$') { return OK, '#{#{a}'; } return OK, '#{}#{a'")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError: %v", err, err)
			}
			if pe.Line < 1 || pe.Col < 1 || pe.Msg == "" {
				t.Fatalf("bad error position: %+v", pe)
			}
			return
		}
		if c.ConsecutiveCount() < 1 || c.ConsecutiveCount() > MaxConsecutiveCount || c.Conditionals() > MaxConditionals {
			t.Fatalf("limits not enforced: count=%d conditionals=%d", c.ConsecutiveCount(), c.Conditionals())
		}
		// Whatever parsed must evaluate without panicking, with any metrics.
		m := Metrics{"a": num(1), "s": str("x"), "i": IntValue(math.MinInt64)}
		res := c.Evaluate(Observation{Time: t0, Available: true, Metrics: m}, &Observation{Time: t0.Add(-time.Second), Available: true, Metrics: m})
		checkResult(t, res)
		// No placeholder is ever left unfilled: its metric is interpolated,
		// or the alarm is CRITICAL because the metric is missing.
		for _, name := range c.MetricNames() {
			if strings.Contains(res.Message, "#{"+name+"}") {
				t.Fatalf("message %q leaves #{%s} unfilled", res.Message, name)
			}
		}
		if res2 := c.Evaluate(Observation{Time: t0, Available: true, Metrics: m}, nil); res2.Rule == RuleMissingMetric && res2.State != Critical {
			t.Fatalf("missing metric is %v", res2.State)
		}
	})
}

func checkResult(t *testing.T, res Result) {
	t.Helper()
	if res.State < OK || res.State > Critical {
		t.Fatalf("state %v out of range", res.State)
	}
	if (res.Rule == RuleMissingMetric || res.Rule == RuleNotANumber) && res.State != Critical {
		t.Fatalf("rule %d with state %v, want CRITICAL", res.Rule, res.State)
	}
	if utf8.RuneCountInString(res.Message) > MaxMessageLen {
		t.Fatalf("message has %d characters, limit %d", utf8.RuneCountInString(res.Message), MaxMessageLen)
	}
	if res.Rule < RuleNotANumber || res.Rule >= MaxConditionals {
		t.Fatalf("rule %d out of range", res.Rule)
	}
}

func FuzzEvaluate(f *testing.F) {
	crit := make([]*Criteria, len(fuzzCriteria))
	for i, s := range fuzzCriteria {
		crit[i] = mustParse(f, s)
	}
	f.Add(12.5, -3.0, "up", 1.0, 2.0, "down", int64(30_000), true, int64(7), uint64(8), uint64(0))
	f.Add(math.NaN(), math.Inf(1), strings.Repeat("x", 500), 0.0, 0.0, "", int64(0), true, int64(math.MinInt64), uint64(math.MaxUint64), uint64(1))
	f.Add(math.Inf(-1), 0.0, "NaN", math.MaxFloat64, -math.MaxFloat64, "1e308", int64(-5_000), false, int64(math.MaxInt64), uint64(1<<63), uint64(2))
	f.Add(5e-324, 0.0, "\xff\xfe", 1e300, 1e-300, "é", int64(1), true, int64(1<<53+1), uint64(1<<53), uint64(3))
	f.Add(9007199254740992.0, 1.8446744073709552e19, "9007199254740993", 9007199254740992.0, 0.0, "N/A", int64(1000), true, int64(-1), uint64(math.MaxUint64-1), uint64(0xff))
	f.Fuzz(func(t *testing.T, a, b float64, s string, pa, pb float64, ps string, dtMillis int64, avail bool, i int64, u uint64, drop uint64) {
		cur := Observation{Time: t0, Available: avail, Status: s, Metrics: Metrics{"a": num(a), "b": num(b), "s": str(s),
			"usage_average": num(a), "duration": num(b), "body_match": str(s), "val": num(a), "x": str(ps),
			"i": IntValue(i), "u": UintValue(u)}}
		prev := Observation{Time: t0.Add(-time.Duration(dtMillis) * time.Millisecond), Available: true,
			Metrics: Metrics{"a": num(pa), "b": num(pb), "s": str(ps), "i": IntValue(i / 2), "u": UintValue(u / 3)}}
		// drop's bits remove metrics, as a plugin that stops printing them.
		for bit, name := range []string{"a", "b", "s", "i", "u", "val", "usage_average", "x"} {
			if drop&(1<<bit) != 0 {
				delete(cur.Metrics, name)
			}
		}
		for _, c := range crit {
			checkResult(t, c.Evaluate(cur, &prev))
			checkResult(t, c.Evaluate(cur, nil))
			tr := NewTracker(c)
			tr.Observe(prev)
			res, _, _ := tr.Observe(cur)
			checkResult(t, res)
		}
	})
}

// FuzzCompareNumbers checks the exact comparison of integers and floats
// against math/big.
func FuzzCompareNumbers(f *testing.F) {
	f.Add(int64(1<<53+1), uint64(1<<53), float64(1<<53), false)
	f.Add(int64(math.MaxInt64), uint64(math.MaxUint64), float64(1<<63), true)
	f.Add(int64(math.MinInt64), uint64(math.MaxUint64-1), float64(-(1 << 63)), false)
	f.Add(int64(-1), uint64(0), -0.5, true)
	f.Add(int64(3), uint64(3), 3.0000000000000004, false)
	f.Add(int64(0), uint64(1), math.Inf(-1), true)
	f.Add(int64(0), uint64(1), math.NaN(), true)
	f.Fuzz(func(t *testing.T, i int64, u uint64, x float64, useUint bool) {
		v, exact := IntValue(i), new(big.Int).SetInt64(i)
		if useUint {
			v, exact = UintValue(u), new(big.Int).SetUint64(u)
		}
		w, exactW := IntValue(i), new(big.Int).SetInt64(i)
		if !useUint {
			w, exactW = UintValue(u), new(big.Int).SetUint64(u)
		}
		if c, ok := compareNumbers(&v, &w); !ok || c != exact.Cmp(exactW) {
			t.Fatalf("compare(%v, %v) = %d, %v; want %d", v, w, c, ok, exact.Cmp(exactW))
		}
		xv := NumberValue(x)
		c, ok := compareNumbers(&v, &xv)
		if math.IsNaN(x) {
			if ok {
				t.Fatalf("compare(%v, NaN) ordered", v)
			}
			return
		}
		want := new(big.Float).SetInt(exact).Cmp(big.NewFloat(x))
		if !ok || c != want {
			t.Fatalf("compare(%v, %v) = %d, %v; want %d", v, x, c, ok, want)
		}
		if back, ok := compareNumbers(&xv, &v); !ok || back != -want {
			t.Fatalf("compare(%v, %v) = %d, %v; want %d", x, v, back, ok, -want)
		}
		// difference is exact then rounded once.
		d := new(big.Float).SetInt(new(big.Int).Sub(exact, exactW))
		if wantD, _ := d.Float64(); difference(v, w) != wantD {
			t.Fatalf("difference(%v, %v) = %v, want %v", v, w, difference(v, w), wantD)
		}
		// Formatting is exact and parses back to the same value.
		if s := FormatMetric(v); s != exact.String() {
			t.Fatalf("FormatMetric(%v) = %s, want %s", v, s, exact)
		} else if back, ok := parseDecimalInt(s); !ok || back != v {
			t.Fatalf("parse(%s) = %+v, want %+v", s, back, v)
		}
	})
}

func FuzzParseMetricsJSON(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": "x", "c": true}`))
	f.Add([]byte(`{"free": {"t":"int64","v":"0x1f","u":"bytes"}, "cpu": {"t":"double","v":"12.5"}}`))
	f.Add([]byte(`{"x": {"v":"-0x10"}, "y": {"t":"gauge","v":"99999999999999999999"}}`))
	f.Add([]byte(`{"a": null}`))
	f.Add([]byte(`{"a": 9007199254740993, "b": -9223372036854775808, "c": 18446744073709551615, "d": 18446744073709551616, "e": -0, "f": 1.0}`))
	f.Add([]byte(`{"a": {"t":"int64","v":"-0x8000000000000000"}, "b": {"t":"uint64","v":18446744073709551615}, "c": {"v":"-9223372036854775809"}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetricsJSON(data)
		if err != nil {
			if m != nil {
				t.Fatalf("metrics %v returned with error %v", m, err)
			}
			return
		}
		for name, v := range m {
			s := FormatMetric(v)
			if !v.IsStr && v.Str != "" {
				t.Fatalf("metric %q: number carries string %q", name, v.Str)
			}
			if v.isInt { // exact: prints and parses back to itself, and Num is its nearest float
				if back, ok := parseDecimalInt(s); !ok || back != v {
					t.Fatalf("metric %q: %+v prints %s, parses back to %+v", name, v, s, back)
				}
				if f, _ := strconv.ParseFloat(s, 64); v.Num != f {
					t.Fatalf("metric %q: Num %v, want %v", name, v.Num, f)
				}
			}
		}
	})
}
