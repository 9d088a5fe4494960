package httpauth_test

import (
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/virgo-top/virgo-top/internal/httpauth"
	"github.com/virgo-top/virgo-top/internal/secretaudit"
)

const (
	testToken    = "tok-7f3a9c1e5b2d4680aa"
	testToken2   = "tok-second-91c4e7b2d05f"
	testPassword = "pw-c0ffee-5eCr3t-42"
)

var audit = secretaudit.New(
	secretaudit.Secret{Name: "token", Value: testToken},
	secretaudit.Secret{Name: "token2", Value: testToken2},
	secretaudit.Secret{Name: "password", Value: testPassword, User: "u"},
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNewRefuses: every refusal says why, and no error holds a secret.
func TestNewRefuses(t *testing.T) {
	tok := writeFile(t, "token", testToken)
	pw := writeFile(t, "pw", testPassword)
	empty := writeFile(t, "empty", " \n")
	twoLines := writeFile(t, "two", testToken+"\n"+testToken2+"\n")
	nul := writeFile(t, "nul", testToken+"\x00"+testToken2)
	huge := writeFile(t, "huge", testToken+strings.Repeat("x", httpauth.MaxSecret))
	notPEM := writeFile(t, "ca.pem", "not a certificate "+testToken)
	tests := []struct {
		name string
		cfg  httpauth.Config
		want string
	}{
		{"Authorization header", httpauth.Config{Headers: http.Header{"authorization": {"Bearer " + testToken}}}, "Authorization header comes from"},
		{"header value with a line break", httpauth.Config{Headers: http.Header{"X-Scope-OrgID": {"a\nb" + testToken}}}, "line break"},
		{"header value with NUL", httpauth.Config{Headers: http.Header{"X-Scope-OrgID": {"a\x00b"}}}, "NUL"},
		{"header name with a space", httpauth.Config{Headers: http.Header{"X Org": {"a"}}}, "not a header name"},
		{"header name with a colon", httpauth.Config{Headers: http.Header{"X-Org:": {"a"}}}, "not a header name"},
		{"empty header name", httpauth.Config{Headers: http.Header{"": {"a"}}}, "not a header name"},
		{"bearer and basic", httpauth.Config{BearerTokenFile: tok, BasicAuthUser: "u", BasicAuthPasswordFile: pw}, "exclusive"},
		{"bearer and user", httpauth.Config{BearerTokenFile: tok, BasicAuthUser: "u"}, "exclusive"},
		{"user without password", httpauth.Config{BasicAuthUser: "u"}, "both a user and a password file"},
		{"password without user", httpauth.Config{BasicAuthPasswordFile: pw}, "both a user and a password file"},
		{"missing token file", httpauth.Config{BearerTokenFile: tok + ".missing"}, "bearer token: open"},
		{"empty token file", httpauth.Config{BearerTokenFile: empty}, "is empty"},
		{"two-line token file", httpauth.Config{BearerTokenFile: twoLines}, "more than one line"},
		{"token file with NUL", httpauth.Config{BearerTokenFile: nul}, "more than one line"},
		{"huge token file", httpauth.Config{BearerTokenFile: huge}, "larger than 64 KiB"},
		{"two-line password file", httpauth.Config{BasicAuthUser: "u", BasicAuthPasswordFile: twoLines}, "basic auth password"},
		{"missing CA", httpauth.Config{CAFile: notPEM + ".missing"}, "CA file: open"},
		{"CA not PEM", httpauth.Config{CAFile: notPEM}, "no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.What = "engine"
			_, err := httpauth.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "engine") {
				t.Fatalf("New = %v, want an error starting engine and containing %q", err, tt.want)
			}
			audit.Check(t, "New's error", []byte(err.Error()))
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		raw, want string // want: a part of the error, or "" for none
	}{
		{"http://127.0.0.1:9090", ""},
		{"https://engine.example/prefix/api/v1/write?api_key=k", ""},
		{"", "want http"},
		{"127.0.0.1:9090", "not a URL"},
		{"ftp://x/y", "want http"},
		{"http:///api/v1/write", "host"},
		{"http://u:" + testPassword + "@127.0.0.1:1/w?api_key=" + testToken, "credentials go in"},
		{"http://" + testToken + "@127.0.0.1:1/w", "credentials go in"},
		{"http://u:" + testPassword + "@bad host/%zz", "not a URL"},
	}
	for _, tt := range tests {
		_, err := httpauth.ParseURL("remote write", tt.raw)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("ParseURL(%q) = %v", tt.raw, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("ParseURL(%q) = %v, want an error containing %q", tt.raw, err, tt.want)
		case err != nil:
			audit.Check(t, "ParseURL's error", []byte(err.Error()))
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"http://127.0.0.1:9090", "http://127.0.0.1:9090"},
		{"https://u:" + testPassword + "@h:1/p/api/v1/write", "https://h:1/p/api/v1/write"},
		{"https://" + testToken + "@h/p", "https://h/p"},
		{"http://h/p?api_key=" + testToken + "&x=1", "http://h/p"},
		{"http://h/p?", "http://h/p"},
		{"http://h/p#" + testToken, "http://h/p"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := httpauth.Redact(u); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.raw, got, tt.want)
		}
		if u.String() != tt.raw {
			t.Errorf("Redact changed its argument: %q", u)
		}
	}
}

func TestReadSecret(t *testing.T) {
	tests := []struct{ content, want, err string }{
		{testToken, testToken, ""},
		{"  " + testToken + " \r\n", testToken, ""},
		{strings.Repeat("a", httpauth.MaxSecret), strings.Repeat("a", httpauth.MaxSecret), ""},
		{"", "", "is empty"},
		{"\n\t ", "", "is empty"},
		{testToken + "\r" + testToken2, "", "more than one line"},
		{strings.Repeat("a", httpauth.MaxSecret+1), "", "larger than"},
	}
	for i, tt := range tests {
		got, err := httpauth.ReadSecret(writeFile(t, fmt.Sprint("s", i), tt.content))
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%d: ReadSecret = %.20q, %v; want %.20q, %q", i, got, err, tt.want, tt.err)
		}
		if err != nil {
			audit.Check(t, "ReadSecret's error", []byte(err.Error()))
		}
	}
}

// TestDo: headers, credentials and User-Agent-like headers the request
// set itself win over the configured ones; Authorization is always ours.
func TestDo(t *testing.T) {
	var (
		mu  sync.Mutex
		got http.Header
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	defer srv.Close()
	lower := strings.ToLower("X-Scope-OrgID") // as a caller may spell it
	headers := http.Header{lower: {"tenant-1"}, "X-Multi": {"a", "b"}, "Content-Type": {"text/plain"}}
	tests := []struct {
		name     string
		cfg      httpauth.Config
		wantAuth string
	}{
		{"none", httpauth.Config{}, ""},
		{"bearer", httpauth.Config{BearerTokenFile: writeFile(t, "tok", " "+testToken+"\n")}, "Bearer " + testToken},
		{"basic", httpauth.Config{BasicAuthUser: "ops", BasicAuthPasswordFile: writeFile(t, "pw", "pa55\n")}, "Basic b3BzOnBhNTU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Headers = headers
			a, err := httpauth.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			req.Header.Set("Content-Type", "application/x-protobuf")
			req.Header.Set("Authorization", "Bearer forged")
			resp, err := a.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			want := tt.wantAuth
			if want == "" {
				want = "Bearer forged" // no credentials configured: the request's own
			}
			if a := got.Get("Authorization"); a != want {
				t.Errorf("Authorization %q, want %q", a, want)
			}
			if got.Get("X-Scope-OrgID") != "tenant-1" || strings.Join(got["X-Multi"], ",") != "a,b" || got.Get("Content-Type") != "application/x-protobuf" {
				t.Errorf("headers %v", got)
			}
		})
	}
	if headers.Get("X-Scope-Orgid") != "" || len(headers[lower]) != 1 {
		t.Errorf("New changed the caller's headers: %v", headers)
	}
}

// TestCA: with the server's CA the client talks https, after a Reload too;
// without it the handshake fails.
func TestCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ca := writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	tests := []struct {
		name    string
		cfg     httpauth.Config
		wantErr string
	}{
		{"with the CA", httpauth.Config{CAFile: ca}, ""},
		{"with the CA, direct", httpauth.Config{CAFile: ca, Direct: true}, ""},
		{"system roots", httpauth.Config{}, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := httpauth.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				resp, err := a.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				if (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("round %d: %v, want %q", round, err, tt.wantErr)
				}
				if err := a.Reload(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestReload: a new token is picked up; a bad file leaves the previous
// one in use, and the error names the file, not its content.
func TestReload(t *testing.T) {
	var (
		mu   sync.Mutex
		auth string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = r.Header.Get("Authorization")
		mu.Unlock()
	}))
	defer srv.Close()
	tokFile := writeFile(t, "token", testToken)
	a, err := httpauth.New(httpauth.Config{What: "remote write", BearerTokenFile: tokFile})
	if err != nil {
		t.Fatal(err)
	}
	send := func() string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		resp, err := a.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		mu.Lock()
		defer mu.Unlock()
		return auth
	}
	steps := []struct {
		content, wantErr, wantAuth string
	}{
		{testToken2 + "\n", "", "Bearer " + testToken2},
		{"", "is empty", "Bearer " + testToken2},
		{testToken + "\n" + testToken2, "more than one line", "Bearer " + testToken2},
		{testToken, "", "Bearer " + testToken},
	}
	for i, st := range steps {
		if err := os.WriteFile(tokFile, []byte(st.content), 0o600); err != nil {
			t.Fatal(err)
		}
		err := a.Reload()
		if (err == nil) != (st.wantErr == "") || err != nil && !strings.Contains(err.Error(), st.wantErr) {
			t.Errorf("step %d: Reload = %v, want %q", i, err, st.wantErr)
		}
		if err != nil {
			audit.Check(t, "Reload's error", []byte(err.Error()))
		}
		if got := send(); got != st.wantAuth {
			t.Errorf("step %d: Authorization %q, want %q", i, got, st.wantAuth)
		}
	}
}
