package protocol

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// TLSConfig builds the client TLS configuration for endpoint (host:port):
// the endpoint's certificate must chain to the system roots or, when caFile
// (a PEM file) or caPEM is given, to those CAs only (pinned, as Virgo pins
// its bundled CA certificates; this also spares the daemon the system pool,
// about 250 KiB of heap); the server name is checked against serverName
// (default: the endpoint's host); TLS 1.2 or newer. Verification is skipped
// only when insecure is true.
func TLSConfig(endpoint, serverName, caFile string, caPEM []byte, insecure bool) (*tls.Config, error) {
	if serverName == "" {
		host, _, err := net.SplitHostPort(endpoint)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: %w", endpoint, err)
		}
		serverName = host
	}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile == "" && len(caPEM) == 0 {
		return cfg, nil // nil RootCAs: the system roots
	}
	pool := x509.NewCertPool()
	if caFile != "" {
		b, err := readCAFile(caFile)
		if err != nil {
			return nil, err
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate found", caFile)
		}
	}
	if len(caPEM) > 0 && !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("CA PEM: no certificate found")
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// ProxyFromEnv returns the proxy URL from the environment as seen by
// getenv, or "" when none is set. The original reads HTTP_PROXY, then
// HTTPS_PROXY (rackspace-monitoring-agent main.lua:267); virgo-top reads the
// lower-case forms too, each after its upper-case one: HTTP_PROXY,
// http_proxy, HTTPS_PROXY, https_proxy. NO_PROXY is applied by the dialer
// (ProxyBypassed).
func ProxyFromEnv(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	return ""
}

// ProxyBypassed reports whether endpoint (host:port) is to be reached
// directly according to noProxy, the value of NO_PROXY (or no_proxy): a
// comma- or space-separated list whose entries are "*" (every host), a
// host name that matches itself and its subdomains (a leading "." is
// allowed: ".example.com"), an IP address, or a CIDR block; an entry may
// end in ":port" to apply to that port only. The original had no NO_PROXY;
// virgo-top honours it as curl and Go's net/http do.
func ProxyBypassed(noProxy, endpoint string) bool {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		host = endpoint
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ip := net.ParseIP(host)
	for _, e := range strings.FieldsFunc(noProxy, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "*" {
			return true
		}
		if _, n, err := net.ParseCIDR(e); err == nil {
			if ip != nil && n.Contains(ip) {
				return true
			}
			continue
		}
		if h, p, err := net.SplitHostPort(e); err == nil {
			if p != port {
				continue
			}
			e = h
		}
		e = strings.TrimSuffix(strings.TrimPrefix(e, "."), ".")
		if e == "" {
			continue
		}
		if eip := net.ParseIP(e); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return true
			}
			continue
		}
		if host == e || strings.HasSuffix(host, "."+e) {
			return true
		}
	}
	return false
}

// noProxyFromEnv returns NO_PROXY, or no_proxy when it is unset.
func noProxyFromEnv(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := getenv("NO_PROXY"); v != "" {
		return v
	}
	return getenv("no_proxy")
}

// MaskProxyURL returns raw with any password replaced by "xxxxx", safe for
// logs and errors.
func MaskProxyURL(raw string) string {
	u, err := parseProxyURL(raw)
	if err != nil {
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			return "xxxxx@" + raw[i+1:]
		}
		return raw
	}
	return u.Redacted()
}

func parseProxyURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("invalid proxy URL") // url's error would echo the password
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("proxy scheme %q not supported (want http or https)", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("proxy URL has no host")
	}
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}

// maxCAFileSize bounds the CA file read at each dial; a CA bundle is a few
// hundred KiB (the system's whole bundle is about 220 KiB).
const maxCAFileSize = 4 << 20

// readCAFile reads the PEM file path, refusing one over maxCAFileSize (a
// device or a log named by mistake must not be read whole at every dial).
func readCAFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCAFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	if len(b) > maxCAFileSize {
		return nil, fmt.Errorf("CA file %s: larger than %d MiB", path, maxCAFileSize>>20)
	}
	return b, nil
}

// maxProxyReplyHeader bounds the proxy's reply to CONNECT, status line and
// header together: a hostile or broken proxy cannot make the agent buffer
// more (a 200 MiB header once took the daemon to 474 MB).
const maxProxyReplyHeader = 64 << 10

// dialTCP opens the TCP stream to endpoint, directly or through an HTTP
// CONNECT proxy. Through a proxy the CONNECT line names the endpoint's host
// name, not an address, so the agent needs no DNS of its own. An https://
// proxy is spoken to over TLS (its certificate checked against proxyRoots,
// nil: the system roots, for the proxy's host name), and the CONNECT goes
// inside that TLS session. ctx's deadline bounds the whole exchange: the
// TCP connect, the proxy's TLS handshake, the CONNECT request and the
// reply.
func dialTCP(ctx context.Context, endpoint, proxy string, proxyRoots *x509.CertPool) (net.Conn, error) {
	var d net.Dialer
	if proxy == "" {
		conn, err := d.DialContext(ctx, "tcp", endpoint)
		if err != nil {
			return nil, fmt.Errorf("connect %s: %w", endpoint, err)
		}
		return conn, nil
	}
	u, err := parseProxyURL(proxy)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", MaskProxyURL(proxy), err)
	}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("connect proxy %s: %w", u.Redacted(), err)
	}
	if u.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname(), RootCAs: proxyRoots, MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("proxy %s: TLS: %w", u.Redacted(), err)
		}
		conn = tc
	}
	tunnel, err := proxyConnect(ctx, conn, endpoint, u)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: %w", u.Redacted(), err)
	}
	return tunnel, nil
}

// proxyConnect asks the proxy on conn for a tunnel to endpoint and reads
// its reply header (at most maxProxyReplyHeader bytes, never a body), all
// before ctx's deadline; cancelling ctx interrupts it too. It returns the
// tunnel.
func proxyConnect(ctx context.Context, conn net.Conn, endpoint string, u *url.URL) (net.Conn, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A cancelled ctx moves the deadline to the past, which ends the write
	// or read in progress. The watcher is waited for before the deadline
	// is cleared, so it cannot set one on the tunnel afterwards.
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			_ = conn.SetDeadline(time.Unix(1, 0))
		case <-stop:
		}
	}()
	tunnel, err := connectExchange(conn, endpoint, u)
	close(stop)
	<-watched
	if err != nil {
		// Say which of ctx's ends stopped the exchange rather than "i/o
		// timeout": the deadline set on conn is ctx's, and may fire before
		// ctx's own timer.
		what := "send CONNECT"
		var re *replyError
		if errors.As(err, &re) {
			what = fmt.Sprintf("no complete CONNECT reply (%d bytes read)", re.read)
		}
		switch cerr := ctx.Err(); {
		case errors.Is(cerr, context.Canceled):
			return nil, fmt.Errorf("%s: dial cancelled: %w", what, cerr)
		case cerr != nil || errors.Is(err, os.ErrDeadlineExceeded):
			return nil, fmt.Errorf("%s within the connect timeout: %w", what, context.DeadlineExceeded)
		}
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	return tunnel, nil
}

// connectExchange writes the CONNECT request and reads the reply header.
func connectExchange(conn net.Conn, endpoint string, u *url.URL) (net.Conn, error) {
	req := "CONNECT " + endpoint + " HTTP/1.1\r\nHost: " + endpoint + "\r\n"
	if u.User != nil {
		pass, _ := u.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pass))
		req += "Proxy-Authorization: Basic " + cred + "\r\n"
	}
	req += "\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return nil, fmt.Errorf("send CONNECT: %w", err)
	}
	lr := &io.LimitedReader{R: conn, N: maxProxyReplyHeader}
	br := bufio.NewReaderSize(lr, 4096)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		if lr.N == 0 {
			return nil, fmt.Errorf("CONNECT reply header exceeds %d KiB", maxProxyReplyHeader>>10)
		}
		return nil, &replyError{read: maxProxyReplyHeader - lr.N - int64(br.Buffered()), err: err}
	}
	// The body of a refusal is not read: nothing of it is needed, and a
	// proxy could make it endless.
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("CONNECT %s: %s", endpoint, quoteHead([]byte(resp.Status), 80))
	}
	if n := br.Buffered(); n > 0 {
		// The endpoint speaks only after our ClientHello, but keep whatever
		// the proxy passed on early rather than lose it; past it, reads go
		// to the connection, no longer through the header's limit.
		early, _ := br.Peek(n)
		return &bufferedConn{Conn: conn, r: io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)}, nil
	}
	return conn, nil
}

// replyError is a CONNECT reply that could not be read whole.
type replyError struct {
	read int64 // bytes of it read
	err  error
}

func (e *replyError) Error() string {
	return fmt.Sprintf("no complete CONNECT reply (%d bytes read): %v", e.read, e.err)
}

func (e *replyError) Unwrap() error { return e.err }

type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
