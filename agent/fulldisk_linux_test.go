//go:build linux

package agent

import (
	"context"
	"github.com/virgo-top/virgo-top/internal/fulldisk"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/protocol"
)

// TestDaemonStartsOnAFullStateDir: a full state file system used to stop
// the daemon at start (the spool was rewritten, the guid written); it now
// starts degraded, says so, and keeps its spool on disk once space returns.
func TestDaemonStartsOnAFullStateDir(t *testing.T) {
	state := fulldisk.TB(t, "256k")
	// A spool from before, then the disk fills up.
	if err := os.WriteFile(filepath.Join(state, "guid"), []byte("4a5b6c7d-0000-4000-8000-000000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(state, "ballast")
	fulldisk.Fill(t, ballast)

	cfg := config.Default()
	cfg.StateDir = state
	cfg.Endpoints = []string{"127.0.0.1:1"} // down: results stay in the spool
	cfg.Interval = 100 * time.Millisecond
	cfg.ConfdDir = t.TempDir()
	rt, err := Build(Setup{Config: cfg, Version: "test", UseStateDir: true, Headless: true})
	if err != nil {
		t.Fatalf("the daemon refused to start on a full state dir: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	var stopped bool
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	defer stop()
	for i := 0; i < 20; i++ {
		rt.Manager.Post(protocol.MetricsPost{CheckID: "ch", CheckType: "agent.memory", Timestamp: int64(i)})
	}
	st := rt.Manager.Status().Spool
	if st.Depth != 20 {
		t.Fatalf("spool depth %d, want 20", st.Depth)
	}
	deadline := time.Now().Add(10 * time.Second)
	for rt.Manager.Status().Spool.Degraded == "" {
		if time.Now().After(deadline) {
			t.Fatal("the spool never said it is degraded on a full disk")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Space returns: the spool reaches the disk.
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	for rt.Manager.Status().Spool.Degraded != "" {
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatalf("still degraded after space returned: %q", rt.Manager.Status().Spool.Degraded)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	loaded, err := protocol.OpenFileStore(filepath.Join(state, "spool.jsonl"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	entries, _, err := loaded.Load(1000, 1<<20)
	if err != nil || len(entries) != 20 {
		t.Fatalf("spool file holds %d entries (%v), want 20", len(entries), err)
	}
}
