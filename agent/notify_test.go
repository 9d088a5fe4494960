package agent

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/notify"
)

// mailBox is a real SMTP server's backend that keeps what it receives.
type mailBox struct {
	mu   sync.Mutex
	msgs []string
}

func (b *mailBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{box: b}, nil }

type mailSession struct {
	box  *mailBox
	rcpt []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.rcpt = append(s.rcpt, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, "To: "+strings.Join(s.rcpt, ",")+"\n"+string(b))
	s.box.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// TestAlarmChangeNotifiesWebhookAndEmail runs the agent with a conf.d
// check whose criteria fire on this machine's real values, and receives
// the state change on a webhook and an SMTP server on loopback.
func TestAlarmChangeNotifiesWebhookAndEmail(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var hookMu sync.Mutex
	var hooks []notify.Event
	var sigOK bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev notify.Event
		json.Unmarshal(body, &ev)
		hookMu.Lock()
		hooks = append(hooks, ev)
		sigOK = notify.VerifyWebhook("hook-secret", r.Header.Get(notify.TimestampHeader), r.Header.Get(notify.SignatureHeader), body, time.Now(), 0) == nil
		hookMu.Unlock()
	}))
	defer hook.Close()

	box := &mailBox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	confd := t.TempDir()
	// Memory total is always above zero: the alarm goes CRITICAL at once.
	os.WriteFile(filepath.Join(confd, "mem.yaml"), []byte(`type: agent.memory
label: Memory
period: 1
alarms:
  always:
    label: memory present
    criteria: |
      if (metric['total'] > 0) { return new AlarmStatus(CRITICAL, 'memory total is #{total}'); }
      return new AlarmStatus(OK);
`), 0o600)

	cfg := config.Default()
	cfg.ConfdDir = confd
	cfg.Interval = 200 * time.Millisecond
	cfg.Notify.WebhookURL = hook.URL
	cfg.Notify.WebhookSecret = "hook-secret"
	cfg.Notify.SMTPAddr = l.Addr().String()
	cfg.Notify.SMTPStartTLS = false
	cfg.Notify.SMTPFrom = "agent@example.org"
	cfg.Notify.SMTPTo = []string{"ops@example.org"}
	rt, err := Build(Setup{Config: cfg, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()

	for {
		hookMu.Lock()
		nh := len(hooks)
		hookMu.Unlock()
		box.mu.Lock()
		nm := len(box.msgs)
		box.mu.Unlock()
		if nh > 0 && nm > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out: %d webhooks, %d mails; attempts %+v", nh, nm, rt.Dispatcher.Recent(0))
		case <-time.After(100 * time.Millisecond):
		}
	}
	cancel()
	<-done

	ev := hooks[0]
	if ev.CheckID != "confd-mem" || ev.AlarmName != "always" || ev.Previous != "OK" || ev.Current != "CRITICAL" ||
		!strings.HasPrefix(ev.Message, "memory total is ") || ev.Metrics["total"] == "" {
		t.Errorf("webhook event %+v", ev)
	}
	if !sigOK {
		t.Error("webhook signature does not verify")
	}
	if len(hooks) != 1 {
		t.Errorf("%d webhooks for one state change", len(hooks))
	}
	mail := box.msgs[0]
	for _, want := range []string{"To: ops@example.org", "Subject: =?utf-8?q?[virgo-top]_CRITICAL:_Memory_on_", "memory total is"} {
		if !strings.Contains(mail, want) {
			t.Errorf("mail lacks %q:\n%s", want, mail)
		}
	}
}

// TestRackspaceWebhookFromConfig: notify_webhook_format rackspace (with
// its token and tenant) reaches the webhook, and the body carries each
// metric with the type and unit the check produced.
func TestRackspaceWebhookFromConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type body struct {
		TenantID *string `json:"tenant_id"`
		Details  struct {
			Metrics map[string]struct {
				Type string `json:"type"`
				Unit string `json:"unit"`
			} `json:"metrics"`
			State string `json:"state"`
		} `json:"details"`
	}
	got := make(chan body, 4)
	var tokenMu sync.Mutex
	var token string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		var b body
		if err := json.Unmarshal(data, &b); err != nil {
			t.Errorf("body %s: %v", data, err)
		}
		tokenMu.Lock()
		token = r.Header.Get(notify.RackspaceTokenHeader)
		tokenMu.Unlock()
		select {
		case got <- b:
		default:
		}
	}))
	defer hook.Close()
	confd := t.TempDir()
	os.WriteFile(filepath.Join(confd, "mem.yaml"), []byte(`type: agent.memory
label: Memory
period: 1
alarms:
  always:
    criteria: |
      if (metric['total'] > 0) { return new AlarmStatus(CRITICAL, 'memory total is #{total}'); }
      return new AlarmStatus(OK);
`), 0o600)
	cfg := config.Default()
	cfg.ConfdDir = confd
	cfg.Interval = 200 * time.Millisecond
	for k, v := range map[string]string{"notify_webhook_url": hook.URL, "notify_webhook_format": "rackspace",
		"notify_webhook_token": "rs-token", "notify_webhook_tenant": "123456"} {
		if err := cfg.Set(k, v, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := cfg.Set("notify_webhook_format", "nonsense", "test"); err == nil {
		t.Error("a bad webhook format is accepted")
	}
	rt, err := Build(Setup{Config: cfg, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var b body
	select {
	case b = <-got:
	case <-ctx.Done():
		t.Fatal("no webhook")
	}
	cancel()
	<-done
	tokenMu.Lock()
	defer tokenMu.Unlock()
	if b.TenantID == nil || *b.TenantID != "123456" || token != "rs-token" || b.Details.State != "CRITICAL" {
		t.Errorf("tenant %v token %q state %q", b.TenantID, token, b.Details.State)
	}
	// agent.memory's total is an int64 in bytes (Rackspace's "l"); without
	// the check's own metrics the unit would be "unknown".
	if m, ok := b.Details.Metrics["total"]; !ok || m.Type != "l" || m.Unit != "bytes" {
		t.Errorf("metric total as %+v (all: %+v)", m, b.Details.Metrics)
	}
}
