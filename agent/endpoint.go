package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/hostinfo"
	"github.com/virgo-top/virgo-top/protocol"
)

// errNoSample is returned to the endpoint before the first sample.
var errNoSample = errors.New("no sample yet")

// Handler answers the endpoint's requests from the agent's state; it
// implements protocol.Handler. Schedules received go to SetChecks.
type Handler struct {
	A *Agent
	// OnSchedule, if set, is called with every schedule the endpoint sends
	// (after SetChecks), e.g. to log it.
	OnSchedule func(endpoint string, defs []check.Def)
}

// hostInfo reads the host where the collector does (its roots), so a
// canned tree answers host_info.get as it answers samples.
func (h Handler) hostInfo() *hostinfo.Source {
	o := h.A.opts.Collector
	return hostinfo.New(hostinfo.Options{ProcRoot: o.ProcRoot, SysRoot: o.SysRoot, EtcRoot: o.EtcRoot})
}

// HostInfoTypes implements protocol.HostInfoProvider: the types of the
// original's hostinfo/all.lua that this agent builds on this platform.
func (h Handler) HostInfoTypes() []string { return h.hostInfo().Types() }

// HostInfo implements protocol.HostInfoProvider: a protocol.HostInfoResult
// {metrics, timestamp[, error]} as hostinfo/base.lua serializes it. An
// unknown type, or a failure, travels in the result's error; the reply is
// never an error object, as in the original.
func (h Handler) HostInfo(ctx context.Context, typ string) (any, error) {
	return h.hostInfo().Get(ctx, typ, h.A.Latest()), nil
}

// CheckTargets implements protocol.CheckTargeter.
func (h Handler) CheckTargets(_ context.Context, checkType string) ([]string, error) {
	return check.Targets(h.A, checkType)
}

// CheckTest implements protocol.CheckTester: run the check once, with the
// period forced to 30 s as Virgo does, and answer {metrics, state, status}.
func (h Handler) CheckTest(ctx context.Context, raw json.RawMessage) (any, error) {
	var cd protocol.CheckDef
	if err := json.Unmarshal(raw, &cd); err != nil {
		return nil, fmt.Errorf("check.test: bad check: %w", err)
	}
	def, err := DefFromWire(cd, check.SourceEndpoint)
	if err != nil {
		return nil, err
	}
	def.Period = 30 * time.Second
	if def.ID == "" {
		def.ID = "check-test"
	}
	r := check.RunOnce(ctx, h.A, def, h.A.opts.Check)
	p := PostFromResult(r)
	return struct {
		Metrics protocol.Metrics `json:"metrics"`
		State   string           `json:"state"`
		Status  string           `json:"status"`
	}{p.Metrics, p.State, p.Status}, nil
}

// SystemInfo implements protocol.SystemInfoProvider: {sysinfo, cpus[{info,
// data}], netifs[{info, usage}]} as virgo_messages.lua SystemInfoResponse
// builds it from sigar.
func (h Handler) SystemInfo(ctx context.Context) (any, error) {
	s := h.A.Latest()
	if s == nil {
		return nil, errNoSample
	}
	return h.hostInfo().SystemInfo(ctx, s)
}

// ScheduleChanged implements protocol.ScheduleSink: the endpoint's schedule
// replaces the agent's checks. Checks that do not convert are logged and
// left out; the others run.
func (h Handler) ScheduleChanged(endpoint string, checks []protocol.CheckDef) {
	defs := make([]check.Def, 0, len(checks))
	for _, cd := range checks {
		d, err := DefFromWire(cd, check.SourceEndpoint)
		if err != nil {
			h.A.log.Warn("schedule: check left out", "endpoint", endpoint, "check", cd.ID, "err", err)
			continue
		}
		defs = append(defs, d)
	}
	h.A.setEndpointChecks(defs)
	if h.OnSchedule != nil {
		h.OnSchedule(endpoint, defs)
	}
}

// DefFromWire converts a schedule entry (periods in seconds, details as
// raw JSON) to a check.Def.
func DefFromWire(cd protocol.CheckDef, source string) (check.Def, error) {
	d := check.Def{
		ID: cd.ID, Label: cd.Label, Type: cd.Type, Disabled: cd.Disabled, Source: source,
		Period:  time.Duration(cd.Period) * time.Second,
		Timeout: time.Duration(cd.Timeout) * time.Second,
	}
	if len(cd.Details) > 0 && string(cd.Details) != "null" {
		if err := json.Unmarshal(cd.Details, &d.Details); err != nil {
			return d, fmt.Errorf("check %s: details: %w", cd.ID, err)
		}
	}
	if len(cd.Alarms) > 0 {
		d.Alarms = make(map[string]check.AlarmDef, len(cd.Alarms))
		for name, a := range cd.Alarms {
			d.Alarms[name] = check.AlarmDef{Label: a.Label, Criteria: a.Criteria}
		}
	}
	if d.Period <= 0 {
		d.Period = check.DefaultPeriod
	}
	if !check.KnownType(d.Type) {
		return d, fmt.Errorf("check %s: unknown type %q", cd.ID, cd.Type)
	}
	return d, nil
}

// PostFromResult converts a check result to check_metrics.post params.
func PostFromResult(r check.Result) protocol.MetricsPost {
	p := protocol.MetricsPost{
		CheckID: r.CheckID, CheckType: r.CheckType, Status: r.Status,
		State: protocol.StateAvailable, Timestamp: r.Time.UnixMilli(),
	}
	if !r.Available {
		p.State = protocol.StateUnavailable
	}
	for _, m := range r.Metrics {
		p.Metrics.Add(m.Dimension, m.Name, protocol.MetricValue{Type: protocol.MetricType(m.Type), Value: m.Value, Unit: m.Unit})
	}
	return p
}
