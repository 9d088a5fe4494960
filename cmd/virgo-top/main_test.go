package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	iversion "github.com/virgo-top/virgo-top/internal/version"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args    []string
		code    int
		errLine string
	}{
		{[]string{"bogus"}, 2, `virgo-top: unknown command "bogus" (see virgo-top --help)`},
		{[]string{"--bogus"}, 2, "virgo-top: virgo-top: flag provided but not defined: -bogus"},
		{[]string{"snapshot", "--interval", "0s"}, 2, "virgo-top: snapshot: --interval must be between 1ns and 1h, got 0s"},
		{[]string{"snapshot", "extra"}, 2, `virgo-top: snapshot: unexpected argument "extra"`},
		{[]string{"version", "--json"}, 2, "virgo-top: version: flag provided but not defined: -json"},
		{[]string{"check"}, 2, "virgo-top: check: missing TYPE (one of "},
		{[]string{"check", "agent.nope"}, 2, `virgo-top: check: unknown check type "agent.nope"`},
		{[]string{"alarm"}, 2, `virgo-top: alarm: want "alarm test"`},
		{[]string{"alarm", "test", "--criteria", "if (", "--metrics", "{}"}, 2, "virgo-top: alarm test: criteria: line 1, col 5"},
		{[]string{"config"}, 2, `virgo-top: config: want "config check [FILE]"`},
		{[]string{"--interval", "nope", "--daemon"}, 2, "virgo-top: "},
		{[]string{"fixture-server", "--error", "nope"}, 2, `virgo-top: fixture-server: invalid value "nope" for flag -error: want METHOD=CODE[:COUNT], got "nope"`},
		{[]string{"fixture-server", "--refuse-check", "nope"}, 2, `virgo-top: fixture-server: invalid value "nope" for flag -refuse-check: want ID=CODE[:TYPE], got "nope"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.HasPrefix(stderr, tt.errLine) || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("stderr %q, want one line starting %q", stderr, tt.errLine)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"snapshot", "--help"}, {"check", "--help"}, {"alarm", "--help"},
		{"fixture-server", "--help"}, {"config", "--help"}, {"version", "--help"}, {"alarm", "test", "--help"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "Usage: virgo-top") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	code, out, _ := runCLI(t, "version")
	if code != 0 || !strings.HasPrefix(out, "virgo-top "+iversion.Version+" (") || !iversion.Valid(version) {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestSnapshotJSONContract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	code, out, errOut := runCLI(t, "snapshot", "--json", "--interval", "200ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	need := map[string][]string{
		"host":   {"hostname", "os", "kernel", "uptime_s"},
		"cpu":    {"usage_pct", "user_pct", "system_pct", "iowait_pct", "steal_pct", "per_core"},
		"memory": {"total_bytes", "used_bytes", "available_bytes", "swap_total_bytes", "swap_used_bytes"},
		"load":   {"load1", "load5", "load15"},
	}
	for sect, keys := range need {
		m, ok := s[sect].(map[string]any)
		if !ok {
			t.Fatalf("no %s object", sect)
		}
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s.%s missing", sect, k)
			}
		}
	}
	// The on-demand fields are on in a snapshot: our own process's I/O
	// is readable, and its cgroup is named where there are cgroups.
	procs, _ := s["processes"].([]any)
	ioKnown := false
	for _, p := range procs {
		if m, ok := p.(map[string]any); ok && m["io_known"] == true {
			ioKnown = true
		}
	}
	if !ioKnown {
		t.Error("no process has io_known: snapshot did not ask for per-process I/O")
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err == nil {
		if _, ok := s["cgroups"]; !ok {
			t.Error("no cgroups in a snapshot on a host with /sys/fs/cgroup")
		}
	}
	lists := map[string][]string{
		"filesystems": {"mount", "fstype", "total_bytes", "used_bytes", "free_bytes", "used_pct"},
		"disks":       {"name", "read_bps", "write_bps", "read_iops", "write_iops"},
		"network":     {"name", "rx_bps", "tx_bps"},
		"processes":   {"pid", "ppid", "name", "user", "state", "cpu_pct", "rss_bytes", "cmdline"},
	}
	for sect, keys := range lists {
		arr, ok := s[sect].([]any)
		if !ok || len(arr) == 0 {
			t.Errorf("%s: empty or missing", sect)
			continue
		}
		m := arr[0].(map[string]any)
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("%s[0].%s missing", sect, k)
			}
		}
	}
	// pid 1 and our own process are in the (complete) list.
	var sawInit, sawSelf bool
	for _, p := range s["processes"].([]any) {
		pid := int(p.(map[string]any)["pid"].(float64))
		sawInit = sawInit || pid == 1
		sawSelf = sawSelf || pid == os.Getpid()
	}
	if !sawInit || !sawSelf {
		t.Errorf("pid 1 present %v, self present %v", sawInit, sawSelf)
	}
}

func TestCheckAndAlarmCommands(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	code, out, errOut := runCLI(t, "check", "agent.memory", "--json", "--interval", "100ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r checkResultJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.State != "available" || r.Metrics["none"]["total"].T != "gauge" || r.Metrics["none"]["total"].U != "bytes" {
		t.Errorf("memory check: %+v", r)
	}
	code, out, _ = runCLI(t, "check", "agent.filesystem", "--target", "/nonexistent-mount")
	if code != 1 || !strings.Contains(out, "unavailable") {
		t.Errorf("missing target: %d %q", code, out)
	}

	crit := `if (metric['usage_average'] > 90) { return new AlarmStatus(CRITICAL, 'CPU at #{usage_average}%'); } return new AlarmStatus(OK, 'fine');`
	dir := t.TempDir()
	critFile := filepath.Join(dir, "cpu.criteria")
	os.WriteFile(critFile, []byte(crit), 0o600)
	metricsFile := filepath.Join(dir, "m.json")
	os.WriteFile(metricsFile, []byte(`{"usage_average": {"t": "double", "v": "97.5", "u": "percent"}}`), 0o600)
	tests := []struct {
		args []string
		out  string
	}{
		{[]string{"alarm", "test", "--criteria", crit, "--metrics", `{"usage_average": 97.5}`}, "CRITICAL: CPU at 97.5%\n"},
		{[]string{"alarm", "test", "--criteria", critFile, "--metrics", "@" + metricsFile}, "CRITICAL: CPU at 97.5%\n"},
		{[]string{"alarm", "test", "--criteria", crit, "--metrics", `{"usage_average": 12}`}, "OK: fine\n"},
		{[]string{"alarm", "test", "--json", "--criteria", crit, "--metrics", `{"usage_average": 12}`}, `{"state":"OK","message":"fine","rule":-1}` + "\n"},
		{[]string{"alarm", "test", "--criteria", `if (rate(metric['rx']) > 10) { return WARNING, "fast"; } return OK, "slow";`,
			"--metrics", `{"rx": 1000}`, "--previous", `{"rx": 100}`, "--elapsed", "30s"}, "WARNING: fast\n"},
	}
	for _, tt := range tests {
		code, out, errOut := runCLI(t, tt.args...)
		if code != 0 || out != tt.out {
			t.Errorf("%v: exit %d, out %q (want %q), err %q", tt.args, code, out, tt.out, errOut)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.cfg")
	os.WriteFile(good, []byte("# virgo\nmonitoring_id agentA\nmonitoring_token 0000000000000000000000000000000000000000000000000000000000000000.7777\nmonitoring_endpoints 127.0.0.1:50041,127.0.0.1:50051\n"), 0o600)
	bad := filepath.Join(dir, "bad.cfg")
	os.WriteFile(bad, []byte("monitoring_id a\nmonitoring_endpoint 127.0.0.1:1\n"), 0o600)
	environ = func() []string { return nil }
	defer func() { environ = os.Environ }()

	code, out, _ := runCLI(t, "config", "check", good)
	if code != 0 || !strings.Contains(out, good+": ok") || strings.Contains(out, "00000000.7777") || !strings.Contains(out, "****7777") {
		t.Errorf("good config: %d %q", code, out)
	}
	code, _, errOut := runCLI(t, "config", "check", bad)
	if code != 2 || !strings.Contains(errOut, "bad.cfg:2") || !strings.Contains(errOut, "monitoring_endpoint") {
		t.Errorf("bad config: %d %q", code, errOut)
	}
	code, out, _ = runCLI(t, "config", "example")
	if code != 0 || !strings.Contains(out, "monitoring_token") {
		t.Errorf("example: %d", code)
	}
}

func TestDaemonIntervalDefault(t *testing.T) {
	cfg := config.Default()
	daemonInterval(&cfg)
	if cfg.Interval != daemonSampleInterval {
		t.Errorf("unset interval: %v, want %v", cfg.Interval, daemonSampleInterval)
	}
	cfg = config.Default()
	if err := cfg.Set("interval", "2s", "flag"); err != nil {
		t.Fatal(err)
	}
	daemonInterval(&cfg)
	if cfg.Interval != 2*time.Second {
		t.Errorf("set interval overridden: %v", cfg.Interval)
	}
}

// TestHelpPrintedOnce: every command's --help prints its usage once, to
// standard output, and exits 0.
func TestHelpPrintedOnce(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"snapshot", "--help"}, {"check", "--help"}, {"alarm", "test", "--help"},
		{"config", "--help"}, {"config", "check", "--help"}, {"config", "example", "--help"},
		{"version", "--help"}, {"fixture-server", "--help"},
	} {
		var stdout, stderr bytes.Buffer
		err := dispatch(args, &stdout, &stderr)
		if !errors.Is(err, errHelp) {
			t.Errorf("%v: err = %v, want errHelp", args, err)
		}
		if n := strings.Count(stdout.String(), "Usage:"); n != 1 {
			t.Errorf("%v: usage printed %d times:\n%s", args, n, stdout.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("%v: wrote to stderr: %s", args, stderr.String())
		}
	}
}

func TestRunsPlugins(t *testing.T) {
	for args, want := range map[string]bool{
		"": true, "--daemon": true, "--fixture": true, "--config /x --daemon": true,
		"check agent.plugin": true, "--no-color check": true,
		"snapshot": false, "fixture-server --listen x": false, "version": false, "config check": false, "alarm test": false,
	} {
		if got := runsPlugins(strings.Fields(args)); got != want {
			t.Errorf("runsPlugins(%q) = %v, want %v", args, got, want)
		}
	}
}
