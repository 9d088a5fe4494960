package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret is a credential (the monitoring token, SMTP password, webhook
// secret). Every way of printing or encoding it (fmt verbs including %#v,
// String, JSON, text marshalling, slog) shows at most its last four
// characters: "****7777" for secrets of 12 characters or more, "****" for
// shorter ones, "" when empty. Reveal returns the real value, for the one
// place that sends it.
//
// Keep Secrets in exported struct fields: fmt cannot call methods on
// unexported fields, so it would print those raw.
type Secret string

// Reveal returns the secret itself. Call it only where the value is sent
// to the peer that needs it; never log its result.
func (s Secret) Reveal() string { return string(s) }

// String returns the redacted form.
func (s Secret) String() string {
	switch {
	case s == "":
		return ""
	case len(s) < 12:
		return "****"
	default:
		return "****" + string(s[len(s)-4:])
	}
}

// GoString returns the redacted form as a Go string literal, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Format prints the redacted form for every verb, so %x or %q cannot leak
// the secret either.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'), verb == 'q':
		_, _ = io.WriteString(f, s.GoString())
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalJSON encodes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText encodes the redacted form (YAML, XML, map keys).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes slog log the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
