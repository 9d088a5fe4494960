package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an HTTP receiver that keeps every request and answers from a
// script of status codes (then 200).
type recorder struct {
	mu       sync.Mutex
	reqs     []recordedRequest
	statuses []int
	body     string
}

type recordedRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recordedRequest{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	status := http.StatusOK
	if len(rec.statuses) > 0 {
		status, rec.statuses = rec.statuses[0], rec.statuses[1:]
	}
	answer := rec.body
	rec.mu.Unlock()
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

func (rec *recorder) requests() []recordedRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recordedRequest(nil), rec.reqs...)
}

func newRecorder(t *testing.T, statuses ...int) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{statuses: statuses}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv
}

func TestWebhookPostsSignedJSON(t *testing.T) {
	rec, srv := newRecorder(t)
	w, err := NewWebhook(WebhookOptions{URL: srv.URL + "/hook?x=1", Secret: "s3cret", UserAgent: "virgo-top/1.2.3", Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent()
	if err := w.Notify(context.Background(), ev); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	reqs := rec.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/hook?x=1" {
		t.Errorf("request = %s %s, want POST /hook?x=1", r.Method, r.Path)
	}
	for k, want := range map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    "virgo-top/1.2.3",
		TimestampHeader: "1795536000",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	// The signature covers the timestamp, computed independently of Sign.
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte("1795536000." + string(r.Body)))
	if want, got := "sha256="+hex.EncodeToString(m.Sum(nil)), r.Header.Get(SignatureHeader); got != want {
		t.Errorf("signature = %q, want %q (HMAC of timestamp.body)", got, want)
	}
	if err := VerifyWebhook("s3cret", r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), r.Body, fixedNow.Add(time.Minute), 0); err != nil {
		t.Errorf("VerifyWebhook rejects the request: %v", err)
	}
	var got Event
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if !reflect.DeepEqual(got, ev) {
		t.Errorf("body event = %+v, want %+v", got, ev)
	}
	// Field names are snake_case.
	var raw map[string]any
	_ = json.Unmarshal(r.Body, &raw)
	wantKeys := []string{"alarm_label", "alarm_name", "check_id", "check_label", "check_type", "current", "entity", "message", "metrics", "previous", "time"}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("JSON keys = %v, want %v", keys, wantKeys)
	}
}

func TestWebhookWithoutSecretIsUnsigned(t *testing.T) {
	rec, srv := newRecorder(t)
	w, err := NewWebhook(WebhookOptions{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Notify(context.Background(), testEvent()); err != nil {
		t.Fatal(err)
	}
	r := rec.requests()[0]
	if v, ok := r.Header[SignatureHeader]; ok {
		t.Errorf("unsigned webhook sent %s: %v", SignatureHeader, v)
	}
	if got := r.Header.Get("User-Agent"); got != DefaultUserAgent {
		t.Errorf("User-Agent = %q, want %q", got, DefaultUserAgent)
	}
}

func TestWebhookStatusClassification(t *testing.T) {
	tests := []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{200, true, false},
		{202, true, false},
		{204, true, false},
		{302, false, true},
		{400, false, true},
		{401, false, true},
		{404, false, true},
		{408, false, false},
		{429, false, false},
		{500, false, false},
		{502, false, false},
		{503, false, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			rec, srv := newRecorder(t, tt.status)
			rec.body = "nope"
			w, err := NewWebhook(WebhookOptions{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = w.Notify(context.Background(), testEvent())
			if (err == nil) != tt.ok {
				t.Fatalf("status %d: err = %v, want ok=%v", tt.status, err, tt.ok)
			}
			if err == nil {
				return
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("status %d: IsPermanent = %v, want %v", tt.status, IsPermanent(err), tt.permanent)
			}
			var se *StatusError
			if !errors.As(err, &se) || se.Code != tt.status || se.Body != "nope" {
				t.Errorf("status %d: StatusError = %+v", tt.status, se)
			}
		})
	}
}

func TestWebhookErrorExcerptAndRedaction(t *testing.T) {
	rec, srv := newRecorder(t, 500)
	rec.body = "line one\r\nline two\t" + strings.Repeat("x", 300)
	w, err := NewWebhook(WebhookOptions{URL: srv.URL + "/services/T0/B0/TOPSECRET?token=ALSOSECRET", Secret: "hmacsecret"})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Notify(context.Background(), testEvent())
	want := "webhook: POST " + srv.URL + "/***: HTTP status 500: line one line two " + strings.Repeat("x", 200-len("line one line two ")-3) + "..."
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	for _, secret := range []string{"TOPSECRET", "ALSOSECRET", "hmacsecret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks %q", secret)
		}
	}
	if s := w.String(); s != "webhook "+srv.URL+"/***" {
		t.Errorf("String() = %q", s)
	}
}

func TestWebhookTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	w, err := NewWebhook(WebhookOptions{URL: srv.URL, Timeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Notify(context.Background(), testEvent())
	if err == nil {
		t.Fatal("Notify against a silent server succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline error", err)
	}
	if IsPermanent(err) {
		t.Errorf("timeout marked permanent: %v", err)
	}
}

func TestWebhookConnectionRefusedIsRetryable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	w, err := NewWebhook(WebhookOptions{URL: url + "/secretpath"})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Notify(context.Background(), testEvent())
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	if strings.Contains(err.Error(), "secretpath") {
		t.Errorf("error leaks the URL path: %v", err)
	}
}

func TestNewWebhookRejectsBadOptions(t *testing.T) {
	tests := []struct {
		o    WebhookOptions
		want string
	}{
		{WebhookOptions{}, "webhook: URL is empty"},
		{WebhookOptions{URL: "ftp://example.com/x"}, `webhook: URL scheme must be http or https, not "ftp"`},
		{WebhookOptions{URL: "/relative"}, `webhook: URL scheme must be http or https, not ""`},
		{WebhookOptions{URL: "http:///nohost"}, "webhook: URL has no host"},
		{WebhookOptions{URL: "https://user:pw@example.com/"}, "webhook: put credentials in the user/password settings, not in the URL"},
		{WebhookOptions{URL: "http://exa mple.com/"}, `webhook: invalid URL: invalid character " " in host name`},
		{WebhookOptions{URL: "http://example.com/", Timeout: -time.Second}, "webhook: timeout must not be negative, got -1s"},
	}
	for _, tt := range tests {
		_, err := NewWebhook(tt.o)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewWebhook(%+v) err = %v, want %q", tt.o, err, tt.want)
		}
	}
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"a":1}`)
	ts := "1795536000" // fixedNow
	good := Sign([]byte("k"), ts, body)
	// As computed by `printf '1795536000.{"a":1}' | openssl dgst -sha256 -hmac k`.
	if good != "sha256=a1cce8242ba924f8702d1f2d86c7be70d85efef512978b664dd467d9f2fae1a1" {
		t.Fatalf("Sign = %q", good)
	}
	tests := []struct {
		name      string
		secret    string
		timestamp string
		signature string
		body      []byte
		now       time.Time
		maxSkew   time.Duration
		err       string // "" for accepted
	}{
		{"valid", "k", ts, good, body, fixedNow, 0, ""},
		{"surrounding space", "k", ts, " " + good + " ", body, fixedNow, 0, ""},
		{"4m59s late", "k", ts, good, body, fixedNow.Add(4*time.Minute + 59*time.Second), 0, ""},
		{"5m early", "k", ts, good, body, fixedNow.Add(-5 * time.Minute), 0, ""},
		{"5m1s late: replay", "k", ts, good, body, fixedNow.Add(5*time.Minute + time.Second), 0, "notify: webhook timestamp is 5m1s away from now, more than 5m0s"},
		{"an hour early", "k", ts, good, body, fixedNow.Add(-time.Hour), 0, "notify: webhook timestamp is -1h0m0s away from now, more than 5m0s"},
		{"custom skew", "k", ts, good, body, fixedNow.Add(31 * time.Second), 30 * time.Second, "notify: webhook timestamp is 31s away from now, more than 30s"},
		{"year 5138", "k", "99999999999", Sign([]byte("k"), "99999999999", body), body, fixedNow, 0, "notify: webhook timestamp is " + fixedNow.Sub(time.Unix(99999999999, 0)).Round(time.Second).String() + " away from now, more than 5m0s"},
		{"beyond time.Duration", "k", "999999999999999999", Sign([]byte("k"), "999999999999999999", body), body, fixedNow, 0, "notify: webhook timestamp is -2562047h47m16.854775808s away from now, more than 5m0s"},
		{"timestamp changed", "k", "1795536001", good, body, fixedNow, 0, "notify: webhook signature does not match"},
		{"body changed", "k", ts, good, []byte(`{"a":2}`), fixedNow, 0, "notify: webhook signature does not match"},
		{"wrong secret", "x", ts, good, body, fixedNow, 0, "notify: webhook signature does not match"},
		{"body-only signature (the old scheme)", "k", ts, "sha256=c3a92ff9e274cdcce27a58c15a78ec6dcbbdbd0038a87e7a11baef2028fd8bff", body, fixedNow, 0, "notify: webhook signature does not match"},
		{"empty secret", "", ts, good, body, fixedNow, 0, "notify: webhook secret is empty"},
		{"no timestamp", "k", "", good, body, fixedNow, 0, "notify: webhook timestamp is not Unix seconds"},
		{"signed timestamp", "k", "+1795536000", Sign([]byte("k"), "+1795536000", body), body, fixedNow, 0, "notify: webhook timestamp is not Unix seconds"},
		{"fractional timestamp", "k", "1795536000.5", Sign([]byte("k"), "1795536000.5", body), body, fixedNow, 0, "notify: webhook timestamp is not Unix seconds"},
		{"huge timestamp", "k", "99999999999999999999", good, body, fixedNow, 0, "notify: webhook timestamp is not Unix seconds"},
		{"no prefix", "k", ts, strings.TrimPrefix(good, "sha256="), body, fixedNow, 0, `notify: webhook signature does not start with "sha256="`},
		{"other algorithm", "k", ts, "sha1=" + strings.TrimPrefix(good, "sha256="), body, fixedNow, 0, `notify: webhook signature does not start with "sha256="`},
		{"not hex", "k", ts, "sha256=zz", body, fixedNow, 0, "notify: webhook signature is not 64 hex digits"},
		{"short", "k", ts, good[:len(good)-2], body, fixedNow, 0, "notify: webhook signature is not 64 hex digits"},
	}
	for _, tt := range tests {
		err := VerifyWebhook(tt.secret, tt.timestamp, tt.signature, tt.body, tt.now, tt.maxSkew)
		if got := fmt.Sprint(err); (tt.err == "" && err != nil) || (tt.err != "" && got != tt.err) {
			t.Errorf("%s: VerifyWebhook = %v, want %q", tt.name, err, tt.err)
		}
	}
}

func FuzzVerifyWebhook(f *testing.F) {
	f.Add("k", "1795536000", []byte(`{"a":1}`), "sha256=00", int64(0))
	f.Add("", "", []byte(""), "", int64(-1))
	f.Add("secret", "1795536000", []byte("body"), Sign([]byte("secret"), "1795536000", []byte("body")), int64(299))
	f.Fuzz(func(t *testing.T, secret, timestamp string, body []byte, signature string, offset int64) {
		now := fixedNow.Add(time.Duration(offset) * time.Second)
		err := VerifyWebhook(secret, timestamp, signature, body, now, 0)
		want := Sign([]byte(secret), timestamp, body)
		if err == nil && !strings.EqualFold(strings.TrimSpace(signature), want) {
			t.Fatalf("accepted %q for a request whose signature is %q", signature, want)
		}
		if err == nil {
			sec, perr := strconv.ParseInt(timestamp, 10, 64)
			if perr != nil || secret == "" {
				t.Fatalf("accepted timestamp %q / empty secret", timestamp)
			}
			if d := now.Sub(time.Unix(sec, 0)); d > DefaultMaxSkew || d < -DefaultMaxSkew {
				t.Fatalf("accepted a timestamp %s away", d)
			}
		}
	})
}

// TestWebhookThroughDispatcher runs real HTTP deliveries through the
// Dispatcher: 5xx and 429 are retried with backoff to success; 400 is
// logged as failed and retried after MaxBackoff. Every request verifies.
func TestWebhookThroughDispatcher(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		waits    []time.Duration
		stats    NotifierStats
		results  []string
	}{
		{"500 then success", []int{500, 503, 200}, []time.Duration{time.Second, 2 * time.Second}, NotifierStats{Sent: 1, Failed: 2, Retried: 2}, []string{ResultRetry, ResultRetry, ResultSent}},
		{"400 is permanent: retried at the cap", []int{400, 200}, []time.Duration{DefaultMaxBackoff}, NotifierStats{Sent: 1, Failed: 1, Retried: 1}, []string{ResultFailed, ResultSent}},
		{"429 is retried", []int{429, 204}, []time.Duration{time.Second}, NotifierStats{Sent: 1, Failed: 1, Retried: 1}, []string{ResultRetry, ResultSent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := newRecorder(t, tt.statuses...)
			clock := newClock()
			w, err := NewWebhook(WebhookOptions{URL: srv.URL, Secret: "k", Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			d, _ := newTestDispatcher(t, DispatcherOptions{Now: clock.Now, Sleep: clock.Sleep}, w)
			stop := runDispatcher(t, d)
			d.Enqueue(testEvent())
			waitFor(t, "the delivery", func() bool { return d.Stats()["webhook"].Sent == 1 })
			_ = stop()
			reqs := rec.requests()
			if len(reqs) != len(tt.statuses) {
				t.Errorf("requests = %d, want %d", len(reqs), len(tt.statuses))
			}
			for i, r := range reqs {
				if err := VerifyWebhook("k", r.Header.Get(TimestampHeader), r.Header.Get(SignatureHeader), r.Body, clock.Now(), 0); err != nil {
					t.Errorf("request %d: %v", i, err)
				}
			}
			if got := clock.slept(); !reflect.DeepEqual(got, tt.waits) {
				t.Errorf("waits = %v, want %v", got, tt.waits)
			}
			if got := d.Stats()["webhook"]; got != tt.stats {
				t.Errorf("stats = %+v, want %+v", got, tt.stats)
			}
			var got []string
			for _, a := range d.Recent(0) {
				got = append(got, a.Result)
			}
			if !reflect.DeepEqual(got, tt.results) {
				t.Errorf("results = %q, want %q", got, tt.results)
			}
		})
	}
}
