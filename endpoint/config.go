package endpoint

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/virgo-top/virgo-top/endpoint/alertmanager"
	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
	"github.com/virgo-top/virgo-top/protocol"
)

// MaxConfigFile bounds the endpoint's config file and its token file.
const MaxConfigFile = 1 << 20

// Config is the endpoint's YAML config (virgo-top endpoint --config FILE).
// Unknown keys are errors.
type Config struct {
	// Listen is the agents' address (host:port), default ":50041".
	Listen string `yaml:"listen"`
	// TLS holds the certificate and key files; both are required unless
	// Insecure is set.
	TLS TLSConfig `yaml:"tls"`
	// InsecurePlaintext listens without TLS: tests and benchmarks only
	// (no Virgo agent speaks plain TCP; a TLS-terminating load balancer in
	// front is the one production use).
	InsecurePlaintext bool `yaml:"insecure_plaintext"`
	// TokenFile lists the accepted tokens and the agent ids each may use
	// (see ParseTokens for its format). Required.
	TokenFile string `yaml:"token_file"`
	// ScheduleDir holds the schedules (see Schedules). Empty: every agent
	// gets an empty schedule.
	ScheduleDir string `yaml:"schedule_dir"`
	// SchedulePoll is how often ScheduleDir is checked for changes
	// (default 5s).
	SchedulePoll Duration `yaml:"schedule_poll"`
	// Groups map agent ids to a group name, first match wins.
	Groups []Group `yaml:"groups"`
	// Outputs are the engines posts go to.
	Outputs Outputs `yaml:"outputs"`
	// Limits protect the endpoint from one agent.
	Limits Limits `yaml:"limits"`
	// MetricsListen serves /metrics, /healthz and the host_info API
	// (default "127.0.0.1:9466"; "off" disables it).
	MetricsListen string `yaml:"metrics_listen"`
	// HeartbeatInterval is handed to agents in the hello (default 30s).
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// DrainTimeout bounds the graceful drain on SIGTERM (default 30s).
	DrainTimeout Duration `yaml:"drain_timeout"`
}

// TLSConfig names the endpoint's certificate and key (PEM files, re-read on
// SIGHUP).
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Group is a named set of agent ids (path.Match globs).
type Group struct {
	Name   string   `yaml:"name"`
	Agents []string `yaml:"agents"`
}

// Outputs are the engines. Remote write goes to every entry; a post is
// acknowledged once all of them (and Alertmanager, when set) accepted it.
type Outputs struct {
	RemoteWrite  []HTTPOutput `yaml:"remote_write"`
	Alertmanager *HTTPOutput  `yaml:"alertmanager"`
}

// HTTPOutput is one engine's HTTP API.
type HTTPOutput struct {
	Name                  string            `yaml:"name"` // in /metrics and logs; default the URL's host
	URL                   string            `yaml:"url"`
	Timeout               Duration          `yaml:"timeout"`
	Headers               map[string]string `yaml:"headers"`
	BearerTokenFile       string            `yaml:"bearer_token_file"`
	BasicAuthUser         string            `yaml:"basic_auth_user"`
	BasicAuthPasswordFile string            `yaml:"basic_auth_password_file"`
	CAFile                string            `yaml:"ca_file"`
}

// Limits bound what one agent can make the endpoint do.
type Limits struct {
	// PostsPerMinute is the per-agent rate of check_metrics.post (default
	// 600, bursts of the same size); past it the post is answered with
	// Virgo's rateLimitReached error, code 400.
	PostsPerMinute int `yaml:"posts_per_minute"`
	// MaxLineSize bounds one received line (default 1 MiB).
	MaxLineSize int `yaml:"max_line_size"`
	// MaxAgents bounds the connections held at once (default 20000).
	MaxAgents int `yaml:"max_agents"`
	// MaxInflightPosts bounds the posts being written to the outputs at
	// once, over all agents (default 256); past it a post is answered
	// "unavailable" at once rather than queued.
	MaxInflightPosts int `yaml:"max_inflight_posts"`
}

// Duration is a time.Duration written as Go writes it ("30s", "1m30s").
type Duration time.Duration

// UnmarshalYAML reads "30s".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: want a duration like 30s", n.Line)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: want a duration like 30s, got %q", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// Defaults.
const (
	DefaultListen            = ":50041"
	DefaultMetricsListen     = "127.0.0.1:9466"
	DefaultHeartbeatInterval = 30 * time.Second
	DefaultDrainTimeout      = 30 * time.Second
	DefaultSchedulePoll      = 5 * time.Second
	DefaultPostsPerMinute    = 600
	DefaultMaxAgents         = 20000
	DefaultMaxInflightPosts  = 256
	DefaultOutputTimeout     = 10 * time.Second
)

// ParseConfig decodes and checks a config; relative file names stay as
// written (the command resolves nothing).
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadConfig reads and parses the config file.
func LoadConfig(file string) (*Config, error) {
	data, err := readCapped(file, MaxConfigFile)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

func (c *Config) setDefaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MetricsListen == "" {
		c.MetricsListen = DefaultMetricsListen
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = Duration(DefaultHeartbeatInterval)
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = Duration(DefaultDrainTimeout)
	}
	if c.SchedulePoll == 0 {
		c.SchedulePoll = Duration(DefaultSchedulePoll)
	}
	if c.Limits.PostsPerMinute == 0 {
		c.Limits.PostsPerMinute = DefaultPostsPerMinute
	}
	if c.Limits.MaxLineSize == 0 {
		c.Limits.MaxLineSize = protocol.DefaultMaxLineSize
	}
	if c.Limits.MaxAgents == 0 {
		c.Limits.MaxAgents = DefaultMaxAgents
	}
	if c.Limits.MaxInflightPosts == 0 {
		c.Limits.MaxInflightPosts = DefaultMaxInflightPosts
	}
	for i := range c.Outputs.RemoteWrite {
		c.Outputs.RemoteWrite[i].setDefaults()
	}
	if c.Outputs.Alertmanager != nil {
		c.Outputs.Alertmanager.setDefaults()
	}
}

func (o *HTTPOutput) setDefaults() {
	if o.Timeout == 0 {
		o.Timeout = Duration(DefaultOutputTimeout)
	}
}

// Validate checks a config after defaults are set.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen: %v", err)
	}
	if c.MetricsListen != "off" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			bad("metrics_listen: %v", err)
		}
	}
	if !c.InsecurePlaintext && (c.TLS.CertFile == "" || c.TLS.KeyFile == "") {
		bad("tls: cert_file and key_file are required (insecure_plaintext: true is for tests only)")
	}
	if c.InsecurePlaintext && (c.TLS.CertFile != "" || c.TLS.KeyFile != "") {
		bad("tls: set either tls or insecure_plaintext, not both")
	}
	if c.TokenFile == "" {
		bad("token_file: required")
	}
	names := map[string]bool{}
	for i, g := range c.Groups {
		if g.Name == "" || !safeName(g.Name) {
			bad("groups[%d]: name %q must be letters, digits, '.', '_' or '-'", i, g.Name)
		}
		if names[g.Name] {
			bad("groups[%d]: duplicate name %q", i, g.Name)
		}
		names[g.Name] = true
		if len(g.Agents) == 0 {
			bad("groups[%d] (%s): agents: at least one glob", i, g.Name)
		}
		for _, p := range g.Agents {
			if _, err := path.Match(p, ""); err != nil {
				bad("groups[%d] (%s): bad glob %q", i, g.Name, p)
			}
		}
	}
	if len(c.Outputs.RemoteWrite) == 0 && c.Outputs.Alertmanager == nil {
		bad("outputs: at least one remote_write or an alertmanager")
	}
	for i, o := range c.Outputs.RemoteWrite {
		if o.URL == "" {
			bad("outputs.remote_write[%d]: url: required", i)
		}
	}
	if c.Outputs.Alertmanager != nil && c.Outputs.Alertmanager.URL == "" {
		bad("outputs.alertmanager: url: required")
	}
	seen := map[string]bool{}
	for i, o := range c.Outputs.RemoteWrite {
		if n := outputName("remote_write", o); seen[n] {
			bad("outputs.remote_write[%d]: a second output named %q (set name: to tell them apart in /metrics)", i, n)
		} else {
			seen[n] = true
		}
	}
	if c.Limits.PostsPerMinute < 0 || c.Limits.MaxAgents < 0 || c.Limits.MaxInflightPosts < 0 {
		bad("limits: negative value")
	}
	if c.Limits.MaxLineSize < 4096 || c.Limits.MaxLineSize > 64<<20 {
		bad("limits.max_line_size: %d is outside 4096..67108864", c.Limits.MaxLineSize)
	}
	if time.Duration(c.HeartbeatInterval) < time.Second {
		bad("heartbeat_interval: at least 1s")
	}
	if time.Duration(c.SchedulePoll) < 100*time.Millisecond {
		bad("schedule_poll: at least 100ms")
	}
	return errors.Join(errs...)
}

// RemoteWriteConfig is the remotewrite client config of o.
func (o HTTPOutput) RemoteWriteConfig() remotewrite.Config {
	return remotewrite.Config{URL: o.URL, Timeout: time.Duration(o.Timeout), BearerTokenFile: o.BearerTokenFile,
		BasicAuthUser: o.BasicAuthUser, BasicAuthPasswordFile: o.BasicAuthPasswordFile, Headers: o.Headers, CAFile: o.CAFile}
}

// AlertmanagerConfig is the alertmanager client config of o.
func (o HTTPOutput) AlertmanagerConfig() alertmanager.Config {
	return alertmanager.Config{URL: o.URL, Timeout: time.Duration(o.Timeout), BearerTokenFile: o.BearerTokenFile,
		BasicAuthUser: o.BasicAuthUser, BasicAuthPasswordFile: o.BasicAuthPasswordFile, Headers: o.Headers, CAFile: o.CAFile}
}

// GroupOf returns the first group whose globs match agentID ("" for none).
func (c *Config) GroupOf(agentID string) string {
	for _, g := range c.Groups {
		for _, p := range g.Agents {
			if ok, _ := path.Match(p, agentID); ok {
				return g.Name
			}
		}
	}
	return ""
}

// safeName reports whether s can name a file or directory on its own:
// letters, digits, '.', '_', '-', not "." or "..", at most 255 bytes.
func safeName(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 255 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

func readCapped(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, limit)
	}
	return data, nil
}
