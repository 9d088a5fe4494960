package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/config"
)

// writePlugin writes an executable plugin printing one metric that says
// which directory it ran from.
func writePlugin(t *testing.T, dir, name, metric string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "#!/bin/sh\necho 'status ok'\necho 'metric " + metric + " int32 1'\n"
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestCheckLoadsConfigAsDaemon: `check` reads --config and the VIRGO_TOP_*
// environment as the daemon does, so agent.plugin runs from the daemon's
// plugin_dir; --plugin-dir overrides both.
func TestCheckLoadsConfigAsDaemon(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell plugins")
	}
	dir := t.TempDir()
	fromFile, fromEnv, fromFlag := filepath.Join(dir, "file"), filepath.Join(dir, "env"), filepath.Join(dir, "flag")
	writePlugin(t, fromFile, "which.sh", "from_file")
	writePlugin(t, fromEnv, "which.sh", "from_env")
	writePlugin(t, fromFlag, "which.sh", "from_flag")
	cfgFile := writeTestFile(t, filepath.Join(dir, "virgo-top.cfg"), "plugin_dir "+fromFile+"\n", 0o600)

	tests := []struct {
		name   string
		env    []string
		args   []string
		metric string
	}{
		{"config file", nil, []string{"--config", cfgFile}, "from_file"},
		{"environment over file", []string{"VIRGO_TOP_PLUGIN_DIR=" + fromEnv}, []string{"--config", cfgFile}, "from_env"},
		{"environment alone", []string{"VIRGO_TOP_PLUGIN_DIR=" + fromEnv}, []string{"--config", writeTestFile(t, filepath.Join(dir, "empty.cfg"), "", 0o600)}, "from_env"},
		{"flag over both", []string{"VIRGO_TOP_PLUGIN_DIR=" + fromEnv}, []string{"--config", cfgFile, "--plugin-dir", fromFlag}, "from_flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			withEnviron(t, tc.env...)
			args := append([]string{"check", "agent.plugin", "--detail", "file=which.sh", "--json"}, tc.args...)
			code, out, errOut := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s %s", code, out, errOut)
			}
			var r checkResultJSON
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			if _, ok := r.Metrics["none"][tc.metric]; !ok || r.State != "available" {
				t.Errorf("ran the wrong plugin: %+v", r)
			}
		})
	}

	// A bad config is the daemon's usage error; a missing --config file too.
	withEnviron(t)
	bad := writeTestFile(t, filepath.Join(dir, "bad.cfg"), "plugin_dri /x\n", 0o600)
	if code, _, errOut := runCLI(t, "check", "agent.plugin", "--config", bad, "--detail", "file=which.sh"); code != exitUsage ||
		!strings.Contains(errOut, "bad.cfg:1") {
		t.Errorf("bad config: exit %d, %q", code, errOut)
	}
	if code, _, _ := runCLI(t, "check", "agent.plugin", "--config", filepath.Join(dir, "missing.cfg"), "--detail", "file=x"); code != exitUsage {
		t.Errorf("missing config: exit %d", code)
	}
	// Without a config, the daemon's default plugin dir, not Virgo's.
	if _, err := os.Stat(config.DefaultPath); err == nil {
		t.Skip(config.DefaultPath + " exists on this host")
	}
	_, out, _ := runCLI(t, "check", "agent.plugin", "--detail", "file=none.sh")
	if strings.Contains(out, "rackspace-monitoring-agent") {
		t.Errorf("check used Virgo's plugin dir: %s", out)
	}
}

// TestCheckExitCodes: 0 available, 1 unavailable (result still printed,
// text or JSON), 2 usage.
func TestCheckExitCodes(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	withEnviron(t)
	cfgFile := writeTestFile(t, filepath.Join(t.TempDir(), "a.cfg"), "", 0o600)
	tests := []struct {
		args   []string
		code   int
		out    string
		stderr string
	}{
		{[]string{"check", "agent.memory", "--interval", "10ms"}, 0, "agent.memory: available", ""},
		{[]string{"check", "agent.filesystem", "--target", "/nonexistent-mount", "--interval", "10ms"}, 1,
			"agent.filesystem: unavailable (No filesystem mounted at /nonexistent-mount, available: ", "virgo-top: check agent.filesystem: result unavailable\n"},
		{[]string{"check", "agent.filesystem", "--target", "/nonexistent-mount", "--interval", "10ms", "--json"}, 1,
			`"state": "unavailable"`, "virgo-top: check agent.filesystem: result unavailable\n"},
		{[]string{"check", "agent.process", "--interval", "10ms"}, 1, "Missing name, cmdline or pidfile parameter", "virgo-top: check agent.process: result unavailable\n"},
		{[]string{"check", "agent.memory", "--bogus"}, 2, "", "virgo-top: check: flag provided but not defined: -bogus\n"},
	}
	for _, tc := range tests {
		args := append(tc.args, "--config", cfgFile)
		code, out, errOut := runCLI(t, args...)
		if code != tc.code || !strings.Contains(out, tc.out) || errOut != tc.stderr {
			t.Errorf("%v: exit %d (want %d), stdout %q (want %q), stderr %q (want %q)", tc.args, code, tc.code, out, tc.out, errOut, tc.stderr)
		}
	}
}

// TestCheckProcessExcludesSelf: `check agent.process --detail cmdline=RE`
// does not count the process running it, whose command line matches RE.
func TestCheckProcessExcludesSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	withEnviron(t)
	cfgFile := writeTestFile(t, filepath.Join(t.TempDir(), "a.cfg"), "", 0o600)
	self, err := os.ReadFile("/proc/self/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	// This test binary's own command line (its path and -test flags).
	re := "^" + regexp.QuoteMeta(strings.SplitN(string(self), "\x00", 2)[0]) + "( |$)"
	code, out, errOut := runCLI(t, "check", "agent.process", "--detail", "cmdline="+re, "--interval", "10ms", "--json", "--config", cfgFile)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	var r checkResultJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if got := r.Metrics["none"]["count"].V; got != "0" {
		t.Errorf("count = %s, want 0 (the check counted itself): %+v", got, r)
	}
}
