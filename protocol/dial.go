package protocol

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
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
		b, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
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

// ProxyFromEnv returns the proxy URL from HTTPS_PROXY or https_proxy as seen
// by getenv, or "" when neither is set.
func ProxyFromEnv(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
	}
	return ""
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
	if u.Scheme != "http" {
		return nil, fmt.Errorf("proxy scheme %q not supported (want http)", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("proxy URL has no host")
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "80")
	}
	return u, nil
}

// dialTCP opens the TCP stream to endpoint, directly or through an HTTP
// CONNECT proxy. Through a proxy the CONNECT line names the endpoint's host
// name, not an address, so the agent needs no DNS of its own.
func dialTCP(ctx context.Context, endpoint, proxy string) (net.Conn, error) {
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
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	req := "CONNECT " + endpoint + " HTTP/1.1\r\nHost: " + endpoint + "\r\n"
	if u.User != nil {
		pass, _ := u.User.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(u.User.Username() + ":" + pass))
		req += "Proxy-Authorization: Basic " + cred + "\r\n"
	}
	req += "\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: send CONNECT: %w", u.Redacted(), err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: read CONNECT reply: %w", u.Redacted(), err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: CONNECT %s: %s", u.Redacted(), endpoint, resp.Status)
	}
	_ = conn.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		// The endpoint speaks only after our ClientHello, but keep whatever
		// the proxy passed on early rather than lose it.
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
