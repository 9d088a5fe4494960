package secretaudit

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/config"
)

const (
	token = "0123456789abcdef0123456789abcdef.4242"
	pass  = "p@ss/w:rd&<correct horse>+%"
)

func TestScanEncodings(t *testing.T) {
	a := New(Secret{Name: "token", Value: token}, Secret{Name: "smtp", Value: pass, User: "ops"})
	tests := []struct {
		name, data string
		want       []string // "secret/encoding" of each finding, by offset
	}{
		{"clean", "token=****4242 password=**** user=ops\n", nil},
		{"plain", "level=INFO msg=connected token=" + token + "\n", []string{"token/plain"}},
		{"twice, line numbers", "a\n" + token + "\nb " + token, []string{"token/plain", "token/plain"}},
		{"query escaped", "GET /x?pw=" + url.QueryEscape(pass), []string{"smtp/url-query-escaped"}},
		{"query escaped, lower hex", "GET /x?pw=" + strings.ToLower(url.QueryEscape(pass)), []string{"smtp/url-query-escaped"}},
		{"path escaped", "POST /hook/" + url.PathEscape(pass), []string{"smtp/url-path-escaped"}},
		{"userinfo", "proxy " + (&url.URL{Scheme: "http", Host: "p:1", User: url.UserPassword("ops", pass)}).String(), []string{"smtp/url-userinfo"}},
		{"json", `{"password":"p@ss/w:rd\u0026\u003ccorrect horse\u003e+%"}`, []string{"smtp/json-escaped"}},
		{"json without html escaping", `{"password":"p@ss/w:rd&<correct horse>+%"}`, []string{"smtp/plain"}},
		{"hex", "dump " + hex.EncodeToString([]byte(token)), []string{"token/hex"}},
		{"HEX", "dump " + strings.ToUpper(hex.EncodeToString([]byte(token))), []string{"token/hex"}},
		{"basic auth", "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("ops:"+pass)), []string{"smtp/basic-auth"}},
		{"smtp auth plain", "C: AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00ops\x00"+pass)), []string{"smtp/smtp-auth-plain"}},
		{"base64 alone", base64.StdEncoding.EncodeToString([]byte(token)), []string{"token/base64"}},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString([]byte(token)), []string{"token/base64"}},
	}
	// The token inside a longer base64 text, at each alignment.
	for k := range 3 {
		blob := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 10+k) + token + "tail"))
		tests = append(tests, struct {
			name, data string
			want       []string
		}{fmt.Sprintf("base64 at offset %d", 10+k), "body=" + blob, []string{"token/base64"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range a.Scan([]byte(tc.data)) {
				got = append(got, f.Secret+"/"+f.Encoding)
				if strings.Contains(f.String(), token) || strings.Contains(f.String(), "correct") {
					t.Errorf("finding shows the secret: %s", f)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
		})
	}
	fs := a.Scan([]byte("a\n" + token + "\nb " + token))
	if len(fs) != 2 || fs[0].Line != 2 || fs[0].Offset != 2 || fs[1].Line != 3 {
		t.Errorf("positions: %v", fs)
	}
}

func TestShortAndEmptySecrets(t *testing.T) {
	a := New(Secret{Name: "pw", Value: "abc"}, Secret{Name: "none"})
	if got := a.Skipped(); !slices.Equal(got, []string{"pw"}) {
		t.Errorf("Skipped = %v", got)
	}
	if f := a.Scan([]byte("abc abc")); len(f) != 0 {
		t.Errorf("short secret searched: %v", f)
	}
}

type fakeTB struct{ errs []string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestCheckAndCheckDir(t *testing.T) {
	a := New(Secret{Name: "monitoring_token", Value: token})
	var tb fakeTB
	if !a.Check(&tb, "log", []byte("token=****4242")) || len(tb.errs) != 0 {
		t.Errorf("clean data reported: %v", tb.errs)
	}
	if a.Check(&tb, "daemon log", []byte("x\ntoken="+token)) || len(tb.errs) != 1 ||
		tb.errs[0] != "secret leaked in daemon log: monitoring_token (plain) at line 2, offset 8" {
		t.Errorf("leak: %q", tb.errs)
	}
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o700))
	must(t, os.WriteFile(filepath.Join(dir, "clean"), []byte("nothing"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "spool"), []byte(`{"token":"`+token+`"}`), 0o600))
	tb = fakeTB{}
	if a.CheckDir(&tb, dir) || len(tb.errs) != 1 || !strings.Contains(tb.errs[0], filepath.Join(dir, "sub", "spool")) {
		t.Errorf("CheckDir: %q", tb.errs)
	}
	tb = fakeTB{}
	if a.CheckDir(&tb, filepath.Join(dir, "missing")) || len(tb.errs) != 1 {
		t.Errorf("missing dir: %q", tb.errs)
	}
}

func TestFromConfig(t *testing.T) {
	c := config.Default()
	c.Token = token
	c.Notify.WebhookSecret = "whsec-whsec-whsec-5555"
	c.Notify.SMTPUser, c.Notify.SMTPPassword = "ops", "correct-horse-battery"
	c.ProxyURL = "http://proxyuser:proxy-password-1@proxy.example.com:3128"
	c.Notify.WebhookURL = "https://hooks.example.com/services/T0/XXXXXXXXXXXXXXXXXXXXXXXX?token=query-token-2&x=1"
	c.Notify.SMSURL = "https://sms.example.com/send"
	var got []string
	for _, s := range FromConfig(c) {
		got = append(got, s.Name+"="+s.Value+"/"+s.User)
	}
	slices.Sort(got)
	want := []string{
		"monitoring_proxy_url password=proxy-password-1/proxyuser",
		"monitoring_token=" + token + "/",
		"notify_smtp_password=correct-horse-battery/ops",
		"notify_webhook_secret=whsec-whsec-whsec-5555/",
		"notify_webhook_url path=XXXXXXXXXXXXXXXXXXXXXXXX/",
		"notify_webhook_url query token=query-token-2/",
		"notify_webhook_url query x=1/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("FromConfig:\n got %q\nwant %q", got, want)
	}
	// The masked forms config prints are clean.
	a := New(FromConfig(c)...)
	var all strings.Builder
	for _, s := range c.Settings() {
		all.WriteString(s.Key + " " + s.Value + "\n")
	}
	fmt.Fprintf(&all, "%v %+v\n", c, c.Notify)
	if f := a.Scan([]byte(all.String())); len(f) != 0 {
		t.Errorf("config's printed forms leak: %v\n%s", f, all.String())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
