package fleet

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const okVector = `{"status":"success","data":{"resultType":"vector","result":[]}}`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClientRequests(t *testing.T) {
	var got *http.Request
	var form string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got, form = r, r.Form.Encode()
		w.Write([]byte(okVector))
	}))
	defer srv.Close()
	tests := []struct {
		name     string
		cfg      Config
		wantAuth string
	}{
		{"none", Config{}, ""},
		{"bearer", Config{BearerTokenFile: writeFile(t, "tok", " s3cr3t-token\n")}, "Bearer s3cr3t-token"},
		{"basic", Config{BasicAuthUser: "ops", BasicAuthPasswordFile: writeFile(t, "pw", "pa55\n")}, "Basic b3BzOnBhNTU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.URL = srv.URL + "/prefix/"
			tt.cfg.Headers = http.Header{"X-Scope-Orgid": {"tenant-1"}}
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Unix(1796079673, 333e6)
			if _, err := c.Query(context.Background(), `up{host!=""}`, at); err != nil {
				t.Fatal(err)
			}
			if got.URL.Path != "/prefix/api/v1/query" || got.Method != http.MethodPost {
				t.Errorf("%s %s", got.Method, got.URL.Path)
			}
			if a := got.Header.Get("Authorization"); a != tt.wantAuth {
				t.Errorf("Authorization %q, want %q", a, tt.wantAuth)
			}
			if got.Header.Get("X-Scope-OrgID") != "tenant-1" {
				t.Errorf("headers %v", got.Header)
			}
			if form != "query=up%7Bhost%21%3D%22%22%7D&time=1796079673.333" {
				t.Errorf("form %s", form)
			}
			if strings.Contains(c.String(), "s3cr3t") || strings.Contains(c.String(), "pa55") {
				t.Errorf("String() shows a secret: %s", c)
			}
		})
	}
	c, _ := New(Config{URL: srv.URL})
	if _, err := c.QueryRange(context.Background(), "x", time.Unix(100, 0), time.Unix(200, 0), 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if form != "end=200.000&query=x&start=100.000&step=15" || got.URL.Path != "/api/v1/query_range" {
		t.Errorf("range form %s %s", form, got.URL.Path)
	}
}

func TestNewRefuses(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no scheme", Config{URL: "127.0.0.1:9090"}, "want http"},
		{"ftp", Config{URL: "ftp://x"}, "want http"},
		{"credentials in URL", Config{URL: "http://u:hunter2@x"}, "credentials go in"},
		{"missing token", Config{URL: "http://x", BearerTokenFile: "/nonexistent/tok"}, "engine bearer token"},
		{"two-line token", Config{URL: "http://x", BearerTokenFile: writeFile(t, "two", "hunter2\nhunter2\n")}, "more than one line"},
		{"empty token", Config{URL: "http://x", BearerTokenFile: writeFile(t, "e", "\n")}, "empty"},
		{"both", Config{URL: "http://x", BearerTokenFile: "a", BasicAuthUser: "u"}, "exclusive"},
		{"password without user", Config{URL: "http://x", BasicAuthPasswordFile: "a"}, "both a user and a password file"},
		{"user without password", Config{URL: "http://x", BasicAuthUser: "u"}, "both a user and a password file"},
		{"Authorization header", Config{URL: "http://x", Headers: http.Header{"Authorization": {"Basic hunter2"}}}, "engine headers: the Authorization header"},
		{"header with a line break", Config{URL: "http://x", Headers: http.Header{"X-Scope-OrgID": {"a\r\nX-Evil: hunter2"}}}, "line break"},
		{"bad CA", Config{URL: "https://x", CAFile: writeFile(t, "ca", "junk")}, "no PEM"},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error shows the password", tt.name)
		}
	}
}

func TestClientCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(okVector))
	}))
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	c, err := New(Config{URL: srv.URL, CAFile: writeFile(t, "ca.pem", string(ca))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(context.Background(), "up", time.Time{}); err != nil {
		t.Fatalf("with the CA: %v", err)
	}
	c2, _ := New(Config{URL: srv.URL})
	if _, err := c2.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: %v", err)
	}
}

func TestClientTimeoutAndDown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c, _ := New(Config{URL: srv.URL, Timeout: 50 * time.Millisecond})
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("slow engine: %v", err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close()
	c, _ = New(Config{URL: url})
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("engine down: %v", err)
	}
}

func TestBuildInfo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/status/buildinfo" {
			w.WriteHeader(404)
			w.Write([]byte(`404 page not found`))
			return
		}
		w.Write([]byte(`{"status":"success","data":{"version":"2.42.0","revision":"r","goVersion":"go1.19"}}`))
	}))
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL})
	bi, err := c.BuildInfo(context.Background())
	if err != nil || bi.Version != "2.42.0" {
		t.Fatalf("%+v %v", bi, err)
	}
	c, _ = New(Config{URL: srv.URL + "/other"})
	if _, err := c.BuildInfo(context.Background()); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("unknown engine: %v", err)
	}
}
