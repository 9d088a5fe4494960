// Package remotewrite sends samples to an engine that takes Prometheus
// remote write 1.0: Prometheus with its remote-write receiver on,
// VictoriaMetrics, Mimir, Thanos Receive. It is the endpoint's metrics
// output.
//
// The one message remote write needs, prometheus.WriteRequest, is encoded
// by hand (encode.go) and compressed with a small snappy block encoder
// (snappy.go), so that the binary carries no protobuf runtime and no
// generated code (measured in cmd/virgo-top: Prometheus' gogo-generated
// prompb would add about 940 KB). Poster (poster.go) is the HTTP side,
// shared with endpoint/alertmanager; its credentials, headers, CA and
// Reload are internal/httpauth's, shared with fleet's client. What goes in the series (family names, labels, units)
// is internal/schema's business, not this package's: it sends what it is
// given. It keeps no queue either: a failed Write is the caller's to retry
// (IsPermanent tells which failures retrying cannot fix).
package remotewrite

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Label is one label pair of a series.
type Label struct{ Name, Value string }

// Sample is one value at a time in milliseconds since the Unix epoch.
type Sample struct {
	Value       float64
	TimestampMs int64
}

// Series is one time series: its labels (need not be sorted: Write and
// Encode sort them by name) and its samples, oldest first.
type Series struct {
	Labels  []Label
	Samples []Sample
}

// Config says where and how to write.
type Config struct {
	URL                   string            // e.g. http://127.0.0.1:9090/api/v1/write
	Timeout               time.Duration     // per request; 0 = 10s
	BearerTokenFile       string            // optional; read at New and on Reload
	BasicAuthUser         string            // optional, with BasicAuthPasswordFile
	BasicAuthPasswordFile string            // optional; read at New and on Reload
	Headers               map[string]string // e.g. X-Scope-OrgID
	CAFile                string            // optional, for https; read at New and on Reload
}

// Client writes to one engine. It is safe for concurrent use.
type Client struct {
	p *Poster
}

// Error is an engine's refusal: an HTTP status other than 2xx. It is
// endpoint/alertmanager's Error as well.
type Error struct {
	What      string // the output ("remote write", "alertmanager"); "" is remote write
	Status    int
	Permanent bool   // a 4xx other than 429: retrying the same request cannot succeed
	Body      string // the engine's message, trimmed to 512 bytes
}

func (e *Error) Error() string {
	kind := "retryable"
	if e.Permanent {
		kind = "permanent"
	}
	what := e.What
	if what == "" {
		what = "remote write"
	}
	msg := fmt.Sprintf("%s refused (%s): HTTP %d %s", what, kind, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// IsPermanent reports whether err is an engine's refusal that retrying the
// same request cannot fix: a 4xx other than 429 (e.g. 400 for an
// out-of-order or too-old sample). Transport errors, timeouts, 5xx and 429
// are retryable: IsPermanent is false for them, and for nil.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}
