package protocol_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// postKey names one result: its check and timestamp.
type postKey struct {
	check string
	ts    int64
}

// refuseEndpoint is a minimal endpoint over TLS whose answer to each
// check_metrics.post is decided by the test: policy gets the post and how
// many times it was received (1 the first time) and returns the error to
// answer with, or nil to accept it. A line over maxLine drops the connection,
// as the fixture endpoint does.
type refuseEndpoint struct {
	t         testing.TB
	ln        net.Listener
	caPEM     []byte
	maxLine   int
	heartbeat time.Duration
	policy    func(p protocol.MetricsPost, n int) *protocol.Error

	mu        sync.Mutex
	conns     map[net.Conn]bool
	received  map[postKey]int
	delivered []postKey
	hellos    int
	helloC    chan struct{} // one value per hello
	wg        sync.WaitGroup
}

func startRefuseEndpoint(t testing.TB, policy func(p protocol.MetricsPost, n int) *protocol.Error) *refuseEndpoint {
	t.Helper()
	cert, caPEM := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	e := &refuseEndpoint{
		t: t, ln: ln, caPEM: caPEM, maxLine: protocol.DefaultMaxLineSize, heartbeat: time.Hour, policy: policy,
		conns: map[net.Conn]bool{}, received: map[postKey]int{}, helloC: make(chan struct{}, 1000),
	}
	e.wg.Add(1)
	go e.accept()
	t.Cleanup(e.Close)
	return e
}

func (e *refuseEndpoint) Addr() string { return e.ln.Addr().String() }

// Close stops the endpoint and waits for its goroutines.
func (e *refuseEndpoint) Close() {
	e.ln.Close()
	e.Drop()
	e.wg.Wait()
}

// Drop closes every open connection.
func (e *refuseEndpoint) Drop() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for c := range e.conns {
		c.Close()
	}
}

func (e *refuseEndpoint) accept() {
	defer e.wg.Done()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[c] = true
		e.mu.Unlock()
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer func() {
				e.mu.Lock()
				delete(e.conns, c)
				e.mu.Unlock()
				c.Close()
			}()
			e.serve(c)
		}()
	}
}

// SetMaxLine sets the line limit of the connections accepted from now on.
func (e *refuseEndpoint) SetMaxLine(n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.maxLine = n
}

func (e *refuseEndpoint) serve(c net.Conn) {
	e.mu.Lock()
	maxLine := e.maxLine
	e.mu.Unlock()
	codec := protocol.NewCodec(c, maxLine)
	for {
		m, err := codec.Read()
		if err != nil || m.Request == nil {
			return
		}
		req := m.Request
		resp := protocol.Response{V: protocol.Version, ID: req.ID, Source: protocol.TargetEndpoint, Target: req.Source}
		switch req.Method {
		case protocol.MethodHello:
			resp.Result, _ = json.Marshal(protocol.HelloResult{HeartbeatInterval: e.heartbeat.Milliseconds(), EntityID: "enTEST"})
			e.mu.Lock()
			e.hellos++
			e.mu.Unlock()
			select {
			case e.helloC <- struct{}{}:
			default: // nobody is counting
			}
		case protocol.MethodHeartbeat:
			resp.Result, _ = json.Marshal(protocol.HeartbeatResult{Timestamp: time.Now().UnixMilli()})
		case protocol.MethodMetricsPost:
			var p protocol.MetricsPost
			if err := json.Unmarshal(req.Params, &p); err != nil {
				resp.Error = &protocol.Error{Code: 400, Message: "bad post"}
				break
			}
			k := postKey{p.CheckID, p.Timestamp}
			e.mu.Lock()
			e.received[k]++
			n := e.received[k]
			e.mu.Unlock()
			if perr := e.policy(p, n); perr != nil {
				resp.Error = perr
				break
			}
			e.mu.Lock()
			e.delivered = append(e.delivered, k)
			e.mu.Unlock()
			resp.Result = json.RawMessage(`{}`)
		default:
			resp.Result = json.RawMessage(`{}`)
		}
		if err := codec.Write(resp); err != nil {
			return
		}
	}
}

// Delivered returns the posts accepted, in order.
func (e *refuseEndpoint) Delivered() []postKey {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]postKey(nil), e.delivered...)
}

// Received returns how many times the post k arrived.
func (e *refuseEndpoint) Received(k postKey) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.received[k]
}

// Hellos returns the number of handshakes.
func (e *refuseEndpoint) Hellos() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hellos
}

// options returns manager options for the endpoint with a fast backoff.
func (e *refuseEndpoint) options(t testing.TB) protocol.Options {
	return protocol.Options{
		Endpoints:        []string{e.Addr()},
		CAPEM:            e.caPEM,
		Token:            testToken,
		AgentID:          "agentA",
		ConnectTimeout:   2 * time.Second,
		HandshakeTimeout: 2 * time.Second,
		HeartbeatTimeout: 2 * time.Second,
		PostTimeout:      2 * time.Second,
		BackoffInitial:   time.Millisecond,
		BackoffMax:       4 * time.Millisecond,
		Logger:           testLogger(t),
		Getenv:           func(string) string { return "" },
	}
}

// selfSigned returns a certificate for 127.0.0.1 that is its own CA.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "refuse endpoint"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// checkOrder asserts that, per check, the delivered timestamps increase,
// except those listed as allowed to come late.
func checkOrder(t *testing.T, got []postKey, late map[postKey]bool) {
	t.Helper()
	last := map[string]int64{}
	for _, k := range got {
		if late[k] {
			continue
		}
		if k.ts <= last[k.check] {
			t.Errorf("%s@%d delivered after %s@%d", k.check, k.ts, k.check, last[k.check])
		}
		last[k.check] = k.ts
	}
}
