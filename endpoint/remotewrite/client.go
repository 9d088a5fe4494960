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
		return nil, fmt.Errorf("remote write URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("remote write URL %q: want http:// or https:// and a host", u.Redacted())
	}
	if u.User != nil {
		return nil, fmt.Errorf("remote write URL %q: credentials go in basic auth or bearer token files, not the URL", u.Redacted())
	}
	for k := range cfg.Headers {
		if strings.EqualFold(k, "Authorization") {
			return nil, errors.New("remote write headers: Authorization comes from the bearer token or basic auth files, not a header")
		}
	}
	if cfg.BearerTokenFile != "" && (cfg.BasicAuthUser != "" || cfg.BasicAuthPasswordFile != "") {
		return nil, errors.New("remote write: a bearer token and basic auth are exclusive")
	}
	if (cfg.BasicAuthUser == "") != (cfg.BasicAuthPasswordFile == "") {
		return nil, errors.New("remote write: basic auth needs both a user and a password file")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = defaultTimeout
	}
	hs := make(map[string]string, len(cfg.Headers))
	for k, v := range cfg.Headers {
		hs[k] = v
	}
	cfg.Headers = hs
	c := &Client{cfg: cfg, url: u.String()}
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
			return nil, fmt.Errorf("remote write CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("remote write CA %s: no PEM certificate in it", c.cfg.CAFile)
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
		return "", fmt.Errorf("remote write %s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("remote write %s file %s is empty", what, path)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("remote write %s file %s has more than one line", what, path)
	}
	return s, nil
}

// bufs holds encoding buffers between Writes.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest buffer kept for reuse: one huge batch must not
// pin its memory for good.
const maxPooled = 4 << 20

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooled {
		bufs.Put(b)
	}
}

// Write encodes one prometheus.WriteRequest (remote write 1.0:
// Content-Encoding snappy, Content-Type application/x-protobuf,
// X-Prometheus-Remote-Write-Version 0.1.0, User-Agent
// virgo-top/<internal/version>) and posts it. A nil error means the engine
// accepted every sample. A non-nil one is an *Error for an HTTP refusal, or
// a transport error or the context's error (wrapped); IsPermanent says
// whether a retry can succeed. Writing no series sends nothing.
//
// Engines limit a request's size (VictoriaMetrics: 32 MiB uncompressed by
// default): the caller batches.
func (c *Client) Write(ctx context.Context, series []Series) error {
	if len(series) == 0 {
		return nil
	}
	pb, sn := bufs.Get().(*[]byte), bufs.Get().(*[]byte)
	defer putBuf(pb)
	defer putBuf(sn)
	*pb = Encode((*pb)[:0], series)
	*sn = AppendSnappy((*sn)[:0], *pb)

	c.mu.RLock()
	a := c.auth
	c.mu.RUnlock()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(*sn))
	if err != nil {
		return fmt.Errorf("remote write: %w", err)
	}
	for k, v := range c.cfg.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
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
		return fmt.Errorf("remote write: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Drain a little so the connection is reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return &Error{
		Status:    resp.StatusCode,
		Permanent: permanentStatus(resp.StatusCode),
		Body:      cleanBody(body),
	}
}

// permanentStatus: remote write's spec says a 4xx other than 429 must not
// be retried; everything else may succeed later.
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
