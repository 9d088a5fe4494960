package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// Host info types answered to host_info.get (Virgo's names).
var hostInfoTypes = []string{"CPU", "MEMORY", "FILESYSTEM", "DISK", "NETWORK", "PROCS", "SYSTEM"}

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

// HostInfoTypes implements protocol.HostInfoProvider.
func (h Handler) HostInfoTypes() []string { return append([]string(nil), hostInfoTypes...) }

// HostInfo implements protocol.HostInfoProvider from the latest Snapshot.
func (h Handler) HostInfo(ctx context.Context, typ string) (any, error) {
	s := h.A.Latest()
	if s == nil {
		return nil, errNoSample
	}
	switch typ {
	case "CPU":
		return s.CPU, nil
	case "MEMORY":
		return s.Memory, nil
	case "FILESYSTEM":
		return s.Filesystems, nil
	case "DISK":
		return s.Disks, nil
	case "NETWORK":
		return s.Network, nil
	case "PROCS":
		if s.Processes == nil && s.ProcessCount > 0 {
			// The agent only counts processes (ProcessesOnDemand): list
			// them once now, without CPU % (no interval behind it).
			opts := h.A.opts.Collector
			opts.Sources = []string{collector.SourceProcesses}
			one := collector.NewSampler(opts).Sample(ctx)
			if msg, failed := one.Errors[collector.SourceProcesses]; failed {
				return nil, fmt.Errorf("processes: %s", msg)
			}
			return one.Processes, nil
		}
		return s.Processes, nil
	case "SYSTEM":
		return struct {
			collector.Host
			Load collector.Load `json:"load"`
		}{s.Host, s.Load}, nil
	}
	return nil, fmt.Errorf("unknown host info type %q", typ)
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

// SystemInfo implements protocol.SystemInfoProvider.
func (h Handler) SystemInfo(context.Context) (any, error) {
	s := h.A.Latest()
	if s == nil {
		return nil, errNoSample
	}
	return map[string]any{"sysinfo": s.Host, "cpus": s.CPU.PerCore, "netifs": s.Network}, nil
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
