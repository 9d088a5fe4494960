// Package when parses the moments a person types to travel in a recording:
// the console's `g` prompt and the --at, --from and --to flags of replay
// and dump share this one parser.
//
// Accepted, local time unless an offset or Z is given:
//
//	2026-11-30T03:12:05Z, 2026-11-30T03:12:05+01:00   RFC 3339
//	2026-11-30 03:12, 2026-11-30 03:12:05             date and time
//	2026-11-30                                        midnight of that day
//	03:12, 03:12:05                                   the latest past occurrence
//	                                                  (today, or yesterday if
//	                                                  that is still ahead)
//	90s ago, 5m ago, 2h ago, 1d ago, 1h30m ago        a duration before now
//	now                                               now
package when

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrSyntax is wrapped by every error for text that is no moment.
var ErrSyntax = errors.New("not a time")

// Forms lists what Parse accepts, for help texts and error messages.
const Forms = `RFC 3339 (2026-11-30T03:12:05Z), "YYYY-MM-DD HH:MM[:SS]", "HH:MM[:SS]" (latest past), "N[smhd] ago", "now"`

// Parse reads s as a moment, relative to now for the relative forms, in loc
// (time.Local if nil) unless s carries an offset.
func Parse(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: empty (want %s)", ErrSyntax, Forms)
	}
	if strings.EqualFold(s, "now") {
		return now, nil
	}
	if rest, ok := cutSuffixFold(s, "ago"); ok {
		d, err := parseAgo(strings.TrimSpace(rest))
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %q: %v", ErrSyntax, s, err)
		}
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if c, err := time.Parse(layout, s); err == nil {
			n := now.In(loc)
			t := time.Date(n.Year(), n.Month(), n.Day(), c.Hour(), c.Minute(), c.Second(), 0, loc)
			if t.After(n) {
				t = time.Date(n.Year(), n.Month(), n.Day()-1, c.Hour(), c.Minute(), c.Second(), 0, loc)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q (want %s)", ErrSyntax, s, Forms)
}

// parseAgo reads "90s", "5m", "2h", "1d", "1h30m", "2d12h": Go durations
// plus days of 24 hours, positive, at most 100 years.
func parseAgo(s string) (time.Duration, error) {
	if s == "" {
		return 0, errors.New("no duration before 'ago'")
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("want a number in %q", s)
		}
		num := rest[:i]
		rest = strings.TrimLeft(rest[i:], " ")
		j := 0
		for j < len(rest) && (rest[j] >= 'a' && rest[j] <= 'z' || rest[j] >= 'A' && rest[j] <= 'Z') {
			j++
		}
		unit := strings.ToLower(rest[:j])
		rest = strings.TrimLeft(rest[j:], " ")
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", num)
		}
		var u time.Duration
		switch unit {
		case "s", "sec", "secs", "second", "seconds":
			u = time.Second
		case "m", "min", "mins", "minute", "minutes":
			u = time.Minute
		case "h", "hr", "hrs", "hour", "hours":
			u = time.Hour
		case "d", "day", "days":
			u = 24 * time.Hour
		case "ms":
			u = time.Millisecond
		default:
			return 0, fmt.Errorf("unknown unit %q (want s, m, h or d)", unit)
		}
		const limit = 100 * 365 * 24 * time.Hour
		if f < 0 || f*float64(u) > float64(limit) || total+time.Duration(f*float64(u)) > limit {
			return 0, fmt.Errorf("%q is out of range", s)
		}
		total += time.Duration(f * float64(u))
	}
	return total, nil
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
