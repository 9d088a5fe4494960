package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook header names.
const (
	// SignatureHeader carries "sha256=<hex>", the HMAC-SHA256 keyed with the
	// shared secret of the TimestampHeader value, a dot and the request
	// body: timestamp + "." + body. Signing the timestamp lets a receiver
	// reject a replayed request (VerifyWebhook).
	SignatureHeader = "X-Virgo-Signature"
	// TimestampHeader carries the send time in Unix seconds (decimal). Each
	// attempt, retries included, carries its own.
	TimestampHeader = "X-Virgo-Timestamp"
)

// DefaultMaxSkew is how far VerifyWebhook lets a timestamp stray from the
// receiver's clock, either way, unless told otherwise.
const DefaultMaxSkew = 5 * time.Minute

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
	// Format is the body: FormatVirgoTop (the default, also "") or
	// FormatRackspace, Rackspace Cloud Monitoring's webhook body. Either is
	// signed the same way.
	Format string
	// Token, when set, is sent as RackspaceTokenHeader, as Rackspace sends
	// an account's webhook token, for receivers that check it.
	Token string
	// Tenant is the account in a Rackspace body's event_id and tenant_id
	// (null when empty).
	Tenant string
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
	format    string
	token     string
	tenant    string
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
	format := o.Format
	switch format {
	case "":
		format = FormatVirgoTop
	case FormatVirgoTop, FormatRackspace:
	default:
		return nil, fmt.Errorf("webhook: format must be %s or %s, got %q", FormatVirgoTop, FormatRackspace, o.Format)
	}
	if strings.ContainsAny(o.Token, "\r\n") {
		return nil, errors.New("webhook: token must be one line")
	}
	w := &Webhook{
		name:      o.Name,
		url:       u,
		secret:    []byte(o.Secret),
		timeout:   o.Timeout,
		userAgent: o.UserAgent,
		client:    newHTTPClient(o.Client),
		now:       o.Now,
		format:    format,
		token:     o.Token,
		tenant:    o.Tenant,
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

// Format is the body format: FormatVirgoTop or FormatRackspace.
func (w *Webhook) Format() string { return w.format }

// Notify implements Notifier: one POST, no retries (the Dispatcher retries).
func (w *Webhook) Notify(ctx context.Context, ev Event) error {
	var body []byte
	var err error
	if w.format == FormatRackspace {
		body, err = rackspaceBody(ev, w.tenant)
	} else {
		body, err = json.Marshal(ev)
	}
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode event: %w", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", w.userAgent)
	if w.token != "" {
		h.Set(RackspaceTokenHeader, w.token)
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	h.Set(TimestampHeader, ts)
	if len(w.secret) > 0 {
		h.Set(SignatureHeader, Sign(w.secret, ts, body))
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	if err := postRequest(ctx, w.client, http.MethodPost, w.url, h, body); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// Sign returns the SignatureHeader value for a request with this
// TimestampHeader value and body: "sha256=" and the hex HMAC-SHA256 of
// timestamp + "." + body keyed with secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyWebhook checks a request a Webhook sent: signature (the
// SignatureHeader value) must be the HMAC of timestamp (the TimestampHeader
// value), a dot and body under secret, compared in constant time, and the
// timestamp must lie within maxSkew of now either way (DefaultMaxSkew, five
// minutes, when maxSkew <= 0), so a captured request cannot be replayed
// later. It returns nil for a good request; receivers answer anything else
// with 401 and do not act on the body. A receiver that must also refuse a
// replay inside the window remembers the signatures it saw for maxSkew.
func VerifyWebhook(secret, timestamp, signature string, body []byte, now time.Time, maxSkew time.Duration) error {
	if secret == "" {
		return errors.New("notify: webhook secret is empty")
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	if timestamp == "" || len(timestamp) > 18 || strings.Trim(timestamp, "0123456789") != "" {
		return errors.New("notify: webhook timestamp is not Unix seconds")
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("notify: webhook timestamp is not Unix seconds")
	}
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(signature), "sha256=")
	if !ok {
		return errors.New(`notify: webhook signature does not start with "sha256="`)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return errors.New("notify: webhook signature is not 64 hex digits")
	}
	if !hmac.Equal(got, mac([]byte(secret), timestamp, body)) {
		return errors.New("notify: webhook signature does not match")
	}
	if skew := now.Sub(time.Unix(sec, 0)); skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("notify: webhook timestamp is %s away from now, more than %s", skew.Round(time.Second), maxSkew)
	}
	return nil
}
