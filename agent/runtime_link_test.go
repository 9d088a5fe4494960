package agent

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// linkRun is a Runtime running against a fixture endpoint on loopback.
type linkRun struct {
	fx   *fixtures.Server
	rt   *Runtime
	ctx  context.Context
	done chan error
}

// startLink starts a fixture endpoint with fo and a Runtime reporting to it,
// built from cfg as edit leaves it; both stop when the test ends.
func startLink(t *testing.T, fo fixtures.Options, edit func(*config.Config)) *linkRun {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	if fo.Logger == nil {
		fo.Logger = slog.New(slog.DiscardHandler)
	}
	fx, err := fixtures.New(fo)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = fx.Serve(ctx)
	}()
	cfg := config.Default()
	cfg.Endpoints = []string{fx.Addr()}
	cfg.MonitoringID = "agentA"
	cfg.Token = "MYTOKEN-0000"
	cfg.Interval = 200 * time.Millisecond
	cfg.ConfdDir = t.TempDir()
	cfg.StateDir = t.TempDir()
	if edit != nil {
		edit(&cfg)
	}
	rt, err := Build(Setup{Config: cfg, Version: "test", CAPEM: fx.CAPEM(), UseStateDir: true})
	if err != nil {
		cancel()
		<-served
		t.Fatal(err)
	}
	l := &linkRun{fx: fx, rt: rt, ctx: ctx, done: make(chan error, 1)}
	go func() { l.done <- rt.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-l.done; err != nil {
			t.Errorf("Run: %v", err)
		}
		fx.Close()
		<-served
	})
	return l
}

// waitFor polls cond until it holds or the run's context ends.
func (l *linkRun) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-l.ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestPostsCarryMinCheckPeriod: every check_metrics.post carries the
// schedule's min_check_period as the original computes it (shortest period
// plus 15 s: schedule/scheduler.lua:61, virgo_messages.lua:63).
func TestPostsCarryMinCheckPeriod(t *testing.T) {
	schedule := []protocol.CheckDef{
		{ID: "chMEM", Type: "agent.memory", Period: 1, Timeout: 1},
		{ID: "chLOAD", Type: "agent.load_average", Period: 30, Timeout: 10},
	}
	l := startLink(t, fixtures.Options{Schedule: schedule}, nil)
	l.waitFor(t, "two posts of chMEM", func() bool { return l.fx.Stats().MetricPosts["chMEM"] >= 2 })
	for _, p := range l.fx.AcceptedPosts() {
		if p.Post.MinCheckPeriod != 16000 {
			t.Errorf("post of %s: min_check_period %d, want 16000 (1 s + 15 s)", p.Post.CheckID, p.Post.MinCheckPeriod)
		}
	}
}
