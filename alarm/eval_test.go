package alarm

import (
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func num(f float64) Value { return NumberValue(f) }
func ival(i int64) Value  { return IntValue(i) }
func uval(u uint64) Value { return UintValue(u) }
func str(s string) Value  { return StringValue(s) }
func obs(m Metrics) Observation {
	return Observation{Time: t0, Available: true, Status: "success", Metrics: m}
}

func mustParse(t testing.TB, text string) *Criteria {
	t.Helper()
	c, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c
}

const cpuCriteria = `if (metric['usage_average'] > 95) { return new AlarmStatus(CRITICAL, 'CPU usage is #{usage_average}%'); }`

const httpCriteria = `
if (metric['duration'] > 2000) {
  return CRITICAL, "HTTP request took more than 2 seconds, it took #{duration} milliseconds."
}
if (metric['duration'] > 1000) {
  return WARNING, "HTTP request took more than 1 second, it took #{duration} milliseconds."
}
# Check for an empty body match
if (metric['body_match'] == "") {
  return CRITICAL, "Body match missing"
}
return OK, "HTTP connection time is normal"
`

// evalCase is one Evaluate of criteria against cur (and prev, taken dt
// earlier) with the expected result.
type evalCase struct {
	name     string
	criteria string
	cur      Metrics
	prev     Metrics // nil: no previous observation
	dt       time.Duration
	state    State
	msg      string
	rule     int
}

func runEvalCases(t *testing.T, tests []evalCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.criteria)
			cur := obs(tc.cur)
			var prev *Observation
			if tc.prev != nil {
				p := obs(tc.prev)
				p.Time = t0.Add(-tc.dt)
				prev = &p
			}
			got := c.Evaluate(cur, prev)
			want := Result{State: tc.state, Message: tc.msg, Rule: tc.rule}
			if got != want {
				t.Errorf("Evaluate = %+v, want %+v", got, want)
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	runEvalCases(t, []evalCase{
		// NOTES section 9 examples.
		{"cpu critical", cpuCriteria, Metrics{"usage_average": num(97.456)}, nil, 0, Critical, "CPU usage is 97.46%", 0},
		{"cpu integral value", cpuCriteria, Metrics{"usage_average": num(99)}, nil, 0, Critical, "CPU usage is 99%", 0},
		{"cpu below threshold no default", cpuCriteria, Metrics{"usage_average": num(95)}, nil, 0, OK, "success", RuleNoMatch},
		{"cpu metric missing", cpuCriteria, Metrics{}, nil, 0, Critical, "metric 'usage_average' missing from result", RuleMissingMetric},
		{"network rate", `if (rate(metric['rx_bytes']) > 1000000) { return new AlarmStatus(WARNING, 'rx busy'); } return new AlarmStatus(OK, 'rx fine');`,
			Metrics{"rx_bytes": num(70_000_000)}, Metrics{"rx_bytes": num(10_000_000)}, 30 * time.Second, Warning, "rx busy", 0},
		{"network rate below", `if (rate(metric['rx_bytes']) > 1000000) { return new AlarmStatus(WARNING, 'rx busy'); } return new AlarmStatus(OK, 'rx fine');`,
			Metrics{"rx_bytes": num(20_000_000)}, Metrics{"rx_bytes": num(10_000_000)}, 30 * time.Second, OK, "rx fine", RuleDefault},
		{"rate without previous is missing", `if (rate(metric['rx_bytes']) >= 0) { return WARNING; } return OK, "none";`,
			Metrics{"rx_bytes": num(5)}, nil, 0, OK, "none", RuleDefault},
		{"rate with zero interval is missing", `if (rate(metric['rx_bytes']) >= 0) { return WARNING; } return OK, "none";`,
			Metrics{"rx_bytes": num(5)}, Metrics{"rx_bytes": num(1)}, 0, OK, "none", RuleDefault},
		{"rate negative on counter reset", `if (rate(metric['c']) < 0) { return WARNING, "reset"; }`,
			Metrics{"c": num(0)}, Metrics{"c": num(100)}, 10 * time.Second, Warning, "reset", 0},
		{"rate of numeric strings", `if (rate(metric['c']) == 2.5) { return WARNING, "r"; }`,
			Metrics{"c": str("35")}, Metrics{"c": str("10")}, 10 * time.Second, Warning, "r", 0},

		// The marketing example: short return form, comments, first match wins.
		{"http critical", httpCriteria, Metrics{"duration": num(2500), "body_match": str("x")}, nil, 0, Critical,
			"HTTP request took more than 2 seconds, it took 2500 milliseconds.", 0},
		{"http warning", httpCriteria, Metrics{"duration": num(1500.5), "body_match": str("x")}, nil, 0, Warning,
			"HTTP request took more than 1 second, it took 1500.5 milliseconds.", 1},
		{"http empty body", httpCriteria, Metrics{"duration": num(10), "body_match": str("")}, nil, 0, Critical, "Body match missing", 2},
		{"http ok", httpCriteria, Metrics{"duration": num(10), "body_match": str("found")}, nil, 0, OK, "HTTP connection time is normal", RuleDefault},

		// Numeric operators.
		{"== number", `if (metric['a'] == 3) { return WARNING; }`, Metrics{"a": num(3)}, nil, 0, Warning, "success", 0},
		{"!= number", `if (metric['a'] != 3) { return WARNING; }`, Metrics{"a": num(3)}, nil, 0, OK, "success", RuleNoMatch},
		{">= equal", `if (metric['a'] >= 3) { return WARNING; }`, Metrics{"a": num(3)}, nil, 0, Warning, "success", 0},
		{"<= below", `if (metric['a'] <= 3) { return WARNING; }`, Metrics{"a": num(2.9)}, nil, 0, Warning, "success", 0},
		{"< equal false", `if (metric['a'] < 3) { return WARNING; }`, Metrics{"a": num(3)}, nil, 0, OK, "success", RuleNoMatch},
		{"> negative literal", `if (metric['a'] > -200) { return WARNING; }`, Metrics{"a": num(-199)}, nil, 0, Warning, "success", 0},
		{"exponent literal", `if (metric['a'] < 1.2e-7) { return WARNING; }`, Metrics{"a": num(1e-8)}, nil, 0, Warning, "success", 0},
		{"decimal literal", `if (metric['a'] == 2773.2) { return WARNING; }`, Metrics{"a": num(2773.2)}, nil, 0, Warning, "success", 0},
		{"literal on left", `if (10 < metric['a']) { return WARNING; }`, Metrics{"a": num(11)}, nil, 0, Warning, "success", 0},

		// String operators.
		{"string ==", `if (metric['s'] == 'up') { return OK, 'link up'; } return CRITICAL, 'link #{s}';`, Metrics{"s": str("up")}, nil, 0, OK, "link up", 0},
		{"string != ", `if (metric['s'] != "up") { return CRITICAL, 'link #{s}'; }`, Metrics{"s": str("down")}, nil, 0, Critical, "link down", 0},
		{"regex match", `if (metric['v'] regex '^2\\.[0-9]+') { return WARNING, 'old #{v}'; }`, Metrics{"v": str("2.8.19")}, nil, 0, Warning, "old 2.8.19", 0},
		{"regex no match", `if (metric['v'] regex '^2\\.') { return WARNING; }`, Metrics{"v": str("3.0")}, nil, 0, OK, "success", RuleNoMatch},
		{"nregex", `if (metric['opts'] nregex 'rw') { return CRITICAL, 'read-only'; }`, Metrics{"opts": str("ro,noatime")}, nil, 0, Critical, "read-only", 0},
		{"nregex missing metric", `if (metric['opts'] nregex 'rw') { return WARNING; }`, Metrics{}, nil, 0, Critical, "metric 'opts' missing from result", RuleMissingMetric},
		{"regex on number", `if (metric['code'] regex '^5[0-9][0-9]$') { return CRITICAL, 'code #{code}'; }`, Metrics{"code": num(503)}, nil, 0, Critical, "code 503", 0},
		{"metric-to-metric strings equal", `if (metric['a'] == metric['b']) { return WARNING; }`, Metrics{"a": str("x"), "b": str("x")}, nil, 0, Warning, "success", 0},
		{"metric-to-metric strings differ", `if (metric['a'] != metric['b']) { return WARNING; }`, Metrics{"a": str("10"), "b": str("10.0")}, nil, 0, Warning, "success", 0},
		{"metric-to-metric string vs number is lexical", `if (metric['a'] == metric['b']) { return WARNING, 'same'; }`, Metrics{"a": str("10.0"), "b": num(10)}, nil, 0, OK, "success", RuleNoMatch},
		{"metric-to-metric string vs number lexical equal", `if (metric['a'] == previous(metric['a'])) { return WARNING, 'same'; }`, Metrics{"a": str("503")}, Metrics{"a": num(503)}, time.Second, Warning, "same", 0},
		{"metric vs literal coerces numeric string", `if (metric['a'] == 10) { return WARNING, 'ten'; }`, Metrics{"a": str("10.0")}, nil, 0, Warning, "ten", 0},
		{"metric-to-metric numbers", `if (metric['used'] >= metric['total']) { return CRITICAL, 'full'; }`, Metrics{"used": num(10), "total": num(10)}, nil, 0, Critical, "full", 0},

		// Mixed string/number.
		{"numeric string vs number", `if (metric['s'] > 5) { return WARNING; }`, Metrics{"s": str("6.5")}, nil, 0, Warning, "success", 0},
		{"numeric string == number", `if (metric['s'] == 200) { return WARNING; }`, Metrics{"s": str("200")}, nil, 0, Warning, "success", 0},
		{"text vs number ==", `if (metric['s'] == 5) { return WARNING; }`, Metrics{"s": str("five")}, nil, 0, OK, "success", RuleNoMatch},
		{"text vs number !=", `if (metric['s'] != 5) { return WARNING; }`, Metrics{"s": str("five")}, nil, 0, Warning, "success", 0},
		{"text vs number >", `if (metric['s'] > 5) { return WARNING; }`, Metrics{"s": str("five")}, nil, 0, Critical, `metric 's' is not a number ("five"): cannot use it with '>'`, RuleNotANumber},
		{"NaN string is not numeric", `if (metric['s'] != 5) { return WARNING; }`, Metrics{"s": str("NaN")}, nil, 0, Warning, "success", 0},
		{"number vs string literal ==", `if (metric['n'] == "200") { return WARNING; }`, Metrics{"n": num(200)}, nil, 0, Warning, "success", 0},

		// Boolean operators and precedence: && binds tighter than ||.
		{"and true", `if (metric['a'] > 1 && metric['b'] > 1) { return WARNING; }`, Metrics{"a": num(2), "b": num(2)}, nil, 0, Warning, "success", 0},
		{"and false", `if (metric['a'] > 1 && metric['b'] > 1) { return WARNING; }`, Metrics{"a": num(2), "b": num(0)}, nil, 0, OK, "success", RuleNoMatch},
		{"or", `if (metric['a'] > 1 || metric['b'] > 1) { return WARNING; }`, Metrics{"a": num(0), "b": num(2)}, nil, 0, Warning, "success", 0},
		{"precedence a || b && c with c false", `if (metric['a'] == 1 || metric['b'] == 1 && metric['c'] == 1) { return WARNING; }`,
			Metrics{"a": num(1), "b": num(0), "c": num(0)}, nil, 0, Warning, "success", 0},
		{"parens override precedence", `if ((metric['a'] == 1 || metric['b'] == 1) && metric['c'] == 1) { return WARNING; }`,
			Metrics{"a": num(1), "b": num(0), "c": num(0)}, nil, 0, OK, "success", RuleNoMatch},
		{"parenthesised operand", `if ((metric['a']) > (3)) { return WARNING; }`, Metrics{"a": num(4)}, nil, 0, Warning, "success", 0},
		{"missing metric in or still lets other side match", `if (metric['x'] > 1 || metric['a'] > 1) { return WARNING; }`, Metrics{"a": num(2)}, nil, 0, Warning, "success", 0},

		// Functions.
		{"previous", `if (previous(metric['s']) != metric['s']) { return WARNING, 'changed to #{s}'; }`,
			Metrics{"s": str("b")}, Metrics{"s": str("a")}, time.Minute, Warning, "changed to b", 0},
		{"previous missing without prev", `if (previous(metric['s']) != metric['s']) { return WARNING; }`,
			Metrics{"s": str("b")}, nil, 0, OK, "success", RuleNoMatch},
		{"percentage", `if (percentage(metric['used'], metric['total']) > 90) { return CRITICAL, 'disk #{used} of #{total}'; }`,
			Metrics{"used": num(95), "total": num(100)}, nil, 0, Critical, "disk 95 of 100", 0},
		{"percentage exact", `if (percentage(metric['used'], metric['total']) == 25) { return WARNING; }`,
			Metrics{"used": num(1), "total": num(4)}, nil, 0, Warning, "success", 0},
		{"percentage divide by zero is missing", `if (percentage(metric['used'], metric['total']) >= 0) { return WARNING; } return OK, 'n/a';`,
			Metrics{"used": num(1), "total": num(0)}, nil, 0, OK, "n/a", RuleDefault},
		{"percentage of literal", `if (percentage(metric['used'], 200) == 50) { return WARNING; }`,
			Metrics{"used": num(100)}, nil, 0, Warning, "success", 0},
		{"percentage nested rate", `if (percentage(rate(metric['err']), rate(metric['req'])) > 5) { return CRITICAL, 'errors'; }`,
			Metrics{"err": num(20), "req": num(200)}, Metrics{"err": num(10), "req": num(100)}, 10 * time.Second, Critical, "errors", 0},

		// Declarations, comments and messages.
		{"declarations", ":set consecutiveCount=3\n:set consistencyLevel=ALL\nif (metric['a'] > 1) { return new AlarmStatus(CRITICAL, 'a'); }",
			Metrics{"a": num(2)}, nil, 0, Critical, "a", 0},
		{"block and line comments", "/* leading\n block */ if (metric['a'] /* inline */ > 1) { # trailing\n return WARNING, 'w'; }",
			Metrics{"a": num(2)}, nil, 0, Warning, "w", 0},
		{"hash inside string is not a comment", `return OK, 'value # #{a}';`, Metrics{"a": num(1)}, nil, 0, OK, "value # 1", RuleDefault},
		{"message with missing metric", `return WARNING, 'x=#{nope} y=#{a}';`, Metrics{"a": num(0.5)}, nil, 0, Critical, "metric 'nope' missing from result", RuleMissingMetric},
		{"message escapes", `return WARNING, "tab\there \"q\" \u00e9 it\'s";`, Metrics{}, nil, 0, Warning, "tab\there \"q\" é it's", RuleDefault},
		{"default only: no message uses the check status", `return new AlarmStatus(OK);`, Metrics{}, nil, 0, OK, "success", RuleDefault},
		{"explicit empty message", `return new AlarmStatus(OK, '');`, Metrics{}, nil, 0, OK, "", RuleDefault},
		{"long message truncated", `return WARNING, '` + strings.Repeat("x", 120) + `#{s}';`, Metrics{"s": str(strings.Repeat("y", 20))}, nil, 0, Warning,
			strings.Repeat("x", 120) + strings.Repeat("y", 8), RuleDefault},
		{"long string value truncated to 80", `if (metric['s'] == '` + strings.Repeat("a", 80) + `') { return WARNING; }`,
			Metrics{"s": str(strings.Repeat("a", 100))}, nil, 0, Warning, "success", 0},
		{"comments only", "# nothing here\n/* at all */", Metrics{}, nil, 0, OK, "success", RuleNoMatch},

		// Numbers that break naive code.
		{"NaN compares false", `if (metric['a'] > 1 || metric['a'] <= 1 || metric['a'] == metric['a']) { return WARNING; }`, Metrics{"a": num(math.NaN())}, nil, 0, OK, "success", RuleNoMatch},
		{"Inf compares", `if (metric['a'] > 1e308) { return WARNING, '#{a}'; }`, Metrics{"a": num(math.Inf(1))}, nil, 0, Warning, "+Inf", 0},
	})
}

func TestEvaluateAvailability(t *testing.T) {
	c := mustParse(t, `return new AlarmStatus(OK, 'all good');`)
	down := Observation{Time: t0, Available: false, Status: "Timeout in Run Check"}
	tests := []struct {
		name string
		c    *Criteria
		o    Observation
		want Result
	}{
		{"criteria, unavailable", c, down, Result{State: Critical, Message: "Timeout in Run Check", Rule: RuleAvailability}},
		{"criteria, available", c, obs(Metrics{}), Result{State: OK, Message: "all good", Rule: RuleDefault}},
		{"no message takes status, uninterpolated", mustParse(t, `if (metric['a'] > 0) { return WARNING; }`),
			Observation{Available: true, Status: "took #{a} ms", Metrics: Metrics{"a": num(5)}}, Result{State: Warning, Message: "took #{a} ms", Rule: 0}},
		{"no match takes status", mustParse(t, `if (metric['a'] > 0) { return WARNING; }`),
			Observation{Available: true, Status: "all fine", Metrics: Metrics{"a": num(-5)}}, Result{State: OK, Message: "all fine", Rule: RuleNoMatch}},
		{"no criteria, unavailable", nil, down, Result{State: Critical, Message: "Timeout in Run Check", Rule: RuleAvailability}},
		{"no criteria, unavailable, empty status", nil, Observation{}, Result{State: Critical, Message: "check failed to run", Rule: RuleAvailability}},
		{"no criteria, available", nil, obs(nil), Result{State: OK, Message: "success", Rule: RuleAvailability}},
		{"long status truncated", nil, Observation{Status: strings.Repeat("é", 300)}, Result{State: Critical, Message: strings.Repeat("é", 128), Rule: RuleAvailability}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.Evaluate(tc.o, nil); got != tc.want {
				t.Errorf("Evaluate = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCriteriaAccessors(t *testing.T) {
	c := mustParse(t, ":set consecutiveCount=4; :set consistencyLevel=ONE\nif (metric['a'] > 1) { return WARNING; } return OK;")
	if c.ConsecutiveCount() != 4 || c.ConsistencyLevel() != ConsistencyOne || c.Conditionals() != 1 || !c.HasDefault() {
		t.Errorf("got count=%d level=%s conds=%d default=%v", c.ConsecutiveCount(), c.ConsistencyLevel(), c.Conditionals(), c.HasDefault())
	}
	if c.Text() != ":set consecutiveCount=4; :set consistencyLevel=ONE\nif (metric['a'] > 1) { return WARNING; } return OK;" {
		t.Errorf("Text = %q", c.Text())
	}
	d := mustParse(t, `if (metric['a'] > 1) { return WARNING; }`)
	if d.ConsecutiveCount() != 1 || d.ConsistencyLevel() != ConsistencyQuorum || d.HasDefault() {
		t.Errorf("defaults: count=%d level=%s default=%v", d.ConsecutiveCount(), d.ConsistencyLevel(), d.HasDefault())
	}
}

func TestFormatMetric(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{num(0), "0"},
		{num(12), "12"},
		{num(-200), "-200"},
		{num(12.5), "12.5"},
		{num(12.345), "12.35"},
		{num(97.456), "97.46"},
		{num(2773.2), "2773.2"},
		{num(0.1), "0.1"},
		{num(1.2e-7), "1.2e-07"},
		{num(8338522112), "8338522112"},
		{num(1e20), "1e+20"},
		{num(math.NaN()), "NaN"},
		{num(math.Inf(-1)), "-Inf"},
		{str("up"), "up"},
		{str(""), ""},
		{ival(0), "0"},
		{ival(-200), "-200"},
		{ival(1<<53 + 1), "9007199254740993"},
		{ival(math.MaxInt64), "9223372036854775807"},
		{ival(math.MinInt64), "-9223372036854775808"},
		{uval(math.MaxUint64), "18446744073709551615"},
		{uval(8338522112), "8338522112"},
		{num(1 << 53), "9.007199254740992e+15"}, // floats keep their format
	}
	for _, tc := range tests {
		if got := FormatMetric(tc.v); got != tc.want {
			t.Errorf("FormatMetric(%+v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestStateText(t *testing.T) {
	for _, s := range []State{Unknown, OK, Warning, Critical} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back State
		if err := back.UnmarshalText([]byte(strings.ToLower(string(b)))); err != nil || back != s {
			t.Errorf("round trip %v: got %v, %v", s, back, err)
		}
	}
	if got := []string{OK.String(), Warning.String(), Critical.String(), Unknown.String(), State(42).String()}; strings.Join(got, ",") != "OK,WARNING,CRITICAL,UNKNOWN,UNKNOWN" {
		t.Errorf("names: %v", got)
	}
	var s State
	if err := s.UnmarshalText([]byte("BROKEN")); err == nil {
		t.Error("UnmarshalText(BROKEN) succeeded")
	}
}

// BenchmarkEvaluate evaluates a typical 3-rule criteria whose last rule
// matches, with interpolation: go test -bench Evaluate -benchmem ./alarm/
func BenchmarkEvaluate(b *testing.B) {
	c := mustParse(b, `if (metric['a'] > 90) { return CRITICAL, 'usage #{a}%'; }
if (rate(metric['rx']) > 1000000) { return WARNING, 'rx #{rx}'; }
if (metric['s'] regex '^down') { return CRITICAL, 'link #{s}, usage #{a}%'; }
return OK, 'fine';`)
	cur := Observation{Time: t0, Available: true, Metrics: Metrics{"a": num(42.5), "rx": num(2e6), "s": str("down")}}
	prev := Observation{Time: t0.Add(-30 * time.Second), Available: true, Metrics: Metrics{"a": num(40), "rx": num(1e6), "s": str("up")}}
	want := Result{State: Critical, Message: "link down, usage 42.5%", Rule: 2}
	b.ReportAllocs()
	for b.Loop() {
		if got := c.Evaluate(cur, &prev); got != want {
			b.Fatalf("got %+v", got)
		}
	}
}

// BenchmarkEvaluateDefault is the common case: nothing fires, static message.
func BenchmarkEvaluateDefault(b *testing.B) {
	c := mustParse(b, thresholdCriteria)
	cur := Observation{Time: t0, Available: true, Metrics: Metrics{"a": num(42.5)}}
	b.ReportAllocs()
	for b.Loop() {
		if got := c.Evaluate(cur, nil); got.State != OK {
			b.Fatalf("got %+v", got)
		}
	}
}

func TestMetricNames(t *testing.T) {
	c := mustParse(t, `if (rate(metric['rx']) > 1 && percentage(metric['used'], metric["total"]) > 2) { return WARNING, '#{rx} #{extra}'; }
if (previous(metric['rx']) == metric['z']) { return OK; }
return OK, '#{used}';`)
	want := "extra,rx,total,used,z"
	if got := strings.Join(c.MetricNames(), ","); got != want {
		t.Errorf("MetricNames = %s, want %s", got, want)
	}
}

// issue12Criteria is the issue's repro: a plugin that stops printing val
// turned this alarm OK with the message "val fine #{val}".
const issue12Criteria = `if (metric['val'] > 10) { return new AlarmStatus(CRITICAL, 'val high #{val}'); } return new AlarmStatus(OK, 'val fine #{val}');`

// TestEvaluateMissingMetric: a decision that depends on a metric the
// available result lacks is CRITICAL, never a silent OK; values that need a
// previous observation are not "missing from result".
func TestEvaluateMissingMetric(t *testing.T) {
	missing := func(name string) string { return "metric '" + name + "' missing from result" }
	const rateCriteria = `if (rate(metric['c']) > 10) { return CRITICAL, 'fast #{c}'; } return OK, 'slow #{c}';`
	runEvalCases(t, []evalCase{
		{"issue repro: val missing", issue12Criteria, Metrics{"other": num(1)}, nil, 0, Critical, missing("val"), RuleMissingMetric},
		{"issue repro: no metrics at all", issue12Criteria, Metrics{}, nil, 0, Critical, missing("val"), RuleMissingMetric},
		{"issue repro: val present", issue12Criteria, Metrics{"val": num(5)}, nil, 0, OK, "val fine 5", RuleDefault},
		{"issue repro: val high", issue12Criteria, Metrics{"val": num(11)}, nil, 0, Critical, "val high 11", 0},
		{"issue repro: was there before", issue12Criteria, Metrics{}, Metrics{"val": num(5)}, time.Minute, Critical, missing("val"), RuleMissingMetric},

		// Every operator reads its operands, != and nregex included.
		{"string ==", `if (metric['s'] == 'up') { return OK, 'up'; } return WARNING, 'down';`, Metrics{}, nil, 0, Critical, missing("s"), RuleMissingMetric},
		{"string !=", `if (metric['s'] != 'up') { return WARNING, 'down'; }`, Metrics{}, nil, 0, Critical, missing("s"), RuleMissingMetric},
		{"regex", `if (metric['s'] regex '^down') { return WARNING; }`, Metrics{}, nil, 0, Critical, missing("s"), RuleMissingMetric},
		{"nregex", `if (metric['s'] nregex 'up') { return WARNING; }`, Metrics{}, nil, 0, Critical, missing("s"), RuleMissingMetric},
		{"metric to metric", `if (metric['used'] >= metric['total']) { return CRITICAL, 'full'; }`, Metrics{"used": num(1)}, nil, 0, Critical, missing("total"), RuleMissingMetric},
		{"literal on the left", `if (10 < metric['x']) { return WARNING; }`, Metrics{}, nil, 0, Critical, missing("x"), RuleMissingMetric},
		{"percentage divisor", `if (percentage(metric['used'], metric['total']) > 90) { return CRITICAL; }`, Metrics{"used": num(1)}, nil, 0, Critical, missing("total"), RuleMissingMetric},
		{"rate of a metric the result lacks", rateCriteria, Metrics{}, Metrics{"c": num(1)}, 10 * time.Second, Critical, missing("c"), RuleMissingMetric},
		{"previous of a metric the result lacks", `if (previous(metric['s']) == 'up') { return OK; } return WARNING;`, Metrics{}, Metrics{"s": str("up")}, time.Minute, Critical, missing("s"), RuleMissingMetric},
		{"the first missing metric is named", `if (metric['x'] > 1 && metric['y'] > 1) { return WARNING; }`, Metrics{}, nil, 0, Critical, missing("x"), RuleMissingMetric},
		{"a comparison reads both operands", `if (percentage(metric['a'], metric['z']) > metric['limit']) { return WARNING; }`, Metrics{"a": num(1), "z": num(0)}, nil, 0, Critical, missing("limit"), RuleMissingMetric},

		// && and || as Kleene logic: a side that settles the connective
		// decides whatever the missing side would have been.
		{"|| settled by the other side", `if (metric['x'] > 1 || metric['a'] > 1) { return WARNING, 'w'; }`, Metrics{"a": num(2)}, nil, 0, Warning, "w", 0},
		{"|| not settled", `if (metric['x'] > 1 || metric['a'] > 1) { return WARNING, 'w'; }`, Metrics{"a": num(0)}, nil, 0, Critical, missing("x"), RuleMissingMetric},
		{"|| not settled, missing on the right", `if (metric['a'] > 1 || metric['x'] > 1) { return WARNING, 'w'; }`, Metrics{"a": num(0)}, nil, 0, Critical, missing("x"), RuleMissingMetric},
		{"&& settled by the other side", `if (metric['x'] > 1 && metric['a'] > 1) { return WARNING, 'w'; } return OK, 'fine';`, Metrics{"a": num(0)}, nil, 0, OK, "fine", RuleDefault},
		{"&& not settled", `if (metric['a'] > 1 && metric['x'] > 1) { return WARNING, 'w'; } return OK, 'fine';`, Metrics{"a": num(2)}, nil, 0, Critical, missing("x"), RuleMissingMetric},
		{"an earlier conditional decides first", `if (metric['a'] > 1) { return WARNING, 'a'; } if (metric['x'] > 1) { return CRITICAL; }`, Metrics{"a": num(2)}, nil, 0, Warning, "a", 0},
		{"a later conditional is reached", `if (metric['a'] > 1) { return WARNING, 'a'; } if (metric['x'] > 1) { return CRITICAL; }`, Metrics{"a": num(0)}, nil, 0, Critical, missing("x"), RuleMissingMetric},

		// Messages: only the return taken is read.
		{"message of the default", `if (metric['a'] > 1) { return WARNING, 'a=#{a}'; } return OK, 'fine #{b}';`, Metrics{"a": num(0)}, nil, 0, Critical, missing("b"), RuleMissingMetric},
		{"message of the matching conditional", `if (metric['a'] > 1) { return WARNING, 'a=#{a} b=#{b}'; } return OK, 'fine';`, Metrics{"a": num(2)}, nil, 0, Critical, missing("b"), RuleMissingMetric},
		{"message of a return not taken", `if (metric['a'] > 1) { return WARNING, 'b=#{b}'; } return OK, 'fine';`, Metrics{"a": num(0)}, nil, 0, OK, "fine", RuleDefault},
		{"not placeholders: #{} and #{ unclosed", `return OK, '#{} #{a';`, Metrics{}, nil, 0, OK, "#{} #{a", RuleDefault},
		{"return without message takes the status", `return OK;`, Metrics{}, nil, 0, OK, "success", RuleDefault},
		{"long name truncated", `if (metric['` + strings.Repeat("n", 128) + `'] > 1) { return OK; }`, Metrics{}, nil, 0, Critical,
			"metric '" + strings.Repeat("n", 120), RuleMissingMetric},

		// No previous value is not "missing from result": the condition
		// does not match, as before (Tracker treats it as inconclusive).
		{"rate without previous observation", rateCriteria, Metrics{"c": num(5)}, nil, 0, OK, "slow 5", RuleDefault},
		{"rate when the previous observation lacked the metric", rateCriteria, Metrics{"c": num(500)}, Metrics{"other": num(1)}, 10 * time.Second, OK, "slow 500", RuleDefault},
		{"previous without previous observation", `if (previous(metric['s']) != metric['s']) { return WARNING, 'changed'; } return OK, 'same';`, Metrics{"s": str("a")}, nil, 0, OK, "same", RuleDefault},
		{"rate over a zero interval", rateCriteria, Metrics{"c": num(500)}, Metrics{"c": num(1)}, 0, OK, "slow 500", RuleDefault},
		{"percentage with a zero divisor", `if (percentage(metric['a'], metric['b']) > 1) { return WARNING; } return OK, 'n/a';`, Metrics{"a": num(1), "b": num(0)}, nil, 0, OK, "n/a", RuleDefault},
	})
}

// TestEvaluateNotANumber: an ordering comparison, rate() or percentage()
// that meets a string that is not a number is CRITICAL, not a silent false.
func TestEvaluateNotANumber(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"metric text >", issue12Criteria, Metrics{"val": str("N/A")}, nil, 0, Critical, `metric 'val' is not a number ("N/A"): cannot use it with '>'`, RuleNotANumber},
		{"both sides text", `if (metric['a'] < metric['b']) { return WARNING; }`, Metrics{"a": str("x"), "b": str("y")}, nil, 0, Critical, `metric 'a' is not a number ("x"): cannot use it with '<'`, RuleNotANumber},
		{"right side text", `if (metric['a'] >= metric['b']) { return WARNING; }`, Metrics{"a": str("12"), "b": str("")}, nil, 0, Critical, `metric 'b' is not a number (""): cannot use it with '>='`, RuleNotANumber},
		{"previous text", `if (previous(metric['s']) <= 1) { return WARNING; }`, Metrics{"s": num(1)}, Metrics{"s": str("down")}, time.Minute, Critical,
			`previous value of metric 's' is not a number ("down"): cannot use it with '<='`, RuleNotANumber},
		{"rate of text", `if (rate(metric['c']) > 1) { return WARNING; }`, Metrics{"c": str("lots")}, Metrics{"c": num(1)}, time.Minute, Critical, `metric 'c' is not a number ("lots"): cannot use it with rate()`, RuleNotANumber},
		{"percentage of text", `if (percentage(metric['a'], 10) > 1) { return WARNING; }`, Metrics{"a": str("half")}, nil, 0, Critical, `metric 'a' is not a number ("half"): cannot use it with percentage()`, RuleNotANumber},
		{"quoted safely", `if (metric['a'] > 1) { return WARNING; }`, Metrics{"a": str("x\n\u202ey")}, nil, 0, Critical, `metric 'a' is not a number ("x\n\u202ey"): cannot use it with '>'`, RuleNotANumber},
		{"settled by the other side", `if (metric['a'] > 1 || metric['b'] > 1) { return WARNING, 'w'; }`, Metrics{"a": str("x"), "b": num(2)}, nil, 0, Warning, "w", 0},
		// Unchanged: numeric strings order as numbers; == and != between
		// text and a number are unequal, not an error.
		{"numeric string orders", `if (metric['s'] > 5) { return WARNING; }`, Metrics{"s": str("6.5")}, nil, 0, Warning, "success", 0},
		{"text == number is false", `if (metric['s'] == 5) { return WARNING; } return OK, 'no';`, Metrics{"s": str("five")}, nil, 0, OK, "no", RuleDefault},
		{"text != number is true", `if (metric['s'] != 5) { return WARNING, 'yes'; }`, Metrics{"s": str("five")}, nil, 0, Warning, "yes", 0},
		{"NaN stays unordered", `if (metric['a'] > 1) { return WARNING; } return OK, 'no';`, Metrics{"a": num(math.NaN())}, nil, 0, OK, "no", RuleDefault},
	})
}

// TestEvaluateIntegers: int64 and uint64 metrics compare, print and take
// part in rate() exactly, also beyond 2^53 where float64 loses integers.
func TestEvaluateIntegers(t *testing.T) {
	const p53 = 1 << 53
	runEvalCases(t, []evalCase{
		{"2^53+1 == literal", `if (metric['a'] == 9007199254740993) { return WARNING, '#{a}'; }`, Metrics{"a": ival(p53 + 1)}, nil, 0, Warning, "9007199254740993", 0},
		{"2^53 != literal 2^53+1", `if (metric['a'] == 9007199254740993) { return WARNING; } return OK, '#{a}';`, Metrics{"a": ival(p53)}, nil, 0, OK, "9007199254740992", RuleDefault},
		{"2^53+1 > 2^53", `if (metric['a'] > 9007199254740992) { return WARNING; }`, Metrics{"a": ival(p53 + 1)}, nil, 0, Warning, "success", 0},
		{"MaxInt64 == literal", `if (metric['a'] == 9223372036854775807) { return WARNING, '#{a}'; }`, Metrics{"a": ival(math.MaxInt64)}, nil, 0, Warning, "9223372036854775807", 0},
		{"MaxInt64-1 < MaxInt64", `if (metric['a'] < 9223372036854775807) { return WARNING, '#{a}'; }`, Metrics{"a": ival(math.MaxInt64 - 1)}, nil, 0, Warning, "9223372036854775806", 0},
		{"MinInt64", `if (metric['a'] < -9223372036854775807) { return WARNING, '#{a}'; }`, Metrics{"a": ival(math.MinInt64)}, nil, 0, Warning, "-9223372036854775808", 0},
		{"MaxUint64 == literal", `if (metric['a'] == 18446744073709551615) { return WARNING, '#{a}'; }`, Metrics{"a": uval(math.MaxUint64)}, nil, 0, Warning, "18446744073709551615", 0},
		{"MaxUint64-1 != MaxUint64", `if (metric['a'] != 18446744073709551615) { return WARNING, '#{a}'; }`, Metrics{"a": uval(math.MaxUint64 - 1)}, nil, 0, Warning, "18446744073709551614", 0},
		{"MaxUint64 > MaxInt64", `if (metric['a'] > metric['b']) { return WARNING; }`, Metrics{"a": uval(math.MaxUint64), "b": ival(math.MaxInt64)}, nil, 0, Warning, "success", 0},
		{"metric to metric near MaxUint64", `if (metric['a'] > metric['b']) { return WARNING; }`, Metrics{"a": uval(math.MaxUint64), "b": uval(math.MaxUint64 - 1)}, nil, 0, Warning, "success", 0},
		{"-1 < MaxUint64", `if (metric['a'] < metric['b']) { return WARNING; }`, Metrics{"a": ival(-1), "b": uval(math.MaxUint64)}, nil, 0, Warning, "success", 0},
		{"int == float", `if (metric['a'] == 3.0 && metric['a'] < 3.5 && metric['a'] > 2.5) { return WARNING; }`, Metrics{"a": ival(3)}, nil, 0, Warning, "success", 0},
		{"float metric vs integer literal", `if (metric['a'] == 9007199254740993) { return WARNING; } return OK, 'no';`, Metrics{"a": num(p53)}, nil, 0, OK, "no", RuleDefault},
		{"int vs float beyond int64", `if (metric['a'] < 1e19 && metric['b'] > 1e19 && metric['b'] < 1e300) { return WARNING; }`,
			Metrics{"a": ival(math.MaxInt64), "b": uval(math.MaxUint64)}, nil, 0, Warning, "success", 0},
		{"int vs NaN", `if (metric['a'] == metric['n'] || metric['a'] < metric['n']) { return WARNING; } return OK, 'no';`,
			Metrics{"a": ival(1), "n": num(math.NaN())}, nil, 0, OK, "no", RuleDefault},
		{"integer string exact", `if (metric['s'] == 9007199254740993) { return WARNING; } return OK, 'no';`, Metrics{"s": str("9007199254740992")}, nil, 0, OK, "no", RuleDefault},
		{"integer string equal", `if (metric['s'] == 9007199254740993) { return WARNING, 'yes'; }`, Metrics{"s": str("9007199254740993")}, nil, 0, Warning, "yes", 0},
		{"literal beyond uint64 is a float", `if (metric['a'] < 18446744073709551616) { return WARNING; }`, Metrics{"a": uval(math.MaxUint64)}, nil, 0, Warning, "success", 0},
		{"regex on a big integer", `if (metric['a'] regex '613$') { return WARNING, '#{a}'; }`, Metrics{"a": uval(math.MaxUint64 - 2)}, nil, 0, Warning, "18446744073709551613", 0},
		{"rate of counters near 2^64", `if (rate(metric['c']) == 1) { return WARNING, 'rate 1'; }`,
			Metrics{"c": uval(math.MaxUint64)}, Metrics{"c": uval(math.MaxUint64 - 10)}, 10 * time.Second, Warning, "rate 1", 0},
		{"rate across zero", `if (rate(metric['c']) == -1) { return WARNING; }`, Metrics{"c": ival(-5)}, Metrics{"c": ival(5)}, 10 * time.Second, Warning, "success", 0},
		{"rate from MinInt64 to MaxUint64", `if (rate(metric['c']) > 2.7e19) { return WARNING; }`, Metrics{"c": uval(math.MaxUint64)}, Metrics{"c": ival(math.MinInt64)}, time.Second, Warning, "success", 0},
		{"rate int and float", `if (rate(metric['c']) == 0.5) { return WARNING; }`, Metrics{"c": ival(10)}, Metrics{"c": num(5)}, 10 * time.Second, Warning, "success", 0},
		{"percentage of integers", `if (percentage(metric['used'], metric['total']) == 25) { return WARNING; }`, Metrics{"used": uval(1 << 62), "total": uval(1<<64 - 1)}, nil, 0, Warning, "success", 0},
		{"percentage with integer zero divisor", `if (percentage(metric['used'], metric['total']) >= 0) { return WARNING; } return OK, 'n/a';`, Metrics{"used": ival(1), "total": ival(0)}, nil, 0, OK, "n/a", RuleDefault},
	})
}
