package agent

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// TestRuntimeAgainstFixture runs the whole agent against the fixture
// endpoint over real TLS on loopback: handshake, schedule, checks run from
// the live collector, metrics posted for every scheduled check.
func TestRuntimeAgainstFixture(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	schedule := []protocol.CheckDef{
		{ID: "chMEM", Type: "agent.memory", Period: 1, Timeout: 1, Alarms: map[string]protocol.Alarm{
			"big": {Criteria: `if (metric['total'] > 0) { return new AlarmStatus(WARNING, 'memory exists'); } return new AlarmStatus(OK);`}}},
		{ID: "chLOAD", Type: "agent.load_average", Period: 1, Timeout: 1},
		{ID: "chNONE", Type: "agent.disk", Period: 1, Timeout: 1, Details: []byte(`{"target":"nosuchdisk"}`)},
	}
	fx, err := fixtures.New(fixtures.Options{Schedule: schedule, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	go fx.Serve(ctx)
	defer fx.Close()

	cfg := config.Default()
	cfg.Endpoints = []string{fx.Addr()}
	cfg.MonitoringID = "agentA"
	cfg.Token = "MYTOKEN-0000"
	cfg.Interval = 200 * time.Millisecond
	cfg.ConfdDir = t.TempDir()
	cfg.StateDir = t.TempDir()
	rt, err := Build(Setup{Config: cfg, Version: "test", CAPEM: fx.CAPEM(), UseStateDir: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()

	// Wait until every check has been posted at least twice.
	for {
		posts := fx.Stats().MetricPosts
		if posts["chMEM"] >= 2 && posts["chLOAD"] >= 2 && posts["chNONE"] >= 2 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out; posts so far %v", posts)
		case <-time.After(100 * time.Millisecond):
		}
	}
	var sawUnavailable, sawAlarm bool
	for _, p := range fx.AcceptedPosts() {
		if p.Post.CheckID == "chMEM" && p.Post.Alarms["big"] == (protocol.AlarmState{State: "WARNING", Message: "memory exists"}) {
			sawAlarm = true
		}
		if p.Post.CheckID == "chNONE" {
			sawUnavailable = p.Post.State == protocol.StateUnavailable && p.Post.Status == "No such disk: nosuchdisk"
		}
	}
	if !sawUnavailable {
		t.Error("the check with a missing target was not posted as unavailable with Virgo's status")
	}
	if !sawAlarm {
		t.Error("the endpoint never saw chMEM's alarm state WARNING in a post")
	}
	for _, v := range rt.Agent.Checks() {
		if v.Def.ID == "chMEM" && v.State.String() != "WARNING" {
			t.Errorf("chMEM alarm state %v, want WARNING", v.State)
		}
	}
	st := rt.Manager.Status()
	if len(st.Endpoints) != 1 || st.Endpoints[0].State != protocol.StateConnected {
		t.Errorf("endpoint status %+v", st.Endpoints)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestSavedScheduleRunsWhileEndpointDown: the daemon keeps the endpoint's
// schedule in its state dir; restarted while the endpoint is down, it runs
// those checks and spools their results.
func TestSavedScheduleRunsWhileEndpointDown(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fx, err := fixtures.New(fixtures.Options{Logger: slog.New(slog.DiscardHandler),
		Schedule: []protocol.CheckDef{{ID: "chLOAD", Type: "agent.load_average", Period: 1, Timeout: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	go fx.Serve(ctx)
	cfg := config.Default()
	cfg.Endpoints = []string{fx.Addr()}
	cfg.Token = "MYTOKEN-0000"
	cfg.Interval = 200 * time.Millisecond
	cfg.ConfdDir = t.TempDir()
	cfg.StateDir = t.TempDir()
	run := func(ctx context.Context, until func(*Runtime) bool) {
		t.Helper()
		rt, err := Build(Setup{Config: cfg, Version: "test", CAPEM: fx.CAPEM(), UseStateDir: true})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- rt.Run(rctx) }()
		for !until(rt) {
			select {
			case <-ctx.Done():
				t.Fatal("timed out")
			case <-time.After(100 * time.Millisecond):
			}
		}
		stop()
		<-done
	}
	// First run: the endpoint hands out its schedule.
	run(ctx, func(*Runtime) bool { return fx.Stats().MetricPosts["chLOAD"] >= 1 })
	fx.Close()
	// Second run, endpoint gone: the saved schedule runs and results spool.
	run(ctx, func(rt *Runtime) bool {
		views := rt.Agent.Checks()
		return len(views) == 1 && views[0].Def.ID == "chLOAD" && rt.Manager.Status().Spool.Depth >= 2
	})
}

// TestReloadChecksDuringStart: a SIGHUP's ReloadChecks while the runtime
// starts its local checks (go test -race caught the unsynchronised
// localDefs), and the last conf.d read wins.
func TestReloadChecksDuringStart(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.ConfdDir = dir
	cfg.Interval = 10 * time.Millisecond
	rt, err := Build(Setup{Config: cfg, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	writeConfd := func(name string) {
		t.Helper()
		body := "type: agent.memory\nlabel: " + name + "\nperiod: 30\n"
		if err := os.WriteFile(filepath.Join(dir, "mem.yaml"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		writeConfd(fmt.Sprintf("mem%d", i))
		if n, bad := rt.ReloadChecks(dir); n != 1 || len(bad) != 0 {
			t.Fatalf("reload %d: %d checks, errors %v", i, n, bad)
		}
		time.Sleep(time.Millisecond)
	}
	// Let startLocalChecks run (after the first sample), then check the
	// last reload is what is scheduled.
	deadline := time.Now().Add(10 * time.Second)
	for {
		views := rt.Agent.Checks()
		if len(views) == 1 && views[0].Def.Label == "mem19" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduled %+v, want the last reload's mem19", views)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRuntimeAgentID: the id /metrics' virgo_agent_info carries is the one
// the agent says hello with: monitoring_id, else the host name.
func TestRuntimeAgentID(t *testing.T) {
	host, _ := os.Hostname()
	for _, tt := range []struct{ id, want string }{{"", host}, {"agentA", "agentA"}} {
		cfg := config.Default()
		cfg.MonitoringID = tt.id
		cfg.ConfdDir = t.TempDir()
		rt, err := Build(Setup{Config: cfg, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if rt.AgentID != tt.want {
			t.Errorf("monitoring_id %q: AgentID %q, want %q", tt.id, rt.AgentID, tt.want)
		}
	}
}
