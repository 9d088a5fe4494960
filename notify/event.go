package notify

import (
	"strconv"
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

// severity ranks a state name for the Dispatcher: UNKNOWN (and any name it
// does not know) 0, OK 1, WARNING 2, CRITICAL 3. UNKNOWN ranks below OK: it
// says nothing about the watched thing (the alarm has not been evaluated, or
// its criteria could not be), so it is never "worse" than a state a
// receiver was told. It is still a state like the others: a receiver told
// OK learns of UNKNOWN, subject to the rate limit.
func severity(state string) int {
	switch state {
	case StateOK:
		return 1
	case StateWarning:
		return 2
	case StateCritical:
		return 3
	}
	return 0
}

// ShortMax is the longest Event.Short result, in characters: one SMS.
const ShortMax = 160

// SubjectMax is the longest Event.Subject result, in characters.
const SubjectMax = 200

// Event is one alarm state change, the unit every Notifier delivers. It is
// what a webhook receives as JSON.
//
// An Event from a Dispatcher tells one receiver what changed since that
// receiver was last told: Previous is what the receiver was last told (OK
// for an alarm it has never heard of), Current the alarm's state now.
// When the rate limit or an outage held notifications back, one Event stands
// for several changes (Changes) and Worst keeps the worst state the alarm
// passed through on the way, so a flap to CRITICAL and back is still
// reported.
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
	// RawMetrics, when set, holds the metrics of Metrics (same keys) as the
	// check produced them, with their types and units, for the Rackspace
	// webhook format. It is not part of the JSON, nor of the state file: an
	// event restored after a restart has its metric types inferred from
	// Metrics.
	RawMetrics map[string]RawMetric `json:"-"`
	Time       time.Time            `json:"time"`
	// Changes counts the alarm's state changes since this receiver was last
	// told; above 1 when several were folded into this one notification.
	// Zero in events not sent by a Dispatcher.
	Changes int `json:"changes,omitempty"`
	// Worst, when set, is a state worse than both Previous and Current that
	// the alarm reached in between (a CRITICAL that flapped back before the
	// receiver could be told).
	Worst *Peak `json:"worst,omitempty"`
}

// Peak is a state an alarm passed through between two notifications: the
// state, its message and when the alarm entered it.
type Peak struct {
	State   string    `json:"state"`
	Message string    `json:"message,omitempty"`
	Time    time.Time `json:"time"`
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
// "[virgo-top] CRITICAL: cpu on web1 — CPU at 97%", or with a Worst state
// "[virgo-top] OK: cpu on web1 (CRITICAL at 12:03:05 in between) — CPU at
// 20%". Control characters (line breaks included) become spaces so it is
// always one header line, and it is cut to SubjectMax characters with "...".
func (e Event) Subject() string {
	s := "[virgo-top] " + e.Current + ": " + e.checkName() + " on " + e.Entity + e.between()
	if e.Message != "" {
		s += " — " + e.Message
	}
	return truncate(oneLine(s), SubjectMax)
}

// Short is the SMS text, "CRITICAL cpu@web1: CPU at 97%" (with a Worst
// state "OK cpu@web1 (CRITICAL at 12:03:05 in between): CPU at 20%"), cut
// to ShortMax characters with a trailing "..." when longer.
func (e Event) Short() string {
	s := e.Current + " " + e.checkName() + "@" + e.Entity + e.between()
	if e.Message != "" {
		s += ": " + e.Message
	}
	return truncate(oneLine(s), ShortMax)
}

// Summary is a one-line description for logs and the attempt history:
// "web1 cpu WARNING->CRITICAL", or for a coalesced event
// "web1 cpu OK->CRITICAL->OK (2 changes)" (Previous, Worst, Current).
func (e Event) Summary() string {
	s := e.Entity + " " + e.checkName() + " " + e.Previous + "->"
	if e.Worst != nil {
		s += e.Worst.State + "->"
	}
	s += e.Current
	if e.Changes > 1 {
		s += " (" + strconv.Itoa(e.Changes) + " changes)"
	}
	return oneLine(s)
}

// between is " (CRITICAL at 12:03:05 in between)" for an event with a
// Worst state, "" otherwise. The time shows the date too when the peak was
// on another day than the event.
func (e Event) between() string {
	if e.Worst == nil {
		return ""
	}
	s := " (" + e.Worst.State
	if t := e.Worst.Time; !t.IsZero() {
		layout := "15:04:05"
		if y, m, d := t.Date(); e.Time.IsZero() || !sameDay(e.Time.In(t.Location()), y, m, d) {
			layout = "Jan 2 15:04:05"
		}
		s += " at " + t.Format(layout)
	}
	return s + " in between)"
}

func sameDay(t time.Time, y int, m time.Month, d int) bool {
	ty, tm, td := t.Date()
	return ty == y && tm == m && td == d
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
