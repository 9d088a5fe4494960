package alarm

import (
	"regexp"
	"strconv"
	"strings"
)

// node is any expression; boolNode and valueNode are its two kinds.
type node any

type boolNode interface {
	evalBool(e env) truth
}

type valueNode interface {
	// evalValue returns the value, or why there is none.
	evalValue(e env) (Value, absence)
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

// absenceKind says why an operand has no value; the zero absence means
// it has one.
type absenceKind uint8

const (
	_ absenceKind = iota // the operand has a value
	// undefined: rate() over a non-positive interval, percentage() with a
	// zero divisor. A comparison reading it is false.
	undefined
	// noPrevious: previous() or rate() without a previous value (no
	// previous observation, or it lacked the metric). A comparison reading
	// it is false, and the evaluation is inconclusive (see Tracker).
	noPrevious
	// faulted: the result lacks a metric, or a number was needed and a
	// string that is not one was found. The alarm is CRITICAL.
	faulted
)

type absence struct {
	kind absenceKind
	f    *fault // with faulted; allocated only then, to keep the common path small
}

// fault is an evaluation that cannot be judged from the result: the alarm
// is CRITICAL with a message saying why. The message is built only when
// the fault decides.
type fault struct {
	rule  int    // RuleMissingMetric or RuleNotANumber
	name  string // the metric; "" if the operand is not a metric
	prev  bool   // the operand is previous(metric[name])
	value string // RuleNotANumber: the text that is not a number
	use   string // RuleNotANumber: what needed a number ("'>'", "rate()", ...)
}

func missingMetric(name string) absence {
	return absence{kind: faulted, f: &fault{rule: RuleMissingMetric, name: name}}
}

// notANumber describes operand n, whose value v is not a number, as the
// fault of an operation (use) that needs one.
func notANumber(n valueNode, v Value, use string) *fault {
	f := &fault{rule: RuleNotANumber, value: valueText(v), use: use}
	switch m := n.(type) {
	case *metricNode:
		f.name = m.name
	case *previousNode:
		f.name, f.prev = m.name, true
	}
	return f
}

func (f *fault) result() Result {
	var msg string
	if f.rule == RuleMissingMetric {
		msg = "metric '" + f.name + "' missing from result"
	} else {
		subject := "value"
		if f.name != "" {
			subject = "metric '" + f.name + "'"
			if f.prev {
				subject = "previous value of " + subject
			}
		}
		msg = subject + " is not a number (" + strconv.Quote(f.value) + "): cannot use it with " + f.use
	}
	return Result{State: Critical, Message: truncateRunes(msg, MaxMessageLen), Rule: f.rule}
}

// truth is the value of a condition. Besides true and false a condition
// can be open for want of a previous value (isNoPrev; it does not match)
// or faulted (the alarm is CRITICAL). && and || combine them as Kleene's
// three-valued logic does: a side that settles the connective (false for
// &&, true for ||) decides whatever the other side is; otherwise a fault
// decides (the left one first), then an open side.
type truth struct {
	kind truthKind
	// noPrev, with isFault: a side open for want of a previous value could
	// have settled the connective, so the fault might not have decided.
	noPrev bool
	f      *fault // with isFault
}

type truthKind uint8

const (
	isFalse truthKind = iota
	isTrue
	isNoPrev
	isFault
)

func boolTruth(b bool) truth {
	if b {
		return truth{kind: isTrue}
	}
	return truth{}
}

// unsettled combines two sides of which neither settles their connective.
func unsettled(l, r truth) truth {
	switch {
	case l.kind == isFault:
		l.noPrev = l.noPrev || r.kind == isNoPrev || r.noPrev
		return l
	case r.kind == isFault:
		r.noPrev = r.noPrev || l.kind == isNoPrev
		return r
	case l.kind == isNoPrev:
		return l
	}
	return r // r open, or both the non-settling value
}

type orNode struct{ l, r boolNode }

func (n *orNode) evalBool(e env) truth {
	l := n.l.evalBool(e)
	if l.kind == isTrue {
		return l
	}
	r := n.r.evalBool(e)
	if r.kind == isTrue {
		return r
	}
	return unsettled(l, r)
}

type andNode struct{ l, r boolNode }

func (n *andNode) evalBool(e env) truth {
	l := n.l.evalBool(e)
	if l.kind == isFalse {
		return l
	}
	r := n.r.evalBool(e)
	if r.kind == isFalse {
		return r
	}
	return unsettled(l, r)
}

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

func (op cmpOp) ordering() bool { return op >= opLt && op <= opGe }

func (op cmpOp) String() string {
	return [...]string{"'=='", "'!='", "'<'", "'<='", "'>'", "'>='", "regex", "nregex"}[op]
}

type cmpNode struct {
	op   cmpOp
	l, r valueNode
	re   *regexp.Regexp // for regex / nregex
	// lexical: == or != between two metric statements, which the docs
	// define as a lexicographic comparison.
	lexical bool
}

// evalBool reads both operands: a fault in either decides (the left one
// first); otherwise an undefined operand makes the comparison false, and
// one without a previous value leaves it open.
func (n *cmpNode) evalBool(e env) truth {
	a, aa := n.l.evalValue(e)
	var b Value
	var ba absence
	if n.re == nil {
		b, ba = n.r.evalValue(e)
	}
	switch {
	case aa.kind == faulted:
		return truth{kind: isFault, f: aa.f}
	case ba.kind == faulted:
		return truth{kind: isFault, f: ba.f}
	case aa.kind == undefined || ba.kind == undefined:
		return truth{}
	case aa.kind == noPrevious || ba.kind == noPrevious:
		return truth{kind: isNoPrev}
	}
	if n.re != nil {
		return boolTruth(n.re.MatchString(valueText(a)) == (n.op == opRegex))
	}
	if n.lexical && (a.IsStr || b.IsStr) {
		return boolTruth((valueText(a) == valueText(b)) == (n.op == opEq))
	}
	return n.compare(&a, &b)
}

// compare applies the operator to two values. Two strings compare as
// strings for == and !=; every other pairing compares numerically, a
// string taking part only if it is a decimal number ("12.5", "-3e2"),
// integers exactly. A string that is not a number is unequal to a number
// (== false, != true) and cannot be ordered: < <= > >= fault.
func (n *cmpNode) compare(a, b *Value) truth {
	eq := n.op == opEq || n.op == opNe
	if a.IsStr && b.IsStr && eq {
		return boolTruth((a.Str == b.Str) == (n.op == opEq))
	}
	okA, okB := true, true
	var na, nb Value
	if a.IsStr {
		na, okA = parseNumberText(a.Str)
		if okA {
			a = &na
		}
	}
	if b.IsStr {
		nb, okB = parseNumberText(b.Str)
		if okB {
			b = &nb
		}
	}
	switch {
	case (!okA || !okB) && eq:
		return boolTruth(n.op == opNe)
	case !okA:
		return truth{kind: isFault, f: notANumber(n.l, *a, n.op.String())}
	case !okB:
		return truth{kind: isFault, f: notANumber(n.r, *b, n.op.String())}
	}
	c, ordered := compareNumbers(a, b)
	if !ordered { // NaN, as IEEE 754: unequal and unordered
		return boolTruth(n.op == opNe)
	}
	switch n.op {
	case opEq:
		return boolTruth(c == 0)
	case opNe:
		return boolTruth(c != 0)
	case opLt:
		return boolTruth(c < 0)
	case opLe:
		return boolTruth(c <= 0)
	case opGt:
		return boolTruth(c > 0)
	case opGe:
		return boolTruth(c >= 0)
	}
	return truth{}
}

type litNode struct {
	v    Value
	desc string // a string literal as written, for parse errors
}

func (n *litNode) evalValue(env) (Value, absence) { return n.v, absence{} }

type metricNode struct{ name string }

func (n *metricNode) evalValue(e env) (Value, absence) {
	v, ok := lookup(e.cur, n.name)
	if !ok {
		return Value{}, missingMetric(n.name)
	}
	return v, absence{}
}

// previousNode is the metric's value in the previous observation. A metric
// the current result lacks is missing, as for metric[...]: the check no
// longer reports it.
type previousNode struct{ name string }

func (n *previousNode) evalValue(e env) (Value, absence) {
	if _, ok := e.cur[n.name]; !ok {
		return Value{}, missingMetric(n.name)
	}
	if !e.hasPrev {
		return Value{}, absence{kind: noPrevious}
	}
	v, ok := lookup(e.prev, n.name)
	if !ok {
		return Value{}, absence{kind: noPrevious}
	}
	return v, absence{}
}

// rateNode is (V1-V0)/(T1-T0) per second between the previous and the
// current observation.
type rateNode struct{ name string }

func (n *rateNode) evalValue(e env) (Value, absence) {
	v1, ok := lookup(e.cur, n.name)
	if !ok {
		return Value{}, missingMetric(n.name)
	}
	x1, ok := numeric(v1)
	if !ok {
		return Value{}, absence{kind: faulted, f: &fault{rule: RuleNotANumber, name: n.name, value: valueText(v1), use: "rate()"}}
	}
	if !e.hasPrev {
		return Value{}, absence{kind: noPrevious}
	}
	v0, ok := lookup(e.prev, n.name)
	if !ok {
		return Value{}, absence{kind: noPrevious}
	}
	x0, ok := numeric(v0)
	if !ok { // that observation faulted when it was judged
		return Value{}, absence{kind: noPrevious}
	}
	if !(e.dt > 0) {
		return Value{}, absence{kind: undefined}
	}
	return NumberValue(difference(x1, x0) / e.dt), absence{}
}

// percentageNode is 100*a/b; b == 0 makes it undefined.
type percentageNode struct{ a, b valueNode }

func (n *percentageNode) evalValue(e env) (Value, absence) {
	a, aa := n.a.evalValue(e)
	b, ba := n.b.evalValue(e)
	switch {
	case aa.kind == faulted:
		return Value{}, aa
	case ba.kind == faulted:
		return Value{}, ba
	case aa.kind == undefined || ba.kind == undefined:
		return Value{}, absence{kind: undefined}
	case aa.kind == noPrevious || ba.kind == noPrevious:
		return Value{}, absence{kind: noPrevious}
	}
	x, ok := numeric(a)
	if !ok {
		return Value{}, absence{kind: faulted, f: notANumber(n.a, a, "percentage()")}
	}
	y, ok := numeric(b)
	if !ok {
		return Value{}, absence{kind: faulted, f: notANumber(n.b, b, "percentage()")}
	}
	if y.Num == 0 {
		return Value{}, absence{kind: undefined}
	}
	return NumberValue(100 * x.Num / y.Num), absence{}
}

// Evaluate decides the state for one observation. prev is the previous
// observation of the same check (nil if none); previous() and rate() read
// it. Evaluate is pure and never panics.
//
// An unavailable check is CRITICAL with its status as the message,
// whatever the criteria say. Otherwise the conditionals run in order and the
// first whose condition is true decides; then the final unconditional
// return; if nothing matched the state is OK. A return without a message,
// or no match, takes the check's status as the message. A condition, or
// the message of the return taken, that depends on a metric the result
// lacks makes the state CRITICAL (RuleMissingMetric); so does a value
// that must be a number and is not (RuleNotANumber). A nil *Criteria
// means availability only: an available check is OK.
func (c *Criteria) Evaluate(cur Observation, prev *Observation) Result {
	res, _ := c.evaluate(cur, prev)
	return res
}

// evaluate is Evaluate, and reports whether the result is inconclusive: a
// conditional tried before the decision could not be judged for want of a
// previous value (previous() or rate() on the first observation), so the
// decision might differ once there is one.
func (c *Criteria) evaluate(cur Observation, prev *Observation) (res Result, inconclusive bool) {
	if !cur.Available {
		msg := cur.Status
		if msg == "" {
			msg = "check failed to run"
		}
		return Result{State: Critical, Message: truncateRunes(msg, MaxMessageLen), Rule: RuleAvailability}, false
	}
	if c == nil {
		return Result{State: OK, Message: truncateRunes(cur.Status, MaxMessageLen), Rule: RuleAvailability}, false
	}
	e := env{cur: cur.Metrics}
	if prev != nil {
		e.prev = prev.Metrics
		e.hasPrev = true
		e.dt = cur.Time.Sub(prev.Time).Seconds()
	}
	for i := range c.rules {
		r := &c.rules[i]
		switch t := r.cond.evalBool(e); t.kind {
		case isTrue:
			return r.status.result(cur, i), inconclusive
		case isFault:
			return t.f.result(), inconclusive || t.noPrev
		case isNoPrev:
			inconclusive = true
		}
	}
	if c.def != nil {
		return c.def.result(cur, RuleDefault), inconclusive
	}
	return Result{State: OK, Message: truncateRunes(cur.Status, MaxMessageLen), Rule: RuleNoMatch}, inconclusive
}

// result is the Result of taking this return: its state and interpolated
// message, or CRITICAL if the message names a metric the result lacks.
func (s *status) result(cur Observation, rule int) Result {
	if name, ok := s.msg.missing(cur.Metrics); ok {
		return missingMetric(name).f.result()
	}
	return Result{State: s.state, Message: s.msg.render(cur), Rule: rule}
}

// missing returns the first #{name} placeholder naming a metric that
// metrics lack.
func (m message) missing(metrics Metrics) (string, bool) {
	for _, p := range m.parts {
		if p.metric == "" {
			continue
		}
		if _, ok := metrics[p.metric]; !ok {
			return p.metric, true
		}
	}
	return "", false
}

// render interpolates #{name} placeholders with current metric values
// (the caller has checked that none is missing). A return without a
// message uses the check's status, as the Rackspace docs' resolution
// policy says. The result is truncated to MaxMessageLen characters.
func (m message) render(cur Observation) string {
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
		v, _ := lookup(cur.Metrics, p.metric)
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
