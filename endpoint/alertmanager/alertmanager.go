// Package alertmanager posts alerts to Alertmanager's v2 API
// (POST /api/v2/alerts). It is the endpoint's alarm output: routing,
// grouping, silences and inhibition are Alertmanager's. It keeps no state
// and no queue: a failed Post is the caller's to retry (IsPermanent tells
// which failures retrying cannot fix). Its HTTP side (credentials from
// files, CA, timeouts, sorting refusals) is endpoint/remotewrite's Poster,
// shared so that both outputs follow one set of rules and the binary
// carries one copy.
package alertmanager

import (
	"time"

	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
)

// Alert is one alert as Alertmanager's v2 API takes it. An EndsAt in the
// past resolves it; a zero StartsAt or EndsAt is left for Alertmanager to
// fill.
type Alert struct {
	Labels, Annotations map[string]string
	StartsAt, EndsAt    time.Time
	GeneratorURL        string
}

// Config says where and how to post.
type Config struct {
	URL                   string            // the base, e.g. http://127.0.0.1:9093 ; Post goes to URL + "/api/v2/alerts"
	Timeout               time.Duration     // per request; 0 = 10s
	BearerTokenFile       string            // optional; read at New and on Reload
	BasicAuthUser         string            // optional, with BasicAuthPasswordFile
	BasicAuthPasswordFile string            // optional; read at New and on Reload
	Headers               map[string]string // added to every request
	CAFile                string            // optional, for https; read at New and on Reload
}

// Client posts to one Alertmanager. It is safe for concurrent use.
type Client struct {
	p *remotewrite.Poster // posts to the base URL + "/api/v2/alerts"
}

// Error is Alertmanager's refusal, an HTTP status other than 2xx: the
// Poster's (its What is "alertmanager").
type Error = remotewrite.Error

// IsPermanent reports whether err is a refusal that retrying cannot fix: a
// 4xx other than 429 (e.g. 400 for a malformed alert). Transport errors,
// timeouts, 5xx and 429 are retryable.
func IsPermanent(err error) bool { return remotewrite.IsPermanent(err) }
