package main

import (
	"sort"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/tui"
)

// maxTransitions bounds the transitions the console keeps per check.
const maxTransitions = 20

// checkRows adapts the agent's check views to the console's rows, with
// what the check's detail view shows: every metric of the last result,
// each alarm's criteria and state, and the recent transitions (tl, which
// remembers them across calls; nil: none).
func checkRows(views []agent.CheckView, tl *transitionLog) []tui.CheckRow {
	rows := make([]tui.CheckRow, 0, len(views))
	for _, v := range views {
		r := tui.CheckRow{
			ID: v.Def.ID, Label: v.Def.Label, Type: v.Def.Type, Period: v.Def.Period,
			LastRun: v.LastRun, Duration: v.LastDuration, State: v.State.String(),
			Alarm: v.Message,
		}
		if v.LastResult != nil {
			r.Available = v.LastResult.Available
			r.Message = v.LastResult.Status
			r.KeyMetrics = tui.KeyMetrics(v.LastResult.CheckType, v.LastResult.Metrics)
			r.Metrics = make([]tui.CheckMetric, 0, len(v.LastResult.Metrics))
			for _, m := range v.LastResult.Metrics {
				name := m.Name
				if m.Dimension != "" {
					name = m.Dimension + "." + m.Name
				}
				r.Metrics = append(r.Metrics, tui.CheckMetric{Name: name, Type: m.Type, Value: m.Value, Unit: m.Unit})
			}
			sort.Slice(r.Metrics, func(i, j int) bool { return r.Metrics[i].Name < r.Metrics[j].Name })
		}
		if v.State == alarm.Unknown && v.LastResult == nil {
			r.Available = true
		}
		for _, a := range v.Alarms {
			ca := tui.CheckAlarm{ID: a.Name, Label: a.Label, State: a.State.String(), Message: a.Message}
			if def, ok := v.Def.Alarms[a.Name]; ok {
				ca.Criteria = def.Criteria
			}
			if a.Err != "" {
				ca.Message = "criteria do not parse: " + a.Err
			}
			r.Alarms = append(r.Alarms, ca)
		}
		if tl != nil {
			r.Transitions = tl.observe(v)
		}
		rows = append(rows, r)
	}
	return rows
}

// transitionLog derives each check's recent alarm transitions from
// successive views of the agent's alarm states: an alarm whose state or
// Since changed between two views made a transition at its Since. (A
// change and its reversal between two views, less than a sample apart,
// show as one.) It is owned by one goroutine (feedConsole's).
type transitionLog struct {
	last  map[string]seenAlarm        // check id + "\x00" + alarm name
	trans map[string][]tui.Transition // check id -> newest first
}

type seenAlarm struct {
	state alarm.State
	since int64 // UnixNano
}

// observe records v's alarm changes and returns the check's transitions,
// newest first. The first view of an alarm is where the log starts, not a
// transition (its state may be restored from before the console).
func (l *transitionLog) observe(v agent.CheckView) []tui.Transition {
	if l.last == nil {
		l.last, l.trans = map[string]seenAlarm{}, map[string][]tui.Transition{}
	}
	id := v.Def.ID
	for _, a := range v.Alarms {
		key := id + "\x00" + a.Name
		now := seenAlarm{state: a.State, since: a.Since.UnixNano()}
		prev, seen := l.last[key]
		l.last[key] = now
		if !seen || prev == now || prev.state == a.State {
			continue
		}
		t := tui.Transition{Time: a.Since, Alarm: a.Name, From: prev.state.String(), To: a.State.String(), Message: a.Message}
		list := append([]tui.Transition{t}, l.trans[id]...)
		if len(list) > maxTransitions {
			list = list[:maxTransitions]
		}
		l.trans[id] = list
	}
	return l.trans[id]
}
