package alarm

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits of the criteria language (Rackspace Cloud Monitoring).
const (
	MaxCriteriaLen      = 16384 // characters of criteria text
	MaxConditionals     = 10    // if statements
	MaxMetricNameLen    = 128   // characters of a metric name
	MaxStringValueLen   = 80    // characters of a string metric value; longer values are truncated
	MaxMessageLen       = 128   // characters of a status message after interpolation; longer ones are truncated
	MaxConsecutiveCount = 5
	maxNesting          = 64 // parentheses and function calls, to bound recursion
)

// Consistency levels accepted by ":set consistencyLevel=".
const (
	ConsistencyOne    = "ONE"
	ConsistencyQuorum = "QUORUM"
	ConsistencyAll    = "ALL"
)

// Criteria is parsed alarm criteria. It is immutable and safe for
// concurrent use.
type Criteria struct {
	text             string
	consecutiveCount int
	consistency      string
	rules            []rule
	def              *status  // final unconditional return, nil if none
	names            []string // metric names referenced, sorted, unique
}

type rule struct {
	cond   boolNode
	status status
}

type status struct {
	state State
	msg   message
}

// message is a status message split at #{metric} placeholders.
type message struct {
	given bool // false: the return had no message; the check's status is used
	parts []msgPart
}

type msgPart struct {
	lit    string
	metric string // non-empty: interpolate this metric
}

// ConsecutiveCount is the number of consecutive agreeing evaluations needed
// to change the alarm's state (1..5, default 1).
func (c *Criteria) ConsecutiveCount() int { return c.consecutiveCount }

// ConsistencyLevel is "ONE", "QUORUM" (default) or "ALL". It is stored for
// the caller; a single agent is one monitoring zone, so evaluation does not
// use it.
func (c *Criteria) ConsistencyLevel() string { return c.consistency }

// Conditionals is the number of if statements.
func (c *Criteria) Conditionals() int { return len(c.rules) }

// HasDefault reports whether the criteria end in an unconditional return.
func (c *Criteria) HasDefault() bool { return c.def != nil }

// Text returns the criteria source.
func (c *Criteria) Text() string { return c.text }

// MetricNames returns the metric names the criteria reference, in
// conditions and in #{...} placeholders, sorted and without duplicates.
// The caller must not modify the slice.
func (c *Criteria) MetricNames() []string { return c.names }

type parser struct {
	toks  []token
	i     int
	depth int
	names map[string]bool
}

// Parse parses criteria text. Errors are *ParseError naming the line and
// column of the offending token.
func Parse(text string) (*Criteria, error) {
	if n := utf8.RuneCountInString(text); n < 1 || n > MaxCriteriaLen {
		return nil, &ParseError{Line: 1, Col: 1, Msg: fmt.Sprintf("criteria must be 1 to %d characters long, got %d", MaxCriteriaLen, n)}
	}
	if !utf8.ValidString(text) {
		return nil, &ParseError{Line: 1, Col: 1, Msg: "criteria is not valid UTF-8"}
	}
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, names: map[string]bool{}}
	c := &Criteria{text: text, consecutiveCount: 1, consistency: ConsistencyQuorum}
	if err := p.parseCriteria(c); err != nil {
		return nil, err
	}
	for n := range p.names {
		c.names = append(c.names, n)
	}
	sort.Strings(c.names)
	return c, nil
}

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &ParseError{Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}
}

// expect consumes a token of kind k or fails with "expected <what>, found X".
func (p *parser) expect(k tokenKind, what string) (token, error) {
	t := p.cur()
	if t.kind != k {
		return t, p.errAt(t, "expected %s, found %s", what, t.describe())
	}
	return p.next(), nil
}

func (p *parser) isIdent(name string) bool {
	t := p.cur()
	return t.kind == tIdent && t.text == name
}

func (p *parser) expectIdent(name, what string) error {
	if !p.isIdent(name) {
		return p.errAt(p.cur(), "expected %s, found %s", what, p.cur().describe())
	}
	p.next()
	return nil
}

func (p *parser) skipSemi() {
	if p.cur().kind == tSemi {
		p.next()
	}
}

func (p *parser) parseCriteria(c *Criteria) error {
	seen := map[string]bool{}
	for p.cur().kind == tColon {
		if err := p.parseDecl(c, seen); err != nil {
			return err
		}
	}
	for p.cur().kind != tEOF {
		t := p.cur()
		if c.def != nil {
			return p.errAt(t, "unreachable statement after unconditional return")
		}
		switch {
		case t.kind == tColon:
			return p.errAt(t, "declarations (:set) must come before all statements")
		case p.isIdent("if"):
			if len(c.rules) == MaxConditionals {
				return p.errAt(t, "too many conditionals: at most %d if statements are allowed", MaxConditionals)
			}
			r, err := p.parseIf()
			if err != nil {
				return err
			}
			c.rules = append(c.rules, r)
		case p.isIdent("return"):
			st, err := p.parseReturn()
			if err != nil {
				return err
			}
			c.def = &st
		default:
			return p.errAt(t, "expected 'if' or 'return', found %s", t.describe())
		}
	}
	return nil
}

// parseDecl parses ":set name=value".
func (p *parser) parseDecl(c *Criteria, seen map[string]bool) error {
	p.next() // ':'
	if err := p.expectIdent("set", "'set' after ':'"); err != nil {
		return err
	}
	nameTok, err := p.expect(tIdent, "setting name after ':set'")
	if err != nil {
		return err
	}
	if _, err := p.expect(tAssign, fmt.Sprintf("'=' after '%s'", nameTok.text)); err != nil {
		return err
	}
	val := p.cur()
	switch nameTok.text {
	case "consecutiveCount":
		if val.kind != tNumber || val.num != float64(int(val.num)) || val.num < 1 || val.num > MaxConsecutiveCount {
			return p.errAt(val, "consecutiveCount must be an integer from 1 to %d, found %s", MaxConsecutiveCount, val.describe())
		}
		c.consecutiveCount = int(val.num)
	case "consistencyLevel":
		if val.kind != tIdent || (val.text != ConsistencyOne && val.text != ConsistencyQuorum && val.text != ConsistencyAll) {
			return p.errAt(val, "consistencyLevel must be ONE, QUORUM or ALL, found %s", val.describe())
		}
		c.consistency = val.text
	default:
		return p.errAt(nameTok, "unknown setting %q: expected consecutiveCount or consistencyLevel", nameTok.text)
	}
	if seen[nameTok.text] {
		return p.errAt(nameTok, "%s is set twice", nameTok.text)
	}
	seen[nameTok.text] = true
	p.next()
	p.skipSemi()
	return nil
}

func (p *parser) parseIf() (rule, error) {
	p.next() // if
	if _, err := p.expect(tLParen, "'(' after 'if'"); err != nil {
		return rule{}, err
	}
	n, err := p.parseOr()
	if err != nil {
		return rule{}, err
	}
	cond, ok := n.(boolNode)
	if !ok {
		return rule{}, p.errAt(p.cur(), "expected comparison operator after operand, found %s", p.cur().describe())
	}
	if _, err := p.expect(tRParen, "')' after condition"); err != nil {
		return rule{}, err
	}
	if _, err := p.expect(tLBrace, "'{' after condition"); err != nil {
		return rule{}, err
	}
	if !p.isIdent("return") {
		return rule{}, p.errAt(p.cur(), "expected 'return' in if body, found %s", p.cur().describe())
	}
	st, err := p.parseReturn()
	if err != nil {
		return rule{}, err
	}
	if _, err := p.expect(tRBrace, "'}' after return statement"); err != nil {
		return rule{}, err
	}
	return rule{cond: cond, status: st}, nil
}

// parseReturn parses "return new AlarmStatus(STATE[, 'msg']);" or the short
// form "return STATE[, 'msg'];".
func (p *parser) parseReturn() (status, error) {
	p.next() // return
	long := p.isIdent("new")
	if long {
		p.next()
		if err := p.expectIdent("AlarmStatus", "'AlarmStatus' after 'new'"); err != nil {
			return status{}, err
		}
		if _, err := p.expect(tLParen, "'(' after 'AlarmStatus'"); err != nil {
			return status{}, err
		}
	}
	var st status
	t := p.cur()
	switch {
	case t.kind == tIdent && t.text == "OK":
		st.state = OK
	case t.kind == tIdent && t.text == "WARNING":
		st.state = Warning
	case t.kind == tIdent && t.text == "CRITICAL":
		st.state = Critical
	default:
		return status{}, p.errAt(t, "expected OK, WARNING or CRITICAL, found %s", t.describe())
	}
	p.next()
	if p.cur().kind == tComma {
		p.next()
		m, err := p.expect(tString, "message string after ','")
		if err != nil {
			return status{}, err
		}
		st.msg = parseMessage(m.str)
		for _, part := range st.msg.parts {
			if part.metric != "" {
				p.names[part.metric] = true
			}
		}
	}
	if long {
		if _, err := p.expect(tRParen, "')' after AlarmStatus arguments"); err != nil {
			return status{}, err
		}
	}
	p.skipSemi()
	return st, nil
}

// parseMessage splits "text #{name} text" into literal and metric parts.
func parseMessage(s string) message {
	m := message{given: true}
	for {
		i := strings.Index(s, "#{")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			break
		}
		name := s[i+2 : i+2+j]
		if name == "" {
			m.parts = append(m.parts, msgPart{lit: s[:i+3]})
			s = s[i+3:]
			continue
		}
		if i > 0 {
			m.parts = append(m.parts, msgPart{lit: s[:i]})
		}
		m.parts = append(m.parts, msgPart{metric: name})
		s = s[i+3+j:]
	}
	if s != "" {
		m.parts = append(m.parts, msgPart{lit: s})
	}
	return m
}

// Expressions: || binds loosest, then &&, then comparisons.

func (p *parser) parseOr() (node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.cur().kind == tOr {
		op := p.next()
		lb, ok := l.(boolNode)
		if !ok {
			return nil, p.errAt(op, "expected comparison operator after operand, found '||'")
		}
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		rb, ok := r.(boolNode)
		if !ok {
			return nil, p.errAt(p.cur(), "expected comparison operator after operand, found %s", p.cur().describe())
		}
		l = &orNode{l: lb, r: rb}
	}
	return l, nil
}

func (p *parser) parseAnd() (node, error) {
	l, err := p.parseComparison()
	if err != nil {
		return nil, err
	}
	for p.cur().kind == tAnd {
		op := p.next()
		lb, ok := l.(boolNode)
		if !ok {
			return nil, p.errAt(op, "expected comparison operator after operand, found '&&'")
		}
		r, err := p.parseComparison()
		if err != nil {
			return nil, err
		}
		rb, ok := r.(boolNode)
		if !ok {
			return nil, p.errAt(p.cur(), "expected comparison operator after operand, found %s", p.cur().describe())
		}
		l = &andNode{l: lb, r: rb}
	}
	return l, nil
}

func (p *parser) compareOp() (cmpOp, bool) {
	t := p.cur()
	switch t.kind {
	case tEq:
		return opEq, true
	case tNe:
		return opNe, true
	case tLt:
		return opLt, true
	case tLe:
		return opLe, true
	case tGt:
		return opGt, true
	case tGe:
		return opGe, true
	case tIdent:
		switch t.text {
		case "regex":
			return opRegex, true
		case "nregex":
			return opNRegex, true
		}
	}
	return 0, false
}

func (p *parser) parseComparison() (node, error) {
	lt := p.cur()
	l, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	op, ok := p.compareOp()
	if !ok {
		return l, nil
	}
	opTok := p.next()
	lv, ok := l.(valueNode)
	if !ok {
		return nil, p.errAt(lt, "left side of %s must be a value, not a condition", opTok.describe())
	}
	rt := p.cur()
	r, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	rv, ok := r.(valueNode)
	if !ok {
		return nil, p.errAt(rt, "right side of %s must be a value, not a condition", opTok.describe())
	}
	// The language orders numbers only; strings have == != regex nregex.
	if op.ordering() {
		for _, side := range []struct {
			n   node
			tok token
		}{{l, lt}, {r, rt}} {
			if isStringLiteral(side.n) {
				return nil, p.errAt(side.tok, "%s cannot compare %s: strings support only ==, !=, regex and nregex", opTok.describe(), side.n.(*litNode).desc)
			}
		}
	}
	c := &cmpNode{op: op, l: lv, r: rv, lexical: (op == opEq || op == opNe) && isMetricStatement(l) && isMetricStatement(r)}
	if op == opRegex || op == opNRegex {
		lit, ok := r.(*litNode)
		if !ok || !lit.v.IsStr {
			return nil, p.errAt(rt, "pattern of %s must be a string literal, found %s", opTok.text, rt.describe())
		}
		re, err := regexp.Compile(lit.v.Str)
		if err != nil {
			return nil, p.errAt(rt, "invalid regex: %v", err)
		}
		c.re = re
	}
	return c, nil
}

func isStringLiteral(n node) bool {
	lit, ok := n.(*litNode)
	return ok && lit.v.IsStr
}

// isMetricStatement reports whether n reads a metric as it is:
// metric['x'] or previous(metric['x']).
func isMetricStatement(n node) bool {
	switch n.(type) {
	case *metricNode, *previousNode:
		return true
	}
	return false
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxNesting {
		return p.errAt(p.cur(), "expression nested too deeply (more than %d levels)", maxNesting)
	}
	return nil
}

func (p *parser) parsePrimary() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	t := p.cur()
	switch t.kind {
	case tLParen:
		p.next()
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		return n, nil
	case tNumber:
		p.next()
		return &litNode{v: t.val}, nil
	case tString:
		p.next()
		return &litNode{v: StringValue(t.str), desc: t.describe()}, nil
	case tIdent:
		switch t.text {
		case "metric":
			name, err := p.parseMetricRef()
			if err != nil {
				return nil, err
			}
			return &metricNode{name: name}, nil
		case "previous", "rate":
			p.next()
			if _, err := p.expect(tLParen, fmt.Sprintf("'(' after '%s'", t.text)); err != nil {
				return nil, err
			}
			if !p.isIdent("metric") {
				return nil, p.errAt(p.cur(), "expected metric['name'] as argument of %s, found %s", t.text, p.cur().describe())
			}
			name, err := p.parseMetricRef()
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tRParen, fmt.Sprintf("')' after argument of %s", t.text)); err != nil {
				return nil, err
			}
			if t.text == "rate" {
				return &rateNode{name: name}, nil
			}
			return &previousNode{name: name}, nil
		case "percentage":
			p.next()
			if _, err := p.expect(tLParen, "'(' after 'percentage'"); err != nil {
				return nil, err
			}
			a, err := p.parseOperand("percentage")
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tComma, "',' between arguments of percentage"); err != nil {
				return nil, err
			}
			b, err := p.parseOperand("percentage")
			if err != nil {
				return nil, err
			}
			if _, err := p.expect(tRParen, "')' after arguments of percentage"); err != nil {
				return nil, err
			}
			return &percentageNode{a: a, b: b}, nil
		}
		return nil, p.errAt(t, "unknown identifier %q: expected metric['name'], previous(), rate(), percentage(), a number or a string", t.text)
	}
	return nil, p.errAt(t, "expected a metric, number, string or '(', found %s", t.describe())
}

// parseOperand parses an argument of fn, which takes numbers.
func (p *parser) parseOperand(fn string) (valueNode, error) {
	t := p.cur()
	n, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	v, ok := n.(valueNode)
	if !ok {
		return nil, p.errAt(t, "argument of %s must be a value, not a condition", fn)
	}
	if isStringLiteral(n) {
		return nil, p.errAt(t, "argument of %s must be a number, found %s", fn, n.(*litNode).desc)
	}
	return v, nil
}

// parseMetricRef parses metric['name'] or metric["name"].
func (p *parser) parseMetricRef() (string, error) {
	p.next() // metric
	if _, err := p.expect(tLBrack, "'[' after 'metric'"); err != nil {
		return "", err
	}
	nt, err := p.expect(tString, "quoted metric name after 'metric['")
	if err != nil {
		return "", err
	}
	if n := utf8.RuneCountInString(nt.str); n == 0 || n > MaxMetricNameLen {
		return "", p.errAt(nt, "metric name must be 1 to %d characters long, got %d", MaxMetricNameLen, n)
	}
	if _, err := p.expect(tRBrack, "']' after metric name"); err != nil {
		return "", err
	}
	p.names[nt.str] = true
	return nt.str, nil
}
