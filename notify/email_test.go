package notify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpBackend records what real SMTP clients send it.
type smtpBackend struct {
	mu      sync.Mutex
	msgs    []smtpMessage
	rcptErr error // returned by RCPT when set
	user    string
	pass    string
}

type smtpMessage struct {
	From string
	To   []string
	Data string
	TLS  bool
	User string
}

type smtpSession struct {
	be   *smtpBackend
	conn *smtp.Conn
	msg  smtpMessage
}

func (be *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{be: be, conn: c}, nil
}

func (be *smtpBackend) messages() []smtpMessage {
	be.mu.Lock()
	defer be.mu.Unlock()
	return append([]smtpMessage(nil), be.msgs...)
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.be.user || password != s.be.pass {
			return smtp.ErrAuthFailed
		}
		s.msg.User = username
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.msg.From = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.be.rcptErr != nil {
		return s.be.rcptErr
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.msg.TLS = s.conn.TLSConnectionState()
	s.msg.Data = string(b)
	s.be.mu.Lock()
	s.be.msgs = append(s.be.msgs, s.msg)
	s.be.mu.Unlock()
	return nil
}

func (s *smtpSession) Reset()        { s.msg = smtpMessage{User: s.msg.User} }
func (s *smtpSession) Logout() error { return nil }

type smtpServerOpts struct {
	tls          *tls.Config // offered via STARTTLS, or implicit when implicit is set
	implicit     bool
	insecureAuth bool
}

// startSMTP runs a go-smtp server on 127.0.0.1 and returns its address.
func startSMTP(t *testing.T, be *smtpBackend, o smtpServerOpts) string {
	t.Helper()
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.AllowInsecureAuth = o.insecureAuth
	s.ErrorLog = log.New(io.Discard, "", 0)
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	var l net.Listener
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if o.implicit {
		l = tls.NewListener(l, o.tls)
	} else {
		s.TLSConfig = o.tls
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return l.Addr().String()
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client
// config that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "virgo-top test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	return server, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func emailOptions(addr string) EmailOptions {
	return EmailOptions{
		Addr:  addr,
		From:  "Virgo Top <virgo@example.com>",
		To:    []string{"ops@example.com", "On Call <oncall@example.com>"},
		Hello: "agent.example.com",
		Now:   func() time.Time { return fixedNow },
	}
}

var messageIDRe = regexp.MustCompile(`(?m)^Message-ID: <[0-9a-f]{24}@example\.com>\r$`)

const wantMessage = "Date: Tue, 24 Nov 2026 16:00:00 +0000\r\n" +
	"From: \"Virgo Top\" <virgo@example.com>\r\n" +
	"To: <ops@example.com>, \"On Call\" <oncall@example.com>\r\n" +
	"Subject: =?utf-8?q?[virgo-top]_CRITICAL:_cpu_on_web1_=E2=80=94_CPU_at_97%?=\r\n" +
	"Message-ID: <ID>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 7bit\r\n" +
	"Auto-Submitted: auto-generated\r\n" +
	"\r\n" +
	"CRITICAL: cpu on web1\r\n" +
	"CPU at 97%\r\n" +
	"\r\n" +
	"Entity:  web1\r\n" +
	"Check:   cpu (agent.cpu, chCPU1)\r\n" +
	"Alarm:   High CPU (alHighCPU)\r\n" +
	"State:   WARNING -> CRITICAL\r\n" +
	"Time:    2026-11-24T15:59:30Z\r\n" +
	"\r\n" +
	"Metrics:\r\n" +
	"  usage_average: 97.20%\r\n" +
	"  wait_average: 0.10%\r\n" +
	"\r\n" +
	"-- \r\n" +
	"Sent by virgo-top.\r\n"

func checkMessage(t *testing.T, got smtpMessage, want smtpMessage) {
	t.Helper()
	if !messageIDRe.MatchString(got.Data) {
		t.Errorf("no well-formed Message-ID in:\n%s", got.Data)
	}
	got.Data = messageIDRe.ReplaceAllString(got.Data, "Message-ID: <ID>\r")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("received\n%+v\nwant\n%+v", got, want)
		if got.Data != want.Data {
			t.Errorf("data:\n%q\nwant\n%q", got.Data, want.Data)
		}
	}
}

func TestEmailPlain(t *testing.T) {
	be := &smtpBackend{}
	addr := startSMTP(t, be, smtpServerOpts{})
	e, err := NewEmail(emailOptions(addr))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(context.Background(), testEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	checkMessage(t, msgs[0], smtpMessage{From: "virgo@example.com", To: []string{"ops@example.com", "oncall@example.com"}, Data: wantMessage})
	// The message parses, and the subject decodes to Event.Subject.
	m, err := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subj != "[virgo-top] CRITICAL: cpu on web1 — CPU at 97%" {
		t.Errorf("decoded subject = %q, %v", subj, err)
	}
}

func TestEmailAuthPlainOnLocalhost(t *testing.T) {
	be := &smtpBackend{user: "agent", pass: "hunter2"}
	addr := startSMTP(t, be, smtpServerOpts{insecureAuth: true})
	o := emailOptions(addr)
	o.Username, o.Password = "agent", "hunter2"
	e, err := NewEmail(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(context.Background(), testEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 || msgs[0].User != "agent" || msgs[0].TLS {
		t.Fatalf("messages = %+v, want one from user agent without TLS", msgs)
	}

	o.Password = "wrong-password"
	e, _ = NewEmail(o)
	err = e.Notify(context.Background(), testEvent())
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "AUTH PLAIN: 535") {
		t.Errorf("bad password: err = %v, want permanent 535", err)
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// TestEmailRefusesPlainAuthToOtherHosts: credentials go in the clear only
// to localhost. 127.0.0.2 is loopback too, but not by net/smtp's rule.
func TestEmailRefusesPlainAuthToOtherHosts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2 here: %v", err)
	}
	be := &smtpBackend{user: "agent", pass: "hunter2"}
	s := smtp.NewServer(be)
	s.AllowInsecureAuth = true
	s.ErrorLog = log.New(io.Discard, "", 0)
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	o := emailOptions(l.Addr().String())
	o.Username, o.Password = "agent", "hunter2"
	e, err := NewEmail(o)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Notify(context.Background(), testEvent())
	want := "email via " + l.Addr().String() + ": AUTH PLAIN: unencrypted connection"
	if err == nil || err.Error() != want || !IsPermanent(err) {
		t.Errorf("err = %v, want permanent %q", err, want)
	}
	if n := len(be.messages()); n != 0 {
		t.Errorf("server accepted %d messages", n)
	}
}

func TestEmailStartTLS(t *testing.T) {
	srvTLS, cliTLS := selfSigned(t)
	be := &smtpBackend{user: "agent", pass: "hunter2"}
	addr := startSMTP(t, be, smtpServerOpts{tls: srvTLS}) // AUTH only after TLS
	o := emailOptions(addr)
	o.StartTLS, o.TLSConfig = true, cliTLS
	o.Username, o.Password = "agent", "hunter2"
	e, err := NewEmail(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(context.Background(), testEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("server got %d messages, want 1", len(msgs))
	}
	checkMessage(t, msgs[0], smtpMessage{From: "virgo@example.com", To: []string{"ops@example.com", "oncall@example.com"},
		Data: wantMessage, TLS: true, User: "agent"})
}

func TestEmailImplicitTLS(t *testing.T) {
	srvTLS, cliTLS := selfSigned(t)
	be := &smtpBackend{}
	addr := startSMTP(t, be, smtpServerOpts{tls: srvTLS, implicit: true})
	o := emailOptions(addr)
	o.ImplicitTLS, o.TLSConfig = true, cliTLS
	e, err := NewEmail(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Notify(context.Background(), testEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if msgs := be.messages(); len(msgs) != 1 || !msgs[0].TLS {
		t.Fatalf("messages = %+v, want one over TLS", msgs)
	}
}

func TestEmailFailures(t *testing.T) {
	srvTLS, cliTLS := selfSigned(t)
	_, otherCA := selfSigned(t)
	tests := []struct {
		name      string
		server    smtpServerOpts
		rcptErr   error
		opts      func(*EmailOptions)
		permanent bool
		want      string // substring of the error
		reply     string // the server's reply text, when one is expected
	}{
		{
			name:      "STARTTLS required but not offered",
			opts:      func(o *EmailOptions) { o.StartTLS = true },
			permanent: true,
			want:      "STARTTLS required but the server does not offer it",
		},
		{
			name:      "AUTH not offered without TLS",
			opts:      func(o *EmailOptions) { o.Username, o.Password = "agent", "pw" },
			permanent: true,
			want:      "credentials configured but the server does not offer AUTH",
		},
		{
			name:      "untrusted certificate",
			server:    smtpServerOpts{tls: srvTLS},
			opts:      func(o *EmailOptions) { o.StartTLS, o.TLSConfig = true, otherCA },
			permanent: true,
			want:      "STARTTLS: tls: failed to verify certificate",
		},
		{
			name:   "wrong server name",
			server: smtpServerOpts{tls: srvTLS},
			opts: func(o *EmailOptions) {
				c := cliTLS.Clone()
				c.ServerName = "mail.example.com"
				o.StartTLS, o.TLSConfig = true, c
			},
			permanent: true,
			want:      "certificate is valid for localhost, not mail.example.com",
		},
		{
			name:      "recipient rejected",
			rcptErr:   &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
			permanent: true,
			want:      "RCPT TO ops@example.com: 550",
			reply:     "5.1.1 no such user",
		},
		{
			name:    "recipient deferred",
			rcptErr: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"},
			want:    "RCPT TO ops@example.com: 451",
			reply:   "4.3.0 try later",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := &smtpBackend{rcptErr: tt.rcptErr}
			addr := startSMTP(t, be, tt.server)
			o := emailOptions(addr)
			if tt.opts != nil {
				tt.opts(&o)
			}
			e, err := NewEmail(o)
			if err != nil {
				t.Fatal(err)
			}
			err = e.Notify(context.Background(), testEvent())
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if !strings.HasPrefix(err.Error(), "email via "+addr+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (%v)", IsPermanent(err), tt.permanent, err)
			}
			if tt.reply != "" {
				var te *textproto.Error
				if !errors.As(err, &te) || te.Msg != tt.reply {
					t.Errorf("reply = %+v, want %q", te, tt.reply)
				}
			}
			if n := len(be.messages()); n != 0 {
				t.Errorf("server accepted %d messages", n)
			}
		})
	}
}

func TestEmailConnectionRefusedIsRetryable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e, err := NewEmail(emailOptions(addr))
	if err != nil {
		t.Fatal(err)
	}
	err = e.Notify(context.Background(), testEvent())
	if err == nil || IsPermanent(err) || !strings.Contains(err.Error(), "connect: ") {
		t.Errorf("err = %v, want a retryable connect error", err)
	}
}

func TestEmailSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			defer c.Close()
			_, _ = io.Copy(io.Discard, c) // never greets
		}
	}()
	o := emailOptions(l.Addr().String())
	o.Timeout = 50 * time.Millisecond
	e, err := NewEmail(o)
	if err != nil {
		t.Fatal(err)
	}
	err = e.Notify(context.Background(), testEvent())
	if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a retryable deadline error", err)
	}
}

func TestEmailDotStuffingAndQuotedPrintable(t *testing.T) {
	be := &smtpBackend{}
	addr := startSMTP(t, be, smtpServerOpts{})
	e, err := NewEmail(emailOptions(addr))
	if err != nil {
		t.Fatal(err)
	}
	ev := testEvent()
	ev.Metrics = nil
	ev.Message = "first\n.\n.hidden line\nTemperatur über 90 °C"
	if err := e.Notify(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages", len(msgs))
	}
	m, err := mail.ReadMessage(strings.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Content-Transfer-Encoding"); got != "quoted-printable" {
		t.Errorf("encoding = %q", got)
	}
	raw, _ := io.ReadAll(m.Body)
	if !bytes.Contains(raw, []byte("\r\n.hidden line\r\n")) || !bytes.Contains(raw, []byte("Temperatur =C3=BCber 90 =C2=B0C")) {
		t.Errorf("raw body:\n%s", raw)
	}
	body, err := io.ReadAll(quotedPrintableReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := "CRITICAL: cpu on web1\r\nfirst\r\n.\r\n.hidden line\r\nTemperatur über 90 °C\r\n\r\n" +
		"Entity:  web1\r\nCheck:   cpu (agent.cpu, chCPU1)\r\nAlarm:   High CPU (alHighCPU)\r\n" +
		"State:   WARNING -> CRITICAL\r\nTime:    2026-11-24T15:59:30Z\r\n\r\n-- \r\nSent by virgo-top.\r\n"
	if string(body) != want {
		t.Errorf("decoded body:\n%q\nwant\n%q", body, want)
	}
}

func TestEmailBodyOfCoalescedEvent(t *testing.T) {
	ev := coalesced(time.Date(2026, 11, 24, 12, 3, 5, 0, time.UTC), "CPU at 20%")
	ev.Metrics = nil
	want := "OK: cpu on web1\r\nCPU at 20%\r\n\r\n" +
		"Entity:  web1\r\nCheck:   cpu (agent.cpu, chCPU1)\r\nAlarm:   High CPU (alHighCPU)\r\n" +
		"State:   OK -> CRITICAL -> OK\r\nBetween: CRITICAL at 2026-11-24T12:03:05Z: CPU at 97%\r\n" +
		"Changes: 2 state changes since the last notification\r\nTime:    2026-11-24T15:59:30Z\r\n\r\n-- \r\nSent by virgo-top.\r\n"
	if got := messageBody(ev); got != want {
		t.Errorf("body:\n%q\nwant\n%q", got, want)
	}
}

func TestNewEmailRejectsBadOptions(t *testing.T) {
	good := emailOptions("mail.example.com:587")
	tests := []struct {
		name string
		mod  func(*EmailOptions)
		want string
	}{
		{"no port", func(o *EmailOptions) { o.Addr = "mail.example.com" }, `email: server address "mail.example.com": want host:port: address mail.example.com: missing port in address`},
		{"no host", func(o *EmailOptions) { o.Addr = ":25" }, `email: server address ":25" has no host`},
		{"bad port", func(o *EmailOptions) { o.Addr = "mail.example.com:smtp" }, `email: server address "mail.example.com:smtp": port must be 1-65535`},
		{"port zero", func(o *EmailOptions) { o.Addr = "mail.example.com:0" }, `email: server address "mail.example.com:0": port must be 1-65535`},
		{"both TLS", func(o *EmailOptions) { o.StartTLS, o.ImplicitTLS = true, true }, "email: choose STARTTLS or implicit TLS, not both"},
		{"user without password", func(o *EmailOptions) { o.Username = "u" }, "email: username and password go together"},
		{"password without user", func(o *EmailOptions) { o.Password = "secretpw" }, "email: username and password go together"},
		{"bad from", func(o *EmailOptions) { o.From = "not an address" }, `email: from address "not an address": mail: `},
		{"no to", func(o *EmailOptions) { o.To = nil }, "email: no recipients (to)"},
		{"bad to", func(o *EmailOptions) { o.To = []string{"a@example.com", "@"} }, `email: to address "@": mail: `},
		{"negative timeout", func(o *EmailOptions) { o.Timeout = -1 }, "email: timeout must not be negative, got -1ns"},
	}
	for _, tt := range tests {
		o := good
		o.To = append([]string(nil), good.To...)
		tt.mod(&o)
		_, err := NewEmail(o)
		// Messages ending in "mail: " continue with net/mail's own words.
		if err == nil || (err.Error() != tt.want && !(strings.HasSuffix(tt.want, "mail: ") && strings.HasPrefix(err.Error(), tt.want))) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	e, err := NewEmail(good)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.String(), "email smtp://mail.example.com:587 from virgo@example.com to 2 recipient(s)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// FuzzBuildMessage checks that no event field can add a header or break the
// message structure.
func FuzzBuildMessage(f *testing.F) {
	f.Add("web1", "cpu", "CPU at 97%", "usage", "97%")
	f.Add("web1\r\nBcc: evil@example.com", "cpu\n", "line\r\n.\r\nQUIT", "k\r\nX: y", "v\x00")
	f.Add("", "", "", "", "")
	f.Add("ünïcødé", "\xff\xfe", strings.Repeat("x", 2000), "=", "=?utf-8?q?x?=")
	from := &mail.Address{Name: "Virgo", Address: "virgo@example.com"}
	to := []*mail.Address{{Address: "ops@example.com"}}
	f.Fuzz(func(t *testing.T, entity, label, message, mk, mv string) {
		ev := Event{Entity: entity, CheckLabel: label, Message: message, Current: StateCritical, Previous: StateOK,
			Metrics: map[string]string{mk: mv}, Time: fixedNow}
		raw := buildMessage(ev, from, to, fixedNow, "<id@example.com>")
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("message does not parse: %v\n%q", err, raw)
		}
		if len(m.Header) != 9 {
			t.Fatalf("message has %d headers, want 9: %v", len(m.Header), m.Header)
		}
		subj, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("subject does not decode: %v", err)
		}
		if subj != ev.Subject() {
			t.Fatalf("subject = %q, want %q", subj, ev.Subject())
		}
		for i, line := range bytes.Split(raw, []byte("\r\n")) {
			if len(line) > 998 || bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 {
				t.Fatalf("line %d is not a proper CRLF line: %q", i, line)
			}
		}
	})
}

func quotedPrintableReader(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }

func TestBuildMessageFoldsLongHeaders(t *testing.T) {
	from := &mail.Address{Address: "virgo@example.com"}
	var to []*mail.Address
	for _, s := range []string{"alpha", "bravo", "charlie", "delta"} {
		to = append(to, &mail.Address{Address: s + "@example.com"})
	}
	ev := testEvent()
	ev.Message = "Température " + strings.Repeat("élevée ", 8)
	raw := string(buildMessage(ev, from, to, fixedNow, "<id@example.com>"))
	wantTo := "To: <alpha@example.com>,\r\n <bravo@example.com>,\r\n <charlie@example.com>,\r\n <delta@example.com>\r\n"
	if !strings.Contains(raw, wantTo) {
		t.Errorf("To not folded one per line:\n%s", raw)
	}
	wantSubj := "Subject: =?utf-8?q?[virgo-top]_CRITICAL:_cpu_on_web1_=E2=80=94_Temp=C3=A9rature_?=\r\n" +
		" =?utf-8?q?=C3=A9lev=C3=A9e_=C3=A9lev=C3=A9e_=C3=A9lev=C3=A9e_=C3=A9lev?=\r\n" +
		" =?utf-8?q?=C3=A9e_=C3=A9lev=C3=A9e_=C3=A9lev=C3=A9e_=C3=A9lev=C3=A9e_?=\r\n" +
		" =?utf-8?q?=C3=A9lev=C3=A9e?=\r\n"
	if !strings.Contains(raw, wantSubj) {
		t.Errorf("Subject not folded as expected:\n%s", raw)
	}
	m, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := m.Header.AddressList("To")
	if err != nil || len(addrs) != 4 || addrs[3].Address != "delta@example.com" {
		t.Errorf("To parses to %v, %v", addrs, err)
	}
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subj != ev.Subject() {
		t.Errorf("subject = %q, want %q", subj, ev.Subject())
	}
}
