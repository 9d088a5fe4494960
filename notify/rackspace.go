package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Webhook body formats (WebhookOptions.Format).
const (
	// FormatVirgoTop is the default body: the Event as JSON.
	FormatVirgoTop = "virgo-top"
	// FormatRackspace is the body Rackspace Cloud Monitoring posts to a
	// webhook notification, so receivers written for it work unchanged.
	FormatRackspace = "rackspace"
)

// RackspaceTokenHeader carries WebhookOptions.Token, as Rackspace sends an
// account's webhook token.
const RackspaceTokenHeader = "X-Rackspace-Webhook-Token"

// RawMetric is one metric as the check produced it: Virgo's type name
// (int32, uint32, int64, uint64, double, gauge, string, bool), the value
// in decimal (or 0x hex) and the unit.
type RawMetric struct {
	Type  string
	Value string
	Unit  string
}

// The Rackspace webhook body, shaped after the example of Rackspace Cloud
// Monitoring's documentation of notification types, "Webhook notification
// POST to a specified URL with JSON Payload":
// https://docs.rackspace.com/docs/rackspace-monitoring/v1/api-reference/notification-type-operations/
// (the cm-devguide's service-notification-types-crud.html before it). Every
// field of the example is present, in its order; what an agent has no value
// for (the collector's addresses, monitoring zones, the check's details,
// the alarm's criteria, creation times) is null, as the example's own
// unknowns are.
type rsPayload struct {
	EventID    string    `json:"event_id"`
	LogEntryID string    `json:"log_entry_id"`
	Details    rsDetails `json:"details"`
	Entity     rsEntity  `json:"entity"`
	Check      rsCheck   `json:"check"`
	Alarm      rsAlarm   `json:"alarm"`
	TenantID   *string   `json:"tenant_id"`
}

type rsDetails struct {
	Target             *string             `json:"target"`
	Timestamp          int64               `json:"timestamp"`
	Metrics            map[string]rsMetric `json:"metrics"`
	State              string              `json:"state"`
	Status             string              `json:"status"`
	TxnID              string              `json:"txn_id"`
	CollectorAddressV4 *string             `json:"collector_address_v4"`
	CollectorAddressV6 *string             `json:"collector_address_v6"`
	Observations       []rsObservation     `json:"observations"`
}

// rsMetric is a metric with Rackspace's one-letter type: i int32, I uint32,
// l int64, L uint64, n double, s string.
type rsMetric struct {
	Type string `json:"type"`
	Data any    `json:"data"`
	Unit string `json:"unit"`
}

type rsObservation struct {
	MonitoringZoneID *string `json:"monitoring_zone_id"`
	State            string  `json:"state"`
	Status           string  `json:"status"`
	Timestamp        int64   `json:"timestamp"`
	CollectorState   string  `json:"collectorState"`
}

type rsEntity struct {
	ID          string            `json:"id"`
	Label       string            `json:"label"`
	IPAddresses map[string]string `json:"ip_addresses"`
	Metadata    map[string]string `json:"metadata"`
	Managed     bool              `json:"managed"`
	URI         *string           `json:"uri"`
	AgentID     *string           `json:"agent_id"`
	CreatedAt   *int64            `json:"created_at"`
	UpdatedAt   *int64            `json:"updated_at"`
}

type rsCheck struct {
	ID                    string            `json:"id"`
	Label                 string            `json:"label"`
	Type                  string            `json:"type"`
	Details               map[string]any    `json:"details"`
	MonitoringZonesPoll   []string          `json:"monitoring_zones_poll"`
	Timeout               *int64            `json:"timeout"`
	Period                *int64            `json:"period"`
	TargetAlias           *string           `json:"target_alias"`
	TargetHostname        *string           `json:"target_hostname"`
	TargetResolver        *string           `json:"target_resolver"`
	Disabled              bool              `json:"disabled"`
	Metadata              map[string]string `json:"metadata"`
	ConfdName             *string           `json:"confd_name"`
	ConfdHash             *string           `json:"confd_hash"`
	ActiveSuppressions    []string          `json:"active_suppressions"`
	ScheduledSuppressions []string          `json:"scheduled_suppressions"`
	CreatedAt             *int64            `json:"created_at"`
	UpdatedAt             *int64            `json:"updated_at"`
}

type rsAlarm struct {
	ID                    string            `json:"id"`
	Label                 string            `json:"label"`
	CheckID               string            `json:"check_id"`
	EntityID              string            `json:"entity_id"`
	Criteria              *string           `json:"criteria"`
	Disabled              bool              `json:"disabled"`
	NotificationPlanID    *string           `json:"notification_plan_id"`
	Metadata              map[string]string `json:"metadata"`
	ConfdName             *string           `json:"confd_name"`
	ConfdHash             *string           `json:"confd_hash"`
	ActiveSuppressions    []string          `json:"active_suppressions"`
	ScheduledSuppressions []string          `json:"scheduled_suppressions"`
	CreatedAt             *int64            `json:"created_at"`
	UpdatedAt             *int64            `json:"updated_at"`
}

// rackspaceBody encodes ev as Rackspace's webhook body. tenant is the
// account part of event_id and tenant_id (null when empty). The entity is
// the agent's host: its id, label and agent_id. event_id is Rackspace's
// "tenant:entity:alarm:check:time-ms:STATE"; log_entry_id (and txn_id) is
// derived from it, so every attempt to deliver the same state carries the
// same ids and a receiver can drop repeats. Previous, Changes and Worst
// have no place in Rackspace's body and are left out.
func rackspaceBody(ev Event, tenant string) ([]byte, error) {
	ms := ev.Time.UnixMilli()
	if ev.Time.IsZero() {
		ms = 0
	}
	eventID := strings.Join([]string{tenant, ev.Entity, ev.AlarmName, ev.CheckID, strconv.FormatInt(ms, 10), ev.Current}, ":")
	logID := uuidFrom(eventID)
	metrics := make(map[string]rsMetric, len(ev.Metrics))
	for name, shown := range ev.Metrics {
		metrics[name] = rackspaceMetric(shown, ev.RawMetrics[name])
	}
	entity := ev.Entity
	p := rsPayload{
		EventID:    eventID,
		LogEntryID: logID,
		Details: rsDetails{
			Timestamp: ms,
			Metrics:   metrics,
			State:     ev.Current,
			Status:    ev.Message,
			TxnID:     logID,
			Observations: []rsObservation{{
				State: ev.Current, Status: ev.Message, Timestamp: ms, CollectorState: "UP",
			}},
		},
		Entity: rsEntity{ID: ev.Entity, Label: ev.Entity, IPAddresses: map[string]string{}, AgentID: &entity},
		Check:  rsCheck{ID: ev.CheckID, Label: firstOf(ev.CheckLabel, ev.CheckID), Type: ev.CheckType},
		Alarm: rsAlarm{ID: ev.AlarmName, Label: firstOf(ev.AlarmLabel, ev.AlarmName),
			CheckID: ev.CheckID, EntityID: ev.Entity},
	}
	if tenant != "" {
		p.TenantID = &tenant
	}
	return json.Marshal(p)
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// uuidFrom derives a UUID-shaped id (version 8, RFC 9562) from s.
func uuidFrom(s string) string {
	sum := sha256.Sum256([]byte(s))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// rackspaceMetric is one metric in Rackspace's shape. With the raw metric
// (type, value, unit) the type maps to Rackspace's letter and data is the
// number; without it (an event restored from the state file, or built by
// hand) the shown value is used and its type inferred: a decimal integer is
// l (L beyond int64), a finite decimal number n, anything else s. A value
// that is not a number of its type goes as a string. The unit is "unknown"
// when there is none, as in Rackspace's example.
func rackspaceMetric(shown string, raw RawMetric) rsMetric {
	value, typ := raw.Value, raw.Type
	if value == "" && typ == "" {
		value = shown
	}
	unit := raw.Unit
	if unit == "" {
		unit = "unknown"
	}
	str := rsMetric{Type: "s", Data: value, Unit: unit}
	switch typ {
	case "string", "bool":
		return str
	case "int32", "uint32", "int64", "uint64":
		letter := map[string]string{"int32": "i", "uint32": "I", "int64": "l", "uint64": "L"}[typ]
		bits := map[string]int{"int32": 32, "uint32": 32, "int64": 64, "uint64": 64}[typ]
		n, ok := parseInteger(value, bits, letter == "I" || letter == "L")
		if !ok {
			return str
		}
		return rsMetric{Type: letter, Data: n, Unit: unit}
	case "double", "float":
		if n, ok := parseFinite(value); ok {
			return rsMetric{Type: "n", Data: n, Unit: unit}
		}
		return str
	}
	// gauge, or unknown: by the value.
	if n, ok := parseInteger(value, 64, false); ok {
		return rsMetric{Type: "l", Data: n, Unit: unit}
	}
	if n, ok := parseInteger(value, 64, true); ok {
		return rsMetric{Type: "L", Data: n, Unit: unit}
	}
	if n, ok := parseFinite(value); ok {
		return rsMetric{Type: "n", Data: n, Unit: unit}
	}
	return str
}

// parseInteger parses a decimal or 0x-hex integer of the given size and
// returns it as an exact JSON number.
func parseInteger(s string, bits int, unsigned bool) (json.Number, bool) {
	s = strings.TrimSpace(s)
	base := 10
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		s, base = h, 16
	}
	if s == "" || strings.ContainsAny(s, "_+") {
		return "", false
	}
	if unsigned {
		u, err := strconv.ParseUint(s, base, bits)
		if err != nil {
			return "", false
		}
		return json.Number(strconv.FormatUint(u, 10)), true
	}
	i, err := strconv.ParseInt(s, base, bits)
	if err != nil {
		return "", false
	}
	return json.Number(strconv.FormatInt(i, 10)), true
}

// parseFinite parses a decimal number JSON can carry (not NaN or ±Inf).
func parseFinite(s string) (json.Number, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "_xXnN") { // no hex floats, NaN, Inf
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
}
