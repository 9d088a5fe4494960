package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadPeerFixture(t *testing.T) {
	c, err := Load("testdata/monitoring-agent-localhost.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MonitoringID != "agentA" {
		t.Errorf("MonitoringID = %q", c.MonitoringID)
	}
	if c.Token.Reveal() != "0000000000000000000000000000000000000000000000000000000000000000.7777" {
		t.Errorf("Token = %s", c.Token)
	}
	if want := []string{"127.0.0.1:50041", "127.0.0.1:50051", "127.0.0.1:50061"}; !slices.Equal(c.Endpoints, want) {
		t.Errorf("Endpoints = %v", c.Endpoints)
	}
	wantSrc := map[string]string{
		"monitoring_id":        "testdata/monitoring-agent-localhost.cfg:1",
		"monitoring_token":     "testdata/monitoring-agent-localhost.cfg:2",
		"monitoring_endpoints": "testdata/monitoring-agent-localhost.cfg:3",
	}
	if !mapsEqual(c.Source, wantSrc) {
		t.Errorf("Source = %v", c.Source)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got := c.SRVNames(); got != nil {
		t.Errorf("SRVNames with endpoints = %v", got)
	}
	// Everything else stays at the defaults.
	d := Default()
	c.MonitoringID, c.Token, c.Endpoints, c.Source = "", "", nil, d.Source
	if got, want := settingsMap(c), settingsMap(d); !mapsEqual(got, want) {
		t.Errorf("non-fixture keys changed:\n got %v\nwant %v", got, want)
	}
}

func TestLoadFull(t *testing.T) {
	c, err := Load("testdata/full.cfg")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		MonitoringID:  "web-01",
		Token:         "0123456789abcdef0123456789abcdef.4242",
		GUID:          "4a5b6c7d-0000-4000-8000-000000000000",
		SnetRegion:    "iad",
		ProxyURL:      "http://user:hunter2@proxy.example.com:3128",
		Insecure:      true,
		CAFile:        "/etc/virgo-top/ca.pem",
		StateDir:      "/srv/virgo top/state",
		PluginDir:     DefaultPluginDir,
		ConfdDir:      DefaultConfdDir,
		LogLevel:      "warn",
		LogFormat:     "json",
		MetricsListen: ":9100",
		// Not in full.cfg: the default.
		MetricsNodeFamilies: true,
		Interval:            2500 * time.Millisecond,
		PIDFile:             "/run/virgo-top.pid",
		Notify: NotifyConfig{
			WebhookURL:    "https://hooks.example.com/x",
			WebhookSecret: "s3cr3t-s3cr3t-s3cr3t",
			SMTPAddr:      "[::1]:25",
			SMTPUser:      "ops",
			SMTPPassword:  "correct-horse-battery",
			SMTPFrom:      "virgo-top@example.com",
			SMTPTo:        []string{"ops@example.com", `"Doe, Jane" <jane@example.com>`},
			SMSURL:        "https://sms.example.com/send",
			SMSTemplate:   "to={{.To}}&text=#alert {{.Short}}",
			SMSTo:         "+15555550100",

			RateLimit:        2,
			RateWindow:       5 * time.Minute,
			OutboxMaxEntries: 50,
			OutboxMaxAge:     24 * time.Hour,
			RetryMax:         DefaultNotifyRetryMax,
		},
		SpoolMaxCount:    500,
		SpoolMaxBytes:    2 << 20,
		SpoolMaxAttempts: 3,

		Record:                true,
		RecordMaxAge:          DefaultRecordMaxAge,
		RecordMaxBytes:        DefaultRecordMaxBytes,
		RecordProcessInterval: DefaultRecordProcessInterval,
	}
	if got, w := settingsMapRevealed(c), settingsMapRevealed(want); !mapsEqual(got, w) {
		t.Errorf("config differs:\n got %v\nwant %v", got, w)
	}
	if c.Source["interval"] != "testdata/full.cfg:18" || c.Source["notify_smtp_to"] != "testdata/full.cfg:26" {
		t.Errorf("Source = %v", c.Source)
	}
	if !slices.Equal(c.Notes, []string{upgradeNote}) {
		t.Errorf("Notes = %q", c.Notes)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if c.EffectiveLogLevel() != "warn" {
		t.Errorf("EffectiveLogLevel = %q", c.EffectiveLogLevel())
	}
	if got := c.SRVNames(); !slices.Equal(got, []string{
		"_monitoringagent._tcp.snet-iad-region0.prod.monitoring.api.rackspacecloud.com",
		"_monitoringagent._tcp.snet-iad-region1.prod.monitoring.api.rackspacecloud.com",
		"_monitoringagent._tcp.snet-iad-region2.prod.monitoring.api.rackspacecloud.com",
	}) {
		t.Errorf("SRVNames = %v", got)
	}
}

func TestLoadCRLF(t *testing.T) {
	c, err := Load("testdata/crlf.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MonitoringID != "agentB" || c.Token.Reveal() != "abcdefabcdefabcdef.1234" {
		t.Errorf("got id %q token %s", c.MonitoringID, c.Token)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.cfg")
	if _, err := Load(missing); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "open config: ") {
		t.Errorf("Load(missing) = %v", err)
	}
	big := filepath.Join(dir, "big.cfg")
	if err := os.WriteFile(big, []byte(strings.Repeat("# padding\n", maxFileSize/10+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || err.Error() != "read "+big+": larger than 1048576 bytes: not a config file" {
		t.Errorf("Load(big) = %v", err)
	}
}

// TestParseLines checks how single lines set keys; the value column is the
// key's value as Settings shows it (secrets redacted).
func TestParseLines(t *testing.T) {
	tests := []struct {
		line, key, want string
	}{
		{"monitoring_id agentA", "monitoring_id", "agentA"},
		{"monitoring_id   agent with spaces  ", "monitoring_id", "agent with spaces"},
		{"monitoring_id\tagentT", "monitoring_id", "agentT"},
		{"  monitoring_id agentI", "monitoring_id", "agentI"},
		{"\uFEFFmonitoring_id bom", "monitoring_id", "bom"},
		{"monitoring_id a#b", "monitoring_id", "a#b"},
		{"monitoring_token abcdefghijklmnop.9876", "monitoring_token", "****9876"},
		{"monitoring_token short", "monitoring_token", "****"},
		{"monitoring_endpoints a.example.com:443", "monitoring_endpoints", "a.example.com:443"},
		{"monitoring_endpoints 10.0.0.1:1, [2001:db8::1]:65535 ,b:50041", "monitoring_endpoints", "10.0.0.1:1,[2001:db8::1]:65535,b:50041"},
		{"monitoring_query_endpoints _monitoringagent._tcp.x.example.com.,srv.example.com", "monitoring_query_endpoints", "_monitoringagent._tcp.x.example.com.,srv.example.com"},
		{"monitoring_snet_region hkg", "monitoring_snet_region", "hkg"},
		{"monitoring_snet_region LON", "monitoring_snet_region", "lon"},
		{"monitoring_proxy_url https://proxy:8443", "monitoring_proxy_url", "https://proxy:8443"},
		{"monitoring_proxy_url HTTP://u:p@proxy:3128", "monitoring_proxy_url", "http://proxy:3128"},
		{"monitoring_token_file /etc/virgo-top.token", "monitoring_token_file", "/etc/virgo-top.token"},
		{"monitoring_insecure true", "monitoring_insecure", "true"},
		{"monitoring_insecure Yes", "monitoring_insecure", "true"},
		{"monitoring_insecure 1", "monitoring_insecure", "true"},
		{"monitoring_insecure enabled", "monitoring_insecure", "true"},
		{"monitoring_insecure on", "monitoring_insecure", "true"},
		{"monitoring_debug false", "monitoring_debug", "false"},
		{"monitoring_debug NO", "monitoring_debug", "false"},
		{"monitoring_debug 0", "monitoring_debug", "false"},
		{"monitoring_debug disabled", "monitoring_debug", "false"},
		{"monitoring_health off", "monitoring_health", "false"},
		{"monitoring_upgrade disabled", "monitoring_upgrade", ""},
		{"monitoring_upgrade anything at all", "monitoring_upgrade", ""},
		{"log_level debug", "log_level", "debug"},
		{"log_level Error", "log_level", "error"},
		{"log_format json", "log_format", "json"},
		{"log_level", "log_level", "info"}, // no value: the default
		{"log_file", "log_file", ""},
		{"metrics_listen 127.0.0.1:9100", "metrics_listen", "127.0.0.1:9100"},
		{"metrics_listen :9100", "metrics_listen", ":9100"},
		{"metrics_node_families off", "metrics_node_families", "false"},
		{"metrics_node_families no", "metrics_node_families", "false"},
		{"metrics_node_families true", "metrics_node_families", "true"},
		{"metrics_node_families", "metrics_node_families", "true"}, // no value: the default
		{"interval 100ms", "interval", "100ms"},
		{"interval 1h", "interval", "1h0m0s"},
		{"interval 1m30s", "interval", "1m30s"},
		{"notify_smtp_to a@example.com", "notify_smtp_to", "a@example.com"},
		{"notify_smtp_from Virgo Top <vt@example.com>", "notify_smtp_from", "Virgo Top <vt@example.com>"},
		{"notify_smtp_starttls false", "notify_smtp_starttls", "false"},
		{"notify_webhook_secret abcdefghijklmnopqrstuvwxyz", "notify_webhook_secret", "****wxyz"},
		{"notify_smtp_password pw", "notify_smtp_password", "****"},
		{"spool_max_count 1", "spool_max_count", "1"},
		{"spool_max_bytes 1", "spool_max_bytes", "1"},
		{"spool_max_bytes 64KiB", "spool_max_bytes", "65536"},
		{"spool_max_bytes 3GiB", "spool_max_bytes", "3221225472"},
		{"spool_max_bytes 5MB", "spool_max_bytes", "5000000"},
		{"spool_max_bytes 2 kB", "spool_max_bytes", "2000"},
		{"spool_max_bytes 7B", "spool_max_bytes", "7"},
		{"spool_max_attempts 1", "spool_max_attempts", "1"},
		{"spool_max_attempts 12", "spool_max_attempts", "12"},
		{"notify_rate_limit 3", "notify_rate_limit", "3"},
		{"notify_rate_limit -1", "notify_rate_limit", "-1"},
		{"notify_rate_limit -7", "notify_rate_limit", "-1"},
		{"notify_rate_window 30s", "notify_rate_window", "30s"},
		{"notify_rate_window 24h", "notify_rate_window", "24h0m0s"},
		{"notify_outbox_max_entries 5", "notify_outbox_max_entries", "5"},
		{"notify_outbox_max_age 1m", "notify_outbox_max_age", "1m0s"},
		{"notify_outbox_max_age 168h", "notify_outbox_max_age", "168h0m0s"},
		{"notify_retry_max 10s", "notify_retry_max", "10s"},
		{"record false", "record", "false"},
		{"record_max_age 24h", "record_max_age", "24h0m0s"},
		{"record_max_size 100MiB", "record_max_size", "104857600"},
		{"record_process_interval 30s", "record_process_interval", "30s"},
		{"notify_webhook_url https://h/x?token=SECRET", "notify_webhook_url", "https://h/***"},
		{"notify_sms_url https://u:pw@sms.example.com", "notify_sms_url", "https://sms.example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tc.line+"\n"), "t.cfg")
			if err != nil {
				t.Fatal(err)
			}
			if got := settingsMap(c)[tc.key]; got != tc.want {
				t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
			}
			if c.Source[tc.key] != "t.cfg:1" {
				t.Errorf("Source[%s] = %q", tc.key, c.Source[tc.key])
			}
		})
	}
}

func TestParseSkipsCommentsAndBlanks(t *testing.T) {
	in := "# comment\n\n   \n\t# indented\nmonitoring_id x\n#monitoring_token y\n"
	c, err := Parse(strings.NewReader(in), "t.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MonitoringID != "x" || c.Token != "" || c.Source["monitoring_id"] != "t.cfg:5" {
		t.Errorf("got %+v", c)
	}
}

// TestParseErrors asserts every error message exactly.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		is             error
	}{
		{"unknown key with suggestion", "monitoring_id a\n\n\n\n\n\nmonitoring_endpoint 1.2.3.4:5",
			`virgo-top.cfg:7: unknown key "monitoring_endpoint" (did you mean monitoring_endpoints?)`, ErrUnknownKey},
		{"unknown key suffix suggestion", "token abc",
			`virgo-top.cfg:1: unknown key "token" (did you mean monitoring_token or notify_webhook_token?)`, ErrUnknownKey},
		{"unknown key hyphenated", "log-level debug",
			`virgo-top.cfg:1: unknown key "log-level" (did you mean log_level?)`, ErrUnknownKey},
		{"unknown key no suggestion", "frobnicate_level 3",
			`virgo-top.cfg:1: unknown key "frobnicate_level"`, ErrUnknownKey},
		{"bare token line not echoed", "0000000000000000000000000000000000000000000000000000000000000000.7777",
			`virgo-top.cfg:1: unknown key (not shown: it does not look like a key name; is a key missing?)`, ErrUnknownKey},
		{"bare word not echoed", "hunter2",
			`virgo-top.cfg:1: unknown key (not shown: it does not look like a key name; is a key missing?)`, ErrUnknownKey},
		{"duplicate", "monitoring_id a\n# c\nmonitoring_id b",
			`virgo-top.cfg:3: duplicate key "monitoring_id" (first set at line 1)`, ErrDuplicateKey},
		{"bad bool", "monitoring_insecure maybe",
			`virgo-top.cfg:1: monitoring_insecure: invalid boolean "maybe" (want true/false, yes/no, 1/0, on/off or enabled/disabled)`, ErrInvalidValue},
		{"endpoint without port", "monitoring_endpoints example.com",
			`virgo-top.cfg:1: monitoring_endpoints: invalid address "example.com" (want host:port)`, ErrInvalidValue},
		{"endpoint port zero", "monitoring_endpoints a:1,b:0",
			`virgo-top.cfg:1: monitoring_endpoints: invalid address "b:0": port must be a number from 1 to 65535`, ErrInvalidValue},
		{"endpoint port too big", "monitoring_endpoints a:65536",
			`virgo-top.cfg:1: monitoring_endpoints: invalid address "a:65536": port must be a number from 1 to 65535`, ErrInvalidValue},
		{"endpoint port name", "monitoring_endpoints a:https",
			`virgo-top.cfg:1: monitoring_endpoints: invalid address "a:https": port must be a number from 1 to 65535`, ErrInvalidValue},
		{"endpoint no host", "monitoring_endpoints :443",
			`virgo-top.cfg:1: monitoring_endpoints: invalid address ":443": missing host`, ErrInvalidValue},
		{"endpoint empty item", "monitoring_endpoints a:1,,b:2",
			`virgo-top.cfg:1: monitoring_endpoints: empty item 2 in list "a:1,,b:2"`, ErrInvalidValue},
		{"query endpoint bad name", "monitoring_query_endpoints a..b",
			`virgo-top.cfg:1: monitoring_query_endpoints: invalid DNS name "a..b"`, ErrInvalidValue},
		{"query endpoint host:port", "monitoring_query_endpoints a.example.com:443",
			`virgo-top.cfg:1: monitoring_query_endpoints: invalid DNS name "a.example.com:443"`, ErrInvalidValue},
		{"snet region", "monitoring_snet_region mars",
			`virgo-top.cfg:1: monitoring_snet_region: invalid value "mars" (want one of dfw, ord, lon, syd, hkg, iad)`, ErrInvalidValue},
		{"proxy scheme", "monitoring_proxy_url socks5://u:secretpw@proxy:1080",
			`virgo-top.cfg:1: monitoring_proxy_url: URL scheme "socks5" not supported (want http or https)`, ErrInvalidValue},
		{"proxy no scheme", "monitoring_proxy_url proxy:3128",
			`virgo-top.cfg:1: monitoring_proxy_url: URL scheme "proxy" not supported (want http or https)`, ErrInvalidValue},
		{"proxy relative", "monitoring_proxy_url /just/a/path",
			`virgo-top.cfg:1: monitoring_proxy_url: URL has no scheme (want http:// or https://)`, ErrInvalidValue},
		{"proxy unparsable", "monitoring_proxy_url http://u:secretpw@[::1",
			`virgo-top.cfg:1: monitoring_proxy_url: not a valid URL`, ErrInvalidValue},
		{"proxy no host", "monitoring_proxy_url http:///x",
			`virgo-top.cfg:1: monitoring_proxy_url: URL has no host`, ErrInvalidValue},
		{"token with space", "monitoring_token abc def",
			`virgo-top.cfg:1: monitoring_token: value contains whitespace (not shown)`, ErrInvalidValue},
		{"control character", "monitoring_id a\x00b",
			`virgo-top.cfg:1: monitoring_id: value contains a control character`, ErrInvalidValue},
		{"log level", "log_level verbose",
			`virgo-top.cfg:1: log_level: invalid value "verbose" (want one of debug, info, warn, error)`, ErrInvalidValue},
		{"log format", "log_format xml",
			`virgo-top.cfg:1: log_format: invalid value "xml" (want one of text, json)`, ErrInvalidValue},
		{"metrics listen", "metrics_listen 9100",
			`virgo-top.cfg:1: metrics_listen: invalid address "9100" (want host:port)`, ErrInvalidValue},
		{"metrics node families", "metrics_node_families maybe",
			`virgo-top.cfg:1: metrics_node_families: invalid boolean "maybe" (want true/false, yes/no, 1/0, on/off or enabled/disabled)`, ErrInvalidValue},
		{"interval unit", "interval 5",
			`virgo-top.cfg:1: interval: invalid duration "5" (want e.g. 500ms, 1s, 2m)`, ErrInvalidValue},
		{"interval too short", "interval 10ms",
			`virgo-top.cfg:1: interval: duration "10ms" out of range (want 100ms to 1h0m0s)`, ErrInvalidValue},
		{"interval negative", "interval -1s",
			`virgo-top.cfg:1: interval: duration "-1s" out of range (want 100ms to 1h0m0s)`, ErrInvalidValue},
		{"smtp from", "notify_smtp_from not an address",
			`virgo-top.cfg:1: notify_smtp_from: invalid mail address "not an address"`, ErrInvalidValue},
		{"smtp to", "notify_smtp_to a@example.com, not an address",
			`virgo-top.cfg:1: notify_smtp_to: invalid mail address list "a@example.com, not an address"`, ErrInvalidValue},
		{"smtp addr", "notify_smtp_addr smtp.example.com",
			`virgo-top.cfg:1: notify_smtp_addr: invalid address "smtp.example.com" (want host:port)`, ErrInvalidValue},
		{"webhook url", "notify_webhook_url ftp://x",
			`virgo-top.cfg:1: notify_webhook_url: URL scheme "ftp" not supported (want http or https)`, ErrInvalidValue},
		{"spool count zero", "spool_max_count 0",
			`virgo-top.cfg:1: spool_max_count: invalid number "0" (must be at least 1)`, ErrInvalidValue},
		{"spool count word", "spool_max_count lots",
			`virgo-top.cfg:1: spool_max_count: invalid number "lots" (want a whole number)`, ErrInvalidValue},
		{"spool bytes unit", "spool_max_bytes 5TB",
			`virgo-top.cfg:1: spool_max_bytes: invalid size "5TB" (want bytes, optionally with kB, MB, GB, KiB, MiB or GiB)`, ErrInvalidValue},
		{"spool bytes overflow", "spool_max_bytes 9223372036854775807GiB",
			`virgo-top.cfg:1: spool_max_bytes: invalid size "9223372036854775807GiB" (too large)`, ErrInvalidValue},
		{"long value shortened", "monitoring_snet_region " + strings.Repeat("x", 100),
			`virgo-top.cfg:1: monitoring_snet_region: invalid value "` + strings.Repeat("x", 64) + `..." (want one of dfw, ord, lon, syd, hkg, iad)`, ErrInvalidValue},
		{"line too long", "monitoring_id a\nmonitoring_guid " + strings.Repeat("g", maxLineSize),
			`virgo-top.cfg:2: line longer than 65536 bytes`, ErrSyntax},
		{"spool attempts zero", "spool_max_attempts 0",
			`virgo-top.cfg:1: spool_max_attempts: invalid number "0" (must be at least 1)`, ErrInvalidValue},
		{"rate limit zero", "notify_rate_limit 0",
			`virgo-top.cfg:1: notify_rate_limit: invalid number "0" (want at least 1; -1 for no limit)`, ErrInvalidValue},
		{"rate limit word", "notify_rate_limit off",
			`virgo-top.cfg:1: notify_rate_limit: invalid number "off" (want a whole number; -1 for no limit)`, ErrInvalidValue},
		{"rate window too short", "notify_rate_window 10ms",
			`virgo-top.cfg:1: notify_rate_window: duration "10ms" out of range (want 1s to 24h0m0s)`, ErrInvalidValue},
		{"outbox entries negative", "notify_outbox_max_entries -1",
			`virgo-top.cfg:1: notify_outbox_max_entries: invalid number "-1" (must be at least 1)`, ErrInvalidValue},
		{"outbox age unit", "notify_outbox_max_age 3d",
			`virgo-top.cfg:1: notify_outbox_max_age: invalid duration "3d" (want e.g. 500ms, 1s, 2m)`, ErrInvalidValue},
		{"record size too small", "record_max_size 10kB",
			`virgo-top.cfg:1: record_max_size: invalid size "10kB" (want at least 1MiB)`, ErrInvalidValue},
		{"record age too short", "record_max_age 10m",
			`virgo-top.cfg:1: record_max_age: duration "10m" out of range (want 1h0m0s to 8784h0m0s)`, ErrInvalidValue},
		{"retry max too long", "notify_retry_max 2h",
			`virgo-top.cfg:1: notify_retry_max: duration "2h" out of range (want 1s to 1h0m0s)`, ErrInvalidValue},
		{"outbox age too short", "notify_outbox_max_age 30s",
			`virgo-top.cfg:1: notify_outbox_max_age: duration "30s" out of range (want 1m0s to 8760h0m0s)`, ErrInvalidValue},
		{"token and token file", "monitoring_token_file /t\nmonitoring_id a\nmonitoring_token abc",
			`virgo-top.cfg:3: monitoring_token conflicts with monitoring_token_file at line 1: set only one of them`, ErrConflict},
		{"token file and token", "monitoring_token abc\nmonitoring_token_file /t",
			`virgo-top.cfg:2: monitoring_token_file conflicts with monitoring_token at line 1: set only one of them`, ErrConflict},
		{"several errors", "interval x\nmonitoring_idd a\nlog_level loud",
			"virgo-top.cfg:1: interval: invalid duration \"x\" (want e.g. 500ms, 1s, 2m)\n" +
				"virgo-top.cfg:2: unknown key \"monitoring_idd\" (did you mean monitoring_id?)\n" +
				"virgo-top.cfg:3: log_level: invalid value \"loud\" (want one of debug, info, warn, error)", ErrInvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(strings.NewReader(tc.in), "virgo-top.cfg")
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error does not wrap %v", tc.is)
			}
			var e *Error
			if errors.As(err, &e) && e.Line == 0 {
				t.Errorf("Error.Line not set: %+v", e)
			}
			if c.Source != nil || c.StateDir != "" {
				t.Errorf("config returned with an error: %+v", c)
			}
			for _, leak := range []string{"secretpw", "def", "7777"} {
				if strings.Contains(tc.in, leak) && strings.Contains(err.Error(), leak) {
					t.Errorf("error shows %q", leak)
				}
			}
		})
	}
}

func TestParseTooManyErrors(t *testing.T) {
	in := strings.Repeat("bogus_key 1\n", 30)
	_, err := Parse(strings.NewReader(in), "x.cfg")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "x.cfg:20: too many errors" {
		t.Errorf("got %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReadError(t *testing.T) {
	_, err := Parse(failingReader{}, "x.cfg")
	if err == nil || err.Error() != "read x.cfg: disk on fire" {
		t.Errorf("got %v", err)
	}
}

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		check   map[string]string // key -> Settings value
		wantErr string
	}{
		{
			name: "overrides and normal variables ignored",
			environ: []string{"PATH=/bin", "HOME=/root", "VIRGO_TOP_MONITORING_TOKEN=envtoken-envtoken-1234",
				"VIRGO_TOP_INTERVAL=5s", "VIRGO_TOP_MONITORING_INSECURE=yes", "NOEQUALS"},
			check: map[string]string{"monitoring_token": "****1234", "interval": "5s", "monitoring_insecure": "true",
				"monitoring_id": "agentA"},
		},
		{
			name:    "empty variable ignored",
			environ: []string{"VIRGO_TOP_MONITORING_ID="},
			check:   map[string]string{"monitoring_id": "agentA"},
		},
		{
			name:    "value with equals sign",
			environ: []string{"VIRGO_TOP_NOTIFY_SMS_TEMPLATE=a=b&c=d"},
			check:   map[string]string{"notify_sms_template": "a=b&c=d"},
		},
		{
			name:    "later entry wins",
			environ: []string{"VIRGO_TOP_LOG_LEVEL=debug", "VIRGO_TOP_LOG_LEVEL=error"},
			check:   map[string]string{"log_level": "error"},
		},
		{
			name:    "unknown variable",
			environ: []string{"VIRGO_TOP_MONITORING_TOKN=abc", "VIRGO_TOP_LOG_LEVEL=debug"},
			check:   map[string]string{"log_level": "debug"},
			wantErr: "environment: unknown variable VIRGO_TOP_MONITORING_TOKN (did you mean VIRGO_TOP_MONITORING_TOKEN?)",
		},
		{
			name:    "unknown variable without suggestion is only noted",
			environ: []string{"VIRGO_TOP_CMD=/usr/local/bin/virgo-top", "VIRGO_TOP_LOG_LEVEL=warn"},
			check:   map[string]string{"log_level": "warn"},
		},
		{
			name:    "bad values",
			environ: []string{"VIRGO_TOP_INTERVAL=soon", "VIRGO_TOP_MONITORING_TOKEN=has space"},
			wantErr: "environment VIRGO_TOP_INTERVAL: interval: invalid duration \"soon\" (want e.g. 500ms, 1s, 2m)\n" +
				"environment VIRGO_TOP_MONITORING_TOKEN: monitoring_token: value contains whitespace (not shown)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load("testdata/monitoring-agent-localhost.cfg")
			if err != nil {
				t.Fatal(err)
			}
			err = c.ApplyEnv(tc.environ)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
				t.Fatalf("ApplyEnv error:\n got %v\nwant %s", err, tc.wantErr)
			}
			got := settingsMap(c)
			for k, want := range tc.check {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	c, err := Parse(strings.NewReader("monitoring_id file\nlog_level warn\ninterval 3s\nmetrics_listen :9100\n"), "p.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyEnv([]string{"VIRGO_TOP_LOG_LEVEL=error", "VIRGO_TOP_INTERVAL=4s"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("interval", "5s", "flag --interval"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("metrics-listen", "", "flag --metrics-listen"); err != nil { // reset to default (off)
		t.Fatal(err)
	}
	want := map[string]struct{ value, source string }{
		"monitoring_id":  {"file", "p.cfg:1"},
		"log_level":      {"error", "env"},
		"interval":       {"5s", "flag --interval"},
		"metrics_listen": {"", "flag --metrics-listen"},
		"pidfile":        {"", "default"},
	}
	for _, s := range c.Settings() {
		if w, ok := want[s.Key]; ok && (s.Value != w.value || s.Source != w.source) {
			t.Errorf("%s = %q from %q, want %q from %q", s.Key, s.Value, s.Source, w.value, w.source)
		}
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		key, value, want string
	}{
		{"interval", "250ms", ""},
		{"Log-Level", "debug", ""},
		{"monitoring_endpoint", "a:1", `flag: unknown key "monitoring_endpoint" (did you mean monitoring_endpoints?)`},
		{"interval", "fast", `flag: interval: invalid duration "fast" (want e.g. 500ms, 1s, 2m)`},
		{"monitoring_token", "a b", `flag: monitoring_token: value contains whitespace (not shown)`},
	}
	for _, tc := range tests {
		c := Default()
		err := c.Set(tc.key, tc.value, "flag")
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
			t.Errorf("Set(%q, %q) = %v, want %q", tc.key, tc.value, err, tc.want)
		}
	}
	// A zero Config (no Source map) can be Set too.
	var c Config
	if err := c.Set("monitoring_id", "x", "flag"); err != nil || c.Source["monitoring_id"] != "flag" {
		t.Errorf("Set on zero Config: %v %v", err, c.Source)
	}
}

func TestValidate(t *testing.T) {
	base := func() Config {
		c := Default()
		c.Token = "tok-tok-tok-tok-1111"
		return c
	}
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   string
	}{
		{"defaults are valid", func(*Config) {}, ""},
		{"endpoints conflict with sources", func(c *Config) {
			must(t, c.Set("monitoring_endpoints", "a:1", "a.cfg:3"))
			must(t, c.Set("monitoring_snet_region", "dfw", "env"))
		}, "monitoring_endpoints (set at a.cfg:3) and monitoring_snet_region (set at env) conflict: " +
			"set only one of monitoring_endpoints, monitoring_query_endpoints and monitoring_snet_region"},
		{"all three endpoint keys", func(c *Config) {
			c.Endpoints, c.QueryEndpoints, c.SnetRegion = []string{"a:1"}, []string{"srv.example.com"}, "ord"
		}, "monitoring_endpoints and monitoring_query_endpoints and monitoring_snet_region conflict: " +
			"set only one of monitoring_endpoints, monitoring_query_endpoints and monitoring_snet_region"},
		{"values built in code are checked", func(c *Config) {
			c.Endpoints = []string{"nope"}
			c.Interval = 0
			c.LogLevel = ""
			c.SpoolMaxCount = -1
			c.Token = "bad token"
		}, "monitoring_token: value contains whitespace (not shown)\n" +
			"monitoring_endpoints: invalid address \"nope\" (want host:port)\n" +
			"log_level: must not be empty\n" +
			"interval: duration \"0s\" out of range (want 100ms to 1h0m0s)\n" +
			"spool_max_count: invalid number \"-1\" (must be at least 1)"},
		{"smtp needs from and to", func(c *Config) {
			must(t, c.Set("notify_smtp_addr", "smtp:25", "s.cfg:9"))
		}, "notify_smtp_addr (set at s.cfg:9) needs notify_smtp_from\nnotify_smtp_addr (set at s.cfg:9) needs notify_smtp_to"},
		{"smtp credentials need addr", func(c *Config) {
			c.Notify.SMTPUser, c.Notify.SMTPPassword = "u", "p"
		}, "notify_smtp_user needs notify_smtp_addr\nnotify_smtp_password needs notify_smtp_addr"},
		{"webhook secret needs url", func(c *Config) {
			c.Notify.WebhookSecret = "abc"
		}, "notify_webhook_secret needs notify_webhook_url"},
		{"sms", func(c *Config) {
			c.Notify.SMSURL = "https://sms"
			c.Notify.SMSTemplate = "x"
		}, "notify_sms_url needs notify_sms_to"},
		{"sms to without url", func(c *Config) {
			c.Notify.SMSTo = "+1"
		}, "notify_sms_to needs notify_sms_url"},
		{"complete smtp", func(c *Config) {
			c.Notify.SMTPAddr, c.Notify.SMTPFrom, c.Notify.SMTPTo = "smtp:25", "a@example.com", []string{"b@example.com"}
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || err.Error() != tc.want) {
				t.Errorf("Validate:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

func TestSRVNames(t *testing.T) {
	if got := Default().SRVNames(); !slices.Equal(got, DefaultSRVNames) {
		t.Errorf("default SRVNames = %v", got)
	}
	c := Default()
	c.QueryEndpoints = []string{"a.example.com"}
	if got := c.SRVNames(); !slices.Equal(got, []string{"a.example.com"}) {
		t.Errorf("query SRVNames = %v", got)
	}
}

func TestKeysAndExample(t *testing.T) {
	keys := Keys()
	if len(keys) != 51 || keys[0] != "monitoring_id" || keys[len(keys)-1] != "record_process_interval" {
		t.Errorf("Keys() = %v", keys)
	}
	var b strings.Builder
	if err := WriteExample(&b); err != nil {
		t.Fatal(err)
	}
	example := b.String()
	// All commented out: parses to the defaults.
	c, err := Parse(strings.NewReader(example), "example.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Source) != 0 {
		t.Errorf("example sets %v", c.Source)
	}
	// Every key appears once, and uncommenting its line gives a valid setting.
	for _, k := range keys {
		prefix := "#" + k + " "
		var line string
		for _, l := range strings.Split(example, "\n") {
			if strings.HasPrefix(l, prefix) {
				if line != "" {
					t.Errorf("key %s twice in the example", k)
				}
				line = l
			}
		}
		if line == "" {
			t.Errorf("key %s missing from the example", k)
			continue
		}
		if _, err := Parse(strings.NewReader(line[1:]), "example.cfg"); err != nil {
			t.Errorf("uncommented %q: %v", line, err)
		}
	}
}

func TestSettingsRedacted(t *testing.T) {
	c, err := Load("testdata/full.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, s := range c.Settings() {
		all.WriteString(s.Key + " " + s.Value + " " + s.Source + "\n")
	}
	out := all.String()
	for _, leak := range []string{"0123456789abcdef", "s3cr3t", "correct-horse", "hunter2", "user:", "/x", "/send"} {
		if strings.Contains(out, leak) {
			t.Errorf("Settings shows %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{
		"monitoring_token ****4242 testdata/full.cfg:3\n",
		"monitoring_proxy_url http://proxy.example.com:3128 testdata/full.cfg:6\n",
		"notify_webhook_url https://hooks.example.com/*** testdata/full.cfg:20\n",
		"notify_sms_url https://sms.example.com/*** testdata/full.cfg:28\n",
		"notify_smtp_password ****tery testdata/full.cfg:24\n",
		"plugin_dir /usr/lib/virgo-top/plugins default\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Settings lacks %q:\n%s", want, out)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func settingsMap(c Config) map[string]string {
	m := map[string]string{}
	for _, s := range c.Settings() {
		m[s.Key] = s.Value
	}
	return m
}

// settingsMapRevealed is settingsMap with secrets and URLs in clear, for
// comparing two configs.
func settingsMapRevealed(c Config) map[string]string {
	m := map[string]string{}
	for _, k := range keyTable {
		m[k.name] = k.get(&c)
	}
	return m
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestPackagedExampleIsCurrent: the example config shipped by make install
// is what `virgo-top config example` prints.
func TestPackagedExampleIsCurrent(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "packaging", "virgo-top.cfg.example"))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteExample(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Fatal("packaging/virgo-top.cfg.example is stale: go run ./cmd/virgo-top config example > packaging/virgo-top.cfg.example")
	}
}

// TestRedactURL: the one rule for URL settings (config check, logs,
// errors): scheme and host only, "/***" for a path or a query, never user
// info, a query value or a path that may be a credential.
func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"https://hooks.example.com", "https://hooks.example.com"},
		{"https://hooks.example.com/", "https://hooks.example.com"},
		{"http://proxy.example.com:3128", "http://proxy.example.com:3128"},
		{"https://h/x?token=SECRET", "https://h/***"},
		{"https://h?token=SECRET", "https://h/***"},
		{"https://h/?token=SECRET", "https://h/***"},
		{"https://hooks.slack.com/services/T000/B000/SECRETSECRET", "https://hooks.slack.com/***"},
		{"https://h/%2Fsecret", "https://h/***"},
		{"https://h#SECRET", "https://h"},
		{"http://user:SECRET@proxy:3128", "http://proxy:3128"},
		{"http://SECRET@proxy:3128", "http://proxy:3128"},
		{"HTTPS://user:SECRET@[::1]:8443/p?q=SECRET", "https://[::1]:8443/***"},
		{"http://u:SECRET@[::1", "***"},
		{"SECRET", "***"},
		{"mailto:SECRET@example.com", "***"},
	}
	for _, tc := range tests {
		got := RedactURL(tc.in)
		if got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("RedactURL(%q) shows the secret: %q", tc.in, got)
		}
	}
}

// TestNewKeyDefaults: the keys other packages read have the documented
// defaults.
func TestNewKeyDefaults(t *testing.T) {
	c := Default()
	if c.Notify.RateLimit != 1 || c.Notify.RateWindow != time.Minute || c.Notify.OutboxMaxEntries != 1000 ||
		c.Notify.OutboxMaxAge != 72*time.Hour || c.SpoolMaxAttempts != 5 || c.TokenFile != "" {
		t.Errorf("defaults: notify %+v, spool_max_attempts %d, token file %q", c.Notify, c.SpoolMaxAttempts, c.TokenFile)
	}
	// A key with no value is its default again.
	c, err := Parse(strings.NewReader("notify_rate_limit\nnotify_outbox_max_age\nspool_max_attempts\n"), "d.cfg")
	if err != nil || c.Notify.RateLimit != 1 || c.Notify.OutboxMaxAge != 72*time.Hour || c.SpoolMaxAttempts != 5 {
		t.Errorf("reset to default: %v %+v %d", err, c.Notify, c.SpoolMaxAttempts)
	}
	c.Notify.RateLimit = 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "notify_rate_limit") {
		t.Errorf("Validate with rate limit 0: %v", err)
	}
}

// TestExampleMetricsPort: the example config does not suggest
// node_exporter's port 9100 for /metrics, and documents
// metrics_node_families with its default.
func TestExampleMetricsPort(t *testing.T) {
	var b strings.Builder
	if err := WriteExample(&b); err != nil {
		t.Fatal(err)
	}
	ex := b.String()
	if !strings.Contains(ex, "\n#metrics_listen 127.0.0.1:19100\n") || strings.Contains(ex, "#metrics_listen 127.0.0.1:9100") {
		t.Errorf("example's metrics_listen line:\n%s", ex)
	}
	if !strings.Contains(ex, "\n#metrics_node_families true\n") {
		t.Errorf("example lacks metrics_node_families:\n%s", ex)
	}
}
