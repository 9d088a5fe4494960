package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook header names.
const (
	// SignatureHeader carries "sha256=<hex>", the HMAC-SHA256 of the request
	// body keyed with the shared secret.
	SignatureHeader = "X-Virgo-Signature"
	// TimestampHeader carries the send time in Unix seconds.
	TimestampHeader = "X-Virgo-Timestamp"
)

// DefaultHTTPTimeout bounds one webhook or SMS gateway request.
const DefaultHTTPTimeout = 10 * time.Second

// WebhookOptions configures a Webhook.
type WebhookOptions struct {
	// Name is the notifier name in stats and logs; default "webhook".
	Name string
	// URL receives a POST of the JSON event.
	URL string
	// Secret, when set, signs the body (see SignatureHeader).
	Secret string
	// Timeout bounds each request; default DefaultHTTPTimeout.
	Timeout time.Duration
	// UserAgent defaults to DefaultUserAgent ("virgo-top/VERSION").
	UserAgent string
	// Client replaces the default client (which does not follow redirects).
	Client *http.Client
	// Now is the clock for TimestampHeader; default time.Now.
	Now func() time.Time
}

// Webhook POSTs each Event as JSON to a URL.
type Webhook struct {
	name      string
	url       *url.URL
	secret    []byte
	timeout   time.Duration
	userAgent string
	client    *http.Client
	now       func() time.Time
}

// NewWebhook checks the options and returns a Webhook.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	u, err := parseHTTPURL("webhook", o.URL)
	if err != nil {
		return nil, err
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("webhook: timeout must not be negative, got %s", o.Timeout)
	}
	w := &Webhook{
		name:      o.Name,
		url:       u,
		secret:    []byte(o.Secret),
		timeout:   o.Timeout,
		userAgent: o.UserAgent,
		client:    newHTTPClient(o.Client),
		now:       o.Now,
	}
	if w.name == "" {
		w.name = "webhook"
	}
	if w.timeout == 0 {
		w.timeout = DefaultHTTPTimeout
	}
	if w.userAgent == "" {
		w.userAgent = DefaultUserAgent
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// Name implements Notifier.
func (w *Webhook) Name() string { return w.name }

// String describes the webhook without secrets.
func (w *Webhook) String() string { return w.name + " " + redactURL(w.url) }

// Notify implements Notifier: one POST, no retries (the Dispatcher retries).
func (w *Webhook) Notify(ctx context.Context, ev Event) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode event: %w", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", w.userAgent)
	h.Set(TimestampHeader, strconv.FormatInt(w.now().Unix(), 10))
	if len(w.secret) > 0 {
		h.Set(SignatureHeader, Sign(w.secret, body))
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	if err := postRequest(ctx, w.client, http.MethodPost, w.url, h, body); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// Sign returns the SignatureHeader value for body: "sha256=" and the hex
// HMAC-SHA256 of body keyed with secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is a valid SignatureHeader value
// for body and secret, comparing in constant time. Receivers use it.
func VerifySignature(secret, body []byte, header string) bool {
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}
