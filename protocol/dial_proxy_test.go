package protocol_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// hostileProxy accepts CONNECT requests and answers each with reply, which
// writes what it likes on the connection.
type hostileProxy struct {
	ln        net.Listener
	reply     func(net.Conn, *hostileProxy)
	requested chan struct{} // one value per CONNECT request read
	written   atomic.Int64  // bytes the replies managed to write
	wg        sync.WaitGroup
}

func startHostileProxy(t *testing.T, reply func(net.Conn, *hostileProxy)) *hostileProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &hostileProxy{ln: ln, reply: reply, requested: make(chan struct{}, 10)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				p.requested <- struct{}{}
				p.reply(c, p)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.wg.Wait()
	})
	return p
}

// write sends b, counting what was written.
func (p *hostileProxy) write(c net.Conn, b []byte) error {
	n, err := c.Write(b)
	p.written.Add(int64(n))
	return err
}

// endless writes head, then fill over and over (64 MiB at most, then it
// stalls), until the client goes away.
func endless(head, fill string) func(net.Conn, *hostileProxy) {
	return func(c net.Conn, p *hostileProxy) {
		if p.write(c, []byte(head)) != nil {
			return
		}
		chunk := []byte(strings.Repeat(fill, 32<<10/len(fill)))
		for p.written.Load() < 64<<20 {
			if p.write(c, chunk) != nil {
				return
			}
		}
		stall(c)
	}
}

// stall waits until the client closes the connection.
func stall(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

func proxyOptions(p *hostileProxy, timeout time.Duration) protocol.Options {
	return protocol.Options{
		ProxyURL:       "http://agent:s3cret@" + p.ln.Addr().String(),
		ConnectTimeout: timeout,
		Getenv:         func(string) string { return "" },
	}
}

// TestDialProxyReplyIsBounded: a proxy that answers CONNECT with an endless
// status line, header line, header or refusal body costs the agent at most
// the 64 KiB header cap, and the error says so. Before the fix the whole
// reply was read (a 200 MiB header took the daemon to 474 MB).
func TestDialProxyReplyIsBounded(t *testing.T) {
	tests := []struct {
		name  string
		reply func(net.Conn, *hostileProxy)
		want  string
	}{
		{"endless status line", endless("HTTP/1.1 200 ", "a"), "CONNECT reply header exceeds 64 KiB"},
		{"endless header line", endless("HTTP/1.1 200 Connection established\r\nX-Junk: ", "a"), "CONNECT reply header exceeds 64 KiB"},
		{"endless header", endless("HTTP/1.1 200 Connection established\r\n", "X-Junk: aaaaaaaaaaaaaaaa\r\n"), "CONNECT reply header exceeds 64 KiB"},
		{"refusal with an endless body", endless("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 1099511627776\r\n\r\n", "b"), "CONNECT localhost:1: \"407 Proxy Authentication Required\""},
		{"refusal with an endless close-delimited body", endless("HTTP/1.0 403 Forbidden\r\n\r\n", "b"), `"403 Forbidden"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startHostileProxy(t, tt.reply)
			// A long timeout: the dial must end at the cap, not at the
			// deadline (nothing here measures time).
			o := proxyOptions(p, 30*time.Second)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := protocol.Dial(context.Background(), "localhost:1", o)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("dial allocated %d KiB for a hostile reply", alloc>>10)
			}
			// What the proxy could write: what the agent read plus the
			// socket buffers on both sides.
			if n := p.written.Load(); n > 32<<20 {
				t.Errorf("the proxy wrote %d MiB before the agent hung up", n>>20)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("dial: %v, want %q", err, tt.want)
			}
			t.Logf("dial: %v", err)
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("proxy password in the error: %v", err)
			}
		})
	}
}

// TestDialProxyStallsEndAtTheDeadline: a proxy that stops, trickles, or
// never answers fails the dial at the connect timeout with an error that
// wraps context.DeadlineExceeded and says what was missing; cancelling the
// dial ends it too (context.Canceled).
func TestDialProxyStallsEndAtTheDeadline(t *testing.T) {
	trickle := func(c net.Conn, p *hostileProxy) {
		if p.write(c, []byte("HTTP/1.1 200 OK\r\nX-Slow: ")) != nil {
			return
		}
		for p.write(c, []byte("a")) == nil {
			time.Sleep(5 * time.Millisecond)
		}
	}
	tests := []struct {
		name   string
		reply  func(net.Conn, *hostileProxy)
		cancel bool // cancel the dial once the proxy has the request, instead of a short timeout
		want   error
	}{
		{"no reply", func(c net.Conn, _ *hostileProxy) { stall(c) }, false, context.DeadlineExceeded},
		{"stalls mid-header", func(c net.Conn, p *hostileProxy) {
			if p.write(c, []byte("HTTP/1.1 200 OK\r\nX-A: b")) == nil {
				stall(c)
			}
		}, false, context.DeadlineExceeded},
		{"trickles an endless header", trickle, false, context.DeadlineExceeded},
		{"cancelled while the proxy stalls", func(c net.Conn, _ *hostileProxy) { stall(c) }, true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := startHostileProxy(t, tt.reply)
			o := proxyOptions(p, 200*time.Millisecond)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				o.ConnectTimeout = time.Minute
				go func() {
					select {
					case <-p.requested:
						cancel()
					case <-ctx.Done():
					}
				}()
			}
			_, err := protocol.Dial(ctx, "localhost:1", o)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), "CONNECT reply") {
				t.Fatalf("dial: %v, want %v naming the CONNECT reply", err, tt.want)
			}
			t.Logf("dial: %v", err)
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("proxy password in the error: %v", err)
			}
		})
	}
}

func TestTLSConfigRefusesAHugeCAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, make([]byte, 4<<20+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := protocol.TLSConfig("localhost:1", "", path, nil, false)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("TLSConfig with a 4 MiB + 1 CA file: %v", err)
	}
}
