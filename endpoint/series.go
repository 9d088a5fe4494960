package endpoint

import (
	"math"
	"sort"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/endpoint/alertmanager"
	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
	"github.com/virgo-top/virgo-top/internal/schema"
	"github.com/virgo-top/virgo-top/protocol"
)

// Post is one check_metrics.post with the connection's identity: the agent
// id comes from the hello, never from the message, so a connection can only
// post for its own agent.
type Post struct {
	AgentID string
	Host    string
	protocol.MetricsPost
}

// PostSeries turns a post into remote-write series in the metric schema
// (internal/schema): every numeric metric in its family and base unit,
// virgo_check_available, and when the post carries alarm states (virgo-top
// agents do, the original agent does not) virgo_alarm_state per alarm and
// virgo_check_state (the worst of them). Strings, booleans and values that
// do not parse are left out. Every series has agent_id and host. The
// samples carry the post's timestamp (now when it has none).
func PostSeries(p Post, now time.Time) []remotewrite.Series {
	ts := p.Timestamp
	if ts <= 0 {
		ts = now.UnixMilli()
	}
	base := func(name string) []remotewrite.Label {
		return []remotewrite.Label{
			{Name: "__name__", Value: name},
			{Name: schema.LabelAgentID, Value: p.AgentID},
			{Name: schema.LabelCheckID, Value: p.CheckID},
			{Name: schema.LabelCheckType, Value: p.CheckType},
			{Name: schema.LabelHost, Value: p.Host},
		}
	}
	one := func(labels []remotewrite.Label, v float64) remotewrite.Series {
		sort.Slice(labels, func(i, j int) bool { return labels[i].Name < labels[j].Name })
		return remotewrite.Series{Labels: labels, Samples: []remotewrite.Sample{{Value: v, TimestampMs: ts}}}
	}
	out := make([]remotewrite.Series, 0, p.Metrics.Len()+2+len(p.Alarms))
	for _, d := range p.Metrics.Dimensions {
		for _, m := range d.Metrics {
			switch m.Value.Type {
			case protocol.TypeString, protocol.TypeBool:
				continue
			}
			v, err := m.Value.Float64()
			if err != nil || math.IsNaN(v) {
				continue
			}
			name := m.Name
			if d.Dimension != "" {
				name = d.Dimension + "." + m.Name
			}
			family, factor := schema.CheckFamily(p.CheckType, m.Name, string(m.Value.Type), m.Value.Unit)
			out = append(out, one(append(base(family), remotewrite.Label{Name: schema.LabelMetric, Value: name}), v*factor))
		}
	}
	avail := 0.0
	if p.State == protocol.StateAvailable {
		avail = 1
	}
	out = append(out, one(base(schema.CheckAvailable), avail))
	if len(p.Alarms) > 0 {
		worst := math.Inf(-1)
		for _, name := range sortedKeys(p.Alarms) {
			v, ok := schema.StateValue(p.Alarms[name].State)
			if !ok {
				v = -1
			}
			worst = math.Max(worst, v)
			out = append(out, one(append(base(schema.AlarmState), remotewrite.Label{Name: schema.LabelAlarm, Value: name}), v))
		}
		out = append(out, one(base(schema.CheckState), worst))
	}
	return out
}

// Severities are the severity label values an alarm state maps to. An
// alarm's alert exists once per severity, so that a change of severity or a
// recovery can end the others without the endpoint remembering which was
// firing.
var Severities = []string{"critical", "warning", "unknown"}

// PostAlerts turns the post's alarm states into Alertmanager alerts: for
// each alarm, the alert of its current severity fires until now + 3 x
// period (a new post renews it; a dead agent's alerts resolve on their own)
// and the alerts of the other severities end now; an OK alarm ends all of
// them. Labels: alertname (the alarm), agent_id, host, check_id,
// check_type, severity; annotations: summary (the alarm's message) and
// state. No alarms: no alerts.
func PostAlerts(p Post, period time.Duration, now time.Time) []alertmanager.Alert {
	if len(p.Alarms) == 0 {
		return nil
	}
	if period <= 0 {
		period = time.Minute
	}
	out := make([]alertmanager.Alert, 0, len(p.Alarms)*len(Severities))
	for _, name := range sortedKeys(p.Alarms) {
		if name == "" {
			continue // Alertmanager refuses an empty alertname
		}
		st := p.Alarms[name]
		current := ""
		if state := strings.ToUpper(st.State); state != "OK" {
			current = strings.ToLower(state)
			if current != "critical" && current != "warning" {
				current = "unknown"
			}
		}
		for _, sev := range Severities {
			a := alertmanager.Alert{
				Labels: map[string]string{
					"alertname":           name,
					schema.LabelAgentID:   p.AgentID,
					schema.LabelHost:      p.Host,
					schema.LabelCheckID:   p.CheckID,
					schema.LabelCheckType: p.CheckType,
					"severity":            sev,
				},
				Annotations: map[string]string{"summary": st.Message, "state": strings.ToUpper(st.State)},
				EndsAt:      now,
			}
			if sev == current {
				a.EndsAt = now.Add(3 * period)
			}
			out = append(out, a)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
