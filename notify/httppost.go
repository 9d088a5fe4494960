package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// DefaultUserAgent is sent by the HTTP notifiers unless told otherwise.
const DefaultUserAgent = "virgo-top/dev"

// bodyExcerptMax bounds the response body kept in a StatusError.
const bodyExcerptMax = 200

// newHTTPClient returns a client that does not follow redirects: a webhook
// answering 3xx is misconfigured, and following would turn a POST into a GET.
func newHTTPClient(base *http.Client) *http.Client {
	if base != nil {
		return base
	}
	return &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// postRequest sends one HTTP request and classifies the outcome: nil for 2xx,
// a retryable error for transport failures, timeouts, 408, 429 and 5xx, and
// a Permanent error for every other status.
func postRequest(ctx context.Context, client *http.Client, method string, u *url.URL, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("build request for %s: %w", redactURL(u), err))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		// url.Error repeats the whole URL, which may hold a secret.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("%s %s: %w", method, redactURL(u), err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 4*bodyExcerptMax))
	// Drain a little more so the connection can be reused, but not forever.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	se := &StatusError{Code: resp.StatusCode, Body: bodyExcerpt(excerpt)}
	err = fmt.Errorf("%s %s: %w", method, redactURL(u), se)
	if !se.Retryable() {
		return Permanent(err)
	}
	return err
}

// bodyExcerpt makes a response body fit in one short line.
func bodyExcerpt(b []byte) string {
	if !utf8.Valid(b) {
		b = []byte(strings.ToValidUTF8(string(b), "?"))
	}
	return truncate(oneLine(string(b)), bodyExcerptMax)
}

// parseHTTPURL accepts absolute http and https URLs with a host.
func parseHTTPURL(what, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%s: URL is empty", what)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The parse error quotes the URL; say only what is wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: invalid URL: %w", what, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: URL scheme must be http or https, not %q", what, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("%s: URL has no host", what)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: put credentials in the user/password settings, not in the URL", what)
	}
	return u, nil
}
