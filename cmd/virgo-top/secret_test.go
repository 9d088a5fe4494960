package main

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/internal/secretaudit"
)

// withEnviron replaces environ for one test.
func withEnviron(t *testing.T, env ...string) {
	t.Helper()
	environ = func() []string { return env }
	t.Cleanup(func() { environ = os.Environ })
}

func writeTestFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadWith parses root flags and loads the config as the daemon does,
// returning the config, what was logged and the error.
func loadWith(t *testing.T, args ...string) (config.Config, string, error) {
	t.Helper()
	rf, err := parseRootFlags(args, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cfg, err := loadConfig(rf, slog.New(slog.NewTextHandler(&log, nil)))
	return cfg, log.String(), err
}

const (
	flagToken = "flag-token-flag-token-flag-token.5555"
	fileToken = "file-token-file-token-file-token.6666"
	credToken = "cred-token-cred-token-cred-token.7777"
	cfgToken  = "conf-token-conf-token-conf-token.8888"
)

// TestTokenFile: --token-file, monitoring_token_file and the systemd
// credential give the token; flags > environment > credential > file.
func TestTokenFile(t *testing.T) {
	dir := t.TempDir()
	tokenFile := writeTestFile(t, filepath.Join(dir, "token"), fileToken+"\n", 0o600)
	cfgWithToken := writeTestFile(t, filepath.Join(dir, "token.cfg"), "monitoring_token "+cfgToken+"\n", 0o600)
	cfgWithFile := writeTestFile(t, filepath.Join(dir, "file.cfg"), "monitoring_token_file "+tokenFile+"\n", 0o600)
	creds := filepath.Join(dir, "credentials")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	// As packaging/virgo-top.service hands them over: the config file and
	// the token as credentials. systemd may show an ACL as group bits.
	credCfg := writeTestFile(t, filepath.Join(creds, "virgo-top.cfg"), "monitoring_token "+cfgToken+"\n", 0o440)
	writeTestFile(t, filepath.Join(creds, config.CredentialToken), credToken, 0o440)

	tests := []struct {
		name  string
		env   []string
		args  []string
		token string
	}{
		{"config file", nil, []string{"--config", cfgWithToken}, cfgToken},
		{"config token file", nil, []string{"--config", cfgWithFile}, fileToken},
		{"--token-file over config", nil, []string{"--config", cfgWithToken, "--token-file", tokenFile}, fileToken},
		{"--token over config token file", nil, []string{"--config", cfgWithFile, "--token", flagToken}, flagToken},
		{"env token file", []string{"VIRGO_TOP_MONITORING_TOKEN_FILE=" + tokenFile}, []string{"--config", cfgWithToken}, fileToken},
		{"credential over config", []string{"CREDENTIALS_DIRECTORY=" + creds}, []string{"--config", credCfg}, credToken},
		{"env over credential", []string{"CREDENTIALS_DIRECTORY=" + creds, "VIRGO_TOP_MONITORING_TOKEN=" + flagToken}, []string{"--config", credCfg}, flagToken},
		{"--token-file over credential", []string{"CREDENTIALS_DIRECTORY=" + creds}, []string{"--config", credCfg, "--token-file", tokenFile}, fileToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withEnviron(t, tc.env...)
			cfg, log, err := loadWith(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Token.Reveal() != tc.token {
				t.Errorf("token %q, want %q", cfg.Token.Reveal(), tc.token)
			}
			if strings.Contains(log, "readable by other users") {
				t.Errorf("warned about the credential's mode:\n%s", log)
			}
			secretaudit.New(secretaudit.Secret{Name: "token", Value: tc.token}).Check(t, "log", []byte(log))
		})
	}
}

// TestTokenFileRefused: a token file group or others can read stops the
// daemon with a usage error that names it; --token and --token-file
// together are an error.
func TestTokenFileRefused(t *testing.T) {
	withEnviron(t)
	dir := t.TempDir()
	cfgFile := writeTestFile(t, filepath.Join(dir, "a.cfg"), "monitoring_id a\n", 0o600)
	open := writeTestFile(t, filepath.Join(dir, "token"), fileToken, 0o644)
	_, _, err := loadWith(t, "--config", cfgFile, "--token-file", open)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "flag: monitoring_token_file: "+open+" has mode 0644") ||
		!strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), fileToken) {
		t.Errorf("open token file: %v", err)
	}
	_, _, err = loadWith(t, "--config", cfgFile, "--token-file", open, "--token", flagToken)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--token conflicts with --token-file") || strings.Contains(err.Error(), flagToken) {
		t.Errorf("both flags: %v", err)
	}
	code, _, stderr := runCLI(t, "--daemon", "--config", cfgFile, "--token-file", open)
	if code != exitUsage || !strings.Contains(stderr, "has mode 0644") {
		t.Errorf("daemon: exit %d, %q", code, stderr)
	}
}

// TestTokenFlagWarning: --token is warned about once (not again on a
// SIGHUP reload), pointing at --token-file, without the token.
func TestTokenFlagWarning(t *testing.T) {
	withEnviron(t)
	cfgFile := writeTestFile(t, filepath.Join(t.TempDir(), "a.cfg"), "monitoring_id a\n", 0o600)
	rf, err := parseRootFlags([]string{"--config", cfgFile, "--token", flagToken}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	l := slog.New(slog.NewTextHandler(&log, nil))
	for range 2 { // start, then a reload
		if _, err := loadConfig(rf, l); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(log.String(), "--token is visible to every user"); n != 1 || !strings.Contains(log.String(), "--token-file") {
		t.Errorf("warning logged %d times:\n%s", n, log.String())
	}
	secretaudit.New(secretaudit.Secret{Name: "token", Value: flagToken}).Check(t, "log", log.Bytes())

	log.Reset()
	if _, out, err := loadWith(t, "--config", cfgFile); err != nil || strings.Contains(out, "--token is visible") {
		t.Errorf("warned without --token: %v %s", err, out)
	}
}

// TestConfigCheckMasksSecrets: config check never prints a secret, a URL
// query string, a webhook path or a user info password, in any encoding.
func TestConfigCheckMasksSecrets(t *testing.T) {
	dir := t.TempDir()
	tokenFile := writeTestFile(t, filepath.Join(dir, "token"), fileToken, 0o600)
	cfgText := "monitoring_token_file " + tokenFile + "\n" +
		"monitoring_proxy_url http://proxyuser:proxy-SECRET-password@proxy.example.com:3128\n" +
		"notify_webhook_url https://h/x?token=SECRET-query-token-1234\n" +
		"notify_webhook_secret whsec-SECRET-whsec-SECRET\n" +
		"notify_sms_url https://smsuser:sms-SECRET-password@sms.example.com/send/SECRETSECRETSECRETSECRET?api_key=SECRET-api-key-5678\n" +
		"notify_sms_to +15555550100\n" +
		"notify_smtp_addr smtp.example.com:587\nnotify_smtp_from a@example.com\nnotify_smtp_to b@example.com\n" +
		"notify_smtp_user ops\nnotify_smtp_password smtp-SECRET-password\n"
	path := writeTestFile(t, filepath.Join(dir, "secrets.cfg"), cfgText, 0o600)
	withEnviron(t)
	code, out, errOut := runCLI(t, "config", "check", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out+errOut, "SECRET") {
		t.Errorf("config check shows a secret:\n%s%s", out, errOut)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.ReadTokenFile(); err != nil {
		t.Fatal(err)
	}
	secrets := secretaudit.FromConfig(cfg)
	if len(secrets) != 8 {
		t.Errorf("FromConfig found %d secrets", len(secrets))
	}
	secretaudit.New(secrets...).Check(t, "config check", []byte(out+errOut))
	for _, want := range []string{
		"monitoring_token             ****6666  (token file " + tokenFile + ")",
		"monitoring_proxy_url         http://proxy.example.com:3128  (" + path + ":2)",
		"notify_webhook_url           https://h/***  (" + path + ":3)",
		"notify_sms_url               https://sms.example.com/***  (" + path + ":5)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	// Bad values are refused without showing them either.
	bad := writeTestFile(t, filepath.Join(dir, "bad.cfg"), "notify_webhook_url ftp://u:SECRET@h/x?t=SECRET\n", 0o600)
	code, out, errOut = runCLI(t, "config", "check", bad)
	if code != exitUsage || strings.Contains(out+errOut, "SECRET") {
		t.Errorf("bad URL: exit %d, %s%s", code, out, errOut)
	}
}
