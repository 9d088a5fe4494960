package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const testToken = "0000000000000000000000000000000000000000000000000000000000000000.7777"

func TestSecretString(t *testing.T) {
	tests := []struct {
		s    Secret
		want string
	}{
		{"", ""},
		{"abc", "****"},
		{"abcdefghijk", "****"},
		{"abcdefghijkl", "****ijkl"},
		{testToken, "****7777"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("Secret(%d chars).String() = %q, want %q", len(tc.s), got, tc.want)
		}
		if tc.s.Reveal() != string(tc.s) {
			t.Errorf("Reveal changed the value")
		}
	}
}

// TestSecretNeverPrinted prints a Config holding secrets every way a
// caller might and checks no output holds them.
func TestSecretNeverPrinted(t *testing.T) {
	c, err := Load("testdata/monitoring-agent-localhost.cfg")
	if err != nil {
		t.Fatal(err)
	}
	c.Notify.SMTPPassword = "correct-horse-battery-staple"
	c.Notify.WebhookSecret = "whsec-whsec-whsec-5555"
	secrets := []string{"0000000000000000", "correct-horse", "whsec-whsec"}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3v", "%T %v"} {
		outputs = append(outputs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, c.Token), fmt.Sprintf(verb, &c))
	}
	outputs = append(outputs, fmt.Sprint(c.Token), fmt.Sprintln(c), c.Token.String(), c.Token.GoString())

	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(j))
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(y))

	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		l := slog.New(h)
		l.Info("config", "cfg", c, "token", c.Token, "notify", c.Notify)
		l.Info("group", slog.Group("g", slog.Any("token", c.Token)))
	}
	outputs = append(outputs, logs.String())

	// Errors from bad values of secret keys.
	bad := Default()
	for _, key := range []string{"monitoring_token", "notify_smtp_password", "notify_webhook_secret"} {
		if err := bad.Set(key, "0000000000000000 correct-horse whsec-whsec", "flag"); err != nil {
			outputs = append(outputs, err.Error())
		} else {
			t.Errorf("Set(%s) with whitespace accepted", key)
		}
	}
	if err := bad.ApplyEnv([]string{"VIRGO_TOP_MONITORING_TOKEN=0000000000000000\x01"}); err != nil {
		outputs = append(outputs, err.Error())
	} else {
		t.Error("control character accepted")
	}
	bad.Token = Secret(testToken + " x")
	outputs = append(outputs, fmt.Sprint(bad.Validate()))

	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("secret %q printed in:\n%s", s, out)
			}
		}
	}
	all := strings.Join(outputs, "\n")
	for _, want := range []string{"****7777", `"Token":"****7777"`, "token=****7777", `"****7777"`, "****5555"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in outputs", want)
		}
	}
	if s := fmt.Sprintf("%#v", c.Token); s != `"****7777"` {
		t.Errorf("%%#v = %s", s)
	}
	if !errors.Is(bad.Validate(), ErrInvalidValue) {
		t.Error("Validate error does not wrap ErrInvalidValue")
	}
}

// TestConfigURLsNeverPrinted: a Config or NotifyConfig that reaches fmt or
// slog shows its URLs as RedactURL does: no password, no query, no path.
func TestConfigURLsNeverPrinted(t *testing.T) {
	c := Default()
	c.Token = testToken
	c.ProxyURL = "http://proxyuser:proxy-pass-SECRET@proxy.example.com:3128"
	c.Notify.WebhookURL = "https://hooks.example.com/services/PATH-SECRET?token=QUERY-SECRET"
	c.Notify.SMSURL = "https://sms.example.com/send?api_key=SMS-SECRET"
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		outputs = append(outputs, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, c.Notify))
	}
	var logs bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
		slog.New(h).Info("config", "cfg", c, "notify", c.Notify)
	}
	outputs = append(outputs, logs.String())
	for _, out := range outputs {
		if strings.Contains(out, "SECRET") || strings.Contains(out, "0000000000000000") {
			t.Errorf("secret printed in:\n%s", out)
		}
	}
	all := strings.Join(outputs, "\n")
	for _, want := range []string{"monitoring_proxy_url=http://proxy.example.com:3128", "notify_webhook_url=https://hooks.example.com/***",
		"cfg.notify_sms_url=https://sms.example.com/***", `"notify_webhook_url":"https://hooks.example.com/***"`, "monitoring_token=****7777"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q in outputs:\n%s", want, all)
		}
	}
}
