package alertmanager

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/internal/version"
)

const (
	defaultTimeout = 10 * time.Second
	maxErrorBody   = 512
)

// auth is what New and Reload read from files: the secrets, and the
// HTTP client built on the CA.
type auth struct {
	bearer   string // the token, or ""
	password string // the basic-auth password, or ""
	hc       *http.Client
}

// New checks cfg and reads its secret and CA files. Secrets come from
// files only: a URL with credentials in it, or an Authorization header in
// Headers, is refused.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("alertmanager URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("alertmanager URL %q: want http:// or https:// and a host", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("alertmanager URL %q: want the base URL only, e.g. http://127.0.0.1:9093", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("alertmanager URL %q: credentials go in basic auth or bearer token files, not the URL", u.Redacted())
	}
	for k := range cfg.Headers {
		if strings.EqualFold(k, "Authorization") {
			return nil, errors.New("alertmanager headers: Authorization comes from the bearer token or basic auth files, not a header")
		}
	}
	if cfg.BearerTokenFile != "" && (cfg.BasicAuthUser != "" || cfg.BasicAuthPasswordFile != "") {
		return nil, errors.New("alertmanager: a bearer token and basic auth are exclusive")
	}
	if (cfg.BasicAuthUser == "") != (cfg.BasicAuthPasswordFile == "") {
		return nil, errors.New("alertmanager: basic auth needs both a user and a password file")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	hs := make(map[string]string, len(cfg.Headers))
	for k, v := range cfg.Headers {
		hs[k] = v
	}
	cfg.Headers = hs
	c := &Client{cfg: cfg, url: strings.TrimRight(u.String(), "/") + "/api/v2/alerts"}
	a, err := c.load()
	if err != nil {
		return nil, err
	}
	c.auth = a
	return c, nil
}

// Reload re-reads the token, password and CA files (on SIGHUP). On error
// the client keeps what it had.
func (c *Client) Reload() error {
	a, err := c.load()
	if err != nil {
		return err
	}
	c.mu.Lock()
	old := c.auth
	c.auth = a
	c.mu.Unlock()
	old.hc.CloseIdleConnections()
	return nil
}

// load reads the files cfg names. Its errors name the files, never their
// contents.
func (c *Client) load() (*auth, error) {
	a := &auth{}
	var err error
	if c.cfg.BearerTokenFile != "" {
		if a.bearer, err = readSecret("bearer token", c.cfg.BearerTokenFile); err != nil {
			return nil, err
		}
	}
	if c.cfg.BasicAuthPasswordFile != "" {
		if a.password, err = readSecret("basic auth password", c.cfg.BasicAuthPasswordFile); err != nil {
			return nil, err
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.cfg.CAFile != "" {
		pem, err := os.ReadFile(c.cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("alertmanager CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("alertmanager CA %s: no PEM certificate in it", c.cfg.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	a.hc = &http.Client{Transport: tr}
	return a, nil
}

// readSecret reads a one-line secret file, without its surrounding space.
func readSecret(what, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("alertmanager %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("alertmanager %s file %s is empty", what, path)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("alertmanager %s file %s has more than one line", what, path)
	}
	return s, nil
}

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

	c.mu.RLock()
	a := c.auth
	c.mu.RUnlock()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("alertmanager: %w", err)
	}
	for k, v := range c.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "virgo-top/"+version.Version)
	switch {
	case a.bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	case c.cfg.BasicAuthUser != "":
		req.SetBasicAuth(c.cfg.BasicAuthUser, a.password)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		// net/http's errors name the URL (without a password) and the
		// cause; a timeout's wraps context.DeadlineExceeded.
		return fmt.Errorf("alertmanager: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Drain a little so the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return &Error{
		Status:    resp.StatusCode,
		Permanent: permanentStatus(resp.StatusCode),
		Body:      cleanBody(msg),
	}
}

// permanentStatus: a 4xx other than 429 says the request itself is wrong;
// everything else may succeed later.
func permanentStatus(code int) bool {
	return code >= 400 && code < 500 && code != http.StatusTooManyRequests
}

// cleanBody makes an engine's answer (at most maxErrorBody bytes) fit a
// log line: valid UTF-8 (a cut rune dropped), no control characters, no
// surrounding space.
func cleanBody(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
