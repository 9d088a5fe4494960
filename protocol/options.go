package protocol

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"time"
)

// Defaults, as in Virgo's constants (VBA util/constants_ctx.lua), except for
// the reconnect backoff, which is exponential with full jitter here.
const (
	DefaultConnectTimeout   = 6 * time.Second
	DefaultHandshakeTimeout = 30 * time.Second
	DefaultHeartbeatTimeout = 10 * time.Second
	DefaultPostTimeout      = 30 * time.Second
	DefaultIdleMultiplier   = 1.5
	DefaultBackoffInitial   = 1 * time.Second
	DefaultBackoffMax       = 60 * time.Second
	// DefaultHeartbeatInterval is used when the endpoint's hello result has
	// no usable heartbeat_interval.
	DefaultHeartbeatInterval = 60 * time.Second
	// DefaultRateLimitSleep is how long the agent waits, disconnected,
	// after a rate limit that stops it, before Manager.Run returns (the
	// original's RATE_LIMIT_SLEEP, agent.lua:196: "to keep from busy
	// restarting on upstart/systemd").
	DefaultRateLimitSleep = 5 * time.Second
)

// Resolver looks up SRV records; *net.Resolver is one, tests inject others.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error)
}

// Clock is the time source of heartbeats and backoff; tests replace it.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Handler answers the endpoint's requests; the agent implements it. Each
// method may be called from several goroutines. The context a method gets
// ends when the connection closes, and Client.Close (and Done) wait for
// every call in progress to return: a method must heed its context.
type Handler interface {
	HostInfoProvider
	CheckTargeter
	CheckTester
	SystemInfoProvider
	ScheduleSink
}

// HostInfoProvider answers host_info_types.get and host_info.get.
type HostInfoProvider interface {
	HostInfoTypes() []string
	HostInfo(ctx context.Context, typ string) (any, error)
}

// CheckTargeter answers check.targets: the disks, mount points or interfaces
// a check of checkType may target.
type CheckTargeter interface {
	CheckTargets(ctx context.Context, checkType string) ([]string, error)
}

// CheckTester answers check.test: run the check once (raw is the check's JSON)
// and return {metrics, state, status}.
type CheckTester interface {
	CheckTest(ctx context.Context, raw json.RawMessage) (any, error)
}

// SystemInfoProvider answers system.info.
type SystemInfoProvider interface {
	SystemInfo(ctx context.Context) (any, error)
}

// ScheduleSink receives the check schedule: after every handshake whose
// result names an entity (entity_id), and after each check_schedule.changed. With several endpoints it is called once per
// connection, so it must be idempotent.
type ScheduleSink interface {
	ScheduleChanged(endpoint string, checks []CheckDef)
}

// Options configure a Client and a Manager. Zero values take the defaults.
type Options struct {
	// Endpoints are the host:port pairs the Manager connects to, all at once.
	Endpoints []string
	// SRVNames are DNS SRV names (monitoring_query_endpoints, or a
	// ServiceNet region's records) the Manager also connects to, one
	// connection each. A name is resolved again before every connection
	// attempt, taking its first record, as the original does
	// (virgo-base-agent client/endpoint.lua:45-60, called from
	// connection_stream.lua:359 at every createConnection); a failed
	// lookup is retried with the reconnect backoff.
	SRVNames []string
	// Resolver looks SRV names up (default net.DefaultResolver).
	Resolver Resolver

	// TLS. The system roots are trusted unless CAFile or CAPEM name the
	// CAs to trust instead (pinned).
	CAFile     string
	CAPEM      []byte
	ServerName string // default: the endpoint's host
	Insecure   bool   // skip certificate verification (warned on every connect)

	// ProxyURL is an HTTP CONNECT proxy (http://user:pass@host:port, or
	// https:// for TLS to the proxy). Empty: HTTP_PROXY, http_proxy,
	// HTTPS_PROXY or https_proxy from Getenv (default os.Getenv), unless
	// NO_PROXY / no_proxy names the endpoint.
	ProxyURL string
	Getenv   func(string) string
	// ProxyRootCAs verify an https:// proxy's certificate (nil: the
	// system roots).
	ProxyRootCAs *x509.CertPool

	// Identity sent in handshake.hello. Token is never logged.
	Token          string
	AgentID        string
	GUID           string // "source" of our messages; default AgentID
	AgentName      string
	ProcessVersion string
	BundleVersion  string
	Features       []Feature

	ConnectTimeout   time.Duration
	HandshakeTimeout time.Duration // TLS handshake plus handshake.hello
	HeartbeatTimeout time.Duration // wait for a heartbeat reply
	PostTimeout      time.Duration // wait for a check_metrics.post reply
	IdleMultiplier   float64       // idle read timeout = heartbeat_interval * this
	MaxLineSize      int           // default DefaultMaxLineSize

	BackoffInitial time.Duration // the first retry comes within this
	BackoffMax     time.Duration // cap of the exponential backoff
	// RateLimitSleep is the wait, disconnected, between a rate limit that
	// stops the agent and Manager.Run's return (default
	// DefaultRateLimitSleep).
	RateLimitSleep time.Duration

	Handler Handler      // nil: endpoint requests get an error reply
	Logger  *slog.Logger // default: discard
	Clock   Clock        // default: the real clock
	Rand    func() float64
}

func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = DefaultHeartbeatTimeout
	}
	if o.PostTimeout <= 0 {
		o.PostTimeout = DefaultPostTimeout
	}
	if o.IdleMultiplier <= 0 {
		o.IdleMultiplier = DefaultIdleMultiplier
	}
	if o.MaxLineSize <= 0 {
		o.MaxLineSize = DefaultMaxLineSize
	}
	if o.BackoffInitial <= 0 {
		o.BackoffInitial = DefaultBackoffInitial
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.RateLimitSleep <= 0 {
		o.RateLimitSleep = DefaultRateLimitSleep
	}
	if o.GUID == "" {
		o.GUID = o.AgentID
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	return o
}

// proxyFor returns the proxy to reach endpoint through: ProxyURL, else the
// environment's (ProxyFromEnv) unless NO_PROXY names the endpoint
// (ProxyBypassed); "" for a direct connection. NO_PROXY applies to the
// environment's proxy only: a configured monitoring_proxy_url is used for
// every endpoint.
func (o Options) proxyFor(endpoint string) string {
	if o.ProxyURL != "" {
		return o.ProxyURL
	}
	p := ProxyFromEnv(o.Getenv)
	if p != "" && ProxyBypassed(noProxyFromEnv(o.Getenv), endpoint) {
		return ""
	}
	return p
}

// MaskToken returns the token as it may appear in logs and records:
// "****" and its last 4 characters when it has 12 or more (so at most a
// third of it shows), "****" alone when shorter, as config.Secret does.
func MaskToken(token string) string {
	if len(token) < 12 {
		return "****"
	}
	return "****" + token[len(token)-4:]
}

// HeartbeatJitter is Virgo's jitter added to each heartbeat interval:
// r * 7 * 10^(floor(log10(interval_ms)) - 1) ms, r in [0, 1). For 1000 ms it
// adds up to 700 ms.
func HeartbeatJitter(interval time.Duration, r float64) time.Duration {
	ms := interval.Milliseconds()
	if ms <= 0 {
		return 0
	}
	scale := math.Pow(10, math.Floor(math.Log10(float64(ms)))-1)
	return time.Duration(r * 7 * scale * float64(time.Millisecond))
}

// Backoff returns the delay before reconnect attempt n (0 for the first
// retry): full jitter over an exponential ceiling, r * min(max, initial*2^n),
// r in [0, 1).
func Backoff(initial, maxDelay time.Duration, n int, r float64) time.Duration {
	ceil := maxDelay
	if n >= 0 && n < 63 && initial <= maxDelay>>uint(n) {
		ceil = initial << uint(n)
	}
	return time.Duration(r * float64(ceil))
}
