package alarm

import (
	"math"
	"testing"
)

func TestCompareNumbers(t *testing.T) {
	const p53 = 1 << 53
	tests := []struct {
		name string
		a, b Value
		want int
		ok   bool
	}{
		{"2^53+1 vs 2^53", ival(p53 + 1), ival(p53), 1, true},
		{"2^53+1 vs float 2^53", ival(p53 + 1), num(p53), 1, true},
		{"float 2^53 vs 2^53+1", num(p53), ival(p53 + 1), -1, true},
		{"MaxInt64 vs float 2^63", ival(math.MaxInt64), num(1 << 63), -1, true},
		{"MaxInt64-1 vs MaxInt64", ival(math.MaxInt64 - 1), ival(math.MaxInt64), -1, true},
		{"MaxUint64 vs MaxUint64-1", uval(math.MaxUint64), uval(math.MaxUint64 - 1), 1, true},
		{"MaxUint64 vs float 2^64", uval(math.MaxUint64), num(1 << 64), -1, true},
		{"MaxUint64 vs MaxInt64", uval(math.MaxUint64), ival(math.MaxInt64), 1, true},
		{"MinInt64 vs float -2^63", ival(math.MinInt64), num(-(1 << 63)), 0, true},
		{"MinInt64 vs MaxUint64", ival(math.MinInt64), uval(math.MaxUint64), -1, true},
		{"-1 vs 0", ival(-1), uval(0), -1, true},
		{"uint 5 == int 5", uval(5), ival(5), 0, true},
		{"3 vs 3.0", ival(3), num(3), 0, true},
		{"3 vs 2.5", ival(3), num(2.5), 1, true},
		{"-3 vs -2.5", ival(-3), num(-2.5), -1, true},
		{"-3 vs -3.5", ival(-3), num(-3.5), 1, true},
		{"0 vs -0.0", ival(0), num(math.Copysign(0, -1)), 0, true},
		{"0 vs tiny", ival(0), num(5e-324), -1, true},
		{"0 vs -tiny", ival(0), num(-5e-324), 1, true},
		{"MaxUint64 vs +Inf", uval(math.MaxUint64), num(math.Inf(1)), -1, true},
		{"MinInt64 vs -Inf", ival(math.MinInt64), num(math.Inf(-1)), 1, true},
		{"int vs NaN", ival(1), num(math.NaN()), 0, false},
		{"NaN vs int", num(math.NaN()), ival(1), 0, false},
		{"floats", num(1.5), num(2.5), -1, true},
	}
	for _, tc := range tests {
		if c, ok := compareNumbers(&tc.a, &tc.b); c != tc.want || ok != tc.ok {
			t.Errorf("%s: compareNumbers = %d, %v; want %d, %v", tc.name, c, ok, tc.want, tc.ok)
		}
	}
}

func TestDifference(t *testing.T) {
	tests := []struct {
		name string
		a, b Value
		want float64
	}{
		{"counters near 2^64", uval(math.MaxUint64), uval(math.MaxUint64 - 10), 10},
		{"counters near 2^64, backwards", uval(math.MaxUint64 - 10), uval(math.MaxUint64), -10},
		{"across zero", ival(-5), ival(5), -10},
		{"negative minus negative", ival(-5), ival(-3), -2},
		{"2^53+1 minus 0.5", ival(1<<53 + 1), num(0.5), 1<<53 + 0.5}, // rounds as float64 does
		{"MaxUint64 minus MinInt64", uval(math.MaxUint64), ival(math.MinInt64), 0x1p64 + 0x1p63},
		{"MinInt64 minus MaxUint64", ival(math.MinInt64), uval(math.MaxUint64), -(0x1p64 + 0x1p63)},
		// 2^64 + 2^63 - 1 + 2^11: one rounding, not two.
		{"sum past 2^64 rounds once", uval(1<<64 - 1), ival(-(1<<63 - 1<<11)), 0x1p64 + 0x1p63 - 0x1p12},
	}
	for _, tc := range tests {
		if got := difference(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: difference = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestIntegerConstructors(t *testing.T) {
	if UintValue(5) != IntValue(5) || UintValue(0) != IntValue(0) {
		t.Errorf("UintValue and IntValue differ for the same integer")
	}
	if v := IntValue(math.MinInt64); !v.neg || v.mag != 1<<63 || v.Num != -(1<<63) {
		t.Errorf("IntValue(MinInt64) = %+v", v)
	}
	if v := UintValue(math.MaxUint64); v.neg || v.mag != math.MaxUint64 || v.Num != 1<<64 {
		t.Errorf("UintValue(MaxUint64) = %+v", v)
	}
	if v := (Value{Num: 2.5}); FormatMetric(v) != "2.5" {
		t.Errorf("a literal Value with Num is a float: %s", FormatMetric(v))
	}
}
