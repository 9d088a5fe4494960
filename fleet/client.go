package fleet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/internal/httpauth"
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
	auth    *httpauth.Auth // headers, credentials and CA
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

// New checks cfg and reads its secret files once. Secrets come from
// files only: a URL with credentials in it, or an Authorization header in
// Headers, is refused.
func New(cfg Config) (*Client, error) {
	u, err := httpauth.ParseURL("engine", strings.TrimSpace(cfg.URL))
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimRight(u.Path, "/")
	a, err := httpauth.New(httpauth.Config{
		What:                  "engine",
		BearerTokenFile:       cfg.BearerTokenFile,
		BasicAuthUser:         cfg.BasicAuthUser,
		BasicAuthPasswordFile: cfg.BasicAuthPasswordFile,
		CAFile:                cfg.CAFile,
		Headers:               cfg.Headers,
		Direct:                true, // the engine is reached directly; a proxy would see the credentials
	})
	if err != nil {
		return nil, err
	}
	c := &Client{base: u, auth: a, timeout: cfg.Timeout}
	if c.timeout <= 0 {
		c.timeout = httpauth.DefaultTimeout
	}
	return c, nil
}

// String names the engine without credentials.
func (c *Client) String() string { return httpauth.Redact(c.base) }

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
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.auth.Do(req)
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
