package alarm

import (
	"cmp"
	"math"
	"strconv"
	"strings"
)

// numeric returns v as a number: v itself, or the string parsed if it is a
// decimal number ("12.5", "-3e2"; not "NaN", "Inf", hex or "1_000"). A
// string integer that fits in int64 or uint64 is parsed exactly.
func numeric(v Value) (Value, bool) {
	if !v.IsStr {
		return v, true
	}
	return parseNumberText(v.Str)
}

func parseNumberText(s string) (Value, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Value{}, false
	}
	integer := true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c), c == '-', c == '+':
		case c == '.', c == 'e', c == 'E':
			integer = false
		default:
			return Value{}, false
		}
	}
	if integer {
		if v, ok := parseDecimalInt(s); ok {
			return v, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Value{}, false
	}
	return NumberValue(f), true
}

// parseDecimalInt parses a decimal integer in the range of int64 or uint64.
func parseDecimalInt(s string) (Value, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return IntValue(i), true
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return UintValue(u), true
	}
	return Value{}, false
}

// compareNumbers compares two numbers exactly, integers and floats mixed:
// -1, 0 or +1, and false if they are unordered (a NaN).
func compareNumbers(a, b *Value) (int, bool) {
	switch {
	case a.isInt != b.isInt && a.mag <= 1<<53 && b.mag <= 1<<53:
		// An integer within ±2^53 is exact as a float64: compare floats.
	case a.isInt && b.isInt:
		return compareInts(a.neg, a.mag, b.neg, b.mag), true
	case a.isInt:
		return compareIntFloat(a, b.Num)
	case b.isInt:
		c, ok := compareIntFloat(b, a.Num)
		return -c, ok
	}
	switch x, y := a.Num, b.Num; {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	case x == y:
		return 0, true
	}
	return 0, false
}

// compareInts compares the integers (-1)^an*am and (-1)^bn*bm (zero is
// never negative).
func compareInts(an bool, am uint64, bn bool, bm uint64) int {
	if an != bn {
		if an {
			return -1
		}
		return 1
	}
	if an {
		return cmp.Compare(bm, am)
	}
	return cmp.Compare(am, bm)
}

// compareIntFloat compares integer a with f without rounding a to a
// float64: 2^53+1 is greater than 2^53.
func compareIntFloat(a *Value, f float64) (int, bool) {
	const two64 = 1 << 64 // every integer Value has a magnitude below it
	switch {
	case math.IsNaN(f):
		return 0, false
	case f >= two64:
		return -1, true
	case f <= -two64:
		return 1, true
	}
	t := math.Trunc(f)
	tm := uint64(math.Abs(t)) // |t| < 2^64 and integral: exact
	if c := compareInts(a.neg, a.mag, t < 0 && tm != 0, tm); c != 0 {
		return c, true
	}
	switch frac := f - t; {
	case frac > 0:
		return -1, true
	case frac < 0:
		return 1, true
	}
	return 0, true
}

// difference returns a-b as a float64; for two integers the difference is
// taken exactly and rounded once, so counters near 2^64 keep their
// increments.
func difference(a, b Value) float64 {
	if !a.isInt || !b.isInt {
		return a.Num - b.Num
	}
	nb := !b.neg && b.mag != 0 // the sign of -b
	if a.neg == nb {           // a + (-b), same signs: magnitudes add
		s := a.mag + b.mag
		f := float64(s)
		if s < a.mag { // carries: the sum is 2^64 + s. Halve it, keeping
			// the lost bit as a sticky bit, so it is rounded once.
			f = 2 * float64(1<<63|s>>1|s&1)
		}
		if a.neg {
			return -f
		}
		return f
	}
	if a.mag >= b.mag {
		f := float64(a.mag - b.mag)
		if a.neg {
			return -f
		}
		return f
	}
	f := float64(b.mag - a.mag)
	if nb {
		return -f
	}
	return f
}

// intText is an integer Value in decimal.
func intText(v Value) string {
	if v.neg {
		return "-" + strconv.FormatUint(v.mag, 10)
	}
	return strconv.FormatUint(v.mag, 10)
}

// valueText is the text a regex is matched against: the string itself, an
// integer in decimal, or a float in its shortest exact decimal form.
func valueText(v Value) string {
	switch {
	case v.IsStr:
		return v.Str
	case v.isInt:
		return intText(v)
	case math.Abs(v.Num) < 1e21:
		return strconv.FormatFloat(v.Num, 'f', -1, 64)
	}
	return strconv.FormatFloat(v.Num, 'g', -1, 64)
}

// FormatMetric formats a value for messages and display: strings as they
// are; integers (IntValue, UintValue) exactly, all digits; floats that are
// integral without decimals; other floats rounded to at most two decimals
// with trailing zeros dropped; floats too small to show in two decimals
// (|v| < 0.005) in three significant digits, e.g. "1.2e-07"; very large
// ones (|v| >= 1e15) in exponent form.
func FormatMetric(v Value) string {
	if v.IsStr {
		return v.Str
	}
	if v.isInt {
		return intText(v)
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
