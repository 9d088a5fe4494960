package config

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Paths.
const (
	// DefaultPath is virgo-top's own config file.
	DefaultPath = "/etc/virgo-top.cfg"
	// VirgoPath is the Rackspace Monitoring agent's config file, which
	// virgo-top reads unchanged.
	VirgoPath = "/etc/rackspace-monitoring-agent.cfg"
	// EnvPrefix starts every environment override: VIRGO_TOP_<KEY>.
	EnvPrefix = "VIRGO_TOP_"
)

// Defaults for the keys that have one.
const (
	DefaultStateDir      = "/var/lib/virgo-top"
	DefaultPluginDir     = "/usr/lib/virgo-top/plugins"
	DefaultConfdDir      = "/etc/virgo-top.conf.d"
	DefaultLogLevel      = "info"
	DefaultLogFormat     = "text"
	DefaultInterval      = time.Second
	DefaultSpoolMaxCount = 10000
	DefaultSpoolMaxBytes = 16 << 20
	// DefaultSpoolMaxAttempts is how many refusals an entry of the spool
	// takes before it moves to the dead-letter file.
	DefaultSpoolMaxAttempts = 5

	// Notification defaults (notify.DispatcherOptions and the outbox).
	DefaultNotifyRateLimit        = 1
	DefaultNotifyRateWindow       = time.Minute
	DefaultNotifyOutboxMaxEntries = 1000
	DefaultNotifyOutboxMaxAge     = 72 * time.Hour
	DefaultNotifyRetryMax         = 5 * time.Minute

	// The flight recorder: the daemon's bounds (the console's own
	// recording keeps ConsoleRecordMaxAge and ConsoleRecordMaxBytes unless
	// record_max_age or record_max_size is set).
	DefaultRecordMaxAge          = 7 * 24 * time.Hour
	DefaultRecordMaxBytes        = 500 << 20
	DefaultRecordProcessInterval = 5 * time.Second
	ConsoleRecordMaxAge          = 24 * time.Hour
	ConsoleRecordMaxBytes        = 100 << 20
)

// CredentialToken is the name of the systemd credential that holds the
// monitoring token: $CREDENTIALS_DIRECTORY/monitoring_token (see
// ApplyCredentials).
const CredentialToken = "monitoring_token"

// SourceCredential is Config.Source of a key set by ApplyCredentials.
const SourceCredential = "systemd credential"

// Interval bounds: faster than MinInterval the collector costs more than it
// tells; slower than MaxInterval the console is not live any more.
const (
	MinInterval = 100 * time.Millisecond
	MaxInterval = time.Hour
)

// SnetRegions are the Rackspace ServiceNet regions monitoring_snet_region
// accepts.
var SnetRegions = []string{"dfw", "ord", "lon", "syd", "hkg", "iad"}

// DefaultSRVNames are the SRV records queried when no endpoint key is set
// (Virgo's DEFAULT_MONITORING_SRV_QUERIES).
var DefaultSRVNames = []string{
	"_monitoringagent._tcp.dfw1.prod.monitoring.api.rackspacecloud.com",
	"_monitoringagent._tcp.ord1.prod.monitoring.api.rackspacecloud.com",
	"_monitoringagent._tcp.lon3.prod.monitoring.api.rackspacecloud.com",
}

// Config is virgo-top's configuration. Fields are named after their keys;
// see Keys and WriteExample for the key list.
type Config struct {
	MonitoringID   string   // monitoring_id; empty: the agent picks one (hostname)
	Token          Secret   // monitoring_token; see ReadTokenFile
	TokenFile      string   // monitoring_token_file: the token is this file's content
	GUID           string   // monitoring_guid
	Endpoints      []string // monitoring_endpoints, host:port each
	QueryEndpoints []string // monitoring_query_endpoints, SRV names
	SnetRegion     string   // monitoring_snet_region
	ProxyURL       string   // monitoring_proxy_url, http or https; may hold credentials
	Insecure       bool     // monitoring_insecure
	Debug          bool     // monitoring_debug
	Health         bool     // monitoring_health: the "health" feature of the hello (default true)
	CAFile         string   // monitoring_ca, or certificate_path (the original's key)

	StateDir      string // state_dir
	PluginDir     string // plugin_dir
	ConfdDir      string // confd_dir
	LogFile       string // log_file; empty: standard error
	LogLevel      string // log_level: debug, info, warn or error
	LogFormat     string // log_format: text or json
	MetricsListen string // metrics_listen, host:port; empty: off
	// MetricsNodeFamilies exports host data under node_exporter's names
	// (node_*) on /metrics (metrics_node_families, default true).
	MetricsNodeFamilies bool
	Interval            time.Duration // interval
	PIDFile             string        // pidfile

	Notify NotifyConfig

	SpoolMaxCount    int   // spool_max_count
	SpoolMaxBytes    int64 // spool_max_bytes
	SpoolMaxAttempts int   // spool_max_attempts: refusals before an entry is dead-lettered

	// Record turns the flight recorder on (state_dir/record for the
	// daemon, the user's state dir for a console with no daemon
	// recording); RecordMaxAge and RecordMaxBytes bound it, oldest first;
	// RecordProcessInterval is how often the process table is recorded.
	Record                bool          // record
	RecordMaxAge          time.Duration // record_max_age
	RecordMaxBytes        int64         // record_max_size
	RecordProcessInterval time.Duration // record_process_interval

	// Source records where each key that is not at its default was set:
	// "file:line", "env" or what the caller passed to Set (e.g. "flag").
	// Copies of a Config share this map.
	Source map[string]string
	// Notes are non-fatal remarks about the input, e.g. that
	// monitoring_upgrade is ignored. They never hold secret values.
	Notes []string

	// FleetPrometheus is fleet_prometheus: the base URL of the engine
	// `virgo-top fleet` reads; empty: --prometheus must say.
	FleetPrometheus string
}

// NotifyConfig configures the notification channels; an empty URL or
// address leaves that channel off.
type NotifyConfig struct {
	WebhookURL    string   // notify_webhook_url
	WebhookSecret Secret   // notify_webhook_secret
	WebhookFormat string   // notify_webhook_format: virgo-top (default) or rackspace
	WebhookToken  Secret   // notify_webhook_token: X-Rackspace-Webhook-Token
	WebhookTenant string   // notify_webhook_tenant: the rackspace body's tenant_id
	SMTPAddr      string   // notify_smtp_addr, host:port
	SMTPUser      string   // notify_smtp_user
	SMTPPassword  Secret   // notify_smtp_password
	SMTPFrom      string   // notify_smtp_from
	SMTPTo        []string // notify_smtp_to
	SMTPStartTLS  bool     // notify_smtp_starttls
	SMSURL        string   // notify_sms_url
	SMSTemplate   string   // notify_sms_template
	SMSTo         string   // notify_sms_to

	// RateLimit and RateWindow bound notifications per alarm per
	// receiver (notify.DispatcherOptions): RateLimit per RateWindow;
	// RateLimit -1 turns limiting off. Never 0.
	RateLimit  int           // notify_rate_limit
	RateWindow time.Duration // notify_rate_window
	// OutboxMaxEntries and OutboxMaxAge bound each receiver's persisted
	// outbox of undelivered notifications.
	OutboxMaxEntries int           // notify_outbox_max_entries
	OutboxMaxAge     time.Duration // notify_outbox_max_age
	// RetryMax caps the wait between delivery attempts to a receiver
	// that is down (the backoff starts at 1 s).
	RetryMax time.Duration // notify_retry_max
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		StateDir:  DefaultStateDir,
		PluginDir: DefaultPluginDir,
		ConfdDir:  DefaultConfdDir,
		LogLevel:  DefaultLogLevel,
		LogFormat: DefaultLogFormat,
		Interval:  DefaultInterval,
		Notify: NotifyConfig{
			SMTPStartTLS:     true,
			RateLimit:        DefaultNotifyRateLimit,
			RateWindow:       DefaultNotifyRateWindow,
			OutboxMaxEntries: DefaultNotifyOutboxMaxEntries,
			OutboxMaxAge:     DefaultNotifyOutboxMaxAge,
			RetryMax:         DefaultNotifyRetryMax,
		},
		SpoolMaxCount:    DefaultSpoolMaxCount,
		SpoolMaxBytes:    DefaultSpoolMaxBytes,
		SpoolMaxAttempts: DefaultSpoolMaxAttempts,

		Health:              true,
		MetricsNodeFamilies: true,

		Record:                true,
		RecordMaxAge:          DefaultRecordMaxAge,
		RecordMaxBytes:        DefaultRecordMaxBytes,
		RecordProcessInterval: DefaultRecordProcessInterval,
		Source:                map[string]string{},
	}
}

// SRVNames are the SRV records to query for endpoints: the query endpoints
// if set, the ServiceNet records of the snet region if set, nothing if
// explicit endpoints are set, and DefaultSRVNames otherwise.
func (c Config) SRVNames() []string {
	switch {
	case len(c.Endpoints) > 0:
		return nil
	case len(c.QueryEndpoints) > 0:
		return append([]string(nil), c.QueryEndpoints...)
	case c.SnetRegion != "":
		names := make([]string, 3)
		for i := range names {
			names[i] = "_monitoringagent._tcp.snet-" + c.SnetRegion + "-region" + strconv.Itoa(i) +
				".prod.monitoring.api.rackspacecloud.com"
		}
		return names
	}
	return append([]string(nil), DefaultSRVNames...)
}

// EffectiveLogLevel is the log level to use: "debug" when monitoring_debug
// is set, else log_level.
func (c Config) EffectiveLogLevel() string {
	if c.Debug {
		return "debug"
	}
	return c.LogLevel
}

// Setting is one key's current value, in config-file form, safe to show.
type Setting struct {
	Key    string
	Value  string // secrets masked as Secret.String does, URLs as RedactURL does
	Source string // where it was set; "default" if it was not
}

// Settings lists every key with its value, safe to print (for a
// --print-config or a console panel).
func (c Config) Settings() []Setting {
	out := make([]Setting, 0, len(keyTable))
	for _, k := range keyTable {
		v := k.get(&c)
		switch k.kind {
		case kindURL:
			v = RedactURL(v)
		case kindSecret:
			v = Secret(v).String()
		}
		src := c.Source[k.name]
		if src == "" {
			src = "default"
		}
		out = append(out, Setting{Key: k.name, Value: v, Source: src})
	}
	return out
}

// Format prints the settings as Settings shows them, for every verb, so a
// Config that reaches fmt (%v, %+v, %#v, %s) shows no secret and no URL
// in clear: `config.Config{monitoring_id=web1 monitoring_token=****7777 ...}`.
func (c Config) Format(f fmt.State, _ rune) { formatSettings(f, "config.Config", c.Settings()) }

// LogValue makes slog log the settings as Settings shows them.
func (c Config) LogValue() slog.Value { return settingsValue(c.Settings()) }

// Format prints the notify_* settings as Settings shows them, for every
// verb (see Config.Format).
func (n NotifyConfig) Format(f fmt.State, _ rune) {
	formatSettings(f, "config.NotifyConfig", n.settings())
}

// LogValue makes slog log the notify_* settings as Settings shows them.
func (n NotifyConfig) LogValue() slog.Value { return settingsValue(n.settings()) }

func (n NotifyConfig) settings() []Setting {
	c := Config{Notify: n}
	var out []Setting
	for _, s := range c.Settings() {
		if strings.HasPrefix(s.Key, "notify_") {
			out = append(out, s)
		}
	}
	return out
}

func formatSettings(f fmt.State, name string, ss []Setting) {
	var b strings.Builder
	b.WriteString(name + "{")
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.Key + "=" + s.Value)
	}
	b.WriteByte('}')
	_, _ = io.WriteString(f, b.String())
}

func settingsValue(ss []Setting) slog.Value {
	attrs := make([]slog.Attr, len(ss))
	for i, s := range ss {
		attrs[i] = slog.String(s.Key, s.Value)
	}
	return slog.GroupValue(attrs...)
}

// RedactURL is how a URL setting is shown: by config check, in logs and in
// errors. Webhook paths (Slack, Discord) and query strings (gateway API
// keys, ?token=) are often credentials and user info holds passwords, so
// only the scheme and the host (with its port) are kept, and "/***" stands
// for a path or a query when there is one (the notify package's rule):
//
//	https://hooks.example.com/services/T0/B0/XYZ?token=s3cret -> https://hooks.example.com/***
//	http://user:pw@proxy.example.com:3128                     -> http://proxy.example.com:3128
//
// A value that does not parse as a URL with a host is "***"; "" stays "".
func RedactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return "***"
	}
	s := u.Scheme + "://" + u.Host
	if strings.Trim(u.Path, "/") != "" || u.RawPath != "" || u.RawQuery != "" || u.Opaque != "" {
		s += "/***"
	}
	return s
}

func joinList(v []string) string { return strings.Join(v, ",") }
