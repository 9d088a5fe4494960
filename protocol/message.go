package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Version is the only envelope version this package speaks ("v":"1").
const Version = "1"

// TargetEndpoint is the target of every request the agent sends.
const TargetEndpoint = "endpoint"

// Method names. The direction says who sends the request.
const (
	MethodHello              = "handshake.hello"          // agent -> endpoint
	MethodHeartbeat          = "heartbeat.post"           // agent -> endpoint
	MethodScheduleGet        = "check_schedule.get"       // agent -> endpoint
	MethodMetricsPost        = "check_metrics.post"       // agent -> endpoint
	MethodConfigFilePost     = "config_file.post"         // agent -> endpoint
	MethodScheduleChanged    = "check_schedule.changed"   // endpoint -> agent
	MethodHostInfoTypes      = "host_info_types.get"      // endpoint -> agent
	MethodHostInfo           = "host_info.get"            // endpoint -> agent
	MethodCheckTargets       = "check.targets"            // endpoint -> agent
	MethodCheckTest          = "check.test"               // endpoint -> agent
	MethodSystemInfo         = "system.info"              // endpoint -> agent
	MethodBundleUpgradeAvail = "bundle_upgrade.available" // endpoint -> agent (acknowledged, upgrades unsupported)
	MethodBinaryUpgradeAvail = "binary_upgrade.available" // endpoint -> agent (acknowledged, upgrades unsupported)
	MethodUpgradeRequest     = "upgrade.request"          // endpoint -> agent (acknowledged, upgrades unsupported)
)

// ID is a message id. The wire allows a JSON number or a JSON string (the Lua
// agent sends strings, the fixtures and the Go poller numbers); ID remembers
// which it was so that a reply echoes it in the same form. The zero ID is the
// number 0.
type ID struct {
	text   string // decimal digits for a number, the raw text for a string
	string bool
}

// NumberID returns the numeric id n.
func NumberID(n uint64) ID { return ID{text: strconv.FormatUint(n, 10)} }

// StringID returns the string id s.
func StringID(s string) ID { return ID{text: s, string: true} }

// String returns the id's text; a numeric id and a string id with the same
// text are the same key ("5" matches 5), which is how replies are matched.
func (id ID) String() string {
	if id.text == "" && !id.string {
		return "0"
	}
	return id.text
}

// IsString reports whether the id travelled as a JSON string.
func (id ID) IsString() bool { return id.string }

// MarshalJSON writes the id in the form it was received or created in.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.string {
		return json.Marshal(id.text)
	}
	return []byte(id.String()), nil
}

// UnmarshalJSON accepts a JSON number or a JSON string.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = StringID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil || n == "" {
		return fmt.Errorf("id must be a number or a string, got %s", quoteHead(b, 20))
	}
	*id = ID{text: n.String()}
	return nil
}

// Request is a message that carries a method.
type Request struct {
	V      string          `json:"v"`
	ID     ID              `json:"id"`
	Source string          `json:"source"`
	Target string          `json:"target"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params,omitempty"`
}

// Response is a message without a method: the reply to a request with the
// same id.
type Response struct {
	V      string          `json:"v"`
	ID     ID              `json:"id"`
	Source string          `json:"source"`
	Target string          `json:"target"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// Error is the error object of a response. Code 400 is non-fatal; any other
// code drops the connection; Type "rateLimitReached" drops the connection,
// and stops the agent when its code is not 400 (StopsAgent).
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
}

// ErrorTypeRateLimit is the Error.Type that makes the agent stop reporting.
const ErrorTypeRateLimit = "rateLimitReached"

// CodeNonFatal is the only error code after which the connection lives on.
const CodeNonFatal = 400

func (e *Error) Error() string {
	if e.Type != "" {
		return fmt.Sprintf("endpoint error %d (%s): %s", e.Code, e.Type, e.Message)
	}
	return fmt.Sprintf("endpoint error %d: %s", e.Code, e.Message)
}

// Fatal reports whether the error drops the connection: any code but 400,
// or a rate limit (a 400 one too: the agent reconnects); never the
// retryable type "unavailable" (the endpoint's storage is down, the
// connection is fine), whatever its code.
func (e *Error) Fatal() bool {
	if e.Type == ErrorTypeUnavailable {
		return false
	}
	return e.Code != CodeNonFatal || e.RateLimited()
}

// RateLimited reports whether the endpoint says the rate limit is reached.
func (e *Error) RateLimited() bool { return e.Type == ErrorTypeRateLimit }

// StopsAgent reports whether the error stops the agent: a rate limit with a
// code other than 400. The original only acts on errors its connection
// emits, and it logs every 400 without emitting it (virgo-base-agent
// protocol/connection.lua:205-209, client/client.lua:135), so only a
// non-400 rateLimitReached shuts it down (connection_stream.lua:259); a 400
// one is logged, and the agent reconnects.
func (e *Error) StopsAgent() bool { return e.RateLimited() && e.Code != CodeNonFatal }

// VersionError is a message whose "v" is not the version we sent.
type VersionError struct {
	MessageVersion  string // the version we speak
	ResponseVersion string // the version the peer sent
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("Version mismatch: message_version=%s response_version=%s", e.MessageVersion, e.ResponseVersion)
}

// RateLimitError is returned by Manager.Run when an endpoint reports that the
// rate limit is reached with an error that stops the agent
// (Error.StopsAgent): the agent must stop reporting (Virgo exits with 2,
// after RATE_LIMIT_SLEEP; see Options.RateLimitSleep).
type RateLimitError struct {
	Endpoint string
	Err      *Error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("endpoint %s: rate limit reached: %s", e.Endpoint, e.Err.Message)
}

func (e *RateLimitError) Unwrap() error { return e.Err }

// ErrClosed is returned by calls on a closed or broken connection.
var ErrClosed = errors.New("protocol: connection closed")

// Feature is one entry of handshake.hello's features list.
type Feature struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Disabled bool   `json:"disabled,omitempty"`
}

// HelloParams are the params of handshake.hello.
type HelloParams struct {
	Token          string    `json:"token"`
	AgentID        string    `json:"agent_id"`
	AgentName      string    `json:"agent_name"`
	ProcessVersion string    `json:"process_version"`
	BundleVersion  string    `json:"bundle_version"`
	Features       []Feature `json:"features"`
}

// HelloResult is the result of handshake.hello.
type HelloResult struct {
	HeartbeatInterval int64  `json:"heartbeat_interval"` // ms
	EntityID          string `json:"entity_id,omitempty"`
	Channel           string `json:"channel,omitempty"`
}

// HeartbeatParams and HeartbeatResult carry a timestamp in ms since the epoch
// (the agent's send time and the endpoint's time).
type HeartbeatParams struct {
	Timestamp int64 `json:"timestamp"`
}

// HeartbeatResult is the endpoint's reply to heartbeat.post.
type HeartbeatResult struct {
	Timestamp int64 `json:"timestamp"`
}

// Alarm is one alarm attached to a check: a label and criteria in the alarm
// language.
type Alarm struct {
	Label    string `json:"label,omitempty"`
	Criteria string `json:"criteria"`
}

// CheckDef is one check of the schedule.
type CheckDef struct {
	ID       string           `json:"id"`
	Type     string           `json:"type"`
	Label    string           `json:"label,omitempty"`
	Details  json.RawMessage  `json:"details,omitempty"`
	Period   int              `json:"period"`  // seconds
	Timeout  int              `json:"timeout"` // seconds
	Disabled bool             `json:"disabled"`
	Alarms   map[string]Alarm `json:"alarms,omitempty"`
}

// Schedule is the result of check_schedule.get.
type Schedule struct {
	Checks []CheckDef `json:"checks"`
}

// UnmarshalJSON accepts "checks" as an array (the real shape) or as a single
// object: the peer's check_schedule.get.response.json fixture sends one
// object, which the Lua agent iterated into zero checks; we read it as one.
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var raw struct {
		Checks json.RawMessage `json:"checks"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	s.Checks = nil
	c := bytes.TrimSpace(raw.Checks)
	switch {
	case len(c) == 0 || bytes.Equal(c, []byte("null")):
		return nil
	case c[0] == '{':
		var one CheckDef
		if err := json.Unmarshal(c, &one); err != nil {
			return fmt.Errorf("schedule check: %w", err)
		}
		s.Checks = []CheckDef{one}
		return nil
	default:
		if err := json.Unmarshal(c, &s.Checks); err != nil {
			return fmt.Errorf("schedule checks: %w", err)
		}
		return nil
	}
}

// MetricsPost is the params of check_metrics.post.
type MetricsPost struct {
	CheckID   string `json:"check_id"`
	CheckType string `json:"check_type"`
	State     string `json:"state"` // "available" or "unavailable"
	Status    string `json:"status"`
	Timestamp int64  `json:"timestamp"` // ms since the epoch
	// MinCheckPeriod is always sent, as the original does (ms; see
	// MinCheckPeriod the function). A zero value goes as 0: the agent sets
	// it on every post.
	MinCheckPeriod int64   `json:"min_check_period"`
	Metrics        Metrics `json:"metrics"`
	// Alarms is virgo-top's extension: the agent's own judgement of the
	// check's alarms after this result, keyed by alarm name. Virgo's
	// endpoints evaluate alarms themselves and ignore unknown params; it is
	// omitted when the check has no alarms.
	Alarms map[string]AlarmState `json:"alarms,omitempty"`
}

// The bounds of min_check_period, as in the original's constants.lua: a
// scheduler with no check reports MaxCheckPeriod (one day), and each check
// counts its period plus CheckScheduleJitter.
const (
	MaxCheckPeriod      = 86400000 // ms (MAX_CHECK_PERIOD)
	CheckScheduleJitter = 15000    // ms (CHECK_SCHEDULE_JITTER)
)

// MinCheckPeriod is check_metrics.post's min_check_period for a schedule
// whose checks have these periods: the smallest period in ms plus
// CheckScheduleJitter, at most MaxCheckPeriod, as the original's
// Scheduler:rebuild computes it (schedule/scheduler.lua) and every post
// carries it (protocol/virgo_messages.lua MetricsRequest:serialize). A
// period of zero or less is left out.
func MinCheckPeriod(periods []time.Duration) int64 {
	m := int64(MaxCheckPeriod)
	for _, p := range periods {
		if p <= 0 {
			continue
		}
		m = min(m, p.Milliseconds()+CheckScheduleJitter)
	}
	return m
}

// AlarmState is one alarm's state as the agent judged it.
type AlarmState struct {
	State   string `json:"state"` // OK, WARNING, CRITICAL, UNKNOWN
	Message string `json:"message,omitempty"`
}

// Check states of a MetricsPost.
const (
	StateAvailable   = "available"
	StateUnavailable = "unavailable"
)

// MaxStatusLength is the longest status Virgo sends (METRIC_STATUS_MAX_LENGTH).
const MaxStatusLength = 256

// ConfigFilePost is the params of config_file.post: the conf.d files by
// name, each the file's text (virgo_messages.lua ConfigFilePost:serialize);
// with no file the original sends {"dummy":1} so that params stay an object.
type ConfigFilePost struct {
	ConfigData map[string]string `json:"config_data,omitempty"`
	Dummy      int               `json:"dummy,omitempty"`
}

// ConfigFileResult is the result of config_file.post, as the original
// reads it (confd.lua:129-149): overall success, and one value per object
// the endpoint made of the files.
type ConfigFileResult struct {
	Success bool              `json:"success"`
	Values  []ConfigFileValue `json:"values"`
}

// ConfigFileValue is one entry of ConfigFileResult.Values.
type ConfigFileValue struct {
	Success  bool            `json:"success"`
	Type     string          `json:"type"`
	Location string          `json:"location"`
	Handle   string          `json:"handle"`
	Err      json.RawMessage `json:"err,omitempty"`
}

// HostInfoParams are the params of host_info.get.
type HostInfoParams struct {
	Type string `json:"type"`
}

// HostInfoTypesResult is the result of host_info_types.get.
type HostInfoTypesResult struct {
	Types []string `json:"types"`
}

// CheckTargetsParams are the params of check.targets.
type CheckTargetsParams struct {
	Type string `json:"type"`
}

// CheckTargetsResult is the result of check.targets.
type CheckTargetsResult struct {
	Targets []string `json:"targets"`
}

// CheckTestParams are the params of check.test: the check travels as a JSON
// document inside a string.
type CheckTestParams struct {
	CheckParams string `json:"checkParams"`
}
