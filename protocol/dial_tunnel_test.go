package protocol

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// pipeProxy answers the CONNECT request on the proxy's end of a pipe with
// reply, then runs then (if not nil) on the tunnel.
func pipeProxy(t testing.TB, reply []byte, then func(net.Conn, *bufio.Reader)) (net.Conn, <-chan struct{}) {
	client, proxy := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer proxy.Close()
		br := bufio.NewReader(proxy)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if _, err := proxy.Write(reply); err != nil {
			return
		}
		if then != nil {
			then(proxy, br)
		}
	}()
	return client, done
}

// TestProxyConnectKeepsEarlyBytes: bytes the proxy sends right after its
// reply header belong to the tunnel; past them, reads go to the connection
// (no longer under the header's cap).
func TestProxyConnectKeepsEarlyBytes(t *testing.T) {
	big := strings.Repeat("x", 2*maxProxyReplyHeader)
	conn, done := pipeProxy(t, []byte("HTTP/1.1 200 Connection established\r\n\r\nearly"), func(c net.Conn, br *bufio.Reader) {
		buf := make([]byte, 4)
		if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "ping" {
			return
		}
		_, _ = io.WriteString(c, big)
	})
	defer func() { <-done }()
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	u, _ := url.Parse("http://proxy:3128")
	tunnel, err := proxyConnect(ctx, conn, "endpoint:443", u)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(tunnel, buf); err != nil || string(buf) != "early" {
		t.Fatalf("early bytes %q, %v", buf, err)
	}
	if _, err := io.WriteString(tunnel, "ping"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(big))
	if _, err := io.ReadFull(tunnel, got); err != nil || string(got) != big {
		t.Fatalf("read %d bytes through the tunnel: %v", len(got), err)
	}
}

// FuzzProxyConnectReply feeds arbitrary proxy replies to proxyConnect: it
// never panics, never reads past the header cap, and accepts only a 200.
func FuzzProxyConnectReply(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 Connection established\r\n\r\n",
		"HTTP/1.0 200 OK\r\nProxy-Agent: x\r\n\r\nearly",
		"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\nabcde",
		"HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", 70000),
		"HTTP/1.1 200\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"garbage\r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		conn, done := pipeProxy(t, reply, nil)
		defer func() { <-done }()
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		u, _ := url.Parse("http://proxy:3128")
		tunnel, err := proxyConnect(ctx, conn, "endpoint:443", u)
		if err != nil {
			return
		}
		if !strings.HasPrefix(string(reply), "HTTP/") || !strings.Contains(string(reply), " 200") {
			t.Fatalf("accepted %q", reply)
		}
		_ = tunnel
	})
}
