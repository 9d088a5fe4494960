package alarm

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want string // full error text
	}{
		{"empty", "", "line 1, col 1: criteria must be 1 to 16384 characters long, got 0"},
		{"too long", strings.Repeat(" ", MaxCriteriaLen+1), "line 1, col 1: criteria must be 1 to 16384 characters long, got 16385"},
		{"brace instead of paren", "# cpu\nif (metric['a'] > 1 { return WARNING; }", "line 2, col 21: expected ')' after condition, found '{'"},
		{"missing open paren", "if metric['a'] > 1) { return OK; }", "line 1, col 4: expected '(' after 'if', found 'metric'"},
		{"missing brace", "if (metric['a'] > 1) return OK;", "line 1, col 22: expected '{' after condition, found 'return'"},
		{"missing close brace", "if (metric['a'] > 1) { return OK; ", "line 1, col 35: expected '}' after return statement, found end of input"},
		{"body without return", "if (metric['a'] > 1) { OK }", "line 1, col 24: expected 'return' in if body, found 'OK'"},
		{"bad state", "return new AlarmStatus(FINE, 'x');", "line 1, col 24: expected OK, WARNING or CRITICAL, found 'FINE'"},
		{"lower-case state", "return ok;", "line 1, col 8: expected OK, WARNING or CRITICAL, found 'ok'"},
		{"missing AlarmStatus", "return new Status(OK);", "line 1, col 12: expected 'AlarmStatus' after 'new', found 'Status'"},
		{"unclosed AlarmStatus", "return new AlarmStatus(OK, 'x';", "line 1, col 31: expected ')' after AlarmStatus arguments, found ';'"},
		{"message not a string", "return WARNING, 12;", "line 1, col 17: expected message string after ',', found number 12"},
		{"value alone as condition", "if (metric['a']) { return OK; }", "line 1, col 16: expected comparison operator after operand, found ')'"},
		{"value before &&", "if (metric['a'] && metric['b'] > 1) { return OK; }", "line 1, col 17: expected comparison operator after operand, found '&&'"},
		{"value after ||", "if (metric['b'] > 1 || metric['a']) { return OK; }", "line 1, col 35: expected comparison operator after operand, found ')'"},
		{"condition compared", "if ((metric['a'] > 1) == 2) { return OK; }", "line 1, col 5: left side of '==' must be a value, not a condition"},
		{"chained comparison", "if (metric['a'] > 1 > 2) { return OK; }", "line 1, col 21: expected ')' after condition, found '>'"},
		{"single =", "if (metric['a'] = 1) { return OK; }", "line 1, col 17: expected comparison operator after operand, found '='"},
		{"metrics typo", "if (metrics['a'] > 1) { return OK; }", `line 1, col 5: unknown identifier "metrics": expected metric['name'], previous(), rate(), percentage(), a number or a string`},
		{"metric without bracket", "if (metric.a > 1) { return OK; }", "line 1, col 11: unexpected character '.'"},
		{"metric name not quoted", "if (metric[a] > 1) { return OK; }", "line 1, col 12: expected quoted metric name after 'metric[', found 'a'"},
		{"empty metric name", "if (metric[''] > 1) { return OK; }", "line 1, col 12: metric name must be 1 to 128 characters long, got 0"},
		{"long metric name", "if (metric['" + strings.Repeat("m", 129) + "'] > 1) { return OK; }", "line 1, col 12: metric name must be 1 to 128 characters long, got 129"},
		{"rate of literal", "if (rate(5) > 1) { return OK; }", "line 1, col 10: expected metric['name'] as argument of rate, found number 5"},
		{"leading dot then letter", "if (metric['a'] > .x) { return OK; }", "line 1, col 19: unexpected character '.'"},
		{"two dots", "if (metric['a'] > .8.1) { return OK; }", `line 1, col 19: malformed number ".8."`},
		{"backslash not before a line break", "if (metric['a'] > 1) \\ { return OK; }", `line 1, col 22: unexpected character '\\'`},
		{"backslash at the end", "return OK \\", `line 1, col 11: unexpected character '\\'`},
		{"string ends in a continuation", "return OK, 'a\\\n", "line 1, col 12: unterminated string"},
		{"percentage one arg", "if (percentage(metric['a']) > 1) { return OK; }", "line 1, col 27: expected ',' between arguments of percentage, found ')'"},
		{"bad regex", "if (metric['a'] regex '(') { return OK; }", "line 1, col 23: invalid regex: error parsing regexp: missing closing ): `(`"},
		{"regex against metric", "if (metric['a'] regex metric['b']) { return OK; }", "line 1, col 23: pattern of regex must be a string literal, found 'metric'"},
		{"regex against number", "if (metric['a'] nregex 5) { return OK; }", "line 1, col 24: pattern of nregex must be a string literal, found number 5"},
		{"unterminated string", "if (metric['a] > 1) { return OK; }", "line 1, col 12: unterminated string"},
		{"newline in string", "return OK, 'a\nb';", "line 1, col 12: unterminated string"},
		{"unknown escape", `return OK, 'a\qb';`, `line 1, col 14: unknown escape \q in string`},
		{"short unicode escape", `return OK, '\u12';`, `line 1, col 13: invalid \u escape: need 4 hex digits`},
		{"unterminated comment", "return OK; /* never\nclosed", "line 1, col 12: unterminated /* comment"},
		{"malformed number", "if (metric['a'] > 12abc) { return OK; }", `line 1, col 19: malformed number "12a"`},
		{"number out of range", "if (metric['a'] > 1e999) { return OK; }", "line 1, col 19: number 1e999 is out of range"},
		{"bang not supported", "if (!(metric['a'] > 1)) { return OK; }", "line 1, col 5: unexpected character '!'"},
		{"statement after default", "return OK;\nif (metric['a'] > 1) { return WARNING; }", "line 2, col 1: unreachable statement after unconditional return"},
		{"declaration after statement", "if (metric['a'] > 1) { return WARNING; }\n:set consecutiveCount=2", "line 2, col 1: declarations (:set) must come before all statements"},
		{"consecutiveCount too big", ":set consecutiveCount=6", "line 1, col 23: consecutiveCount must be an integer from 1 to 5, found number 6"},
		{"consecutiveCount zero", ":set consecutiveCount=0", "line 1, col 23: consecutiveCount must be an integer from 1 to 5, found number 0"},
		{"consecutiveCount fraction", ":set consecutiveCount=2.5", "line 1, col 23: consecutiveCount must be an integer from 1 to 5, found number 2.5"},
		{"bad consistency", ":set consistencyLevel=MOST", "line 1, col 23: consistencyLevel must be ONE, QUORUM or ALL, found 'MOST'"},
		{"unknown setting", ":set period=30", `line 1, col 6: unknown setting "period": expected consecutiveCount or consistencyLevel`},
		{"set twice", ":set consecutiveCount=2\n:set consecutiveCount=3", "line 2, col 6: consecutiveCount is set twice"},
		{"missing set", ":let consecutiveCount=2", "line 1, col 2: expected 'set' after ':', found 'let'"},
		{"missing =", ":set consecutiveCount 2", "line 1, col 23: expected '=' after 'consecutiveCount', found number 2"},
		{"stray token", "WARNING", "line 1, col 1: expected 'if' or 'return', found 'WARNING'"},
		{"columns count characters", "# é\nif (metric['é'] > 1 { return OK; }", "line 2, col 21: expected ')' after condition, found '{'"},
		{"too many conditionals", strings.Repeat("if (metric['a'] > 1) { return OK; }\n", 11), "line 11, col 1: too many conditionals: at most 10 if statements are allowed"},
		{"nesting", "if (" + strings.Repeat("(", 100) + "metric['a'] > 1" + strings.Repeat(")", 100) + ") { return OK; }", "line 1, col 69: expression nested too deeply (more than 64 levels)"},
		{"string where state expected", "return 'a very long string that goes on and on and on';", "line 1, col 8: expected OK, WARNING or CRITICAL, found string 'a very long string that goes..."},
		{"unclosed if paren", "if ((metric['a'] > 1) { return OK; }", "line 1, col 23: expected ')' after condition, found '{'"},
		{"unclosed group", "if ((metric['a'] > 1 { return OK; }", "line 1, col 22: expected ')', found '{'"},
		{"condition as right operand", "if (metric['a'] == (metric['b'] > 1)) { return OK; }", "line 1, col 20: right side of '==' must be a value, not a condition"},
		{"condition as percentage argument", "if (percentage((metric['a'] > 1), 2) > 1) { return OK; }", "line 1, col 16: argument of percentage must be a value, not a condition"},
		{"previous without paren", "if (previous metric['a'] > 1) { return OK; }", "line 1, col 14: expected '(' after 'previous', found 'metric'"},
		{"previous unclosed", "if (previous(metric['a'] > 1) { return OK; }", "line 1, col 26: expected ')' after argument of previous, found '>'"},
		{"metric unclosed bracket", "if (metric['a' > 1) { return OK; }", "line 1, col 16: expected ']' after metric name, found '>'"},
		{"operand missing", "if (metric['a'] > ) { return OK; }", "line 1, col 19: expected a metric, number, string or '(', found ')'"},
		{"invalid utf8", "return OK, '\xff';", "line 1, col 1: criteria is not valid UTF-8"},

		// Strings have == != regex nregex; < <= > >= order numbers only.
		{"string > ", "if (metric['a'] > 'abc') { return OK; }", "line 1, col 19: '>' cannot compare string 'abc': strings support only ==, !=, regex and nregex"},
		{"string >=", "if (metric['a'] >= \"abc\") { return OK; }", `line 1, col 20: '>=' cannot compare string "abc": strings support only ==, !=, regex and nregex`},
		{"string < on the left", "# x\nif ('abc' < metric['a']) { return OK; }", "line 2, col 5: '<' cannot compare string 'abc': strings support only ==, !=, regex and nregex"},
		{"string <=", "if (metric['a'] == 1 || metric['b'] <= 'z') { return OK; }", "line 1, col 40: '<=' cannot compare string 'z': strings support only ==, !=, regex and nregex"},
		{"numeric string is still a string", "if (metric['a'] > '5') { return OK; }", "line 1, col 19: '>' cannot compare string '5': strings support only ==, !=, regex and nregex"},
		{"parenthesised string", "if (metric['a'] < ('x')) { return OK; }", "line 1, col 19: '<' cannot compare string 'x': strings support only ==, !=, regex and nregex"},
		{"string argument of percentage", "if (percentage('5', metric['a']) > 1) { return OK; }", "line 1, col 16: argument of percentage must be a number, found string '5'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.text)
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ParseError: %v", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []string{
		strings.Repeat("if (metric['a'] > 1) { return OK; }\n", 10),
		`if (metric["double quoted"] > 1) { return new AlarmStatus(WARNING, "x") }`, // no semicolons
		"if(metric['a']>1){return CRITICAL}return OK",                               // no blanks
		":set consecutiveCount=5;\n:set consistencyLevel=QUORUM;\nreturn OK;",
		"if (metric['a'] == 'x' && metric['b'] != \"y\" || metric['c'] regex 'z' && metric['d'] nregex 'w') { return OK; }",
		"return OK, '';",
		"# only a comment",
		strings.Repeat(" ", MaxCriteriaLen-9) + "return OK",
		"if ('x' == metric['a'] || metric['a'] != 'y' || metric['a'] > metric['b'] || 5 < metric['a']) { return OK; }",
		"if (metric['a'] > 18446744073709551615 || metric['a'] < -9223372036854775808 || metric['a'] == 99999999999999999999) { return OK; }",
	}
	for _, text := range tests {
		if _, err := Parse(text); err != nil {
			t.Errorf("Parse(%.60q): %v", text, err)
		}
	}
}

func TestLexStrings(t *testing.T) {
	tests := []struct{ src, want string }{
		{`'plain'`, "plain"},
		{`"dq 'inner'"`, "dq 'inner'"},
		{`'sq "inner"'`, `sq "inner"`},
		{`'a\tb\nc\rd'`, "a\tb\nc\rd"},
		{`'\"\'\\\/'`, `"'\/`},
		{`'\b\f'`, "\b\f"},
		{`'\u0041\u00e9\u20AC'`, "Aé€"},
		{`'#{x} #'`, "#{x} #"},
		{`''`, ""},
		{"'file \\\n     does not exist.'", "file      does not exist."}, // line continuation
		{"'a\\\r\nb'", "ab"},
		{"\"x \\\n\\\ny\"", "x y"},
	}
	for _, tc := range tests {
		toks, err := lex(tc.src)
		if err != nil {
			t.Errorf("lex(%s): %v", tc.src, err)
			continue
		}
		if len(toks) != 2 || toks[0].kind != tString || toks[0].str != tc.want {
			t.Errorf("lex(%s) = %+v, want string %q", tc.src, toks, tc.want)
		}
	}
}

func TestLexNumbers(t *testing.T) {
	tests := []struct {
		src  string
		want Value // exact for integers
	}{
		{"0", IntValue(0)}, {"2773.2", NumberValue(2773.2)}, {"-200", IntValue(-200)}, {"1.2e-7", NumberValue(1.2e-7)},
		{"3E+2", NumberValue(300)}, {"-0.5", NumberValue(-0.5)}, {"-0", IntValue(0)}, {"3.0", NumberValue(3)},
		{"9007199254740993", IntValue(1<<53 + 1)},
		{"9223372036854775807", IntValue(math.MaxInt64)},
		{"-9223372036854775808", IntValue(math.MinInt64)},
		{"18446744073709551615", UintValue(math.MaxUint64)},
		{"18446744073709551616", NumberValue(1 << 64)},
		{"-9223372036854775809", NumberValue(-(1 << 63))},
		{".8", NumberValue(0.8)}, {"-.5", NumberValue(-0.5)}, {".5e1", NumberValue(5)}, {".0", NumberValue(0)},
	}
	for _, tc := range tests {
		toks, err := lex(tc.src)
		if err != nil || len(toks) != 2 || toks[0].kind != tNumber || toks[0].val != tc.want || toks[0].num != tc.want.Num {
			t.Errorf("lex(%s) = %+v, %v; want %v", tc.src, toks, err, tc.want)
		}
	}
}

func TestParseMessage(t *testing.T) {
	tests := []struct {
		in   string
		want []msgPart
	}{
		{"", nil},
		{"plain", []msgPart{{lit: "plain"}}},
		{"#{a}", []msgPart{{metric: "a"}}},
		{"x #{a} y #{b}", []msgPart{{lit: "x "}, {metric: "a"}, {lit: " y "}, {metric: "b"}}},
		{"#{} #{a", []msgPart{{lit: "#{}"}, {lit: " #{a"}}},
		{"100%", []msgPart{{lit: "100%"}}},
	}
	for _, tc := range tests {
		got := parseMessage(tc.in).parts
		if len(got) != len(tc.want) {
			t.Errorf("parseMessage(%q) = %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parseMessage(%q) = %+v, want %+v", tc.in, got, tc.want)
				break
			}
		}
	}
}
