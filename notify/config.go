package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config describes the notifiers in plain values, as a config file or flags
// give them. A notifier is configured when its anchor is set: WebhookURL,
// SMTPAddr or SMSURL. Its String, GoString and LogValue mask passwords,
// secrets and tokens.
type Config struct {
	// Version goes into the User-Agent, "virgo-top/<Version>".
	Version string `yaml:"-" json:"-"`

	WebhookURL     string        `yaml:"webhook_url" json:"webhook_url"`
	WebhookSecret  string        `yaml:"webhook_secret" json:"webhook_secret"`
	WebhookTimeout time.Duration `yaml:"webhook_timeout" json:"webhook_timeout"`
	// WebhookFormat is FormatVirgoTop (default) or FormatRackspace.
	WebhookFormat string `yaml:"webhook_format" json:"webhook_format"`
	// WebhookToken is sent as RackspaceTokenHeader; WebhookTenant is the
	// account of a Rackspace body.
	WebhookToken  string `yaml:"webhook_token" json:"webhook_token"`
	WebhookTenant string `yaml:"webhook_tenant" json:"webhook_tenant"`

	SMTPAddr     string   `yaml:"smtp_addr" json:"smtp_addr"`
	SMTPUser     string   `yaml:"smtp_user" json:"smtp_user"`
	SMTPPassword string   `yaml:"smtp_password" json:"smtp_password"`
	SMTPFrom     string   `yaml:"smtp_from" json:"smtp_from"`
	SMTPTo       []string `yaml:"smtp_to" json:"smtp_to"`
	// SMTPStartTLS requires STARTTLS; SMTPTLS uses implicit TLS (port 465).
	SMTPStartTLS bool `yaml:"smtp_starttls" json:"smtp_starttls"`
	SMTPTLS      bool `yaml:"smtp_tls" json:"smtp_tls"`
	// SMTPCAFile is a PEM bundle that replaces the system roots.
	SMTPCAFile string `yaml:"smtp_ca_file" json:"smtp_ca_file"`

	SMSURL         string        `yaml:"sms_url" json:"sms_url"`
	SMSFormat      string        `yaml:"sms_format" json:"sms_format"`
	SMSTemplate    string        `yaml:"sms_template" json:"sms_template"`
	SMSTo          string        `yaml:"sms_to" json:"sms_to"`
	SMSUser        string        `yaml:"sms_user" json:"sms_user"`
	SMSPassword    string        `yaml:"sms_password" json:"sms_password"`
	SMSTokenHeader string        `yaml:"sms_token_header" json:"sms_token_header"`
	SMSToken       string        `yaml:"sms_token" json:"sms_token"`
	SMSTimeout     time.Duration `yaml:"sms_timeout" json:"sms_timeout"`
}

// configKeys maps each ParseConfig key to the field it sets.
var configKeys = map[string]func(c *Config, v string) error{
	"webhook.url":     setString(func(c *Config) *string { return &c.WebhookURL }),
	"webhook.secret":  setString(func(c *Config) *string { return &c.WebhookSecret }),
	"webhook.timeout": setDuration(func(c *Config) *time.Duration { return &c.WebhookTimeout }),
	"webhook.format":  setString(func(c *Config) *string { return &c.WebhookFormat }),
	"webhook.token":   setString(func(c *Config) *string { return &c.WebhookToken }),
	"webhook.tenant":  setString(func(c *Config) *string { return &c.WebhookTenant }),
	"smtp.addr":       setString(func(c *Config) *string { return &c.SMTPAddr }),
	"smtp.user":       setString(func(c *Config) *string { return &c.SMTPUser }),
	"smtp.password":   setString(func(c *Config) *string { return &c.SMTPPassword }),
	"smtp.from":       setString(func(c *Config) *string { return &c.SMTPFrom }),
	"smtp.to": func(c *Config, v string) error {
		c.SMTPTo = nil
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.SMTPTo = append(c.SMTPTo, s)
			}
		}
		return nil
	},
	"smtp.starttls":    setBool(func(c *Config) *bool { return &c.SMTPStartTLS }),
	"smtp.tls":         setBool(func(c *Config) *bool { return &c.SMTPTLS }),
	"smtp.ca_file":     setString(func(c *Config) *string { return &c.SMTPCAFile }),
	"sms.url":          setString(func(c *Config) *string { return &c.SMSURL }),
	"sms.format":       setString(func(c *Config) *string { return &c.SMSFormat }),
	"sms.template":     setString(func(c *Config) *string { return &c.SMSTemplate }),
	"sms.to":           setString(func(c *Config) *string { return &c.SMSTo }),
	"sms.user":         setString(func(c *Config) *string { return &c.SMSUser }),
	"sms.password":     setString(func(c *Config) *string { return &c.SMSPassword }),
	"sms.token_header": setString(func(c *Config) *string { return &c.SMSTokenHeader }),
	"sms.token":        setString(func(c *Config) *string { return &c.SMSToken }),
	"sms.timeout":      setDuration(func(c *Config) *time.Duration { return &c.SMSTimeout }),
}

func setString(f func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = v; return nil }
}

func setBool(f func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*f(c) = b
		return nil
	}
}

func setDuration(f func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 {
			return fmt.Errorf("want a positive duration like 10s, got %q", v)
		}
		*f(c) = d
		return nil
	}
}

// ConfigKeys lists the keys ParseConfig accepts, sorted.
func ConfigKeys() []string {
	keys := make([]string, 0, len(configKeys))
	for k := range configKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ParseConfig reads key/value settings such as "webhook.url",
// "smtp.to" (comma-separated) or "smtp.starttls" (true/false); see
// ConfigKeys. Keys are case-insensitive. Unknown keys and malformed values
// are errors; values of secret keys never appear in them.
func ParseConfig(kv map[string]string) (Config, error) {
	var c Config
	var errs []error
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		set, ok := configKeys[strings.ToLower(strings.TrimSpace(k))]
		if !ok {
			errs = append(errs, fmt.Errorf("notify config: unknown key %q", k))
			continue
		}
		if err := set(&c, kv[k]); err != nil {
			errs = append(errs, fmt.Errorf("notify config: %s: %w", k, err))
		}
	}
	return c, errors.Join(errs...)
}

// FromConfig builds the configured notifiers: webhook, email, sms, in that
// order, named "webhook", "email" and "sms". It reports every problem at
// once, none of them quoting a secret.
func FromConfig(c Config) ([]Notifier, error) {
	var ns []Notifier
	var errs []error
	ua := DefaultUserAgent
	if c.Version != "" {
		ua = "virgo-top/" + c.Version
	}
	orphan := func(anchor string, set map[string]bool) {
		var names []string
		for k, v := range set {
			if v {
				names = append(names, k)
			}
		}
		if len(names) > 0 {
			sort.Strings(names)
			errs = append(errs, fmt.Errorf("notify config: %s set without %s", strings.Join(names, ", "), anchor))
		}
	}

	if c.WebhookURL != "" {
		w, err := NewWebhook(WebhookOptions{URL: c.WebhookURL, Secret: c.WebhookSecret, Timeout: c.WebhookTimeout, UserAgent: ua,
			Format: c.WebhookFormat, Token: c.WebhookToken, Tenant: c.WebhookTenant})
		if err != nil {
			errs = append(errs, err)
		} else {
			ns = append(ns, w)
		}
	} else {
		orphan("webhook.url", map[string]bool{"webhook.secret": c.WebhookSecret != "", "webhook.timeout": c.WebhookTimeout != 0,
			"webhook.format": c.WebhookFormat != "", "webhook.token": c.WebhookToken != "", "webhook.tenant": c.WebhookTenant != ""})
	}

	if c.SMTPAddr != "" {
		o := EmailOptions{Addr: c.SMTPAddr, StartTLS: c.SMTPStartTLS, ImplicitTLS: c.SMTPTLS,
			Username: c.SMTPUser, Password: c.SMTPPassword, From: c.SMTPFrom, To: c.SMTPTo}
		var caErr error
		if c.SMTPCAFile != "" {
			o.TLSConfig, caErr = loadCAFile(c.SMTPCAFile)
		}
		e, err := NewEmail(o)
		switch {
		case caErr != nil:
			errs = append(errs, caErr)
		case err != nil:
			errs = append(errs, err)
		default:
			ns = append(ns, e)
		}
	} else {
		orphan("smtp.addr", map[string]bool{"smtp.user": c.SMTPUser != "", "smtp.password": c.SMTPPassword != "",
			"smtp.from": c.SMTPFrom != "", "smtp.to": len(c.SMTPTo) > 0, "smtp.starttls": c.SMTPStartTLS,
			"smtp.tls": c.SMTPTLS, "smtp.ca_file": c.SMTPCAFile != ""})
	}

	if c.SMSURL != "" {
		s, err := NewSMS(SMSOptions{URL: c.SMSURL, Format: c.SMSFormat, Template: c.SMSTemplate, To: c.SMSTo,
			Username: c.SMSUser, Password: c.SMSPassword, TokenHeader: c.SMSTokenHeader, Token: c.SMSToken,
			Timeout: c.SMSTimeout, UserAgent: ua})
		if err != nil {
			errs = append(errs, err)
		} else {
			ns = append(ns, s)
		}
	} else {
		orphan("sms.url", map[string]bool{"sms.format": c.SMSFormat != "", "sms.template": c.SMSTemplate != "",
			"sms.to": c.SMSTo != "", "sms.user": c.SMSUser != "", "sms.password": c.SMSPassword != "",
			"sms.token_header": c.SMSTokenHeader != "", "sms.token": c.SMSToken != "", "sms.timeout": c.SMSTimeout != 0})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ns, nil
}

func loadCAFile(path string) (*tls.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("email: CA file: %w", err)
	}
	defer f.Close()
	// A CA bundle is kilobytes; the bound stops a wrong path (a device, a
	// log) from eating memory.
	pem, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("email: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("email: CA file %s holds no PEM certificate", path)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// masked returns a copy with secrets replaced by "***".
func (c Config) masked() Config {
	c.WebhookSecret = mask(c.WebhookSecret)
	c.WebhookToken = mask(c.WebhookToken)
	c.SMTPPassword = mask(c.SMTPPassword)
	c.SMSPassword = mask(c.SMSPassword)
	c.SMSToken = mask(c.SMSToken)
	c.WebhookURL = redactRawURL(c.WebhookURL)
	c.SMSURL = redactRawURL(c.SMSURL)
	return c
}

// String shows the configuration with secrets masked.
func (c Config) String() string {
	type plain Config // no methods: no recursion
	return fmt.Sprintf("%+v", plain(c.masked()))
}

// GoString makes %#v mask secrets too.
func (c Config) GoString() string { return "notify.Config" + c.String() }

// LogValue makes slog mask secrets.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// redactRawURL is redactURL for a string that may not parse.
func redactRawURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := parseHTTPURL("", raw)
	if err != nil {
		return "***"
	}
	return redactURL(u)
}
