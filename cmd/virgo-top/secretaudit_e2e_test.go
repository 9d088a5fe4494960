//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/internal/secretaudit"
	"github.com/virgo-top/virgo-top/record"
)

// The secrets of the audit: long, distinctive values, each given to the
// daemon the way an operator would.
const (
	auditToken     = "audit-token-9c4e1f7a2b3d5e6f.4242"
	auditHookKey   = "audit-webhook-key-7d8e9f0a1b2c"
	auditSMTPPass  = "audit-smtp-pass-3e4f5a6b7c"
	auditProxyPass = "audit-proxy-pass-1a2b3c4d5e"
	auditHookPath  = "T0ALLOWED/B0SECRETPATH1234567890" // Slack-style credential in the URL path
	auditHookQuery = "querykey-5566778899aabbcc"
)

// TestSecretAudit runs the daemon with every secret it can hold (token from
// a token file, webhook secret and URL credentials, SMTP password, proxy
// password, some of them through the environment) against a real endpoint
// through a real CONNECT proxy, with notifications firing and a plugin
// that dumps its environment; then it searches every output for every
// secret in every encoding secretaudit knows: the daemon's log and
// output, its command line (ps) and the plugin's environment, /metrics
// and /healthz, and every file in the state dir (spool, dead letters,
// notification outboxes, alarm states, schedule). Later outputs
// (recordings, uploads) are added to outputs below.
func TestSecretAudit(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")

	// The endpoint, behind a proxy that wants a password.
	addr := freePort(t)
	ca, rec := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "rec.jsonl")
	sched := filepath.Join(dir, "schedule.json")
	os.WriteFile(sched, []byte(`[{"id":"chMEM","type":"agent.memory","period":1,"timeout":1,"alarms":{"on":{"criteria":"if (metric['total'] > 0) { return new AlarmStatus(CRITICAL, 'memory #{total}'); } return new AlarmStatus(OK);"}}},`+
		`{"id":"chENV","type":"agent.plugin","period":1,"timeout":1,"details":{"file":"env.sh"}}]`), 0o600)
	start(t, bin, "fixture-server", "--listen", addr, "--ca-out", ca, "--record", rec, "--schedule", sched)
	waitFor(t, "the CA file", func() bool { _, err := os.Stat(ca); return err == nil })
	proxy := newAuthProxy(t, "agent", auditProxyPass)

	// Receivers: a webhook with a credential in its path and query, an
	// SMTP server that wants AUTH.
	var hooks sync.WaitGroup
	hooks.Add(1)
	var once sync.Once
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		once.Do(hooks.Done)
	}))
	defer hook.Close()
	mailbox := newAuthSMTP(t, "alerts", auditSMTPPass)

	// The endpoint's plugin check dumps its environment.
	plugins := filepath.Join(dir, "plugins")
	confd := filepath.Join(dir, "conf.d")
	envDump := filepath.Join(dir, "plugin-env.txt")
	os.Mkdir(plugins, 0o700)
	os.Mkdir(confd, 0o700)
	os.WriteFile(filepath.Join(plugins, "env.sh"), []byte("#!/bin/sh\nenv > "+envDump+"\necho 'status ok'\necho 'metric one int32 1'\n"), 0o700)

	// A process whose command line carries secrets, as ours would with
	// --token: the recording keeps every command line, masked.
	decoy := exec.Command("sh", "-c", "sleep 120", "virgo-top", "--token", auditToken, "--proxy", "http://agent:"+auditProxyPass+"@proxy:3128")
	if err := decoy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { decoy.Process.Kill(); decoy.Wait() })

	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(auditToken+"\n"), 0o600)
	metricsAddr := freePort(t)
	logFile := filepath.Join(dir, "daemon.log")
	cfgPath := filepath.Join(dir, "virgo-top.cfg")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`monitoring_id audit
monitoring_token_file %s
monitoring_endpoints %s
monitoring_ca %s
monitoring_proxy_url http://agent:%s@%s
state_dir %s
confd_dir %s
plugin_dir %s
log_file %s
log_level debug
interval 500ms
metrics_listen %s
notify_webhook_url %s/%s?key=%s
notify_smtp_addr %s
notify_smtp_starttls false
notify_smtp_user alerts
notify_smtp_from agent@example.org
notify_smtp_to ops@example.org
`, tokenFile, addr, ca, auditProxyPass, proxy.addr, state, confd, plugins, logFile, metricsAddr,
		hook.URL, auditHookPath, auditHookQuery, mailbox.addr)), 0o600)

	d := &proc{cmd: exec.Command(bin, "--daemon", "--config", cfgPath), out: newSyncBuffer()}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	// Two secrets through the environment, as a unit's Environment= would.
	d.cmd.Env = append(os.Environ(), "VIRGO_TOP_MONITORING_TOKEN=", "VIRGO_TOP_NOTIFY_WEBHOOK_SECRET="+auditHookKey,
		"VIRGO_TOP_NOTIFY_SMTP_PASSWORD="+auditSMTPPass)
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			d.cmd.Wait()
		}
	})

	waitFor(t, "metric posts through the proxy", func() bool { return recordCount(t, rec, "check_metrics.post") >= 3 })
	waitFor(t, "the plugin's environment", func() bool { _, err := os.Stat(envDump); return err == nil })
	waitFor(t, "a webhook", func() bool { hooks.Wait(); return true })
	waitFor(t, "a mail", func() bool { return mailbox.count() > 0 })
	if !proxy.authorized() {
		t.Error("the daemon did not go through the proxy")
	}

	// What the daemon exposes while it runs.
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", d.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string][]byte{"command line (ps)": cmdline}
	for _, path := range []string{"/metrics", "/healthz", "/"} {
		resp, err := http.Get("http://" + metricsAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		outputs[path] = b
	}

	// Then a SIGHUP (the config read again, logged) and a clean stop.
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reload", func() bool { b, _ := os.ReadFile(logFile); return strings.Contains(string(b), "reload:") })
	d.cmd.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() { <-ctx.Done(); d.cmd.Process.Kill() }()
	if err := d.cmd.Wait(); err != nil {
		t.Errorf("daemon exit: %v\n%s", err, d.out)
	}

	for name, path := range map[string]string{"daemon log": logFile, "plugin environment": envDump, "endpoint record": rec} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		outputs[name] = b
	}
	outputs["daemon stdout/stderr"] = []byte(d.out.String())

	var cfg config.Config
	cfg.Token = config.Secret(auditToken)
	cfg.Notify.WebhookSecret = config.Secret(auditHookKey)
	cfg.Notify.SMTPUser, cfg.Notify.SMTPPassword = "alerts", config.Secret(auditSMTPPass)
	cfg.ProxyURL = "http://agent:" + auditProxyPass + "@" + proxy.addr
	cfg.Notify.WebhookURL = hook.URL + "/" + auditHookPath + "?key=" + auditHookQuery
	secrets := secretaudit.FromConfig(cfg)
	if len(secrets) < 6 {
		t.Fatalf("the audit knows only %d secrets: %+v", len(secrets), secrets)
	}
	a := secretaudit.New(secrets...)
	if s := a.Skipped(); len(s) > 0 {
		t.Fatalf("secrets too short to search for: %v", s)
	}
	// The audit is not blind: the files we wrote the secrets into are
	// found out.
	cfgText, _ := os.ReadFile(cfgPath)
	tokText, _ := os.ReadFile(tokenFile)
	if f := a.Scan(append(cfgText, tokText...)); len(f) < 4 {
		t.Fatalf("the audit finds only %v in the config and token files", f)
	}
	for where, b := range outputs {
		if len(b) == 0 && where != "/" && where != "daemon stdout/stderr" {
			t.Errorf("%s is empty: the audit would prove nothing", where)
		}
		a.Check(t, where, b)
	}
	a.CheckDir(t, state)
	if entries, _ := os.ReadDir(state); len(entries) < 4 {
		t.Errorf("state dir holds only %d files", len(entries))
	}

	// The recording is compressed: read it back and search what it holds.
	r, err := record.Open(filepath.Join(state, "record"))
	if err != nil {
		t.Fatalf("the daemon's recording: %v", err)
	}
	var decoded bytes.Buffer
	sawDecoy := false
	err = r.Range(time.Time{}, time.Now().Add(time.Hour), func(f *record.Frame) error {
		for _, p := range f.Snapshot.Processes {
			if p.PID == int32(decoy.Process.Pid) {
				sawDecoy = strings.Contains(p.Cmdline, "--token")
			}
		}
		return json.NewEncoder(&decoded).Encode(f)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawDecoy {
		t.Error("the recording never held the decoy process's command line: the audit of it proves nothing")
	}
	a.Check(t, "the recording (decoded)", decoded.Bytes())
}

// authProxy is an HTTP CONNECT proxy on loopback that wants basic auth.
type authProxy struct {
	addr string
	mu   sync.Mutex
	ok   bool
}

func newAuthProxy(t *testing.T, user, pass string) *authProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &authProxy{addr: ln.Addr().String()}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c, want)
		}
	}()
	return p
}

func (p *authProxy) serve(c net.Conn, want string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	if req.Header.Get("Proxy-Authorization") != want {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	p.mu.Lock()
	p.ok = true
	p.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go io.Copy(up, br)
	io.Copy(c, up)
}

func (p *authProxy) authorized() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ok
}

// authSMTP is a real SMTP server on loopback that wants AUTH PLAIN.
type authSMTP struct {
	addr       string
	user, pass string
	mu         sync.Mutex
	n          int
}

func newAuthSMTP(t *testing.T, user, pass string) *authSMTP {
	s := &authSMTP{user: user, pass: pass}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

func (s *authSMTP) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *authSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &authSession{s: s}, nil }

type authSession struct {
	s    *authSMTP
	auth bool
}

func (a *authSession) AuthMechanisms() []string { return []string{"PLAIN"} }

func (a *authSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != a.s.user || pass != a.s.pass {
			return fmt.Errorf("bad credentials")
		}
		a.auth = true
		return nil
	}), nil
}

func (a *authSession) Mail(string, *smtp.MailOptions) error {
	if !a.auth {
		return fmt.Errorf("auth required")
	}
	return nil
}
func (a *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (a *authSession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	a.s.mu.Lock()
	a.s.n++
	a.s.mu.Unlock()
	return nil
}
func (a *authSession) Reset()        {}
func (a *authSession) Logout() error { return nil }
