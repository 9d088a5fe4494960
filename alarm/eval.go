package alarm

import (
	"math"
	"regexp"
	"strconv"
	"strings"
)

// node is any expression; boolNode and valueNode are its two kinds.
type node any

type boolNode interface {
	evalBool(e env) bool
}

type valueNode interface {
	// evalValue returns false when the value is missing (metric absent, no
	// previous observation, division by zero, ...).
	evalValue(e env) (Value, bool)
}

type env struct {
	cur, prev Metrics
	hasPrev   bool
	dt        float64 // seconds between prev and cur
}

func lookup(m Metrics, name string) (Value, bool) {
	v, ok := m[name]
	if ok && v.IsStr {
		v.Str = truncateRunes(v.Str, MaxStringValueLen)
	}
	return v, ok
}

type orNode struct{ l, r boolNode }

func (n *orNode) evalBool(e env) bool { return n.l.evalBool(e) || n.r.evalBool(e) }

type andNode struct{ l, r boolNode }

func (n *andNode) evalBool(e env) bool { return n.l.evalBool(e) && n.r.evalBool(e) }

type cmpOp int

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
	opRegex
	opNRegex
)

type cmpNode struct {
	op   cmpOp
	l, r valueNode
	re   *regexp.Regexp // for regex / nregex
	// lexical: == or != between two metric statements, which the docs
	// define as a lexicographic comparison.
	lexical bool
}

func (n *cmpNode) evalBool(e env) bool {
	a, ok := n.l.evalValue(e)
	if !ok {
		return false
	}
	if n.re != nil {
		matched := n.re.MatchString(valueText(a))
		return matched == (n.op == opRegex)
	}
	b, ok := n.r.evalValue(e)
	if !ok {
		return false
	}
	if n.lexical && (a.IsStr || b.IsStr) {
		return (valueText(a) == valueText(b)) == (n.op == opEq)
	}
	return compare(n.op, a, b)
}

// compare applies a comparison operator. Two strings compare as strings for
// == and !=; every other pairing compares numerically, a string taking part
// only if it is a decimal number ("12.5", "-3e2"). A non-numeric string
// versus a number is unequal (== false, != true) and unordered (< <= > >=
// false).
func compare(op cmpOp, a, b Value) bool {
	if a.IsStr && b.IsStr && (op == opEq || op == opNe) {
		return (a.Str == b.Str) == (op == opEq)
	}
	x, okA := asNumber(a)
	y, okB := asNumber(b)
	if !okA || !okB {
		return op == opNe
	}
	switch op {
	case opEq:
		return x == y
	case opNe:
		return x != y
	case opLt:
		return x < y
	case opLe:
		return x <= y
	case opGt:
		return x > y
	case opGe:
		return x >= y
	}
	return false
}

// asNumber returns a value as a number; strings must be decimal numbers.
func asNumber(v Value) (float64, bool) {
	if !v.IsStr {
		return v.Num, true
	}
	s := strings.TrimSpace(v.Str)
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			return 0, false // rejects "NaN", "Inf", hex and "1_000"
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// valueText is the text a regex is matched against: the string itself, or
// the number in its shortest exact decimal form.
func valueText(v Value) string {
	if v.IsStr {
		return v.Str
	}
	if math.Abs(v.Num) < 1e21 {
		return strconv.FormatFloat(v.Num, 'f', -1, 64)
	}
	return strconv.FormatFloat(v.Num, 'g', -1, 64)
}

type litNode struct{ v Value }

func (n *litNode) evalValue(env) (Value, bool) { return n.v, true }

type metricNode struct{ name string }

func (n *metricNode) evalValue(e env) (Value, bool) { return lookup(e.cur, n.name) }

type previousNode struct{ name string }

func (n *previousNode) evalValue(e env) (Value, bool) {
	if !e.hasPrev {
		return Value{}, false
	}
	return lookup(e.prev, n.name)
}

// rateNode is (V1-V0)/(T1-T0) per second between the previous and the
// current observation.
type rateNode struct{ name string }

func (n *rateNode) evalValue(e env) (Value, bool) {
	if !e.hasPrev || !(e.dt > 0) {
		return Value{}, false
	}
	v1, ok1 := lookup(e.cur, n.name)
	v0, ok0 := lookup(e.prev, n.name)
	if !ok1 || !ok0 {
		return Value{}, false
	}
	x1, ok1 := asNumber(v1)
	x0, ok0 := asNumber(v0)
	if !ok1 || !ok0 {
		return Value{}, false
	}
	return NumberValue((x1 - x0) / e.dt), true
}

// percentageNode is 100*a/b; b == 0 makes it missing.
type percentageNode struct{ a, b valueNode }

func (n *percentageNode) evalValue(e env) (Value, bool) {
	a, ok := n.a.evalValue(e)
	if !ok {
		return Value{}, false
	}
	b, ok := n.b.evalValue(e)
	if !ok {
		return Value{}, false
	}
	x, okA := asNumber(a)
	y, okB := asNumber(b)
	if !okA || !okB || y == 0 {
		return Value{}, false
	}
	return NumberValue(100 * x / y), true
}

// Evaluate decides the state for one observation. prev is the previous
// observation of the same check (nil if none); previous() and rate() read
// it. Evaluate is pure and never panics.
//
// An unavailable check is CRITICAL with its status as the message,
// whatever the criteria say. Otherwise the conditionals run in order and the
// first whose condition is true decides; then the final unconditional
// return; if nothing matched the state is OK. A return without a message,
// or no match, takes the check's status as the message. A nil
// *Criteria means availability only: an available check is OK.
func (c *Criteria) Evaluate(cur Observation, prev *Observation) Result {
	if !cur.Available {
		msg := cur.Status
		if msg == "" {
			msg = "check failed to run"
		}
		return Result{State: Critical, Message: truncateRunes(msg, MaxMessageLen), Rule: RuleAvailability}
	}
	if c == nil {
		return Result{State: OK, Message: truncateRunes(cur.Status, MaxMessageLen), Rule: RuleAvailability}
	}
	e := env{cur: cur.Metrics}
	if prev != nil {
		e.prev = prev.Metrics
		e.hasPrev = true
		e.dt = cur.Time.Sub(prev.Time).Seconds()
	}
	for i := range c.rules {
		r := &c.rules[i]
		if r.cond.evalBool(e) {
			return Result{State: r.status.state, Message: r.status.msg.render(cur), Rule: i}
		}
	}
	if c.def != nil {
		return Result{State: c.def.state, Message: c.def.msg.render(cur), Rule: RuleDefault}
	}
	return Result{State: OK, Message: truncateRunes(cur.Status, MaxMessageLen), Rule: RuleNoMatch}
}

// render interpolates #{name} placeholders with current metric values; a
// placeholder naming a missing metric is left as written. A return without
// a message uses the check's status, as the Rackspace docs' resolution
// policy says. The result is truncated to MaxMessageLen characters.
func (m message) render(cur Observation) string {
	metrics := cur.Metrics
	switch {
	case !m.given:
		return truncateRunes(cur.Status, MaxMessageLen)
	case len(m.parts) == 0:
		return ""
	case len(m.parts) == 1 && m.parts[0].metric == "":
		return truncateRunes(m.parts[0].lit, MaxMessageLen)
	}
	var b strings.Builder
	b.Grow(64)
	for _, p := range m.parts {
		if p.metric == "" {
			b.WriteString(p.lit)
			continue
		}
		v, ok := lookup(metrics, p.metric)
		if !ok {
			b.WriteString("#{" + p.metric + "}")
			continue
		}
		b.WriteString(FormatMetric(v))
	}
	return truncateRunes(b.String(), MaxMessageLen)
}

// truncateRunes cuts s to at most n characters.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// FormatMetric formats a value for messages and display: strings as they
// are; integral numbers without decimals; other numbers rounded to at most
// two decimals with trailing zeros dropped; numbers too small to show in two
// decimals (|v| < 0.005) in three significant digits, e.g. "1.2e-07"; very
// large ones (|v| >= 1e15) in exponent form.
func FormatMetric(v Value) string {
	if v.IsStr {
		return v.Str
	}
	f := v.Num
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case f == 0:
		return "0"
	}
	a := math.Abs(f)
	switch {
	case a >= 1e15:
		return strconv.FormatFloat(f, 'g', -1, 64)
	case f == math.Trunc(f):
		return strconv.FormatFloat(f, 'f', 0, 64)
	case a < 0.005:
		return strconv.FormatFloat(f, 'g', 3, 64)
	}
	s := strconv.FormatFloat(f, 'f', 2, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
