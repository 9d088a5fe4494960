package fleet

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
	"strconv"
	"strings"
	"time"
)

// maxBody caps what one API answer may hold; a bigger one is an error,
// never a process that grows without bound.
const maxBody = 64 << 20

// Config says how to reach the engine. Secrets are named by file so they
// never appear in ps, flags or logs.
type Config struct {
	URL                   string        // base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept)
	BearerTokenFile       string        // Authorization: Bearer <file content, trimmed>
	BasicAuthUser         string        // with BasicAuthPasswordFile
	BasicAuthPasswordFile string        // the password, trimmed
	CAFile                string        // PEM CAs for https; only these are trusted
	Headers               http.Header   // extra headers (X-Scope-OrgID, ...)
	Timeout               time.Duration // per request; 0: 10 s
}

// Client talks to one engine. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	hc      *http.Client
	headers http.Header
	auth    string // Authorization header value, never logged
	timeout time.Duration
}

// APIError is an error answer of the engine (the API's error envelope), or
// an answer that is not one.
type APIError struct {
	Status    int    // HTTP status
	ErrorType string // the envelope's errorType ("bad_data", "timeout", ...)
	Message   string // the envelope's error, or the start of the body
}

func (e *APIError) Error() string {
	if e.ErrorType != "" {
		return fmt.Sprintf("engine: %s: %s", e.ErrorType, e.Message)
	}
	return fmt.Sprintf("engine: HTTP %d: %s", e.Status, e.Message)
}

// New checks cfg and reads its secret files once.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil {
		// url's error repeats the URL, which may hold a password.
		return nil, errors.New("engine URL: not a URL; want http:// or https://host[:port]")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("engine URL %q: want http:// or https://host[:port]", redactURL(u))
	}
	if u.User != nil {
		return nil, errors.New("engine URL: put no credentials in the URL; use --basic-auth-user and --basic-auth-password-file")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c := &Client{base: u, headers: cfg.Headers.Clone(), timeout: cfg.Timeout}
	if c.timeout <= 0 {
		c.timeout = 10 * time.Second
	}
	switch {
	case cfg.BearerTokenFile != "" && cfg.BasicAuthUser != "":
		return nil, errors.New("set a bearer token or basic auth, not both")
	case cfg.BearerTokenFile != "":
		tok, err := readSecret(cfg.BearerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("bearer token: %w", err)
		}
		c.auth = "Bearer " + tok
	case cfg.BasicAuthUser != "":
		pw := ""
		if cfg.BasicAuthPasswordFile != "" {
			if pw, err = readSecret(cfg.BasicAuthPasswordFile); err != nil {
				return nil, fmt.Errorf("basic auth password: %w", err)
			}
		}
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(cfg.BasicAuthUser, pw)
		c.auth = r.Header.Get("Authorization")
	case cfg.BasicAuthPasswordFile != "":
		return nil, errors.New("a basic auth password file needs --basic-auth-user")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the engine is reached directly; a proxy would see the credentials
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate", cfg.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	c.hc = &http.Client{Transport: tr}
	return c, nil
}

// String names the engine without credentials.
func (c *Client) String() string { return redactURL(c.base) }

func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery = ""
	return v.String()
}

func readSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// Query evaluates an instant query at t (zero: the engine's now).
func (c *Client) Query(ctx context.Context, q string, t time.Time) (*Result, error) {
	form := url.Values{"query": {q}}
	if !t.IsZero() {
		form.Set("time", formatTime(t))
	}
	return c.post(ctx, "/api/v1/query", form)
}

// QueryRange evaluates a range query.
func (c *Client) QueryRange(ctx context.Context, q string, start, end time.Time, step time.Duration) (*Result, error) {
	if step <= 0 {
		return nil, errors.New("query_range: step must be positive")
	}
	form := url.Values{
		"query": {q},
		"start": {formatTime(start)},
		"end":   {formatTime(end)},
		"step":  {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}
	return c.post(ctx, "/api/v1/query_range", form)
}

// BuildInfo is what /api/v1/status/buildinfo says; engines that lack it
// (some versions of Thanos and VictoriaMetrics) give an error the caller
// may ignore.
type BuildInfo struct {
	Version   string `json:"version"`
	Revision  string `json:"revision"`
	GoVersion string `json:"goVersion"`
}

// BuildInfo asks the engine its version.
func (c *Client) BuildInfo(ctx context.Context) (BuildInfo, error) {
	body, status, err := c.do(ctx, http.MethodGet, "/api/v1/status/buildinfo", nil)
	if err != nil {
		return BuildInfo{}, err
	}
	return decodeBuildInfo(body, status)
}

func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

func (c *Client) post(ctx context.Context, path string, form url.Values) (*Result, error) {
	body, status, err := c.do(ctx, http.MethodPost, path, form)
	if err != nil {
		return nil, err
	}
	return DecodeResponse(body, status)
}

func (c *Client) do(ctx context.Context, method, path string, form url.Values) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := *c.base
	u.Path += path
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, 0, err
	}
	for k, vs := range c.headers {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, 0, fmt.Errorf("%s: no answer within %s", path, c.timeout)
		}
		// url.Error repeats the URL, which holds no secret (New refuses
		// user info), but keep the message short.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, fmt.Errorf("%s %s: %w", c, path, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, 0, fmt.Errorf("%s: no answer within %s", path, c.timeout)
		}
		return nil, 0, fmt.Errorf("%s: read answer: %w", path, err)
	}
	if n > maxBody {
		return nil, 0, fmt.Errorf("%s: answer larger than %d MiB", path, maxBody>>20)
	}
	return buf.Bytes(), resp.StatusCode, nil
}
