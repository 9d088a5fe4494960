package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const fileToken = "file-token-0000000000000000000000000000.1111"

func writeFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReadTokenFile: the file's content, trimmed, is the token; a file
// others can read, an empty one, one that is not a token, a directory and a
// missing one are refused with an error naming the file and where the key
// was set, never the content.
func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string // the token, or the error
		is      error
	}{
		{"trimmed", "\n  " + fileToken + " \r\n\n", 0o600, fileToken, nil},
		{"read only", fileToken, 0o400, fileToken, nil},
		{"group readable", fileToken, 0o640, "t.cfg:2: monitoring_token_file: DIR/group readable has mode 0640: group or others can read or write it, and it holds the monitoring token (chmod 600 it): file permissions too open", ErrInsecurePermissions},
		{"world readable", fileToken, 0o604, "t.cfg:2: monitoring_token_file: DIR/world readable has mode 0604: group or others can read or write it, and it holds the monitoring token (chmod 600 it): file permissions too open", ErrInsecurePermissions},
		{"empty", " \n", 0o600, "t.cfg:2: monitoring_token_file: DIR/empty is empty", ErrInvalidValue},
		{"two words", fileToken + " other-half", 0o600, "t.cfg:2: monitoring_token_file: DIR/two words: value contains whitespace (not shown)", ErrInvalidValue},
		{"two lines", fileToken + "\nother-half", 0o600, "t.cfg:2: monitoring_token_file: DIR/two lines: value contains a control character (not shown)", ErrInvalidValue},
		{"too large", strings.Repeat("t", maxTokenFile+1), 0o600, "t.cfg:2: monitoring_token_file: DIR/too large is larger than 65536 bytes: not a token file", ErrInvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, tc.name), tc.content, tc.mode)
			c, err := Parse(strings.NewReader("monitoring_id a\nmonitoring_token_file "+path+"\n"), "t.cfg")
			if err != nil {
				t.Fatal(err)
			}
			err = c.ReadTokenFile()
			if tc.is == nil {
				if err != nil || c.Token.Reveal() != tc.want || c.Source["monitoring_token"] != "token file "+path {
					t.Fatalf("token %q from %q, err %v", c.Token, c.Source["monitoring_token"], err)
				}
				return
			}
			want := strings.ReplaceAll(tc.want, "DIR", dir)
			if runtime.GOOS == "windows" && tc.is == ErrInsecurePermissions {
				t.Skip("no permission bits")
			}
			if err == nil || err.Error() != want || !errors.Is(err, tc.is) {
				t.Fatalf("err\n got %v\nwant %s (wrapping %v)", err, want, tc.is)
			}
			if strings.Contains(err.Error(), "file-token") || c.Token != "" {
				t.Errorf("token shown or kept: %v, %q", err, c.Token)
			}
		})
	}
	c := Default()
	must(t, c.Set("monitoring_token_file", dir, "flag"))
	if err := c.ReadTokenFile(); err == nil || err.Error() != "flag: monitoring_token_file: "+dir+" is not a regular file" {
		t.Errorf("directory: %v", err)
	}
	must(t, c.Set("monitoring_token_file", filepath.Join(dir, "missing"), "flag"))
	if err := c.ReadTokenFile(); err == nil || !errors.Is(err, ErrInvalidValue) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing: %v", err)
	}
	c = Default()
	c.Token = "untouched"
	if err := c.ReadTokenFile(); err != nil || c.Token != "untouched" {
		t.Errorf("no token file: %v %q", err, c.Token)
	}
}

// TestTokenPrecedence: the token comes from the first of flags, the
// environment, the systemd credential and the config file, whether each
// gives the token or a token file; one layer giving both is an error.
func TestTokenPrecedence(t *testing.T) {
	dir := t.TempDir()
	tokenFile := writeFile(t, filepath.Join(dir, "token"), "from-token-file-000000.2222\n", 0o600)
	credDir := filepath.Join(dir, "cred")
	must(t, os.Mkdir(credDir, 0o700))
	// systemd may leave the credential group-readable (an ACL mask): it is
	// trusted all the same, as only the service can read its directory.
	writeFile(t, filepath.Join(credDir, CredentialToken), "from-credential-00000.3333", 0o440)
	noCred := t.TempDir()

	tests := []struct {
		name    string
		file    string // config file content
		cred    string // credentials directory
		env     []string
		flags   map[string]string
		token   string // Token after ReadTokenFile
		source  string // Source["monitoring_token"]
		wantErr string
	}{
		{name: "file token", file: "monitoring_token from-config-file-0000.1111", cred: noCred,
			token: "from-config-file-0000.1111", source: "t.cfg:1"},
		{name: "file token file", file: "monitoring_token_file " + tokenFile,
			token: "from-token-file-000000.2222", source: "token file " + tokenFile},
		{name: "credential over file token", file: "monitoring_token from-config-file-0000.1111", cred: credDir,
			token: "from-credential-00000.3333", source: "token file " + filepath.Join(credDir, CredentialToken)},
		{name: "credential over file token file", file: "monitoring_token_file " + tokenFile, cred: credDir,
			token: "from-credential-00000.3333", source: "token file " + filepath.Join(credDir, CredentialToken)},
		{name: "env over credential", cred: credDir, env: []string{"VIRGO_TOP_MONITORING_TOKEN=from-environment-000.4444"},
			token: "from-environment-000.4444", source: "env"},
		{name: "env token file over credential", cred: credDir, env: []string{"VIRGO_TOP_MONITORING_TOKEN_FILE=" + tokenFile},
			token: "from-token-file-000000.2222", source: "token file " + tokenFile},
		{name: "flag over env", env: []string{"VIRGO_TOP_MONITORING_TOKEN=from-environment-000.4444"},
			flags: map[string]string{"monitoring_token": "from-flag-0000000000.5555"}, token: "from-flag-0000000000.5555", source: "flag"},
		{name: "flag token file over env", cred: credDir, env: []string{"VIRGO_TOP_MONITORING_TOKEN=from-environment-000.4444"},
			flags: map[string]string{"monitoring_token_file": tokenFile}, token: "from-token-file-000000.2222", source: "token file " + tokenFile},
		{name: "flag token over file token file", file: "monitoring_token_file " + tokenFile,
			flags: map[string]string{"monitoring_token": "from-flag-0000000000.5555"}, token: "from-flag-0000000000.5555", source: "flag"},
		{name: "both in the environment",
			env:     []string{"VIRGO_TOP_MONITORING_TOKEN_FILE=" + tokenFile, "VIRGO_TOP_MONITORING_TOKEN=from-environment-000.4444"},
			wantErr: "environment: VIRGO_TOP_MONITORING_TOKEN conflicts with VIRGO_TOP_MONITORING_TOKEN_FILE: set only one of them"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tc.file), "t.cfg")
			if err != nil {
				t.Fatal(err)
			}
			err = c.ApplyCredentials(tc.cred)
			if err == nil {
				err = c.ApplyEnv(tc.env)
			}
			for k, v := range tc.flags {
				if err == nil {
					err = c.Set(k, v, "flag")
				}
			}
			if err == nil {
				err = c.ReadTokenFile()
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || strings.Contains(err.Error(), "from-") {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Token.Reveal() != tc.token || c.Source["monitoring_token"] != tc.source {
				t.Errorf("token %q from %q, want %q from %q", c.Token.Reveal(), c.Source["monitoring_token"], tc.token, tc.source)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// TestApplyCredentials: no directory or no credential applies nothing; the
// credential sets monitoring_token_file with its own source.
func TestApplyCredentials(t *testing.T) {
	c := Default()
	must(t, c.ApplyCredentials(""))
	must(t, c.ApplyCredentials(t.TempDir()))
	must(t, c.ApplyCredentials(filepath.Join(t.TempDir(), "missing")))
	if c.TokenFile != "" || len(c.Source) != 0 {
		t.Errorf("nothing to apply, got %q %v", c.TokenFile, c.Source)
	}
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, CredentialToken), "cred-cred-cred-cred.9999", 0o400)
	must(t, c.ApplyCredentials(dir))
	if c.TokenFile != path || c.Source["monitoring_token_file"] != SourceCredential {
		t.Errorf("credential: %q from %q", c.TokenFile, c.Source["monitoring_token_file"])
	}
}
