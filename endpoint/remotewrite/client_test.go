package remotewrite

import (
	"context"
	"encoding/pem"
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
	"sync/atomic"
	"testing"

	"github.com/golang/snappy"
	"github.com/prometheus/prometheus/prompb"

	"github.com/virgo-top/virgo-top/internal/secretaudit"
	"github.com/virgo-top/virgo-top/internal/version"
)

const (
	testToken    = "tok-3f9a1c7e5b2d8046aa" // 16+ characters: secretaudit's minimum
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

// received is one request as a test server saw it.
type received struct {
	header http.Header
	req    *prompb.WriteRequest
	err    error
}

// recorder is a remote-write receiver answering status and body, keeping
// what it received.
type recorder struct {
	mu     sync.Mutex
	got    []received
	status int
	body   string
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var rv received
	rv.header = r.Header.Clone()
	b, err := io.ReadAll(r.Body)
	if err == nil {
		b, err = snappy.Decode(nil, b)
	}
	if err == nil {
		rv.req = &prompb.WriteRequest{}
		err = rv.req.Unmarshal(b)
	}
	rv.err = err
	rc.mu.Lock()
	rc.got = append(rc.got, rv)
	status, body := rc.status, rc.body
	rc.mu.Unlock()
	if status == 0 {
		status = http.StatusNoContent
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

var oneSeries = []Series{{Labels: []Label{{"job", "x"}, {"__name__", "up"}}, Samples: []Sample{{1, 1700000000000}}}}

func TestWriteSendsRemoteWrite(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	c, err := New(Config{
		URL:             srv.URL + "/api/v1/write",
		BearerTokenFile: writeFile(t, "token", testToken+"\n"),
		Headers:         map[string]string{"X-Scope-OrgID": "tenant-1", "User-Agent": "not ours"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(context.Background(), manySeries(100)); err != nil {
		t.Fatal(err)
	}
	rv := rc.last(t)
	if rv.err != nil {
		t.Fatal(rv.err)
	}
	for k, v := range map[string]string{
		"Content-Encoding":                  "snappy",
		"Content-Type":                      "application/x-protobuf",
		"X-Prometheus-Remote-Write-Version": "0.1.0",
		"User-Agent":                        "virgo-top/" + version.Version,
		"X-Scope-Orgid":                     "tenant-1",
		"Authorization":                     "Bearer " + testToken,
	} {
		if got := rv.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if msg := sameRequest(rv.req, want(manySeries(100))); msg != "" {
		t.Error(msg)
	}
	// No series, no request.
	if err := c.Write(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(rc.got) != 1 {
		t.Errorf("writing no series sent a request")
	}
}

func TestWriteStatus(t *testing.T) {
	long := "x" + strings.Repeat("é", 400) // 801 bytes: cut inside a rune at 512
	tests := []struct {
		status    int
		body      string
		wantErr   bool
		permanent bool
		wantBody  string
	}{
		{200, "", false, false, ""},
		{204, "", false, false, ""},
		{400, "out of order sample\n", true, true, "out of order sample"},
		{401, "unauthorized", true, true, "unauthorized"},
		{404, "", true, true, ""},
		{413, "too big", true, true, "too big"},
		{429, "slow down", true, false, "slow down"},
		{500, "boom", true, false, "boom"},
		{503, "unavailable", true, false, "unavailable"},
		{400, long, true, true, "x" + strings.Repeat("é", 255)},
		{400, "line1\nline2\x1b[31m\x00", true, true, "line1 line2 [31m"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %.10s", tt.status, tt.body), func(t *testing.T) {
			rc := &recorder{status: tt.status, body: tt.body}
			srv := httptest.NewServer(rc)
			defer srv.Close()
			c, err := New(Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Write(context.Background(), oneSeries)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, IsPermanent(err), tt.permanent)
			}
			if err == nil {
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T is not an *Error", err)
			}
			if e.Status != tt.status || e.Body != tt.wantBody || len(e.Body) > maxErrorBody {
				t.Errorf("Error = %d %q, want %d %q", e.Status, e.Body, tt.status, tt.wantBody)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(tt.status)) {
				t.Errorf("Error() = %q names no status", err)
			}
		})
	}
}

func TestIsPermanent(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("x"), false},
		{context.DeadlineExceeded, false},
		{&Error{Status: 400, Permanent: true}, true},
		{fmt.Errorf("wrapped: %w", &Error{Status: 400, Permanent: true}), true},
		{&Error{Status: 429}, false},
	}
	for _, tt := range tests {
		if got := IsPermanent(tt.err); got != tt.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestWriteEngineDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String() + "/api/v1/write"
	l.Close() // nobody listens there now
	c, err := New(Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Write(context.Background(), oneSeries)
	if err == nil || IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable error", err)
	}
	var e *Error
	if errors.As(err, &e) {
		t.Errorf("a transport error is an *Error: %v", err)
	}
}

// TestWriteTimeout: an engine that does not answer makes Write return
// after Timeout with a retryable error wrapping context.DeadlineExceeded.
func TestWriteTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Config{URL: srv.URL, Timeout: 1}) // 1ns: expires at once
	if err != nil {
		t.Fatal(err)
	}
	err = c.Write(context.Background(), oneSeries)
	if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable deadline error", err)
	}
	// The caller's own context bounds it as well.
	c, err = New(Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Write(ctx, oneSeries); !errors.Is(err, context.Canceled) || IsPermanent(err) {
		t.Fatalf("err = %v, want a retryable cancellation", err)
	}
}

// TestNewRefuses: New passes its Config to internal/httpauth, whose tests
// hold every refusal; these say each field gets there, under "remote
// write".
func TestNewRefuses(t *testing.T) {
	tok := writeFile(t, "token", testToken)
	twoLines := writeFile(t, "two", testToken+"\n"+testToken2+"\n")
	notPEM := writeFile(t, "ca.pem", "not a certificate")
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no URL", Config{}, "remote write URL"},
		{"bad scheme", Config{URL: "ftp://x/y"}, "http"},
		{"no host", Config{URL: "http:///api/v1/write"}, "host"},
		{"credentials in URL", Config{URL: "http://u:" + testPassword + "@127.0.0.1:1/w"}, "credentials"},
		{"Authorization header", Config{URL: "http://127.0.0.1:1/w", Headers: map[string]string{"authorization": "Bearer " + testToken}}, "remote write headers: the Authorization header"},
		{"bearer and basic", Config{URL: "http://127.0.0.1:1/w", BearerTokenFile: tok, BasicAuthUser: "u", BasicAuthPasswordFile: tok}, "exclusive"},
		{"two-line token file", Config{URL: "http://127.0.0.1:1/w", BearerTokenFile: twoLines}, "remote write bearer token: file " + twoLines + " has more than one line"},
		{"two-line password file", Config{URL: "http://127.0.0.1:1/w", BasicAuthUser: "u", BasicAuthPasswordFile: twoLines}, "remote write basic auth password"},
		{"CA not PEM", Config{URL: "https://127.0.0.1:1/w", CAFile: notPEM}, "remote write CA file " + notPEM + ": no PEM"},
	}
	audit := secretaudit.New(
		secretaudit.Secret{Name: "token", Value: testToken},
		secretaudit.Secret{Name: "token2", Value: testToken2},
		secretaudit.Secret{Name: "password", Value: testPassword, User: "u"},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
			audit.Check(t, "New's error", []byte(err.Error()))
		})
	}
}

// TestSecretsOnlyOnTheWire: the token and password reach the server, and
// no error a client returns (refusals, transport errors, bad reloads)
// holds them; Reload picks up a new token and keeps the old one when the
// file went bad.
func TestSecretsOnlyOnTheWire(t *testing.T) {
	audit := secretaudit.New(
		secretaudit.Secret{Name: "token", Value: testToken},
		secretaudit.Secret{Name: "token2", Value: testToken2},
		secretaudit.Secret{Name: "password", Value: testPassword, User: "alice"},
	)
	// The server echoes the request's headers in a 401, as a careless
	// proxy might: the body is the engine's, so it is out of scope, but
	// our own wording must hold nothing secret.
	rc := &recorder{status: 401, body: "denied"}
	srv := httptest.NewServer(rc)
	defer srv.Close()

	tokFile := writeFile(t, "token", testToken)
	c, err := New(Config{URL: srv.URL, BearerTokenFile: tokFile})
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	err = c.Write(context.Background(), oneSeries)
	errs = append(errs, fmt.Sprint(err))
	if got := rc.last(t).header.Get("Authorization"); got != "Bearer "+testToken {
		t.Errorf("Authorization = %q", got)
	}
	if err := os.WriteFile(tokFile, []byte(testToken2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	errs = append(errs, fmt.Sprint(c.Write(context.Background(), oneSeries)))
	if got := rc.last(t).header.Get("Authorization"); got != "Bearer "+testToken2 {
		t.Errorf("after Reload, Authorization = %q", got)
	}
	if err := os.WriteFile(tokFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err = c.Reload()
	if err == nil {
		t.Fatal("Reload of an empty token file succeeded")
	}
	errs = append(errs, err.Error())
	errs = append(errs, fmt.Sprint(c.Write(context.Background(), oneSeries)))
	if got := rc.last(t).header.Get("Authorization"); got != "Bearer "+testToken2 {
		t.Errorf("after a failed Reload, Authorization = %q, want the previous token", got)
	}

	cb, err := New(Config{URL: srv.URL, BasicAuthUser: "alice", BasicAuthPasswordFile: writeFile(t, "pw", testPassword+"\n")})
	if err != nil {
		t.Fatal(err)
	}
	errs = append(errs, fmt.Sprint(cb.Write(context.Background(), oneSeries)))
	if u, p, ok := (&http.Request{Header: rc.last(t).header}).BasicAuth(); !ok || u != "alice" || p != testPassword {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	// A key in the URL's query (some hosted engines take one there).
	cq, err := New(Config{URL: srv.URL + "/api/v1/write?api_key=" + testToken})
	if err != nil {
		t.Fatal(err)
	}
	srv.Close() // now a transport error
	errs = append(errs, fmt.Sprint(c.Write(context.Background(), oneSeries)), fmt.Sprint(cb.Write(context.Background(), oneSeries)),
		fmt.Sprint(cq.Write(context.Background(), oneSeries)))
	_, err = New(Config{URL: "http://u:" + testPassword + "@127.0.0.1:1/w?api_key=" + testToken})
	errs = append(errs, fmt.Sprint(err))
	audit.Check(t, "errors", []byte(strings.Join(errs, "\n")))
}

// TestCAFile: with the server's CA the client talks https; without it the
// handshake fails, retryably.
func TestCAFile(t *testing.T) {
	rc := &recorder{}
	srv := httptest.NewTLSServer(rc)
	defer srv.Close()
	ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	c, err := New(Config{URL: srv.URL, CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(context.Background(), oneSeries); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(context.Background(), oneSeries); err != nil {
		t.Fatalf("after Reload: %v", err)
	}
	c, err = New(Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(context.Background(), oneSeries); err == nil || IsPermanent(err) {
		t.Fatalf("without the CA: err = %v, want a retryable error", err)
	}
}

// TestConcurrentWriteAndReload is for the race detector.
func TestConcurrentWriteAndReload(t *testing.T) {
	srv := httptest.NewServer(&recorder{})
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, BearerTokenFile: writeFile(t, "token", testToken)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if err := c.Write(context.Background(), manySeries(10)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for j := 0; j < 20; j++ {
		if err := c.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

// TestConcurrentWritesReuseConnections: writes from several goroutines at
// once (the endpoint's senders) keep their connections between requests
// instead of dialling the engine again for each one.
func TestConcurrentWritesReuseConnections(t *testing.T) {
	const parallel, rounds = 6, 10
	var dialled atomic.Int32
	arrived := make(chan struct{}, parallel)
	release := make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-release // every request of a round is in flight at once
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dialled.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	for range rounds {
		errs := make(chan error, parallel)
		for range parallel {
			go func() { errs <- c.Write(context.Background(), oneSeries) }()
		}
		for range parallel {
			<-arrived
		}
		for range parallel {
			release <- struct{}{}
		}
		for range parallel {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	// A connection goes back to the pool just after its Write returns,
	// so a round may dial one the previous round was about to free: some
	// slack, far from the one connection per write beyond 2 of before.
	if n := dialled.Load(); n > 2*parallel {
		t.Fatalf("%d connections for %d rounds of %d concurrent writes, want at most %d", n, rounds, parallel, 2*parallel)
	}
}

// lateReader is a transport that answers at once and reads the request
// body only later, as net/http's may: it still writes a body after Do has
// returned when the engine answered early (a 400 before the upload ended).
type lateReader struct{ bodies []io.ReadCloser }

func (l *lateReader) RoundTrip(r *http.Request) (*http.Response, error) {
	l.bodies = append(l.bodies, r.Body)
	return &http.Response{StatusCode: http.StatusBadRequest, Body: io.NopCloser(strings.NewReader("out of order")), Header: http.Header{}}, nil
}

// TestBodyOutlivesWrite: the request body handed to the transport stays
// intact after Write returns, though the next Write reuses the encoder's
// buffers (the body used to go back to the pool when Write returned).
func TestBodyOutlivesWrite(t *testing.T) {
	c, err := New(Config{URL: "http://127.0.0.1:1/api/v1/write"})
	if err != nil {
		t.Fatal(err)
	}
	lr := &lateReader{}
	c.p.auth.Client().Transport = lr
	first := []Series{{Labels: []Label{{"__name__", "first"}}, Samples: []Sample{{1, 1700000000000}}}}
	second := []Series{{Labels: []Label{{"__name__", "second_series_with_a_longer_name"}}, Samples: []Sample{{2, 1700000000001}}}}
	for _, s := range [][]Series{first, second} {
		if err := c.Write(context.Background(), s); !IsPermanent(err) {
			t.Fatalf("Write: %v, want the 400", err)
		}
	}
	b, err := io.ReadAll(lr.bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if b, err = snappy.Decode(nil, b); err != nil {
		t.Fatalf("first body after the second Write: %v", err)
	}
	var req prompb.WriteRequest
	if err := req.Unmarshal(b); err != nil {
		t.Fatalf("first body after the second Write: %v", err)
	}
	if len(req.Timeseries) != 1 || req.Timeseries[0].Labels[0].Value != "first" {
		t.Errorf("first body after the second Write: %v", req.Timeseries)
	}
}
