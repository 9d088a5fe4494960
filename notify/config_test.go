package notify

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig(map[string]string{
		"webhook.url":      "https://hooks.example.com/T/B/X",
		"webhook.secret":   "whsec",
		"Webhook.Timeout":  "5s",
		"smtp.addr":        "mail.example.com:587",
		"smtp.user":        "agent",
		"smtp.password":    "smtppw",
		"smtp.from":        "virgo@example.com",
		"smtp.to":          " ops@example.com, ,oncall@example.com ",
		"smtp.starttls":    "true",
		"smtp.tls":         "0",
		"sms.url":          "https://sms.example.com/send",
		"sms.format":       "json",
		"sms.template":     `{"n":"{{.To}}"}`,
		"sms.to":           "+15551234567",
		"sms.token_header": "Authorization",
		"sms.token":        "Bearer tok",
		"sms.timeout":      "3s",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		WebhookURL: "https://hooks.example.com/T/B/X", WebhookSecret: "whsec", WebhookTimeout: 5 * time.Second,
		SMTPAddr: "mail.example.com:587", SMTPUser: "agent", SMTPPassword: "smtppw", SMTPFrom: "virgo@example.com",
		SMTPTo: []string{"ops@example.com", "oncall@example.com"}, SMTPStartTLS: true,
		SMSURL: "https://sms.example.com/send", SMSFormat: "json", SMSTemplate: `{"n":"{{.To}}"}`, SMSTo: "+15551234567",
		SMSTokenHeader: "Authorization", SMSToken: "Bearer tok", SMSTimeout: 3 * time.Second,
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ParseConfig =\n%#v\nwant\n%#v", c.masked(), want.masked())
	}
}

func TestParseConfigErrors(t *testing.T) {
	_, err := ParseConfig(map[string]string{
		"smtp.starttls":  "yes please",
		"webhook.urll":   "x",
		"sms.timeout":    "-3s",
		"webhook.secret": "fine",
		"smtp.password":  "not-a-problem",
	})
	want := `notify config: sms.timeout: want a positive duration like 10s, got "-3s"` + "\n" +
		`notify config: smtp.starttls: want true or false, got "yes please"` + "\n" +
		`notify config: unknown key "webhook.urll"`
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
}

func TestConfigKeys(t *testing.T) {
	want := []string{"sms.format", "sms.password", "sms.template", "sms.timeout", "sms.to", "sms.token", "sms.token_header",
		"sms.url", "sms.user", "smtp.addr", "smtp.ca_file", "smtp.from", "smtp.password", "smtp.starttls", "smtp.tls",
		"smtp.to", "smtp.user", "webhook.format", "webhook.secret", "webhook.tenant", "webhook.timeout", "webhook.token", "webhook.url"}
	if got := ConfigKeys(); !reflect.DeepEqual(got, want) {
		t.Errorf("ConfigKeys = %q", got)
	}
}

func TestFromConfig(t *testing.T) {
	ns, err := FromConfig(Config{
		Version:    "1.2.3",
		WebhookURL: "https://hooks.example.com/x", WebhookSecret: "s",
		SMTPAddr: "127.0.0.1:25", SMTPFrom: "virgo@example.com", SMTPTo: []string{"ops@example.com"},
		SMSURL: "https://sms.example.com/send", SMSTo: "+1",
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range ns {
		got = append(got, fmt.Sprintf("%s %T", n.Name(), n))
	}
	if want := []string{"webhook *notify.Webhook", "email *notify.Email", "sms *notify.SMS"}; !reflect.DeepEqual(got, want) {
		t.Errorf("notifiers = %q, want %q", got, want)
	}
	if ua := ns[0].(*Webhook).userAgent; ua != "virgo-top/1.2.3" {
		t.Errorf("User-Agent = %q", ua)
	}
	if ns, err := FromConfig(Config{}); err != nil || len(ns) != 0 {
		t.Errorf("empty config: %v, %v", ns, err)
	}
}

func TestFromConfigErrors(t *testing.T) {
	_, err := FromConfig(Config{
		WebhookURL: "ftp://hooks.example.com/x", WebhookSecret: "whsecret",
		SMTPPassword: "smtpsecret", SMTPTo: []string{"a@example.com"},
		SMSURL: "https://sms.example.com/send", SMSPassword: "smssecret",
	})
	want := `webhook: URL scheme must be http or https, not "ftp"` + "\n" +
		"notify config: smtp.password, smtp.to set without smtp.addr\n" +
		"sms: no recipient (to)"
	if err == nil || err.Error() != want {
		t.Fatalf("err =\n%v\nwant\n%s", err, want)
	}
	for _, secret := range []string{"whsecret", "smtpsecret", "smssecret"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error leaks %q", secret)
		}
	}
}

func TestFromConfigCAFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "ca.pem")
	srv, _ := selfSigned(t)
	der := srv.Certificates[0].Certificate[0]
	if err := os.WriteFile(good, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := Config{SMTPAddr: "127.0.0.1:25", SMTPFrom: "virgo@example.com", SMTPTo: []string{"ops@example.com"}, SMTPStartTLS: true}

	c := base
	c.SMTPCAFile = good
	ns, err := FromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := x509.ParseCertificate(der)
	e := ns[0].(*Email)
	if _, err := parsed.Verify(x509.VerifyOptions{Roots: e.tls.RootCAs}); err != nil {
		t.Errorf("CA file not used as roots: %v", err)
	}
	if e.tls.ServerName != "127.0.0.1" {
		t.Errorf("ServerName = %q", e.tls.ServerName)
	}

	c.SMTPCAFile = bad
	if _, err := FromConfig(c); err == nil || err.Error() != "email: CA file "+bad+" holds no PEM certificate" {
		t.Errorf("bad CA file: %v", err)
	}
	c.SMTPCAFile = filepath.Join(dir, "missing.pem")
	if _, err := FromConfig(c); err == nil || !strings.HasPrefix(err.Error(), "email: CA file: open ") {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	c := Config{
		WebhookURL: "https://hooks.example.com/services/SECRETPATH", WebhookSecret: "SECRET1",
		SMTPAddr: "mail.example.com:587", SMTPUser: "agent", SMTPPassword: "SECRET2",
		SMSURL: "https://sms.example.com/send?key=SECRET3", SMSPassword: "SECRET4", SMSToken: "SECRET5",
		WebhookToken: "SECRET6",
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("config", "notify", c)
	for name, out := range map[string]string{
		"String":   c.String(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"%#v":      fmt.Sprintf("%#v", c),
		"Sprint":   fmt.Sprint(c),
		"slog":     logged.String(),
		"pointer%": fmt.Sprintf("%v", &c),
	} {
		for _, secret := range []string{"SECRETPATH", "SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5", "SECRET6"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks %s: %s", name, secret, out)
			}
		}
		if !strings.Contains(out, "mail.example.com:587") || !strings.Contains(out, "https://hooks.example.com/***") {
			t.Errorf("%s hides too much: %s", name, out)
		}
	}
	if c.WebhookSecret != "SECRET1" {
		t.Error("masking changed the config")
	}
}

// FuzzParseConfig: any key/value either parses or fails with an error that
// does not repeat a secret value.
func FuzzParseConfig(f *testing.F) {
	f.Add("smtp.password", "hunter2")
	f.Add("smtp.starttls", "maybe")
	f.Add("webhook.timeout", "-1s")
	f.Add("sms.token", "Bearer x")
	f.Add("webhook.format", "rackspace")
	f.Add("webhook.token", "tok")
	f.Add("nope", "")
	f.Add("SMTP.TO", "a@b.c,,d@e.f")
	f.Fuzz(func(t *testing.T, key, value string) {
		c, err := ParseConfig(map[string]string{key: value})
		k := strings.ToLower(strings.TrimSpace(key))
		secret := k == "smtp.password" || k == "sms.password" || k == "sms.token" || k == "webhook.secret" || k == "webhook.token"
		if secret && value != "" {
			if err != nil {
				t.Fatalf("secret key rejected: %v", err)
			}
			// The masked form must not depend on the secret's value.
			other, _ := ParseConfig(map[string]string{key: "other"})
			if c.String() != other.String() {
				t.Fatalf("String depends on the secret:\n%s\n%s", c.String(), other.String())
			}
		}
		if _, known := configKeys[k]; !known && err == nil {
			t.Fatalf("unknown key %q accepted", key)
		}
		// Whatever parsed must build or fail cleanly (without reading
		// arbitrary files named by the fuzzer).
		if k != "smtp.ca_file" {
			_, _ = FromConfig(c)
		}
	})
}
