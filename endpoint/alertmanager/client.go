package alertmanager

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
)

// New checks cfg and reads its secret and CA files. Secrets come from
// files only: a URL with credentials in it, or an Authorization header in
// Headers, is refused. The HTTP side is remotewrite's Poster: the two
// outputs follow the same rules, and the binary carries one copy.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("alertmanager URL: %w", err)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		// Not the URL itself: the query may hold a key.
		return nil, fmt.Errorf("alertmanager URL %s://%s%s: want the base URL only (no query or fragment), e.g. http://127.0.0.1:9093",
			u.Scheme, u.Host, u.EscapedPath())
	}
	p, err := remotewrite.NewPoster("alertmanager", remotewrite.Config{
		URL:                   strings.TrimRight(cfg.URL, "/") + "/api/v2/alerts",
		Timeout:               cfg.Timeout,
		BearerTokenFile:       cfg.BearerTokenFile,
		BasicAuthUser:         cfg.BasicAuthUser,
		BasicAuthPasswordFile: cfg.BasicAuthPasswordFile,
		Headers:               cfg.Headers,
		CAFile:                cfg.CAFile,
	})
	if err != nil {
		return nil, err
	}
	return &Client{p: p}, nil
}

// Reload re-reads the token, password and CA files (on SIGHUP). On error
// the client keeps what it had.
func (c *Client) Reload() error { return c.p.Reload() }

// apiAlert is an alert in the JSON that POST /api/v2/alerts takes
// (Alertmanager's postableAlert).
type apiAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Post sends alerts as one JSON array with RFC 3339 times. A nil error
// means Alertmanager accepted them all. A non-nil one is an *Error for an
// HTTP refusal, or a transport error or the context's error (wrapped);
// IsPermanent says whether a retry can succeed. Posting no alerts sends
// nothing.
func (c *Client) Post(ctx context.Context, alerts []Alert) error {
	if len(alerts) == 0 {
		return nil
	}
	out := make([]apiAlert, len(alerts))
	for i, a := range alerts {
		labels := a.Labels
		if labels == nil {
			labels = map[string]string{} // Alertmanager says what is wrong with it
		}
		out[i] = apiAlert{
			Labels:       labels,
			Annotations:  a.Annotations,
			StartsAt:     rfc3339(a.StartsAt),
			EndsAt:       rfc3339(a.EndsAt),
			GeneratorURL: a.GeneratorURL,
		}
	}
	body, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	return c.p.Post(ctx, body, "Content-Type", "application/json")
}
