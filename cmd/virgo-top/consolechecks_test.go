package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/tui"
)

func TestCheckRowsDetail(t *testing.T) {
	def := check.Def{ID: "chCPU", Label: "CPU", Type: "agent.cpu", Period: 10 * time.Second,
		Alarms: map[string]check.AlarmDef{"busy": {Label: "CPU busy", Criteria: "if (metric['usage_average'] > 80) { return CRITICAL; }"}}}
	t0 := time.Date(2026, 11, 30, 20, 21, 56, 0, time.UTC)
	view := func(st alarm.State, since time.Time, msg string) agent.CheckView {
		return agent.CheckView{
			Status: check.Status{Def: def, LastRun: since, LastResult: &check.Result{CheckType: "agent.cpu", Available: true, Status: "ok",
				Metrics: []check.Metric{{Name: "usage_average", Type: "double", Value: "99.5", Unit: "percent"}, {Dimension: "cpu0", Name: "idle", Type: "double", Value: "0.5"}}}},
			Alarms: []agent.AlarmStatus{{Name: "busy", Label: "CPU busy", State: st, Message: msg, Since: since}},
			State:  st, Message: msg,
		}
	}
	var tl transitionLog
	steps := []struct {
		name  string
		v     agent.CheckView
		trans []tui.Transition
	}{
		{"first view starts the log", view(alarm.OK, t0.Add(-time.Hour), "CPU at 3%"), nil},
		{"same state again", view(alarm.OK, t0.Add(-time.Hour), "CPU at 4%"), nil},
		{"OK to CRITICAL", view(alarm.Critical, t0, "CPU at 100%"),
			[]tui.Transition{{Time: t0, Alarm: "busy", From: "OK", To: "CRITICAL", Message: "CPU at 100%"}}},
		{"back to OK, newest first", view(alarm.OK, t0.Add(3*time.Minute), "CPU at 0.5%"),
			[]tui.Transition{
				{Time: t0.Add(3 * time.Minute), Alarm: "busy", From: "CRITICAL", To: "OK", Message: "CPU at 0.5%"},
				{Time: t0, Alarm: "busy", From: "OK", To: "CRITICAL", Message: "CPU at 100%"}}},
	}
	for _, s := range steps {
		rows := checkRows([]agent.CheckView{s.v}, &tl)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows", s.name, len(rows))
		}
		if !reflect.DeepEqual(rows[0].Transitions, s.trans) {
			t.Errorf("%s: transitions\n got %+v\nwant %+v", s.name, rows[0].Transitions, s.trans)
		}
	}
	r := checkRows([]agent.CheckView{view(alarm.OK, t0, "x")}, nil)[0]
	wantM := []tui.CheckMetric{{Name: "cpu0.idle", Type: "double", Value: "0.5"}, {Name: "usage_average", Type: "double", Value: "99.5", Unit: "percent"}}
	if !reflect.DeepEqual(r.Metrics, wantM) {
		t.Errorf("metrics %+v", r.Metrics)
	}
	if len(r.Alarms) != 1 || r.Alarms[0].Criteria != def.Alarms["busy"].Criteria || r.Alarms[0].State != "OK" || r.Alarms[0].Label != "CPU busy" {
		t.Errorf("alarms %+v", r.Alarms)
	}
	// Bounded.
	var big transitionLog
	st := []alarm.State{alarm.OK, alarm.Critical}
	for i := 0; i < 3*maxTransitions; i++ {
		checkRows([]agent.CheckView{view(st[i%2], t0.Add(time.Duration(i)*time.Second), "m")}, &big)
	}
	if n := len(big.trans["chCPU"]); n != maxTransitions {
		t.Errorf("kept %d transitions, want %d", n, maxTransitions)
	}
}
