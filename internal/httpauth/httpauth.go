// Package httpauth is the plumbing every HTTP client of virgo-top to an
// engine shares (endpoint/remotewrite's Poster, which endpoint/alertmanager
// uses too, and fleet's Client): the credentials, read from files only (a
// bearer token, or a basic-auth user and password file), extra headers,
// a CA file for https, the *http.Client built on them, Reload on SIGHUP,
// and the URL as errors and logs may show it. What a request is (its
// method, body, status handling) stays with the caller.
//
// Secrets never leave the request: errors name the files, never their
// contents, and a URL with credentials in it, or an Authorization header
// among the headers, is refused.
package httpauth

import (
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
)

const (
	// DefaultTimeout is a request's timeout when the caller's is 0.
	DefaultTimeout = 10 * time.Second
	// MaxSecret is the largest secret file read: a bigger one is a wrong
	// path, not a token (config.ReadToken's limit too).
	MaxSecret = 64 << 10
	// maxIdlePerHost: callers send to one host from several goroutines at
	// once (endpoint/batch.go: 4 per output; fleet's concurrent columns);
	// net/http keeps 2 idle connections per host by default, so the
	// others were closed after every request and dialled again.
	maxIdlePerHost = 16
)

// Config names the secret files and the headers. What starts every error
// ("remote write", "engine").
type Config struct {
	What                  string
	BearerTokenFile       string      // Authorization: Bearer <content, trimmed>
	BasicAuthUser         string      // with BasicAuthPasswordFile
	BasicAuthPasswordFile string      // the password, trimmed
	CAFile                string      // PEM CAs for https; only these are trusted
	Headers               http.Header // extra headers (X-Scope-OrgID, ...)
	// Direct ignores HTTP_PROXY and friends: a plain-http proxy would
	// see the credentials.
	Direct bool
}

// Auth is a checked Config and what its files held. It is safe for
// concurrent use.
type Auth struct {
	cfg Config

	mu  sync.RWMutex // guards cur, swapped whole by Reload
	cur *loaded
}

// loaded is what load reads from files.
type loaded struct {
	authz string // the Authorization header's value, or ""
	hc    *http.Client
}

// New checks cfg and reads its secret and CA files.
func New(cfg Config) (*Auth, error) {
	hs := make(http.Header, len(cfg.Headers))
	for k, vs := range cfg.Headers {
		if err := CheckHeader(k, vs...); err != nil {
			return nil, fmt.Errorf("%s headers: %w", cfg.What, err)
		}
		hs[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	cfg.Headers = hs
	if cfg.BearerTokenFile != "" && (cfg.BasicAuthUser != "" || cfg.BasicAuthPasswordFile != "") {
		return nil, fmt.Errorf("%s: a bearer token and basic auth are exclusive", cfg.What)
	}
	if (cfg.BasicAuthUser == "") != (cfg.BasicAuthPasswordFile == "") {
		return nil, fmt.Errorf("%s: basic auth needs both a user and a password file", cfg.What)
	}
	a := &Auth{cfg: cfg}
	var err error
	if a.cur, err = a.load(); err != nil {
		return nil, err
	}
	return a, nil
}

// CheckHeader reports why name and values cannot be an extra header, or
// nil: net/http refuses a bad one at every request, so the caller would
// fail for good; Authorization comes from the files.
func CheckHeader(name string, values ...string) error {
	if strings.EqualFold(name, "Authorization") {
		return errors.New("the Authorization header comes from the bearer token or basic auth password file")
	}
	if !validHeaderName(name) {
		return fmt.Errorf("%q is not a header name", name)
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("the value of %s has a line break or NUL", name)
		}
	}
	return nil
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

// ParseURL parses raw, an http or https URL with a host and no
// credentials. Its errors show the URL as Redact does, or not at all.
func ParseURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's error repeats the URL, which may hold a password.
		return nil, fmt.Errorf("%s URL: not a URL; want http:// or https:// and a host", what)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%s URL %q: want http:// or https:// and a host", what, Redact(u))
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s URL %q: credentials go in the bearer token or basic auth password file, not the URL", what, Redact(u))
	}
	return u, nil
}

// Redact is u as errors and logs show it: without its user info, query
// and fragment, where keys may be.
func Redact(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = "", false, "", ""
	return v.String()
}

// ReadSecret reads a one-line secret file of at most MaxSecret bytes,
// without its surrounding space. Its errors name the file, never its
// content.
func ReadSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSecret+1))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > MaxSecret {
		return "", fmt.Errorf("file %s is larger than %d KiB", path, MaxSecret>>10)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("file %s is empty", path)
	}
	if strings.ContainsAny(s, "\r\n\x00") {
		return "", fmt.Errorf("file %s has more than one line", path)
	}
	return s, nil
}

// Reload re-reads the token, password and CA files (on SIGHUP). On error
// a keeps what it had.
func (a *Auth) Reload() error {
	l, err := a.load()
	if err != nil {
		return err
	}
	a.mu.Lock()
	old := a.cur
	a.cur = l
	a.mu.Unlock()
	old.hc.CloseIdleConnections()
	return nil
}

// load reads the files. Its errors name the files, never their contents.
func (a *Auth) load() (*loaded, error) {
	l := &loaded{}
	if f := a.cfg.BearerTokenFile; f != "" {
		tok, err := ReadSecret(f)
		if err != nil {
			return nil, fmt.Errorf("%s bearer token: %w", a.cfg.What, err)
		}
		l.authz = "Bearer " + tok
	}
	if f := a.cfg.BasicAuthPasswordFile; f != "" {
		pw, err := ReadSecret(f)
		if err != nil {
			return nil, fmt.Errorf("%s basic auth password: %w", a.cfg.What, err)
		}
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(a.cfg.BasicAuthUser, pw)
		l.authz = r.Header.Get("Authorization")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxIdlePerHost
	if a.cfg.Direct {
		tr.Proxy = nil
	}
	if f := a.cfg.CAFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s CA file: %w", a.cfg.What, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s CA file %s: no PEM certificate in it", a.cfg.What, f)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	l.hc = &http.Client{Transport: tr}
	return l, nil
}

// Do sends req with the current client: the configured headers that req
// does not set already (req's own win), then the credentials.
func (a *Auth) Do(req *http.Request) (*http.Response, error) {
	a.mu.RLock()
	l := a.cur
	a.mu.RUnlock()
	for k, vs := range a.cfg.Headers {
		if _, ok := req.Header[k]; !ok {
			req.Header[k] = append([]string(nil), vs...)
		}
	}
	if l.authz != "" {
		req.Header.Set("Authorization", l.authz)
	}
	return l.hc.Do(req)
}

// Client is the current *http.Client (Reload replaces it): for tests
// that swap its transport.
func (a *Auth) Client() *http.Client {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cur.hc
}
