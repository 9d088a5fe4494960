package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/endpoint"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

const (
	epTokenOld = "old-token-0123456789abcdef"
	epTokenNew = "new-token-0123456789abcdef"
)

// endpointDir writes a config, a token file, a certificate and a schedule
// dir, and returns the config's path.
func endpointDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fx, err := fixtures.New(fixtures.Options{TLSDir: filepath.Join(dir, "tls")})
	if err != nil {
		t.Fatal(err)
	}
	fx.Close()
	files := map[string]string{
		"endpoint.yaml": "listen: 127.0.0.1:0\nmetrics_listen: \"off\"\ntls: {cert_file: tls/cert.pem, key_file: tls/key.pem}\n" +
			"token_file: tokens\nschedule_dir: schedules\noutputs: {remote_write: [{url: 'http://127.0.0.1:1/api/v1/write'}]}\n",
		"tokens":                     epTokenOld + " agent-*\n",
		"schedules/default/cpu.yaml": "type: agent.cpu\nperiod: 30\n",
	}
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "endpoint.yaml")
}

func TestEndpointCheckConfig(t *testing.T) {
	tests := []struct {
		name   string
		mangle func(dir string)
		want   string
	}{
		{"ok", func(string) {}, "ok (1 tokens, 1 outputs"},
		{"bad token file", func(dir string) { os.WriteFile(filepath.Join(dir, "tokens"), []byte("short x\n"), 0o600) }, "shorter than 16"},
		{"missing certificate", func(dir string) { os.Remove(filepath.Join(dir, "tls", "key.pem")) }, "tls:"},
		{"bad schedule", func(dir string) {
			os.WriteFile(filepath.Join(dir, "schedules", "default", "x.yaml"), []byte("type: nope\n"), 0o600)
		}, "1 schedule files refused"},
		{"missing schedule dir", func(dir string) { os.RemoveAll(filepath.Join(dir, "schedules")) }, "schedule_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := endpointDir(t)
			tt.mangle(filepath.Dir(cfg))
			var out, errb bytes.Buffer
			err := runEndpoint([]string{"--config", cfg, "--check-config"}, &out, &errb)
			got := out.String()
			if err != nil {
				got = err.Error()
			}
			if !strings.Contains(got, tt.want) {
				t.Fatalf("got %q (stderr %q), want %q", got, errb.String(), tt.want)
			}
			if strings.Contains(out.String()+errb.String()+got, epTokenOld) {
				t.Fatal("the token was printed")
			}
		})
	}
}

// TestEndpointReload: SIGHUP's reload keeps the old token file and
// certificate when the new ones are bad (and says why), and takes good new
// ones.
func TestEndpointReload(t *testing.T) {
	cfgPath := endpointDir(t)
	dir := filepath.Dir(cfgPath)
	st, err := loadEndpoint(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := newSyncBuffer() // the connections log while the test reads
	log := slog.New(slog.NewTextHandler(logs, nil))
	srv := endpoint.New(endpoint.Options{Config: st.cfg, Tokens: st.tokens, Schedules: st.scheds, Outputs: st.outputs, Certificate: st.cert, Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() { srv.Close(); <-done }()
	ca, err := os.ReadFile(filepath.Join(dir, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	hello := func(token string) *protocol.Error {
		t.Helper()
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: roots, ServerName: "localhost"})
		if err != nil {
			t.Fatalf("TLS: %v", err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		p, _ := json.Marshal(protocol.HelloParams{Token: token, AgentID: "agent-1"})
		b, _ := json.Marshal(protocol.Request{V: "1", ID: protocol.NumberID(1), Source: "g", Target: "endpoint", Method: protocol.MethodHello, Params: p})
		if _, err := c.Write(append(b, '\n')); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadBytes('\n')
		if err != nil {
			t.Fatal(err)
		}
		m, err := protocol.Decode(bytes.TrimSpace(line))
		if err != nil || m.Response == nil {
			t.Fatalf("%+v %v", m, err)
		}
		return m.Response.Error
	}
	if e := hello(epTokenOld); e != nil {
		t.Fatal(e)
	}
	// Bad new files: the old ones stay.
	os.WriteFile(filepath.Join(dir, "tokens"), []byte("# nothing\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "tls", "cert.pem"), []byte("not a certificate"), 0o600)
	reloadEndpoint(st, srv, log)
	for _, want := range []string{"token file refused, the previous tokens stay", "certificate refused, the previous one stays"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if e := hello(epTokenOld); e != nil {
		t.Fatalf("old token after a bad reload: %v", e)
	}
	// A good new token file replaces the old one.
	os.WriteFile(filepath.Join(dir, "tokens"), []byte(epTokenNew+" agent-*\n"), 0o600)
	reloadEndpoint(st, srv, log)
	if e := hello(epTokenNew); e != nil {
		t.Fatalf("new token: %v", e)
	}
	if e := hello(epTokenOld); e == nil || e.Code != 401 {
		t.Fatalf("old token after the reload: %v", e)
	}
	if strings.Contains(logs.String(), epTokenOld) || strings.Contains(logs.String(), epTokenNew) {
		t.Fatalf("a token in the log:\n%s", logs.String())
	}
}
