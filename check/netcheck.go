package check

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// netTimeout is the run's timeout, shortened by details.timeout (seconds).
func netTimeout(rc runCtx) (time.Duration, error) {
	d, ok, err := detailDuration(rc.def.Details, "timeout", time.Second)
	if err != nil {
		return 0, err
	}
	if !ok || d > rc.timeout {
		d = rc.timeout
	}
	return d, nil
}

// msSince is the milliseconds from start to end as a double.
func msSince(start, end time.Time) float64 {
	return float64(end.Sub(start).Microseconds()) / 1000
}

// daysLeft is the days from now until cert expires (negative once expired).
func daysLeft(cert *x509.Certificate, now time.Time) float64 {
	return cert.NotAfter.Sub(now).Hours() / 24
}

// runTCP connects to details.host (default 127.0.0.1) port details.port.
// Metrics: connect_time_ms (double, the TCP connect). With details.tls
// true it also does a TLS handshake (details.server_name, default the
// host; details.insecure skips verification) and reports tls_days_left
// (double, days until the leaf certificate expires). With details.banner
// (a regular expression) it reads the first line the server sends (at most
// 4 KiB) and reports banner_match ("true"/"false") and banner (string).
// Connection failures make the result unavailable.
func runTCP(ctx context.Context, rc runCtx) Result {
	d := rc.def.Details
	host, ok := detailString(d, "host")
	if !ok {
		host = "127.0.0.1"
	}
	port, hasPort, err := detailFloat(d, "port")
	if !hasPort {
		return ErrorResult(rc.def, rc.start, "Missing port parameter")
	}
	if err != nil || port < 1 || port > 65535 || port != float64(int(port)) {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid port %v", d["port"]))
	}
	useTLS, err := detailBool(d, "tls")
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	insecure, err := detailBool(d, "insecure")
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	var banner *regexp.Regexp
	if pat, ok := detailString(d, "banner"); ok {
		if banner, err = regexp.Compile(pat); err != nil {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid banner regular expression: %v", err))
		}
	}
	timeout, err := netTimeout(rc)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	addr := net.JoinHostPort(host, strconv.Itoa(int(port)))
	t0 := time.Now()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Connecting to %s failed: %v", addr, err))
	}
	defer conn.Close()
	connectMs := msSince(t0, time.Now())
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	r := NewResult(rc.def, rc.start)
	r.AddDouble("connect_time_ms", connectMs, unitMs)
	var rw io.Reader = conn
	if useTLS {
		name, ok := detailString(d, "server_name")
		if !ok {
			name = host
		}
		tc := tls.Client(conn, &tls.Config{ServerName: name, InsecureSkipVerify: insecure}) //nolint:gosec // opt-in per check
		if err := tc.HandshakeContext(ctx); err != nil {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("TLS handshake with %s failed: %v", addr, err))
		}
		certs := tc.ConnectionState().PeerCertificates
		if len(certs) > 0 {
			r.AddDouble("tls_days_left", daysLeft(certs[0], rc.start), "days")
		}
		rw = tc
	}
	if banner != nil {
		line, err := bufio.NewReaderSize(io.LimitReader(rw, 4096), 4096).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) || line == "" && err != nil {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Reading banner from %s failed: %v", addr, err))
		}
		line = sanitizeLine([]byte(strings.TrimRight(line, "\r\n")))
		r.AddString("banner_match", strconv.FormatBool(banner.MatchString(line)))
		r.AddString("banner", truncateString(line, 80))
	}
	r.SetStatus("Connected to " + addr)
	return r
}

// truncateString cuts s to at most n bytes on a rune boundary.
func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utfStart(s[n]) {
		n--
	}
	return s[:n]
}

func utfStart(b byte) bool { return b&0xC0 != 0x80 }

// maxHTTPBody bounds what agent.http reads of a body.
const (
	maxHTTPMatchBody = 1 << 20  // searched by details.body
	maxHTTPBody      = 64 << 20 // counted in bytes; the rest is not read
)

// runHTTP requests details.url (http or https, any host) with
// details.method (default GET). details.status, when set, is the expected
// code; details.body a regular expression searched in the first MiB of the
// body; details.follow_redirects (default true); details.insecure skips TLS
// verification; details.timeout (seconds) shortens the run's timeout.
// Metrics: code (int64), time_ms (double, until the body is read), bytes
// (int64, body bytes read, at most 64 MiB), tls_days_left (double, https),
// body_match ("true"/"false", when details.body is set). A transport error
// makes the result unavailable; an unexpected status keeps it available
// (criteria decide) and says so in the status.
func runHTTP(ctx context.Context, rc runCtx) Result {
	d := rc.def.Details
	raw, ok := detailString(d, "url")
	if !ok {
		return ErrorResult(rc.def, rc.start, "Missing url parameter")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid url %q: need http:// or https:// and a host", raw))
	}
	method, ok := detailString(d, "method")
	if !ok {
		method = http.MethodGet
	}
	method = strings.ToUpper(method)
	wantStatus, hasStatus, err := detailFloat(d, "status")
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	var bodyRe *regexp.Regexp
	if pat, ok := detailString(d, "body"); ok {
		if bodyRe, err = regexp.Compile(pat); err != nil {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid body regular expression: %v", err))
		}
	}
	follow := true
	if _, set := d["follow_redirects"]; set {
		if follow, err = detailBool(d, "follow_redirects"); err != nil {
			return ErrorResult(rc.def, rc.start, err.Error())
		}
	}
	insecure, err := detailBool(d, "insecure")
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	timeout, err := netTimeout(rc)
	if err != nil {
		return ErrorResult(rc.def, rc.start, err.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	transport := &http.Transport{
		Proxy:               nil,                                       // a monitor measures the target, not a proxy
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: insecure}, //nolint:gosec // opt-in per check
		DisableKeepAlives:   true,
		TLSHandshakeTimeout: timeout,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport}
	if !follow {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid request: %v", err))
	}
	req.Header.Set("User-Agent", "virgo-top")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return ErrorResult(rc.def, rc.start, fmt.Sprintf("Request failed: %v", err))
	}
	defer resp.Body.Close()
	head := make([]byte, 0, 4096)
	buf := make([]byte, 32*1024)
	var n int64
	for n < maxHTTPBody {
		k, rerr := resp.Body.Read(buf[:min(int64(len(buf)), maxHTTPBody-n)])
		if k > 0 {
			if bodyRe != nil && len(head) < maxHTTPMatchBody {
				head = append(head, buf[:min(k, maxHTTPMatchBody-len(head))]...)
			}
			n += int64(k)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Reading body failed: %v", rerr))
		}
	}
	elapsed := msSince(t0, time.Now())

	r := NewResult(rc.def, rc.start)
	r.AddInt("code", TypeInt64, int64(resp.StatusCode), "")
	r.AddDouble("time_ms", elapsed, unitMs)
	r.AddInt("bytes", TypeInt64, n, unitBytes)
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		r.AddDouble("tls_days_left", daysLeft(resp.TLS.PeerCertificates[0], rc.start), "days")
	}
	if bodyRe != nil {
		r.AddString("body_match", strconv.FormatBool(bodyRe.Match(head)))
	}
	status := fmt.Sprintf("HTTP %d in %.1f ms", resp.StatusCode, elapsed)
	if hasStatus && int(wantStatus) != resp.StatusCode {
		status = fmt.Sprintf("HTTP %d, expected %d", resp.StatusCode, int(wantStatus))
	}
	r.SetStatus(status)
	return r
}
