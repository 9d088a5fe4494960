package alertmanager

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/internal/enginetest"
	"github.com/virgo-top/virgo-top/internal/secretaudit"
	"github.com/virgo-top/virgo-top/internal/version"
)

const (
	testToken    = "tok-3f9a1c7e5b2d8046aa"
	testToken2   = "tok-second-77c1e0d94b3a"
	testPassword = "pw-0d1e2f3a4b5c6d7e8f"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type received struct {
	method, path string
	header       http.Header
	body         []byte
}

type recorder struct {
	mu     sync.Mutex
	got    []received
	status int
	body   string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, received{r.Method, r.URL.Path, r.Header.Clone(), b})
	status, body := rc.status, rc.body
	rc.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (rc *recorder) last(t *testing.T) received {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) == 0 {
		t.Fatal("the server received nothing")
	}
	return rc.got[len(rc.got)-1]
}

var firing = []Alert{{Labels: map[string]string{"alertname": "x"}}}

func TestPostSendsV2JSON(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c, err := New(Config{URL: srv.URL + "/", BearerTokenFile: writeFile(t, "tok", testToken), Headers: map[string]string{"X-Scope-OrgID": "t1"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 30, 23, 0, 0, 500_000_000, time.FixedZone("X", 3600))
	alerts := []Alert{
		{
			Labels:       map[string]string{"alertname": "CPUHigh", "agent_id": "a1", "host": "hôte"},
			Annotations:  map[string]string{"summary": "cpu > 90%"},
			StartsAt:     start,
			EndsAt:       start.Add(3 * time.Minute),
			GeneratorURL: "http://127.0.0.1/x",
		},
		{Labels: map[string]string{"alertname": "Bare"}},
	}
	if err := c.Post(context.Background(), alerts); err != nil {
		t.Fatal(err)
	}
	rv := rc.last(t)
	if rv.method != http.MethodPost || rv.path != "/api/v2/alerts" {
		t.Errorf("request %s %s, want POST /api/v2/alerts", rv.method, rv.path)
	}
	for k, v := range map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    "virgo-top/" + version.Version,
		"Authorization": "Bearer " + testToken,
		"X-Scope-Orgid": "t1",
	} {
		if got := rv.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	const want = `[{"labels":{"agent_id":"a1","alertname":"CPUHigh","host":"hôte"},"annotations":{"summary":"cpu \u003e 90%"},` +
		`"startsAt":"2026-11-30T22:00:00.5Z","endsAt":"2026-11-30T22:03:00.5Z","generatorURL":"http://127.0.0.1/x"},` +
		`{"labels":{"alertname":"Bare"}}]`
	if string(rv.body) != want {
		t.Errorf("body\n%s\nwant\n%s", rv.body, want)
	}
	var back []map[string]any
	if err := json.Unmarshal(rv.body, &back); err != nil {
		t.Fatal(err)
	}
	if err := c.Post(context.Background(), nil); err != nil || len(rc.got) != 1 {
		t.Errorf("posting no alerts: %v, %d requests", err, len(rc.got))
	}
}

func TestPostStatus(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		wantErr   bool
		permanent bool
		wantBody  string
	}{
		{200, "", false, false, ""},
		{400, `{"code":400,"message":"bad"}` + "\n", true, true, `{"code":400,"message":"bad"}`},
		{404, "", true, true, ""},
		{429, "", true, false, ""},
		{500, "x", true, false, "x"},
		{503, strings.Repeat("y", 2000), true, false, strings.Repeat("y", 512)},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(&recorder{status: tt.status, body: tt.body})
			defer srv.Close()
			c, err := New(Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Post(context.Background(), firing)
			if (err != nil) != tt.wantErr || IsPermanent(err) != tt.permanent {
				t.Fatalf("err = %v (permanent %v), want error %v permanent %v", err, IsPermanent(err), tt.wantErr, tt.permanent)
			}
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.Status != tt.status || e.Body != tt.wantBody) {
				t.Errorf("err = %#v, want status %d body %q", err, tt.status, tt.wantBody)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "alertmanager refused") {
				t.Errorf("err = %q: does not name Alertmanager", err)
			}
		})
	}
}

func TestPostDownAndTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close()
	c, err := New(Config{URL: down})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Post(context.Background(), firing); err == nil || IsPermanent(err) {
		t.Errorf("down: err = %v, want retryable", err)
	}

	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err = New(Config{URL: srv.URL, Timeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Post(context.Background(), firing); !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Errorf("slow: err = %v, want a retryable deadline error", err)
	}
}

func TestSecrets(t *testing.T) {
	audit := secretaudit.New(
		secretaudit.Secret{Name: "token", Value: testToken},
		secretaudit.Secret{Name: "token2", Value: testToken2},
		secretaudit.Secret{Name: "password", Value: testPassword, User: "bob"},
	)
	var errs []string
	for _, cfg := range []Config{
		{URL: "http://bob:" + testPassword + "@127.0.0.1:1"},
		{URL: "http://127.0.0.1:1", Headers: map[string]string{"Authorization": "Bearer " + testToken}},
		{URL: "http://127.0.0.1:1?api_key=" + testToken},
		{URL: "http://127.0.0.1:1", BearerTokenFile: writeFile(t, "empty", "")},
		{URL: "http://127.0.0.1:1", BasicAuthUser: "bob"},
	} {
		_, err := New(cfg)
		if err == nil {
			t.Fatalf("New(%+v) succeeded", cfg)
		}
		errs = append(errs, err.Error())
	}

	rc := &recorder{status: 401}
	srv := httptest.NewServer(rc)
	tok := writeFile(t, "tok", testToken)
	c, err := New(Config{URL: srv.URL, BearerTokenFile: tok})
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, fmt.Sprint(c.Post(context.Background(), firing)))
	if err := os.WriteFile(tok, []byte(testToken2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	errs = append(errs, fmt.Sprint(c.Post(context.Background(), firing)))
	if got := rc.last(t).header.Get("Authorization"); got != "Bearer "+testToken2 {
		t.Errorf("after Reload, Authorization = %q", got)
	}
	cb, err := New(Config{URL: srv.URL, BasicAuthUser: "bob", BasicAuthPasswordFile: writeFile(t, "pw", testPassword)})
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, fmt.Sprint(cb.Post(context.Background(), firing)))
	if u, p, ok := (&http.Request{Header: rc.last(t).header}).BasicAuth(); !ok || u != "bob" || p != testPassword {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	srv.Close()
	errs = append(errs, fmt.Sprint(c.Post(context.Background(), firing)), fmt.Sprint(cb.Post(context.Background(), firing)))
	audit.Check(t, "errors", []byte(strings.Join(errs, "\n")))
}

// TestAlertmanager posts to Debian's prometheus-alertmanager: a firing
// alert shows in its API with its labels; posted again resolved it is no
// longer there; a malformed alert is refused for good.
func TestAlertmanager(t *testing.T) {
	base := enginetest.StartAlertmanager(t)
	c, err := New(Config{URL: base, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a := Alert{
		Labels:       map[string]string{"alertname": "virgo_alarm", "agent_id": "agent-1", "check_id": "chCPU", "alarm_id": "alCPU", "host": "hôte-日本"},
		Annotations:  map[string]string{"summary": "CPU usage is 97%"},
		StartsAt:     now.Add(-time.Minute),
		EndsAt:       now.Add(3 * time.Minute),
		GeneratorURL: "http://127.0.0.1/agents/agent-1",
	}
	if err := c.Post(context.Background(), []Alert{a}); err != nil {
		t.Fatal(err)
	}
	got := enginetest.Alerts(t, base, `alertname="virgo_alarm"`)
	if len(got) != 1 {
		t.Fatalf("Alertmanager has %d alerts, want 1: %+v", len(got), got)
	}
	for k, v := range a.Labels {
		if got[0].Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, got[0].Labels[k], v)
		}
	}
	if got[0].Annotations["summary"] != "CPU usage is 97%" || got[0].Status.State != "active" {
		t.Errorf("alert %+v", got[0])
	}
	if !got[0].StartsAt.Equal(a.StartsAt.Truncate(time.Millisecond)) && !got[0].StartsAt.Equal(a.StartsAt) {
		t.Errorf("startsAt %v, want %v", got[0].StartsAt, a.StartsAt)
	}

	a.EndsAt = time.Now()
	if err := c.Post(context.Background(), []Alert{a}); err != nil {
		t.Fatal(err)
	}
	if got := enginetest.Alerts(t, base, `alertname="virgo_alarm"`); len(got) != 0 {
		t.Errorf("resolved alert still listed: %+v", got)
	}

	for name, bad := range map[string]Alert{
		"no labels":             {},
		"bad label name":        {Labels: map[string]string{"bad-name!": "x"}},
		"ends before it starts": {Labels: map[string]string{"alertname": "x"}, StartsAt: now, EndsAt: now.Add(-time.Hour)},
	} {
		err := c.Post(context.Background(), []Alert{bad})
		if !IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}
