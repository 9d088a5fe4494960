package protocol

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var serialMu sync.Mutex
var serial int64

func nextSerial() *big.Int {
	serialMu.Lock()
	defer serialMu.Unlock()
	serial++
	return big.NewInt(serial)
}

func newTestKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// newTestCA makes a self-signed CA valid from notBefore to notAfter.
func newTestCA(t *testing.T, name string, notBefore, notAfter time.Time) *testCA {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// leafSpec describes an endpoint certificate.
type leafSpec struct {
	cn        string
	dnsNames  []string
	ips       []net.IP
	notBefore time.Time
	notAfter  time.Time
}

// issue signs a server certificate for spec.
func (ca *testCA) issue(t *testing.T, spec leafSpec) tls.Certificate {
	t.Helper()
	key := newTestKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: spec.cn},
		DNSNames:     spec.dnsNames,
		IPAddresses:  spec.ips,
		NotBefore:    spec.notBefore,
		NotAfter:     spec.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// startTLSEndpoint serves cert on 127.0.0.1:0, TLS versions minVer..maxVer
// (0: the defaults), and answers handshake.hello on every good handshake.
// It returns the port.
func startTLSEndpoint(t *testing.T, cert tls.Certificate, minVer, maxVer uint16) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: minVer, MaxVersion: maxVer}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[raw] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() {
					mu.Lock()
					delete(conns, raw)
					mu.Unlock()
					raw.Close()
				}()
				_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
				conn := tls.Server(raw, cfg)
				if conn.Handshake() != nil {
					return
				}
				serveHello(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// serveHello answers handshake.hello until the connection ends.
func serveHello(conn net.Conn) {
	codec := NewCodec(conn, 0)
	for {
		m, err := codec.Read()
		if err != nil {
			return
		}
		if m.Request == nil || m.Request.Method != MethodHello {
			continue
		}
		result, _ := json.Marshal(HelloResult{HeartbeatInterval: 60000, EntityID: "enTLS"})
		if codec.Write(Response{V: m.Request.V, ID: m.Request.ID, Source: TargetEndpoint, Target: m.Request.Source, Result: result}) != nil {
			return
		}
	}
}

// lockedBuffer is a log sink shared by the client's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func tlsTestOptions(caPEM []byte, logs *lockedBuffer) Options {
	return Options{
		CAPEM:            caPEM,
		AgentID:          "tls-agent",
		Token:            "tok-secret-1234",
		ConnectTimeout:   5 * time.Second,
		HandshakeTimeout: 5 * time.Second,
		Logger:           slog.New(slog.NewTextHandler(logs, nil)),
	}
}

// certDate is how the messages print a certificate date.
func certDate(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

const insecureWarning = `level=WARN msg="TLS certificate verification is disabled (insecure)"`

// TestDialRefusesBadCertificates dials real TLS endpoints with bad
// certificates: each is refused with a message naming the reason, and each
// is accepted (with a warning per connect) when Insecure is set, except a
// TLS version older than 1.2, which Insecure does not allow.
func TestDialRefusesBadCertificates(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	trusted := newTestCA(t, "Trusted CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	other := newTestCA(t, "Other CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	expiredCA := newTestCA(t, "Expired CA", now.Add(-72*time.Hour), now.Add(-48*time.Hour))
	good := leafSpec{cn: "endpoint", dnsNames: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)},
		notBefore: now.Add(-time.Hour), notAfter: now.Add(24 * time.Hour)}
	expired := good
	expired.notBefore, expired.notAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	future := good
	future.notBefore, future.notAfter = now.Add(24*time.Hour), now.Add(48*time.Hour)
	wrongName := good
	wrongName.dnsNames, wrongName.ips = []string{"other.example"}, nil
	// A CA used past its validity still signs; verification catches it.
	fromExpiredCA := expiredCA.issue(t, good)

	tests := []struct {
		name     string
		cert     tls.Certificate
		host     string // dialed host
		maxVer   uint16
		reason   TLSReason
		detail   string
		insecure bool // Insecure connects
	}{
		{"unknown authority", other.issue(t, good), "127.0.0.1", 0, TLSUnknownAuthority,
			`certificate of 127.0.0.1 is signed by an unknown authority (issuer "Other CA"): set monitoring_ca (--ca-file) to the CA that signed it`, true},
		{"expired", trusted.issue(t, expired), "127.0.0.1", 0, TLSExpired,
			"certificate of 127.0.0.1 expired on " + certDate(expired.notAfter), true},
		{"not yet valid", trusted.issue(t, future), "localhost", 0, TLSExpired,
			"certificate of localhost is not valid until " + certDate(future.notBefore), true},
		{"expired CA", fromExpiredCA, "127.0.0.1", 0, TLSExpired,
			`certificate of 127.0.0.1 was issued by "Expired CA", whose certificate expired on ` + certDate(now.Add(-48*time.Hour)), true},
		{"wrong IP", trusted.issue(t, wrongName), "127.0.0.1", 0, TLSHostnameMismatch,
			"certificate is valid for other.example, not 127.0.0.1", true},
		{"wrong name", trusted.issue(t, wrongName), "localhost", 0, TLSHostnameMismatch,
			"certificate is valid for other.example, not localhost", true},
		{"TLS 1.1", trusted.issue(t, good), "127.0.0.1", tls.VersionTLS11, TLSProtocolVersion,
			"127.0.0.1 offers only TLS versions older than 1.2; TLS 1.2 or newer is required", false},
	}
	caPEM := append(append([]byte(nil), trusted.pem...), expiredCA.pem...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var minVer uint16
			if tt.maxVer != 0 {
				minVer = tls.VersionTLS10
			}
			endpoint := net.JoinHostPort(tt.host, startTLSEndpoint(t, tt.cert, minVer, tt.maxVer))
			logs := &lockedBuffer{}
			o := tlsTestOptions(caPEM, logs)
			_, err := Dial(context.Background(), endpoint, o)
			var te *TLSError
			if !errors.As(err, &te) {
				t.Fatalf("dial: %v (%T), want a *TLSError", err, err)
			}
			want := "TLS handshake with " + endpoint + ": " + tt.detail
			if te.Reason != tt.reason || te.Endpoint != endpoint || te.Detail != tt.detail || err.Error() != want {
				t.Fatalf("dial error:\n got %s %q\nwant %s %q", te.Reason, err.Error(), tt.reason, want)
			}
			if te.Err == nil || errors.Unwrap(err) != te.Err {
				t.Fatalf("the handshake error is not wrapped: %#v", te)
			}
			if strings.Contains(logs.String(), insecureWarning) {
				t.Fatalf("insecure warning without Insecure:\n%s", logs)
			}

			o.Insecure = true
			for i := range 2 {
				c, err := Dial(context.Background(), endpoint, o)
				if !tt.insecure {
					if !errors.As(err, &te) || te.Reason != tt.reason {
						t.Fatalf("insecure dial %d: %v, want refused with %s", i, err, tt.reason)
					}
					continue
				}
				if err != nil {
					t.Fatalf("insecure dial %d: %v", i, err)
				}
				if c.Hello().EntityID != "enTLS" {
					t.Fatalf("insecure dial %d: hello %+v", i, c.Hello())
				}
				c.Close()
			}
			if n := strings.Count(logs.String(), insecureWarning); n != 2 {
				t.Fatalf("%d insecure warnings for 2 connects:\n%s", n, logs)
			}
			if strings.Contains(logs.String(), o.Token) {
				t.Fatalf("token in the logs:\n%s", logs)
			}
		})
	}

	t.Run("good certificate", func(t *testing.T) {
		port := startTLSEndpoint(t, trusted.issue(t, good), 0, 0)
		for _, host := range []string{"127.0.0.1", "localhost"} {
			c, err := Dial(context.Background(), net.JoinHostPort(host, port), tlsTestOptions(trusted.pem, &lockedBuffer{}))
			if err != nil {
				t.Fatalf("dial %s: %v", host, err)
			}
			c.Close()
		}
	})
}

// TestManagerLastErrorNamesTLSReason checks that the status line and
// /metrics, which show EndpointStatus.LastError, get the described message.
func TestManagerLastErrorNamesTLSReason(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	trusted := newTestCA(t, "Trusted CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	other := newTestCA(t, "Other CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	cert := other.issue(t, leafSpec{cn: "endpoint", ips: []net.IP{net.IPv4(127, 0, 0, 1)},
		notBefore: now.Add(-time.Hour), notAfter: now.Add(24 * time.Hour)})
	endpoint := net.JoinHostPort("127.0.0.1", startTLSEndpoint(t, cert, 0, 0))
	o := tlsTestOptions(trusted.pem, &lockedBuffer{})
	o.Endpoints = []string{endpoint}
	o.BackoffInitial, o.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
	m, err := NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	want := "TLS handshake with " + endpoint + `: certificate of 127.0.0.1 is signed by an unknown authority (issuer "Other CA"): set monitoring_ca (--ca-file) to the CA that signed it`
	var got string
	for got == "" && ctx.Err() == nil {
		if st := m.Status(); len(st.Endpoints) == 1 {
			got = st.Endpoints[0].LastError
		}
		if got == "" {
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
	cancel()
	<-done
	if got != want {
		t.Fatalf("LastError:\n got %q\nwant %q", got, want)
	}
}

// TestDescribeTLSError covers the classifier on errors that are hard to get
// from a live endpoint.
func TestDescribeTLSError(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	ca := newTestCA(t, "Trusted CA", now.Add(-time.Hour), now.Add(24*time.Hour))
	noSAN := ca.issue(t, leafSpec{cn: "legacy.example", notBefore: now.Add(-time.Hour), notAfter: now.Add(time.Hour)}).Leaf
	expiredLeaf := ca.issue(t, leafSpec{cn: "old", notBefore: now.Add(-2 * time.Hour), notAfter: now.Add(-time.Hour)}).Leaf
	timeout := fmt.Errorf("read: %w", context.DeadlineExceeded)

	tests := []struct {
		name   string
		err    error
		reason TLSReason
		detail string
	}{
		{"timeout passes through", timeout, TLSOther, "read: context deadline exceeded"},
		{"no SANs", x509.HostnameError{Certificate: noSAN, Host: "legacy.example"}, TLSHostnameMismatch,
			`certificate has no subject alternative names, so it is not valid for legacy.example (its common name "legacy.example" is not checked)`},
		{"hostname without host", x509.HostnameError{Certificate: noSAN}, TLSHostnameMismatch,
			`certificate has no subject alternative names, so it is not valid for ep.example (its common name "legacy.example" is not checked)`},
		{"expired, only the verification error has the certificate",
			&tls.CertificateVerificationError{UnverifiedCertificates: []*x509.Certificate{expiredLeaf},
				Err: x509.CertificateInvalidError{Reason: x509.Expired}},
			TLSExpired, "certificate of ep.example expired on " + certDate(now.Add(-time.Hour))},
		{"expired, no certificate", x509.CertificateInvalidError{Reason: x509.Expired}, TLSExpired,
			"certificate of ep.example is expired or not yet valid"},
		{"other invalid certificate", x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, TLSOther,
			"x509: certificate is not authorized to sign other certificates"},
		{"no system roots", x509.SystemRootsError{}, TLSUnknownAuthority,
			"certificate of ep.example cannot be verified: this system has no root CAs: set monitoring_ca (--ca-file) to the CA that signed it"},
		{"unknown authority without certificate", x509.UnknownAuthorityError{}, TLSUnknownAuthority,
			"certificate of ep.example is signed by an unknown authority: set monitoring_ca (--ca-file) to the CA that signed it"},
		{"old server hello", errors.New("tls: server selected unsupported protocol version 302"), TLSProtocolVersion,
			"ep.example offers only TLS versions older than 1.2; TLS 1.2 or newer is required"},
		{"QUIC alert", tls.AlertError(70), TLSProtocolVersion,
			"ep.example offers only TLS versions older than 1.2; TLS 1.2 or newer is required"},
		{"other alert", &net.OpError{Op: "remote error", Err: tls.AlertError(40)}, TLSOther,
			"remote error: tls: handshake failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := describeTLSError(tt.err, "ep.example:50041", "ep.example")
			var te *TLSError
			if !errors.As(err, &te) {
				t.Fatalf("%T, want *TLSError", err)
			}
			if te.Reason != tt.reason || te.Detail != tt.detail || err.Error() != "TLS handshake with ep.example:50041: "+tt.detail {
				t.Fatalf("got %s %q, want %s %q", te.Reason, err.Error(), tt.reason, tt.detail)
			}
			if !errors.Is(err, tt.err) {
				t.Fatal("the original error is not wrapped")
			}
		})
	}
	if !errors.Is(describeTLSError(timeout, "e:1", "e"), context.DeadlineExceeded) {
		t.Fatal("a handshake timeout is no longer context.DeadlineExceeded")
	}
	if describeTLSError(nil, "e:1", "e") != nil {
		t.Fatal("nil error described as a failure")
	}
	if got := (&TLSError{Detail: "x"}).Error(); got != "TLS handshake: x" {
		t.Fatalf("no endpoint: %q", got)
	}
}
