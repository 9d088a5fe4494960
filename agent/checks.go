package agent

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/protocol"
	"github.com/virgo-top/virgo-top/record"
)

// Notifier receives alarm state changes. It must not block: the agent
// calls it from check goroutines.
type Notifier interface {
	Notify(AlarmChange)
}

// AlarmChange is one alarm moving from one state to another.
type AlarmChange struct {
	Entity     string
	Check      check.Def
	AlarmName  string
	AlarmLabel string
	Previous   alarm.State
	Current    alarm.State
	Message    string
	Result     check.Result
	// Restored marks the state an alarm had before a restart, handed to
	// the notifier once at start (Previous == Current): it delivers only
	// what a receiver did not hear yet.
	Restored bool
}

// AlarmStatus is an alarm's current state, for the TUI and /metrics.
type AlarmStatus struct {
	Name    string
	Label   string
	State   alarm.State
	Message string
	// Err is set when the criteria do not parse; the alarm is then UNKNOWN.
	Err string
	// Since is when the alarm entered State.
	Since time.Time
}

// CheckView is one check as the console and /metrics see it.
type CheckView struct {
	check.Status
	Alarms []AlarmStatus
	// State is the worst alarm state (UNKNOWN before any evaluation; for a
	// check without alarms, availability decides).
	State   alarm.State
	Message string
}

// AvailabilityAlarm names the implicit alarm of a check without alarms:
// availability decides (available OK, unavailable CRITICAL), and its
// changes are logged and notified like any alarm's. It is local: posts to
// the endpoint carry only the endpoint's alarms.
const AvailabilityAlarm = "availability"

const availabilityLabel = "Check availability"

type alarmEntry struct {
	def     check.AlarmDef
	tracker *alarm.Tracker
	err     string
	msg     string
	since   time.Time
}

// checkBook holds per-check alarm trackers, guarded by mu.
type checkBook struct {
	applyMu sync.Mutex
	mu      sync.Mutex
	defs    map[string]check.Def
	alarms  map[string]map[string]*alarmEntry // check id -> alarm name
	// noAlarm tracks checks with no alarms: availability decides.
	noAlarm map[string]*alarmEntry
	// fromEndpoint is set once an endpoint sent a schedule.
	fromEndpoint bool
	// restore holds alarm states saved before a restart, by alarmKey;
	// each is used once, when its alarm's tracker is made.
	restore map[string]savedAlarm
}

func (b *checkBook) init() {
	b.defs = map[string]check.Def{}
	b.alarms = map[string]map[string]*alarmEntry{}
	b.noAlarm = map[string]*alarmEntry{}
}

// setLocalChecks schedules conf.d or default checks unless an endpoint's
// schedule has arrived: the endpoint's schedule wins.
func (a *Agent) setLocalChecks(defs []check.Def) { a.applyChecks(defs, false) }

// setEndpointChecks installs an endpoint's schedule, replacing local checks.
func (a *Agent) setEndpointChecks(defs []check.Def) { a.applyChecks(defs, true) }

// SetChecks replaces the agent's schedule: checks are added, changed and
// removed without restarting the others. An alarm whose criteria do not
// parse is kept as UNKNOWN with the parse error as its message; the check
// still runs.
func (a *Agent) SetChecks(defs []check.Def) { a.applyChecks(defs, false) }

func (a *Agent) applyChecks(defs []check.Def, fromEndpoint bool) {
	b := &a.checks
	// applyMu keeps the book and the scheduler updated in the same order.
	b.applyMu.Lock()
	defer b.applyMu.Unlock()
	b.mu.Lock()
	if fromEndpoint {
		b.fromEndpoint = true
	} else if b.fromEndpoint {
		b.mu.Unlock()
		return
	}
	keep := map[string]bool{}
	var restored []AlarmChange
	for _, d := range defs {
		keep[d.ID] = true
		old, had := b.defs[d.ID]
		b.defs[d.ID] = d
		if had && sameAlarms(old.Alarms, d.Alarms) {
			continue
		}
		oldAlarms, oldNoAlarm := b.alarms[d.ID], b.noAlarm[d.ID]
		m := map[string]*alarmEntry{}
		for name, ad := range d.Alarms {
			e := &alarmEntry{def: ad}
			if strings.TrimSpace(ad.Criteria) == "" {
				e.tracker = alarm.NewTracker(nil)
			} else if c, err := alarm.Parse(ad.Criteria); err != nil {
				e.err = err.Error()
				a.log.Warn("alarm criteria do not parse", "check", d.ID, "alarm", name, "err", err)
			} else {
				e.tracker = alarm.NewTracker(c)
			}
			m[name] = e
			// Changed criteria keep the alarm's state (no UNKNOWN -> X
			// on a reload); a restart restores the saved one.
			if prev := oldAlarms[name]; prev != nil {
				e.carryFrom(prev)
			} else if c, ok := b.restoreLocked(d, name, e, a.opts.Entity); ok {
				restored = append(restored, c)
			}
		}
		b.alarms[d.ID] = m
		na := &alarmEntry{tracker: alarm.NewTracker(nil)}
		if oldNoAlarm != nil {
			na.carryFrom(oldNoAlarm)
		} else if c, ok := b.restoreLocked(d, AvailabilityAlarm, na, a.opts.Entity); ok && len(d.Alarms) == 0 {
			c.AlarmLabel = availabilityLabel
			restored = append(restored, c)
		}
		b.noAlarm[d.ID] = na
	}
	var gone []string
	for id := range b.defs {
		if !keep[id] {
			delete(b.defs, id)
			delete(b.alarms, id)
			delete(b.noAlarm, id)
			gone = append(gone, id)
		}
	}
	b.mu.Unlock()
	if rec := a.opts.Recorder; rec != nil {
		now := time.Now()
		for _, id := range gone {
			rec.Forget(now, id)
		}
		for _, c := range restored {
			rec.Alarm(recordedTransition(c, now))
		}
	}
	if len(restored) > 0 {
		a.log.Info("alarm states restored from before the restart", "alarms", len(restored))
		if a.opts.Notify != nil {
			for _, c := range restored {
				a.opts.Notify.Notify(c)
			}
		}
	}
	if a.opts.ProcessesOnDemand {
		a.processListFor(defs)
	}
	a.sched.Update(defs)
}

// carryFrom starts e in prev's state (criteria changed, alarm kept).
func (e *alarmEntry) carryFrom(prev *alarmEntry) {
	if e.tracker == nil || prev.tracker == nil {
		return
	}
	e.tracker.Restore(prev.tracker.State())
	e.msg, e.since = prev.msg, prev.since
}

// processListFor turns the process list on while defs hold an
// agent.process check and off otherwise (ProcessesOnDemand). Turned on
// after the first sample, it samples at once, before the scheduler sees
// the check, so the check never reads a sample that only counted
// processes (it would find none and raise a false alarm).
func (a *Agent) processListFor(defs []check.Def) {
	want := slices.ContainsFunc(defs, func(d check.Def) bool { return d.Type == check.TypeProcess })
	if want == a.procList {
		return
	}
	a.procList = want
	a.sampler.SetProcessList(want)
	if want && a.Latest() != nil {
		a.sampleOnce(context.Background())
	}
}

func sameAlarms(x, y map[string]check.AlarmDef) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if y[k] != v {
			return false
		}
	}
	return true
}

// onResult is the scheduler's sink: judge the alarms, notify on change, and
// hand the result to the endpoint.
func (a *Agent) onResult(r check.Result) {
	a.log.Debug("check result", "check", r.CheckID, "type", r.CheckType, "available", r.Available,
		"status", r.Status, "metrics", len(r.Metrics), "took", r.Duration)
	obs := Observation(r)
	var changes []AlarmChange
	var states map[string]protocol.AlarmState
	b := &a.checks
	b.mu.Lock()
	def, known := b.defs[r.CheckID]
	if known {
		entries := b.alarms[r.CheckID]
		implicit := len(entries) == 0
		if implicit {
			entries = map[string]*alarmEntry{AvailabilityAlarm: b.noAlarm[r.CheckID]}
		}
		for name, e := range entries {
			if e == nil || e.tracker == nil {
				continue
			}
			res, changed, prev := e.tracker.Observe(obs)
			if changed {
				e.msg = res.Message
				e.since = r.Time
				label := e.def.Label
				if implicit {
					label = availabilityLabel
				}
				changes = append(changes, AlarmChange{
					Entity: a.opts.Entity, Check: def, AlarmName: name, AlarmLabel: label,
					Previous: prev, Current: res.State, Message: res.Message, Result: r,
				})
			} else if res.State == e.tracker.State() {
				e.msg = res.Message
			}
			if !implicit {
				if states == nil {
					states = map[string]protocol.AlarmState{}
				}
				states[name] = protocol.AlarmState{State: e.tracker.State().String(), Message: e.msg}
			}
		}
	}
	b.mu.Unlock()

	if len(changes) > 0 {
		a.signalAlarms()
	}
	if rec := a.opts.Recorder; rec != nil && known {
		rec.Check(recordedResult(def, r))
		for _, c := range changes {
			rec.Alarm(recordedTransition(c, r.Time))
		}
	}
	for _, c := range changes {
		level := slog.LevelInfo
		if c.Previous == alarm.Unknown && c.Current == alarm.OK {
			level = slog.LevelDebug // every new alarm starts so: not news
		}
		a.log.Log(context.Background(), level, "alarm state changed", "check", c.Check.ID, "alarm", c.AlarmName,
			"from", c.Previous.String(), "to", c.Current.String(), "message", c.Message)
		if a.opts.Notify != nil {
			a.opts.Notify.Notify(c)
		}
	}
	if a.opts.Post != nil && known {
		a.opts.Post(def, r, states)
	}
}

// recordedResult is a check result as the flight recorder keeps it.
func recordedResult(def check.Def, r check.Result) record.CheckResult {
	rc := record.CheckResult{Time: r.Time, CheckID: r.CheckID, Type: r.CheckType, Label: def.Label,
		Available: r.Available, Status: r.Status, Metrics: make([]record.Metric, 0, len(r.Metrics))}
	for _, m := range r.Metrics {
		rc.Metrics = append(rc.Metrics, record.Metric{Dimension: m.Dimension, Name: m.Name, Type: m.Type, Value: m.Value, Unit: m.Unit})
	}
	return rc
}

// recordedTransition is an alarm change as the flight recorder keeps it; a
// restored state (Previous == Current) restates it.
func recordedTransition(c AlarmChange, at time.Time) record.AlarmTransition {
	return record.AlarmTransition{Time: at, CheckID: c.Check.ID, Alarm: c.AlarmName,
		From: c.Previous.String(), To: c.Current.String(), Message: c.Message}
}

// Observation converts a check result into what alarms see: integer
// metrics exactly (64-bit), other numbers as floats, strings as strings, a
// dimension folded into the name as "dimension.name" (Virgo's plugin
// metric naming).
func Observation(r check.Result) alarm.Observation {
	m := make(alarm.Metrics, len(r.Metrics))
	for _, x := range r.Metrics {
		m[x.FullName()] = metricValue(x)
	}
	return alarm.Observation{Time: r.Time, Available: r.Available, Status: r.Status, Metrics: m}
}

// metricValue reads integer types exactly (decimal, or 0x hex as plugins
// may print), else the float reading, else the text.
func metricValue(x check.Metric) alarm.Value {
	switch x.Type {
	case check.TypeString:
		return alarm.StringValue(x.Value)
	case check.TypeInt32, check.TypeInt64, check.TypeUint32, check.TypeUint64, check.TypeGauge:
		s, base := x.Value, 10
		if h, ok := strings.CutPrefix(s, "0x"); ok {
			s, base = h, 16
		} else if h, ok := strings.CutPrefix(s, "0X"); ok {
			s, base = h, 16
		}
		if i, err := strconv.ParseInt(s, base, 64); err == nil {
			return alarm.IntValue(i)
		}
		if u, err := strconv.ParseUint(s, base, 64); err == nil {
			return alarm.UintValue(u)
		}
	}
	if f, ok := x.Float(); ok {
		return alarm.NumberValue(f)
	}
	return alarm.StringValue(x.Value)
}

// Checks lists every scheduled check with its alarm states, sorted by id.
func (a *Agent) Checks() []CheckView {
	statuses := a.sched.Status()
	b := &a.checks
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]CheckView, 0, len(statuses))
	for _, st := range statuses {
		v := CheckView{Status: st, State: alarm.Unknown}
		entries := b.alarms[st.Def.ID]
		names := make([]string, 0, len(entries))
		for n := range entries {
			names = append(names, n)
		}
		sort.Strings(names)
		worst := alarm.Unknown
		for _, n := range names {
			e := entries[n]
			as := AlarmStatus{Name: n, Label: e.def.Label, Err: e.err, Since: e.since, State: alarm.Unknown}
			if e.tracker != nil {
				as.State = e.tracker.State()
				as.Message = e.msg
			} else {
				as.Message = e.err
			}
			v.Alarms = append(v.Alarms, as)
			if severity(as.State) > severity(worst) {
				worst, v.Message = as.State, as.Message
			}
		}
		if len(entries) == 0 {
			if e := b.noAlarm[st.Def.ID]; e != nil {
				worst, v.Message = e.tracker.State(), e.msg
			}
		}
		v.State = worst
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Def.ID < out[j].Def.ID })
	return out
}

// severity orders states for "worst of": UNKNOWN < OK < WARNING < CRITICAL.
func severity(s alarm.State) int {
	switch s {
	case alarm.OK:
		return 1
	case alarm.Warning:
		return 2
	case alarm.Critical:
		return 3
	}
	return 0
}
