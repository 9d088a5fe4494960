package notify

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrClosed is returned by Dispatcher.Run after Close.
var ErrClosed = errors.New("notify: dispatcher closed")

// permanentError marks a delivery failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a 4xx answer, a rejected
// recipient, a bad configuration). Notifiers return it; the Dispatcher then
// stops after the current attempt. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// StatusError is a non-2xx HTTP answer from a webhook or SMS gateway.
type StatusError struct {
	Code int
	// Body is a short, single-line excerpt of the response body.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("HTTP status %d", e.Code)
	}
	return fmt.Sprintf("HTTP status %d: %s", e.Code, e.Body)
}

// Retryable reports whether the status may succeed later: 408, 429 and 5xx.
func (e *StatusError) Retryable() bool {
	return e.Code == 408 || e.Code == 429 || e.Code >= 500
}

// redactURL shows where a URL points without what may be a secret: webhook
// paths (Slack, Discord) and query strings (gateway API keys) often are
// credentials, so only scheme and host are kept.
func redactURL(u *url.URL) string {
	s := u.Scheme + "://" + u.Host
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		s += "/***"
	}
	return s
}

// mask hides a secret for display: empty stays empty, anything else is "***".
func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}
