package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
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
	// The signature, computed independently of Sign.
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write(r.Body)
	if want, got := "sha256="+hex.EncodeToString(m.Sum(nil)), r.Header.Get(SignatureHeader); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
	if !VerifySignature([]byte("s3cret"), r.Body, r.Header.Get(SignatureHeader)) {
		t.Error("VerifySignature rejects the signature")
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

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"a":1}`)
	good := Sign([]byte("k"), body)
	if good != "sha256=c3a92ff9e274cdcce27a58c15a78ec6dcbbdbd0038a87e7a11baef2028fd8bff" {
		t.Fatalf("Sign = %q", good)
	}
	tests := []struct {
		name   string
		secret string
		body   []byte
		header string
		want   bool
	}{
		{"valid", "k", body, good, true},
		{"surrounding space", "k", body, " " + good + " ", true},
		{"wrong secret", "x", body, good, false},
		{"changed body", "k", []byte(`{"a":2}`), good, false},
		{"no prefix", "k", body, strings.TrimPrefix(good, "sha256="), false},
		{"other algorithm", "k", body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"not hex", "k", body, "sha256=zz", false},
		{"short", "k", body, good[:len(good)-2], false},
		{"empty", "k", body, "", false},
	}
	for _, tt := range tests {
		if got := VerifySignature([]byte(tt.secret), tt.body, tt.header); got != tt.want {
			t.Errorf("%s: VerifySignature = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzVerifySignature(f *testing.F) {
	f.Add([]byte("k"), []byte(`{"a":1}`), "sha256=00")
	f.Add([]byte(""), []byte(""), "")
	f.Add([]byte("secret"), []byte("body"), Sign([]byte("secret"), []byte("body")))
	f.Fuzz(func(t *testing.T, secret, body []byte, header string) {
		ok := VerifySignature(secret, body, header)
		if ok && strings.TrimSpace(header) != Sign(secret, body) && !strings.EqualFold(strings.TrimSpace(header), Sign(secret, body)) {
			t.Fatalf("accepted %q for a body whose signature is %q", header, Sign(secret, body))
		}
		if !VerifySignature(secret, body, Sign(secret, body)) {
			t.Fatal("rejected its own signature")
		}
	})
}

// TestWebhookThroughDispatcher runs real HTTP deliveries through the
// Dispatcher: 500 twice then 200 is retried to success, 400 is not retried.
func TestWebhookThroughDispatcher(t *testing.T) {
	tests := []struct {
		name     string
		statuses []int
		requests int
		waits    []time.Duration
		stats    NotifierStats
		last     string
	}{
		{"500 then success", []int{500, 503, 200}, 3, []time.Duration{time.Second, 2 * time.Second}, NotifierStats{Sent: 1, Retried: 2}, ResultSent},
		{"400 is permanent", []int{400}, 1, nil, NotifierStats{Failed: 1}, ResultFailed},
		{"429 is retried", []int{429, 204}, 2, []time.Duration{time.Second}, NotifierStats{Sent: 1, Retried: 1}, ResultSent},
		{"500 until attempts run out", []int{500, 500, 500}, 3, []time.Duration{time.Second, 2 * time.Second}, NotifierStats{Failed: 1, Retried: 2}, ResultFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := newRecorder(t, tt.statuses...)
			w, err := NewWebhook(WebhookOptions{URL: srv.URL, Secret: "k"})
			if err != nil {
				t.Fatal(err)
			}
			d, sl := newTestDispatcher(t, DispatcherOptions{MaxAttempts: 3}, w)
			stop := runDispatcher(t, d)
			d.Enqueue(testEvent())
			_ = stop()
			reqs := rec.requests()
			if len(reqs) != tt.requests {
				t.Errorf("requests = %d, want %d", len(reqs), tt.requests)
			}
			for i, r := range reqs {
				if !VerifySignature([]byte("k"), r.Body, r.Header.Get(SignatureHeader)) {
					t.Errorf("request %d: bad signature", i)
				}
			}
			if got := sl.get(); !reflect.DeepEqual(got, tt.waits) {
				t.Errorf("waits = %v, want %v", got, tt.waits)
			}
			if got := d.Stats()["webhook"]; got != tt.stats {
				t.Errorf("stats = %+v, want %+v", got, tt.stats)
			}
			if last := d.Recent(1)[0]; last.Result != tt.last || !last.Final || last.Try != tt.requests {
				t.Errorf("last attempt = %+v", last)
			}
		})
	}
}
