package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of the notification durations.
const (
	minRateWindow = time.Second
	maxRateWindow = 24 * time.Hour
	minOutboxAge  = time.Minute
	maxOutboxAge  = 365 * 24 * time.Hour
	minRetryMax   = time.Second
	maxRetryMax   = time.Hour

	minRecordAge     = time.Hour
	maxRecordAge     = 366 * 24 * time.Hour
	minRecordProcess = time.Second
	maxRecordProcess = time.Hour
)

// kind says how a key's value is shown: URLs get their passwords redacted.
type kind int

const (
	kindPlain kind = iota
	kindURL
	kindSecret
)

// keyDef is one config key: its documentation, and how to read and write
// its Config field. set receives a non-empty value. An empty value resets
// the key to its default: through set when the default is not empty, else
// through clear.
type keyDef struct {
	name    string
	section string // starts a section in WriteExample
	help    string
	example string // a valid value, for WriteExample; "" shows the default
	kind    kind
	note    string // recorded in Config.Notes when the key is set
	// replaces is the key this one stands in for (monitoring_token and
	// monitoring_token_file): setting one clears the other, so the layer
	// that set either last wins; one layer setting both is an error.
	replaces string
	// alias: this key is another name for the key in replaces and sets
	// the same field (certificate_path for monitoring_ca), so setting one
	// must not clear the other's field.
	alias bool
	get   func(c *Config) string
	set   func(c *Config, v string) error
	clear func(c *Config)
}

// upgradeNote is why monitoring_upgrade is accepted but has no effect.
const upgradeNote = "monitoring_upgrade is accepted for Virgo compatibility and ignored: virgo-top does not upgrade itself"

var keyTable = []keyDef{
	strKey("monitoring_id", "Upstream", "Agent ID of this entity; empty: the agent uses the host name.", "agentA",
		func(c *Config) *string { return &c.MonitoringID }, nil),
	withReplaces("monitoring_token_file", secretKey("monitoring_token", "", "Agent token. Keep this file mode 0600.", "0000000000000000000000000000000000000000000000000000000000000000.7777",
		func(c *Config) *Secret { return &c.Token })),
	withReplaces("monitoring_token", strKey("monitoring_token_file", "", "File whose content (surrounding white space trimmed) is the agent token, instead of monitoring_token;\n"+
		"it must not be readable by group or others. A systemd credential named "+CredentialToken+" is used the same way.\n"+
		"The token comes from the first of: --token/--token-file, VIRGO_TOP_MONITORING_TOKEN/_FILE, the credential, this file.", "/etc/virgo-top.token",
		func(c *Config) *string { return &c.TokenFile }, nil)),
	strKey("monitoring_guid", "", "Agent GUID sent in the handshake; empty: generated and kept in state_dir.", "4a5b6c7d-0000-4000-8000-000000000000",
		func(c *Config) *string { return &c.GUID }, nil),
	listKey("monitoring_endpoints", "", "Endpoints as host:port, comma-separated. Set at most one of monitoring_endpoints,\n"+
		"monitoring_query_endpoints and monitoring_snet_region; none: no upstream, local checks only (virgo-top never queries Rackspace's default SRV records on its own).", "127.0.0.1:50041,127.0.0.1:50051",
		func(c *Config) *[]string { return &c.Endpoints }, parseHostPorts),
	listKey("monitoring_query_endpoints", "", "SRV record names to query for endpoints, comma-separated.",
		"_monitoringagent._tcp.dfw1.prod.monitoring.api.rackspacecloud.com",
		func(c *Config) *[]string { return &c.QueryEndpoints }, parseSRVNames),
	strKey("monitoring_snet_region", "", "ServiceNet region: one of "+strings.Join(SnetRegions, ", ")+".", "dfw",
		func(c *Config) *string { return &c.SnetRegion }, func(v string) (string, error) { return parseEnum(v, SnetRegions) }),
	urlKey("monitoring_proxy_url", "", "HTTP CONNECT proxy, http:// or https:// (TLS to the proxy); empty: HTTP_PROXY, http_proxy, HTTPS_PROXY\n"+
		"or https_proxy from the environment, unless NO_PROXY names the endpoint.", "http://proxy.example.com:3128",
		func(c *Config) *string { return &c.ProxyURL }),
	boolKey("monitoring_insecure", "", "Accept the test CA instead of the pinned Rackspace CAs (testing only).",
		func(c *Config) *bool { return &c.Insecure }),
	withReplaces("certificate_path", strKey("monitoring_ca", "", "PEM file of CA certificates that sign the endpoints' certificates; when set, only these are trusted (not the system roots).", "/etc/virgo-top/ca.pem",
		func(c *Config) *string { return &c.CAFile }, nil)),
	aliasOf("monitoring_ca", strKey("certificate_path", "", "The original agent's name for monitoring_ca (its custom CA file); set only one of the two.", "/etc/virgo-top/ca.pem",
		func(c *Config) *string { return &c.CAFile }, nil)),
	boolKey("monitoring_debug", "", "Debug logging: log_level debug, whatever log_level says.",
		func(c *Config) *bool { return &c.Debug }),
	boolKey("monitoring_health", "", "Virgo's health feature: announced in the handshake's features list, marked disabled when this is false\n"+
		"(the original's monitoring_health disabled).",
		func(c *Config) *bool { return &c.Health }),
	{
		name:    "monitoring_upgrade",
		help:    "Accepted for Virgo compatibility and ignored: virgo-top does not upgrade itself.",
		example: "disabled",
		note:    upgradeNote,
		get:     func(*Config) string { return "" },
		set:     func(*Config, string) error { return nil },
		clear:   func(*Config) {},
	},

	strKey("state_dir", "Local", "Directory for the spool, GUID and check state.", "",
		func(c *Config) *string { return &c.StateDir }, nil),
	strKey("plugin_dir", "", "Directory of plugin checks.", "",
		func(c *Config) *string { return &c.PluginDir }, nil),
	strKey("confd_dir", "", "Directory of local check definitions (*.yaml).", "",
		func(c *Config) *string { return &c.ConfdDir }, nil),
	strKey("log_file", "", "Log file; empty: standard error.", "/var/log/virgo-top.log",
		func(c *Config) *string { return &c.LogFile }, nil),
	strKey("log_level", "", "Log level: debug, info, warn or error.", "",
		func(c *Config) *string { return &c.LogLevel },
		func(v string) (string, error) { return parseEnum(v, []string{"debug", "info", "warn", "error"}) }),
	strKey("log_format", "", "Log format: text or json.", "",
		func(c *Config) *string { return &c.LogFormat },
		func(v string) (string, error) { return parseEnum(v, []string{"text", "json"}) }),
	strKey("metrics_listen", "", "Prometheus /metrics listen address, host:port (\":19100\" for all interfaces); empty: off.\n"+
		"Port 19100 is outside the 9100-9999 range of Prometheus' default port allocations (9100 is node_exporter's).", "127.0.0.1:19100",
		func(c *Config) *string { return &c.MetricsListen },
		func(v string) (string, error) { return v, checkHostPort(v, true) }),
	boolKey("metrics_node_families", "", "Export host data under node_exporter's names (node_*: node_cpu_seconds_total, node_memory_*, ...) on /metrics.\n"+
		"false where node_exporter runs too, so each host is not counted twice; the virgo_* families stay.",
		func(c *Config) *bool { return &c.MetricsNodeFamilies }),
	urlKey("fleet_prometheus", "", "Base URL of the Prometheus-compatible engine virgo-top fleet reads (Prometheus, Thanos, Mimir, VictoriaMetrics).", "http://127.0.0.1:9090",
		func(c *Config) *string { return &c.FleetPrometheus }),
	{
		name: "interval",
		help: "Collection interval, a Go duration from " + MinInterval.String() + " to " + MaxInterval.String() + ".",
		get:  func(c *Config) string { return c.Interval.String() },
		set: func(c *Config, v string) (err error) {
			c.Interval, err = parseDuration(v, MinInterval, MaxInterval)
			return err
		},
	},
	strKey("pidfile", "", "PID file written by the daemon; empty: none.", "/run/virgo-top.pid",
		func(c *Config) *string { return &c.PIDFile }, nil),

	urlKey("notify_webhook_url", "Notifications", "Webhook that receives alarm events as JSON POSTs.", "https://hooks.example.com/virgo-top",
		func(c *Config) *string { return &c.Notify.WebhookURL }),
	secretKey("notify_webhook_secret", "", "Key that signs webhook bodies (HMAC-SHA256).", "change-me-to-a-long-random-string",
		func(c *Config) *Secret { return &c.Notify.WebhookSecret }),
	strKey("notify_webhook_format", "", "Webhook body: virgo-top (the event as JSON) or rackspace (the body Rackspace Cloud Monitoring posts, for receivers written for it).", "virgo-top",
		func(c *Config) *string { return &c.Notify.WebhookFormat },
		func(v string) (string, error) {
			switch v {
			case "", "virgo-top", "rackspace":
				return v, nil
			}
			return "", fmt.Errorf("%q is not a webhook format (virgo-top or rackspace)", v)
		}),
	secretKey("notify_webhook_token", "", "Token sent in the X-Rackspace-Webhook-Token header (rackspace format).", "change-me",
		func(c *Config) *Secret { return &c.Notify.WebhookToken }),
	strKey("notify_webhook_tenant", "", "tenant_id of the rackspace format's body.", "123456",
		func(c *Config) *string { return &c.Notify.WebhookTenant }, nil),
	strKey("notify_smtp_addr", "", "SMTP server, host:port.", "smtp.example.com:587",
		func(c *Config) *string { return &c.Notify.SMTPAddr },
		func(v string) (string, error) { return v, checkHostPort(v, false) }),
	strKey("notify_smtp_user", "", "SMTP user name.", "virgo-top",
		func(c *Config) *string { return &c.Notify.SMTPUser }, nil),
	secretKey("notify_smtp_password", "", "SMTP password.", "change-me",
		func(c *Config) *Secret { return &c.Notify.SMTPPassword }),
	strKey("notify_smtp_from", "", "Sender address.", "virgo-top@example.com",
		func(c *Config) *string { return &c.Notify.SMTPFrom },
		func(v string) (string, error) { return v, checkAddress(v) }),
	listKey("notify_smtp_to", "", "Recipient addresses, comma-separated.", "ops@example.com,Oncall <oncall@example.com>",
		func(c *Config) *[]string { return &c.Notify.SMTPTo }, parseAddressList),
	boolKey("notify_smtp_starttls", "", "Require STARTTLS.",
		func(c *Config) *bool { return &c.Notify.SMTPStartTLS }),
	urlKey("notify_sms_url", "", "HTTP SMS gateway endpoint.", "https://sms.example.com/send",
		func(c *Config) *string { return &c.Notify.SMSURL }),
	strKey("notify_sms_template", "", "Request body template (Go text/template); empty: the notifier's default.", "to={{.To}}&text={{.Short}}",
		func(c *Config) *string { return &c.Notify.SMSTemplate }, nil),
	strKey("notify_sms_to", "", "SMS recipient, as the gateway wants it.", "+15555550100",
		func(c *Config) *string { return &c.Notify.SMSTo }, nil),
	{
		name: "notify_rate_limit",
		help: "Notifications per alarm and receiver per notify_rate_window; -1: no limit. A limited change is\n" +
			"not dropped: the alarm's state is sent when the window reopens if it differs from what was last sent.",
		get: func(c *Config) string { return strconv.Itoa(c.Notify.RateLimit) },
		set: func(c *Config, v string) (err error) {
			c.Notify.RateLimit, err = parseRateLimit(v)
			return err
		},
	},
	durationKey("notify_rate_window", "", "Window of notify_rate_limit, a Go duration from "+minRateWindow.String()+" to "+maxRateWindow.String()+".",
		minRateWindow, maxRateWindow, func(c *Config) *time.Duration { return &c.Notify.RateWindow }),
	intKey("notify_outbox_max_entries", "", "Most undelivered notifications kept (on disk) per receiver while it is down; the oldest go first.",
		func(c *Config) *int { return &c.Notify.OutboxMaxEntries }),
	durationKey("notify_outbox_max_age", "", "How long an undelivered notification is retried before it expires (logged at ERROR, counted).",
		minOutboxAge, maxOutboxAge, func(c *Config) *time.Duration { return &c.Notify.OutboxMaxAge }),
	durationKey("notify_retry_max", "", "Longest wait between delivery attempts to a receiver that is down (the wait starts at 1s and doubles).",
		minRetryMax, maxRetryMax, func(c *Config) *time.Duration { return &c.Notify.RetryMax }),

	{
		name:    "spool_max_count",
		section: "Spool",
		help:    "Most metric posts kept while no endpoint is reachable; the oldest are dropped first.",
		get:     func(c *Config) string { return strconv.Itoa(c.SpoolMaxCount) },
		set: func(c *Config, v string) error {
			n, err := parsePositiveInt(v, strconv.IntSize)
			c.SpoolMaxCount = int(n)
			return err
		},
	},
	intKey("spool_max_attempts", "", "Refusals by the endpoint before a spooled post moves to spool.dead in state_dir.",
		func(c *Config) *int { return &c.SpoolMaxAttempts }),
	{
		name:    "spool_max_bytes",
		help:    "Most bytes the spool keeps: a number with an optional unit (kB, MB, GB, KiB, MiB, GiB).",
		example: "16MiB",
		get:     func(c *Config) string { return strconv.FormatInt(c.SpoolMaxBytes, 10) },
		set: func(c *Config, v string) (err error) {
			c.SpoolMaxBytes, err = parseBytes(v)
			return err
		},
	},

	boolKey("record", "Recording", "Record the host's timeline (figures, processes, checks, alarm transitions) on disk, so the console opens with the\n"+
		"past filled in and can travel to any moment: the daemon in state_dir/record, a console with no daemon recording in the user's\n"+
		"state dir. false (or --no-record) turns it off.",
		func(c *Config) *bool { return &c.Record }),
	durationKey("record_max_age", "", "Oldest recorded data kept, a Go duration (the daemon's; a console's own recording keeps 24h unless this is set).",
		minRecordAge, maxRecordAge, func(c *Config) *time.Duration { return &c.RecordMaxAge }),
	{
		name:    "record_max_size",
		help:    "Most disk the recording takes, oldest removed first: a number with an optional unit (MB, GiB, ...); the daemon's (a console's own recording keeps 100MiB unless this is set).",
		example: "500MiB",
		get:     func(c *Config) string { return strconv.FormatInt(c.RecordMaxBytes, 10) },
		set: func(c *Config, v string) (err error) {
			c.RecordMaxBytes, err = parseBytes(v)
			if err == nil && c.RecordMaxBytes < 1<<20 {
				return fmt.Errorf("invalid size %q (want at least 1MiB)", v)
			}
			return err
		},
	},
	durationKey("record_process_interval", "", "How often the full process table is recorded (host figures are recorded every sample).",
		minRecordProcess, maxRecordProcess, func(c *Config) *time.Duration { return &c.RecordProcessInterval }),
}

// keyIndex finds a key definition by name.
var keyIndex = func() map[string]*keyDef {
	m := make(map[string]*keyDef, len(keyTable))
	for i := range keyTable {
		m[keyTable[i].name] = &keyTable[i]
	}
	return m
}()

// Keys lists the known keys in documentation order.
func Keys() []string {
	out := make([]string, len(keyTable))
	for i, k := range keyTable {
		out[i] = k.name
	}
	return out
}

// strKey is a string field; parse, if not nil, checks and normalizes the
// value.
func strKey(name, section, help, example string, field func(*Config) *string, parse func(string) (string, error)) keyDef {
	return keyDef{
		name: name, section: section, help: help, example: example,
		get: func(c *Config) string { return *field(c) },
		set: func(c *Config, v string) error {
			if parse != nil {
				var err error
				if v, err = parse(v); err != nil {
					return err
				}
			}
			*field(c) = v
			return nil
		},
		clear: func(c *Config) { *field(c) = "" },
	}
}

func urlKey(name, section, help, example string, field func(*Config) *string) keyDef {
	k := strKey(name, section, help, example, field, func(v string) (string, error) { return v, checkHTTPURL(v) })
	k.kind = kindURL
	return k
}

// secretKey is a Secret field. Its errors never show the value.
func secretKey(name, section, help, example string, field func(*Config) *Secret) keyDef {
	return keyDef{
		name: name, section: section, help: help, example: example, kind: kindSecret,
		get: func(c *Config) string { return field(c).Reveal() },
		set: func(c *Config, v string) error {
			if strings.ContainsAny(v, " \t") {
				return errors.New("value contains whitespace (not shown)")
			}
			*field(c) = Secret(v)
			return nil
		},
		clear: func(c *Config) { *field(c) = "" },
	}
}

// durationKey is a time.Duration field from lo to hi.
func durationKey(name, section, help string, lo, hi time.Duration, field func(*Config) *time.Duration) keyDef {
	return keyDef{
		name: name, section: section, help: help,
		get: func(c *Config) string { return field(c).String() },
		set: func(c *Config, v string) (err error) {
			*field(c), err = parseDuration(v, lo, hi)
			return err
		},
	}
}

// intKey is an int field of at least 1.
func intKey(name, section, help string, field func(*Config) *int) keyDef {
	return keyDef{
		name: name, section: section, help: help,
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
		set: func(c *Config, v string) error {
			n, err := parsePositiveInt(v, strconv.IntSize)
			*field(c) = int(n)
			return err
		},
	}
}

// aliasOf makes k another name for the key of (same field): setting either
// wins over the other from an earlier layer, and one layer setting both is
// an error, as with withReplaces. k shows a value only when it was the one
// set.
func aliasOf(of string, k keyDef) keyDef {
	k.replaces, k.alias = of, true
	get := k.get
	k.get = func(c *Config) string {
		if c.Source[k.name] == "" {
			return ""
		}
		return get(c)
	}
	return k
}

// withReplaces sets k.replaces.
func withReplaces(other string, k keyDef) keyDef {
	k.replaces = other
	return k
}

func boolKey(name, section, help string, field func(*Config) *bool) keyDef {
	return keyDef{
		name: name, section: section, help: help,
		get: func(c *Config) string { return strconv.FormatBool(*field(c)) },
		set: func(c *Config, v string) (err error) {
			*field(c), err = parseBool(v)
			return err
		},
	}
}

func listKey(name, section, help, example string, field func(*Config) *[]string, parse func(string) ([]string, error)) keyDef {
	return keyDef{
		name: name, section: section, help: help, example: example,
		get: func(c *Config) string { return joinList(*field(c)) },
		set: func(c *Config, v string) error {
			items, err := parse(v)
			if err != nil {
				return err
			}
			*field(c) = items
			return nil
		},
		clear: func(c *Config) { *field(c) = nil },
	}
}
