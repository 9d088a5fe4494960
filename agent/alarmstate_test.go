package agent

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
)

func changeStrings(cs []AlarmChange) []string {
	var out []string
	for _, c := range cs {
		s := c.Check.ID + "/" + c.AlarmName + " " + c.Previous.String() + "->" + c.Current.String()
		if c.Restored {
			s += " (restored)"
		}
		out = append(out, s)
	}
	return out
}

// TestAlarmStatesSurviveRestart: a daemon restarted during an incident
// starts each alarm in its saved state, hands the notifier the restored
// state once (it delivers only what a receiver did not hear), and reports
// no UNKNOWN -> X change: every start re-notified every alarm.
func TestAlarmStatesSurviveRestart(t *testing.T) {
	hot := check.Def{ID: "chCPU", Type: check.TypeCPU, Period: 30 * time.Second, Alarms: map[string]check.AlarmDef{
		"hot": {Label: "CPU hot", Criteria: `if (metric['usage_average'] > 90) { return new AlarmStatus(CRITICAL, 'CPU at #{usage_average}%'); } return new AlarmStatus(OK, 'fine');`},
	}}
	bare := check.Def{ID: "chMEM", Type: check.TypeMemory, Period: 30 * time.Second}
	n1 := &recordNotifier{}
	a := newTestAgent(t, n1, nil)
	a.SetChecks([]check.Def{hot, bare})
	a.onResult(cpuResult("chCPU", t0, "10"))
	a.onResult(cpuResult("chCPU", t0.Add(time.Second), "95"))
	a.onResult(check.ErrorResult(bare, t0, "Collecting memory failed: boom"))

	// What the writer keeps, through the file.
	path := filepath.Join(t.TempDir(), alarmStateFile)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.keepAlarmStates(ctx, path, a.log); close(done) }()
	cancel()
	<-done
	saved, err := loadAlarmStates(path)
	if err != nil {
		t.Fatal(err)
	}
	if saved["chCPU/hot"].State != alarm.Critical || saved["chCPU/hot"].Message != "CPU at 95%" ||
		saved["chMEM/availability"].State != alarm.Critical {
		t.Fatalf("saved %+v", saved)
	}

	// The restarted agent.
	n2 := &recordNotifier{}
	b := newTestAgent(t, n2, nil)
	b.RestoreAlarms(saved)
	b.SetChecks([]check.Def{hot, bare})
	want := []string{"chCPU/hot CRITICAL->CRITICAL (restored)", "chMEM/availability CRITICAL->CRITICAL (restored)"}
	got := changeStrings(n2.changes)
	if len(got) == 2 && got[0] > got[1] {
		got[0], got[1] = got[1], got[0]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("at start the notifier got %q, want %q", got, want)
	}
	if v := b.Checks(); v[0].State != alarm.Critical || v[0].Alarms[0].Message != "CPU at 95%" {
		t.Errorf("restored view %+v", v[0])
	}
	b.onResult(cpuResult("chCPU", t0.Add(time.Minute), "97"))
	b.onResult(check.ErrorResult(bare, t0.Add(time.Minute), "Collecting memory failed: boom"))
	if len(n2.changes) != 2 {
		t.Fatalf("still CRITICAL after the restart, yet changes %q", changeStrings(n2.changes[2:]))
	}
	b.onResult(cpuResult("chCPU", t0.Add(2*time.Minute), "5"))
	if got := changeStrings(n2.changes[2:]); !reflect.DeepEqual(got, []string{"chCPU/hot CRITICAL->OK"}) {
		t.Errorf("recovery after the restart: %q", got)
	}

	// Changed criteria keep the alarm's state: no UNKNOWN -> X on a reload.
	hot2 := hot
	hot2.Alarms = map[string]check.AlarmDef{"hot": {Criteria: `if (metric['usage_average'] > 80) { return new AlarmStatus(CRITICAL, 'hot'); } return new AlarmStatus(OK, 'cool');`}}
	b.SetChecks([]check.Def{hot2, bare})
	b.onResult(cpuResult("chCPU", t0.Add(3*time.Minute), "5"))
	if got := changeStrings(n2.changes[3:]); len(got) != 0 {
		t.Errorf("a criteria change re-notified: %q", got)
	}
}

func TestLoadAlarmStatesBadFiles(t *testing.T) {
	dir := t.TempDir()
	if m, err := loadAlarmStates(filepath.Join(dir, "none")); err != nil || m != nil {
		t.Errorf("missing file: %v %v", m, err)
	}
	for name, body := range map[string]string{"garbage": "{not json", "version": `{"version":2,"alarms":{}}`, "state": `{"version":1,"alarms":{"a/b":{"state":"HOT"}}}`} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		if _, err := loadAlarmStates(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
