package remotewrite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/internal/httpauth"
	"github.com/virgo-top/virgo-top/internal/version"
)

const maxErrorBody = 512

// Poster is the HTTP half of a Client: it posts bodies to one URL with a
// Config's timeout, headers, credentials and CA (internal/httpauth), and
// sorts the answers into success, permanent refusal and retryable
// failure. It is exported for endpoint/alertmanager, which posts under the
// same rules, so that the binary carries one copy of it. It is safe for
// concurrent use.
type Poster struct {
	what    string // "remote write", "alertmanager": starts every error
	url     string
	logURL  string // url without its query and fragment: what errors show
	timeout time.Duration
	auth    *httpauth.Auth
}

// NewPoster checks cfg, whose URL is where Post posts, and reads its
// secret and CA files; what names the output in errors. Secrets come from
// files only: a URL with credentials in it, or an Authorization header in
// Headers, is refused.
func NewPoster(what string, cfg Config) (*Poster, error) {
	u, err := httpauth.ParseURL(what, cfg.URL)
	if err != nil {
		return nil, err
	}
	hs := make(http.Header, len(cfg.Headers))
	for k, v := range cfg.Headers {
		hs[k] = []string{v}
	}
	a, err := httpauth.New(httpauth.Config{
		What:                  what,
		BearerTokenFile:       cfg.BearerTokenFile,
		BasicAuthUser:         cfg.BasicAuthUser,
		BasicAuthPasswordFile: cfg.BasicAuthPasswordFile,
		CAFile:                cfg.CAFile,
		Headers:               hs,
	})
	if err != nil {
		return nil, err
	}
	p := &Poster{what: what, url: u.String(), logURL: httpauth.Redact(u), timeout: cfg.Timeout, auth: a}
	if p.timeout <= 0 {
		p.timeout = httpauth.DefaultTimeout
	}
	return p, nil
}

// Reload re-reads the token, password and CA files (on SIGHUP). On error
// the poster keeps what it had.
func (p *Poster) Reload() error { return p.auth.Reload() }

// Post posts body with the configured headers, then header (name, value
// pairs, which win), User-Agent virgo-top/<version> and the credentials,
// within the timeout. A nil error means a 2xx answer. A non-nil one is an
// *Error for any other status, or a transport error or the context's
// error (wrapped: a timeout's wraps context.DeadlineExceeded).
func (p *Poster) Post(ctx context.Context, body []byte, header ...string) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", p.what, err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.Header.Set("User-Agent", "virgo-top/"+version.Version)
	resp, err := p.auth.Do(req)
	if err != nil {
		// net/http's errors name the URL and the cause: the URL without
		// its query, which may hold a key (api_key=...).
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = p.logURL
		}
		return fmt.Errorf("%s: %w", p.what, err)
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
		What:      p.what,
		Status:    resp.StatusCode,
		Permanent: permanentStatus(resp.StatusCode),
		Body:      cleanBody(msg),
	}
}

// permanentStatus: remote write's spec (and Alertmanager's API) say a 4xx
// other than 429 is the request's fault and must not be retried;
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
