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

// Value is one metric value: a number or a string.
type Value struct {
	Num   float64
	Str   string
	IsStr bool
}

// NumberValue returns a numeric Value.
func NumberValue(f float64) Value { return Value{Num: f} }

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
)

// Result is the outcome of evaluating criteria against one observation.
type Result struct {
	State   State  `json:"state"`
	Message string `json:"message"`
	// Rule is the index of the matching conditional, or one of RuleDefault,
	// RuleNoMatch, RuleAvailability.
	Rule int `json:"rule"`
}
