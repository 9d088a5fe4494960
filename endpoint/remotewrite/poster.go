package remotewrite

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/virgo-top/virgo-top/internal/version"
)

const (
	defaultTimeout = 10 * time.Second
	maxErrorBody   = 512
	maxIdlePerHost = 16 // connections kept open to the engine between requests
)

// Poster is the HTTP half of a Client: it posts bodies to one URL with a
// Config's timeout, headers, credentials and CA, and sorts the answers
// into success, permanent refusal and retryable failure. It is exported
// for endpoint/alertmanager, which posts under the same rules, so that the
// binary carries one copy of it (about 11 KB). It is safe for concurrent
// use.
type Poster struct {
	what    string // "remote write", "alertmanager": starts every error
	url     string
	logURL  string // url without its query and fragment: what errors show
	timeout time.Duration
	headers map[string]string
	user    string
	files   Config // the file names, read by load

	mu   sync.RWMutex // guards auth, swapped whole by Reload
	auth *auth
}

// auth is what load reads from files: the secrets, and the HTTP client
// built on the CA.
type auth struct {
	bearer   string // the token, or ""
	password string // the basic-auth password, or ""
	hc       *http.Client
}

// NewPoster checks cfg, whose URL is where Post posts, and reads its
// secret and CA files; what names the output in errors. Secrets come from
// files only: a URL with credentials in it, or an Authorization header in
// Headers, is refused.
func NewPoster(what string, cfg Config) (*Poster, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("%s URL: %w", what, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s URL %q: want http:// or https:// and a host", what, shownURL(u))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s URL %q: credentials go in basic auth or bearer token files, not the URL", what, shownURL(u))
	}
	hs := make(map[string]string, len(cfg.Headers))
	for k, v := range cfg.Headers {
		if strings.EqualFold(k, "Authorization") {
			return nil, fmt.Errorf("%s headers: Authorization comes from the bearer token or basic auth files, not a header", what)
		}
		// net/http refuses such a header at every request: the output
		// would answer every post "unavailable" for good.
		if !validHeaderName(k) {
			return nil, fmt.Errorf("%s headers: %q is not a header name", what, k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return nil, fmt.Errorf("%s headers: the value of %s has a line break or NUL", what, k)
		}
		hs[k] = v
	}
	if cfg.BearerTokenFile != "" && (cfg.BasicAuthUser != "" || cfg.BasicAuthPasswordFile != "") {
		return nil, fmt.Errorf("%s: a bearer token and basic auth are exclusive", what)
	}
	if (cfg.BasicAuthUser == "") != (cfg.BasicAuthPasswordFile == "") {
		return nil, fmt.Errorf("%s: basic auth needs both a user and a password file", what)
	}
	p := &Poster{what: what, url: u.String(), logURL: shownURL(u), timeout: cfg.Timeout, headers: hs, user: cfg.BasicAuthUser, files: cfg}
	if p.timeout <= 0 {
		p.timeout = defaultTimeout
	}
	if p.auth, err = p.load(); err != nil {
		return nil, err
	}
	return p, nil
}

// validHeaderName reports whether k is an HTTP token (RFC 9110), as
// net/http wants a header name.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// shownURL is u as errors show it: without its password, query and
// fragment, where keys may be.
func shownURL(u *url.URL) string {
	v := *u
	v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = "", false, "", ""
	return v.Redacted()
}

// Reload re-reads the token, password and CA files (on SIGHUP). On error
// the poster keeps what it had.
func (p *Poster) Reload() error {
	a, err := p.load()
	if err != nil {
		return err
	}
	p.mu.Lock()
	old := p.auth
	p.auth = a
	p.mu.Unlock()
	old.hc.CloseIdleConnections()
	return nil
}

// load reads the files. Its errors name the files, never their contents.
func (p *Poster) load() (*auth, error) {
	a := &auth{}
	var err error
	if f := p.files.BearerTokenFile; f != "" {
		if a.bearer, err = p.readSecret("bearer token", f); err != nil {
			return nil, err
		}
	}
	if f := p.files.BasicAuthPasswordFile; f != "" {
		if a.password, err = p.readSecret("basic auth password", f); err != nil {
			return nil, err
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The endpoint sends to one host from several goroutines at once
	// (endpoint/batch.go: 4 per output); net/http keeps 2 idle
	// connections per host by default, so the others were closed after
	// every request and dialled again for the next one.
	tr.MaxIdleConnsPerHost = maxIdlePerHost
	if f := p.files.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s CA: %w", p.what, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s CA %s: no PEM certificate in it", p.what, f)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	a.hc = &http.Client{Transport: tr}
	return a, nil
}

// readSecret reads a one-line secret file, without its surrounding space.
func (p *Poster) readSecret(what, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", p.what, what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s %s file %s is empty", p.what, what, path)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("%s %s file %s has more than one line", p.what, what, path)
	}
	return s, nil
}

// Post posts body with the configured headers, then header (name, value
// pairs, which win), User-Agent virgo-top/<version> and the credentials,
// within the timeout. A nil error means a 2xx answer. A non-nil one is an
// *Error for any other status, or a transport error or the context's
// error (wrapped: a timeout's wraps context.DeadlineExceeded).
func (p *Poster) Post(ctx context.Context, body []byte, header ...string) error {
	p.mu.RLock()
	a := p.auth
	p.mu.RUnlock()

	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", p.what, err)
	}
	for k, v := range p.headers {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	req.Header.Set("User-Agent", "virgo-top/"+version.Version)
	switch {
	case a.bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	case p.user != "":
		req.SetBasicAuth(p.user, a.password)
	}
	resp, err := a.hc.Do(req)
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
