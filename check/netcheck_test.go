package check

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// certExpiringAt makes a self-signed certificate for 127.0.0.1 that
// expires at notAfter.
func certExpiringAt(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    notAfter.Add(-365 * 24 * time.Hour),
		NotAfter:     notAfter,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// checkMetrics compares metrics by name, type and unit, and by value except
// for names in timed, whose values must be non-negative numbers.
func checkMetrics(t *testing.T, got []Metric, want []Metric, timed ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("metrics:\n got %v\nwant %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		isTimed := false
		for _, n := range timed {
			isTimed = isTimed || n == w.Name
		}
		if isTimed {
			v, ok := g.Float()
			if g.Name != w.Name || g.Type != w.Type || g.Unit != w.Unit || !ok || v < 0 {
				t.Errorf("metric %d = %+v, want %s %s %s >= 0", i, g, w.Name, w.Type, w.Unit)
			}
			continue
		}
		if g != w {
			t.Errorf("metric %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestTCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprint(c, "SSH-2.0-OpenSSH_9.6\r\nmore\n")
			c.Close()
		}
	}()
	port := float64(ln.Addr().(*net.TCPAddr).Port)

	tlsLn, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{certExpiringAt(t, t0.Add(3*24*time.Hour))}})
	if err != nil {
		t.Fatal(err)
	}
	defer tlsLn.Close()
	go func() {
		for {
			c, err := tlsLn.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	tlsPort := tlsLn.Addr().(*net.TCPAddr).Port

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	r := runAt(t, &fakeEnv{}, Def{ID: "t", Type: TypeTCP, Period: 30 * time.Second,
		Details: map[string]any{"host": "127.0.0.1", "port": port, "banner": `^SSH-2\.0-`}})
	if !r.Available || r.Status != fmt.Sprintf("Connected to 127.0.0.1:%d", int(port)) {
		t.Fatalf("banner: %v %q", r.Available, r.Status)
	}
	checkMetrics(t, r.Metrics, []Metric{
		m("connect_time_ms", "double", "", "milliseconds"),
		m("banner_match", "string", "true", ""),
		m("banner", "string", "SSH-2.0-OpenSSH_9.6", ""),
	}, "connect_time_ms")

	r = runAt(t, &fakeEnv{}, Def{ID: "t", Type: TypeTCP, Period: 30 * time.Second,
		Details: map[string]any{"port": fmt.Sprint(tlsPort), "tls": true, "insecure": "true"}})
	if !r.Available {
		t.Fatalf("tls: %q", r.Status)
	}
	checkMetrics(t, r.Metrics, []Metric{m("connect_time_ms", "double", "", "milliseconds"), m("tls_days_left", "double", "3", "days")}, "connect_time_ms")

	r = runAt(t, &fakeEnv{}, Def{ID: "t", Type: TypeTCP, Period: 30 * time.Second,
		Details: map[string]any{"port": tlsPort, "tls": true}})
	if r.Available || !strings.HasPrefix(r.Status, fmt.Sprintf("TLS handshake with 127.0.0.1:%d failed: ", tlsPort)) {
		t.Errorf("untrusted tls: %v %q", r.Available, r.Status)
	}

	r = runAt(t, &fakeEnv{}, Def{ID: "t", Type: TypeTCP, Period: 30 * time.Second, Details: map[string]any{"port": closedPort}})
	if r.Available || !strings.HasPrefix(r.Status, fmt.Sprintf("Connecting to 127.0.0.1:%d failed: ", closedPort)) {
		t.Errorf("refused: %v %q", r.Available, r.Status)
	}

	for details, want := range map[string]string{
		"{}":    "Missing port parameter",
		"70000": "Invalid port 70000",
		"1.5":   "Invalid port 1.5",
		"abc":   "Invalid port abc",
	} {
		d := map[string]any{}
		if details != "{}" {
			d["port"] = details
		}
		r := runAt(t, &fakeEnv{}, Def{ID: "t", Type: TypeTCP, Period: 30 * time.Second, Details: d})
		assertResult(t, r, false, want, nil)
	}
}

func TestHTTPCheck(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello world") })
	mux.HandleFunc("/missing", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "gone", http.StatusNotFound) })
	mux.HandleFunc("/redir", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/", http.StatusFound) })
	mux.HandleFunc("/slow", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tlsSrv := httptest.NewUnstartedServer(mux)
	tlsSrv.TLS = &tls.Config{Certificates: []tls.Certificate{certExpiringAt(t, t0.Add(10*24*time.Hour))}}
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-cert case logs a handshake error
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	run := func(d map[string]any) Result {
		return runAt(t, &fakeEnv{}, Def{ID: "h", Type: TypeHTTP, Period: 30 * time.Second, Details: d})
	}

	r := run(map[string]any{"url": srv.URL + "/", "body": "wor.d"})
	if !r.Available || !strings.HasPrefix(r.Status, "HTTP 200 in ") {
		t.Fatalf("ok: %v %q", r.Available, r.Status)
	}
	checkMetrics(t, r.Metrics, []Metric{
		m("code", "int64", "200", ""), m("time_ms", "double", "", "milliseconds"),
		m("bytes", "int64", "11", "bytes"), m("body_match", "string", "true", ""),
	}, "time_ms")

	r = run(map[string]any{"url": srv.URL + "/", "body": "^nope", "method": "get"})
	checkMetrics(t, r.Metrics, []Metric{
		m("code", "int64", "200", ""), m("time_ms", "double", "", "milliseconds"),
		m("bytes", "int64", "11", "bytes"), m("body_match", "string", "false", ""),
	}, "time_ms")

	r = run(map[string]any{"url": srv.URL + "/missing", "status": 200})
	if !r.Available || r.Status != "HTTP 404, expected 200" {
		t.Errorf("404: %v %q", r.Available, r.Status)
	}
	checkMetrics(t, r.Metrics, []Metric{
		m("code", "int64", "404", ""), m("time_ms", "double", "", "milliseconds"), m("bytes", "int64", "5", "bytes"),
	}, "time_ms")

	r = run(map[string]any{"url": srv.URL + "/redir", "follow_redirects": false})
	if v, _ := r.Float("code"); v != 302 {
		t.Errorf("no-follow code %v", v)
	}
	r = run(map[string]any{"url": srv.URL + "/redir"})
	if v, _ := r.Float("code"); v != 200 {
		t.Errorf("follow code %v", v)
	}
	r = run(map[string]any{"url": srv.URL + "/", "method": "HEAD"})
	if v, _ := r.Float("bytes"); v != 0 || !r.Available {
		t.Errorf("HEAD bytes %v (%q)", v, r.Status)
	}

	r = run(map[string]any{"url": tlsSrv.URL + "/", "insecure": true})
	checkMetrics(t, r.Metrics, []Metric{
		m("code", "int64", "200", ""), m("time_ms", "double", "", "milliseconds"),
		m("bytes", "int64", "11", "bytes"), m("tls_days_left", "double", "10", "days"),
	}, "time_ms")

	r = run(map[string]any{"url": tlsSrv.URL + "/"})
	if r.Available || !strings.HasPrefix(r.Status, "Request failed: ") || !strings.Contains(r.Status, "certificate") {
		t.Errorf("untrusted https: %v %q", r.Available, r.Status)
	}

	r = run(map[string]any{"url": srv.URL + "/slow", "timeout": 0.2})
	if r.Available || !strings.HasPrefix(r.Status, "Request failed: ") || !strings.Contains(r.Status, "deadline exceeded") {
		t.Errorf("slow: %v %q", r.Available, r.Status)
	}

	for _, tc := range []struct {
		d    map[string]any
		want string
	}{
		{map[string]any{}, "Missing url parameter"},
		{map[string]any{"url": "ftp://example.com/"}, `Invalid url "ftp://example.com/": need http:// or https:// and a host`},
		{map[string]any{"url": "http://"}, `Invalid url "http://": need http:// or https:// and a host`},
		{map[string]any{"url": srv.URL, "body": "("}, "Invalid body regular expression: error parsing regexp: missing closing ): `(`"},
		{map[string]any{"url": srv.URL, "timeout": "soon"}, `details.timeout: "soon" is not a number`},
		{map[string]any{"url": srv.URL, "follow_redirects": "maybe"}, "details.follow_redirects: maybe is not a boolean"},
	} {
		assertResult(t, run(tc.d), false, tc.want, nil)
	}
}
