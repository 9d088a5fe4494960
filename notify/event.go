package notify

import (
	"strings"
	"time"
	"unicode/utf8"
)

// State names carried in Event.Previous and Event.Current.
const (
	StateOK       = "OK"
	StateWarning  = "WARNING"
	StateCritical = "CRITICAL"
	StateUnknown  = "UNKNOWN"
)

// ShortMax is the longest Event.Short result, in characters: one SMS.
const ShortMax = 160

// SubjectMax is the longest Event.Subject result, in characters.
const SubjectMax = 200

// Event is one alarm state change, the unit every Notifier delivers. It is
// what a webhook receives as JSON.
type Event struct {
	// Entity is the host (or other monitored entity) the check runs on.
	Entity     string `json:"entity"`
	CheckID    string `json:"check_id"`
	CheckLabel string `json:"check_label"`
	CheckType  string `json:"check_type"`
	AlarmName  string `json:"alarm_name"`
	AlarmLabel string `json:"alarm_label"`
	// Previous and Current are state names: OK, WARNING, CRITICAL, UNKNOWN.
	Previous string `json:"previous"`
	Current  string `json:"current"`
	// Message is the alarm's return message, e.g. "CPU at 97%".
	Message string `json:"message"`
	// Metrics holds the check's metrics, already formatted for people.
	Metrics map[string]string `json:"metrics,omitempty"`
	Time    time.Time         `json:"time"`
}

// Key identifies the alarm an event belongs to: entity, check and alarm. It
// is the unit of rate limiting and what Attempt.AlarmKey holds.
func (e Event) Key() string {
	return e.Entity + "/" + e.CheckID + "/" + e.AlarmName
}

// checkName is the most readable name of the check: label, then id, then type.
func (e Event) checkName() string {
	for _, s := range []string{e.CheckLabel, e.CheckID, e.CheckType} {
		if s != "" {
			return s
		}
	}
	return "check"
}

// Subject is the email subject line:
// "[virgo-top] CRITICAL: cpu on web1 — CPU at 97%". Control characters
// (line breaks included) become spaces so it is always one header line, and
// it is cut to SubjectMax characters with "...".
func (e Event) Subject() string {
	s := "[virgo-top] " + e.Current + ": " + e.checkName() + " on " + e.Entity
	if e.Message != "" {
		s += " — " + e.Message
	}
	return truncate(oneLine(s), SubjectMax)
}

// Short is the SMS text, "CRITICAL cpu@web1: CPU at 97%", cut to ShortMax
// characters with a trailing "..." when longer.
func (e Event) Short() string {
	s := e.Current + " " + e.checkName() + "@" + e.Entity
	if e.Message != "" {
		s += ": " + e.Message
	}
	return truncate(oneLine(s), ShortMax)
}

// Summary is a one-line description for logs and the attempt history:
// "web1 cpu WARNING->CRITICAL".
func (e Event) Summary() string {
	return oneLine(e.Entity + " " + e.checkName() + " " + e.Previous + "->" + e.Current)
}

// oneLine replaces control characters and invalid UTF-8 with spaces and
// collapses runs of spaces, so a value cannot break a header or a log line.
func oneLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// truncate cuts s to at most max characters, ending in "..." when cut.
func truncate(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-3 {
			return strings.TrimRight(s[:i], " ") + "..."
		}
		n++
	}
	return s
}
