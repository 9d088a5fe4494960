package alarm

import (
	"errors"
	"math"
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
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzCriteria {
		f.Add(s)
	}
	f.Add(":set consecutiveCount=3\n:set consistencyLevel=ALL\nreturn new AlarmStatus(OK, 'x');")
	f.Add("/* unterminated")
	f.Add("if ((((metric['a'] > 1)))) { return OK; }")
	f.Add(`return OK, '\u00e9\t\'';`)
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
		m := Metrics{"a": num(1), "s": str("x")}
		res := c.Evaluate(Observation{Time: t0, Available: true, Metrics: m}, &Observation{Time: t0.Add(-time.Second), Available: true, Metrics: m})
		checkResult(t, res)
	})
}

func checkResult(t *testing.T, res Result) {
	t.Helper()
	if res.State < OK || res.State > Critical {
		t.Fatalf("state %v out of range", res.State)
	}
	if utf8.RuneCountInString(res.Message) > MaxMessageLen {
		t.Fatalf("message has %d characters, limit %d", utf8.RuneCountInString(res.Message), MaxMessageLen)
	}
	if res.Rule < RuleAvailability || res.Rule >= MaxConditionals {
		t.Fatalf("rule %d out of range", res.Rule)
	}
}

func FuzzEvaluate(f *testing.F) {
	crit := make([]*Criteria, len(fuzzCriteria))
	for i, s := range fuzzCriteria {
		crit[i] = mustParse(f, s)
	}
	f.Add(12.5, -3.0, "up", 1.0, 2.0, "down", int64(30_000), true)
	f.Add(math.NaN(), math.Inf(1), strings.Repeat("x", 500), 0.0, 0.0, "", int64(0), true)
	f.Add(math.Inf(-1), 0.0, "NaN", math.MaxFloat64, -math.MaxFloat64, "1e308", int64(-5_000), false)
	f.Add(5e-324, 0.0, "\xff\xfe", 1e300, 1e-300, "é", int64(1), true)
	f.Fuzz(func(t *testing.T, a, b float64, s string, pa, pb float64, ps string, dtMillis int64, avail bool) {
		cur := Observation{Time: t0, Available: avail, Status: s, Metrics: Metrics{"a": num(a), "b": num(b), "s": str(s),
			"usage_average": num(a), "duration": num(b), "body_match": str(s)}}
		prev := Observation{Time: t0.Add(-time.Duration(dtMillis) * time.Millisecond), Available: true,
			Metrics: Metrics{"a": num(pa), "b": num(pb), "s": str(ps)}}
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

func FuzzParseMetricsJSON(f *testing.F) {
	f.Add([]byte(`{"a": 1, "b": "x", "c": true}`))
	f.Add([]byte(`{"free": {"t":"int64","v":"0x1f","u":"bytes"}, "cpu": {"t":"double","v":"12.5"}}`))
	f.Add([]byte(`{"x": {"v":"-0x10"}, "y": {"t":"gauge","v":"99999999999999999999"}}`))
	f.Add([]byte(`{"a": null}`))
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
			_ = FormatMetric(v)
			if !v.IsStr && v.Str != "" {
				t.Fatalf("metric %q: number carries string %q", name, v.Str)
			}
		}
	})
}
