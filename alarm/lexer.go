package alarm

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseError is a syntax or limit error in criteria text. Line and Col are
// 1-based; Col counts characters (runes), not bytes.
type ParseError struct {
	Line int
	Col  int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, col %d: %s", e.Line, e.Col, e.Msg)
}

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tNumber
	tString
	tLParen
	tRParen
	tLBrace
	tRBrace
	tLBrack
	tRBrack
	tComma
	tSemi
	tColon
	tAssign
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tAnd
	tOr
)

type token struct {
	kind      tokenKind
	text      string  // raw lexeme
	str       string  // decoded value of a string literal
	num       float64 // value of a number literal
	val       Value   // value of a number literal, exact if it is an integer
	line, col int
}

// describe names a token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		s := t.text
		if utf8.RuneCountInString(s) > 32 {
			s = string([]rune(s)[:29]) + "..."
		}
		return "string " + s
	case tNumber:
		return "number " + t.text
	}
	return "'" + t.text + "'"
}

// lexer turns criteria text into tokens, skipping blanks and comments.
type lexer struct {
	src       string
	pos       int
	line, col int
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src, line: 1, col: 1}
	var toks []token
	for {
		t, err := l.next()
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks, nil
		}
	}
}

func (l *lexer) errAt(line, col int, format string, args ...any) error {
	return &ParseError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// advance moves over one rune, keeping line and column.
func (l *lexer) advance() rune {
	r, n := utf8.DecodeRuneInString(l.src[l.pos:])
	l.pos += n
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

func (l *lexer) peek(off int) byte {
	if l.pos+off < len(l.src) {
		return l.src[l.pos+off]
	}
	return 0
}

func (l *lexer) skipBlanksAndComments() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.advance()
		case c == '\\' && l.lineBreakAt(1) > 0:
			// A backslash-newline continues the line: Rackspace's published
			// criteria break long conditions that way.
			for n := 1 + l.lineBreakAt(1); n > 0; n-- {
				l.advance()
			}
		case c == '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.advance()
			}
		case c == '/' && l.peek(1) == '*':
			line, col := l.line, l.col
			l.advance()
			l.advance()
			closed := false
			for l.pos < len(l.src) {
				if l.src[l.pos] == '*' && l.peek(1) == '/' {
					l.advance()
					l.advance()
					closed = true
					break
				}
				l.advance()
			}
			if !closed {
				return l.errAt(line, col, "unterminated /* comment")
			}
		default:
			return nil
		}
	}
	return nil
}

// lineBreakAt is the length of the line break ("\n" or "\r\n") that
// starts off bytes ahead, or 0.
func (l *lexer) lineBreakAt(off int) int {
	switch {
	case l.peek(off) == '\n':
		return 1
	case l.peek(off) == '\r' && l.peek(off+1) == '\n':
		return 2
	}
	return 0
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) }

func (l *lexer) next() (token, error) {
	if err := l.skipBlanksAndComments(); err != nil {
		return token{}, err
	}
	t := token{line: l.line, col: l.col}
	if l.pos >= len(l.src) {
		t.kind = tEOF
		return t, nil
	}
	start := l.pos
	c := l.src[l.pos]
	two := func(k tokenKind) (token, error) {
		l.advance()
		l.advance()
		t.kind, t.text = k, l.src[start:l.pos]
		return t, nil
	}
	one := func(k tokenKind) (token, error) {
		l.advance()
		t.kind, t.text = k, l.src[start:l.pos]
		return t, nil
	}
	switch {
	case isIdentStart(c):
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.advance()
		}
		t.kind, t.text = tIdent, l.src[start:l.pos]
		return t, nil
	case isDigit(c) || c == '.' && isDigit(l.peek(1)) ||
		c == '-' && (isDigit(l.peek(1)) || l.peek(1) == '.' && isDigit(l.peek(2))):
		return l.number(t)
	case c == '\'' || c == '"':
		return l.str(t)
	case c == '(':
		return one(tLParen)
	case c == ')':
		return one(tRParen)
	case c == '{':
		return one(tLBrace)
	case c == '}':
		return one(tRBrace)
	case c == '[':
		return one(tLBrack)
	case c == ']':
		return one(tRBrack)
	case c == ',':
		return one(tComma)
	case c == ';':
		return one(tSemi)
	case c == ':':
		return one(tColon)
	case c == '=' && l.peek(1) == '=':
		return two(tEq)
	case c == '=':
		return one(tAssign)
	case c == '!' && l.peek(1) == '=':
		return two(tNe)
	case c == '<' && l.peek(1) == '=':
		return two(tLe)
	case c == '<':
		return one(tLt)
	case c == '>' && l.peek(1) == '=':
		return two(tGe)
	case c == '>':
		return one(tGt)
	case c == '&' && l.peek(1) == '&':
		return two(tAnd)
	case c == '|' && l.peek(1) == '|':
		return two(tOr)
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, l.errAt(t.line, t.col, "unexpected character %q", r)
}

// number lexes -?(digits(.digits)?|.digits)([eE][+-]?digits)?: the
// integer part may be left out (.8, -.5), as in Rackspace's published
// criteria and JavaScript.
func (l *lexer) number(t token) (token, error) {
	start := l.pos
	if l.src[l.pos] == '-' {
		l.advance()
	}
	digits := func() {
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.advance()
		}
	}
	digits()
	if l.peek(0) == '.' && isDigit(l.peek(1)) {
		l.advance()
		digits()
	}
	if c := l.peek(0); c == 'e' || c == 'E' {
		off := 1
		if s := l.peek(1); s == '+' || s == '-' {
			off = 2
		}
		if isDigit(l.peek(off)) {
			for range off {
				l.advance()
			}
			digits()
		}
	}
	if c := l.peek(0); isIdentChar(c) || c == '.' {
		return token{}, l.errAt(t.line, t.col, "malformed number %q", l.src[start:l.pos+1])
	}
	t.kind, t.text = tNumber, l.src[start:l.pos]
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil {
		return token{}, l.errAt(t.line, t.col, "number %s is out of range", t.text)
	}
	t.num, t.val = f, NumberValue(f)
	// An integer literal is exact, so metric['x'] == 9007199254740993
	// does not match 9007199254740992. Beyond 64 bits it stays a float.
	if !strings.ContainsAny(t.text, ".eE") {
		if v, ok := parseDecimalInt(t.text); ok {
			t.val = v
		}
	}
	return t, nil
}

// str lexes a single- or double-quoted string with backslash escapes
// \t \n \r \b \f \" \' \\ \/ and \uXXXX, and backslash-newline line
// continuations.
func (l *lexer) str(t token) (token, error) {
	start := l.pos
	quote := l.src[l.pos]
	l.advance()
	var b strings.Builder
	for {
		if l.pos >= len(l.src) || l.src[l.pos] == '\n' {
			return token{}, l.errAt(t.line, t.col, "unterminated string")
		}
		c := l.src[l.pos]
		if c == quote {
			l.advance()
			break
		}
		if c != '\\' {
			r := l.advance()
			b.WriteRune(r)
			continue
		}
		escLine, escCol := l.line, l.col
		l.advance()
		if l.pos >= len(l.src) {
			return token{}, l.errAt(t.line, t.col, "unterminated string")
		}
		if n := l.lineBreakAt(0); n > 0 {
			// A line continuation, as in JavaScript: the backslash and the
			// line break are dropped, the next line's indentation is kept.
			for ; n > 0; n-- {
				l.advance()
			}
			continue
		}
		e := l.advance()
		switch e {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case '"', '\'', '\\', '/':
			b.WriteRune(e)
		case 'u':
			if l.pos+4 > len(l.src) {
				return token{}, l.errAt(escLine, escCol, "invalid \\u escape: need 4 hex digits")
			}
			n, err := strconv.ParseUint(l.src[l.pos:l.pos+4], 16, 32)
			if err != nil {
				return token{}, l.errAt(escLine, escCol, "invalid \\u escape: need 4 hex digits")
			}
			for range 4 {
				l.advance()
			}
			b.WriteRune(rune(n))
		default:
			return token{}, l.errAt(escLine, escCol, "unknown escape \\%c in string", e)
		}
	}
	t.kind, t.text, t.str = tString, l.src[start:l.pos], b.String()
	return t, nil
}
