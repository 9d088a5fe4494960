package alarm

import (
	"fmt"
	"strings"
	"time"
)

// State is an alarm state.
type State int

// Alarm states. Unknown is the state of an alarm that has not yet seen
// consecutiveCount agreeing evaluations.
const (
	Unknown State = iota
	OK
	Warning
	Critical
)

// String returns the upper-case name used by the criteria language.
func (s State) String() string {
	switch s {
	case OK:
		return "OK"
	case Warning:
		return "WARNING"
	case Critical:
		return "CRITICAL"
	default:
		return "UNKNOWN"
	}
}

// MarshalText encodes the state as its upper-case name.
func (s State) MarshalText() ([]byte, error) {
	return []byte(s.String()), nil
}

// UnmarshalText accepts a state name in any letter case.
func (s *State) UnmarshalText(b []byte) error {
	st, ok := ParseState(string(b))
	if !ok {
		return fmt.Errorf("alarm: unknown state %q", string(b))
	}
	*s = st
	return nil
}

// ParseState maps "OK", "WARNING", "CRITICAL" or "UNKNOWN" (any case) to a State.
func ParseState(name string) (State, bool) {
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "OK":
		return OK, true
	case "WARNING":
		return Warning, true
	case "CRITICAL":
		return Critical, true
	case "UNKNOWN":
		return Unknown, true
	}
	return Unknown, false
}

// Value is one metric value: a number or a string. A number is a float64
// (NumberValue) or an exact 64-bit integer (IntValue, UintValue); integers
// compare and print exactly, so int64 and uint64 metrics keep their
// precision beyond 2^53.
//
// Build values with the constructors. The exported fields stay for
// compatibility: Num is the number as a float64 (for an integer, the
// nearest float64), Str the string when IsStr is set. A Value literal
// with only Num set is a float.
type Value struct {
	Num   float64
	Str   string
	IsStr bool

	// An exact integer: -mag if neg, else mag. neg is false for zero, so
	// every integer has one representation (UintValue(5) == IntValue(5)).
	isInt bool
	neg   bool
	mag   uint64
}

// NumberValue returns a float Value.
func NumberValue(f float64) Value { return Value{Num: f} }

// IntValue returns an exact signed integer Value.
func IntValue(i int64) Value {
	if i < 0 {
		// -i overflows for MinInt64; uint64(-(i+1))+1 does not.
		return Value{Num: float64(i), isInt: true, neg: true, mag: uint64(-(i + 1)) + 1}
	}
	return Value{Num: float64(i), isInt: true, mag: uint64(i)}
}

// UintValue returns an exact unsigned integer Value.
func UintValue(u uint64) Value { return Value{Num: float64(u), isInt: true, mag: u} }

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{Str: s, IsStr: true} }

// String formats the value as FormatMetric does.
func (v Value) String() string { return FormatMetric(v) }

// Metrics maps metric names to values for one check run.
type Metrics map[string]Value

// Observation is one run of a check as seen by an alarm.
type Observation struct {
	// Time is when the check ran; rate() divides by the difference of two
	// observations' times.
	Time time.Time
	// Available is false when the check failed to run; the alarm is then
	// CRITICAL whatever the criteria say.
	Available bool
	// Status is the check's status line, used as the message when the check
	// is unavailable.
	Status  string
	Metrics Metrics
}

// Special values of Result.Rule; non-negative values index the criteria's
// conditionals (the if statements) in source order.
const (
	// RuleDefault: the final unconditional return decided.
	RuleDefault = -1
	// RuleNoMatch: no conditional matched and there is no default; the
	// state is OK with the check's status as the message.
	RuleNoMatch = -2
	// RuleAvailability: the check's availability decided (the check was
	// unavailable, or there are no criteria).
	RuleAvailability = -3
	// RuleMissingMetric: the decision depended on a metric the available
	// check's result lacks (in a condition, or in the message of the
	// return taken). The state is CRITICAL with the message
	// "metric 'NAME' missing from result".
	RuleMissingMetric = -4
	// RuleNotANumber: an ordering comparison (< <= > >=), rate() or
	// percentage() met a value that is not a number, such as a string
	// metric "N/A". The state is CRITICAL with a message naming the metric.
	RuleNotANumber = -5
)

// Result is the outcome of evaluating criteria against one observation.
type Result struct {
	State   State  `json:"state"`
	Message string `json:"message"`
	// Rule is the index of the matching conditional, or one of RuleDefault,
	// RuleNoMatch, RuleAvailability, RuleMissingMetric, RuleNotANumber.
	Rule int `json:"rule"`
}
