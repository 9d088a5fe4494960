package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/record"
)

// TestRuntimeRecords: a headless runtime with the recorder on records
// every sample, the process table (though no agent.process check asks for
// it), check results and alarm transitions, and masks our token in
// command lines.
func TestRuntimeRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent for a few seconds")
	}
	dir := t.TempDir()
	confd := filepath.Join(dir, "conf.d")
	os.Mkdir(confd, 0o700)
	os.WriteFile(filepath.Join(confd, "mem.yaml"), []byte(`type: agent.memory
period: 1
alarms:
  big:
    criteria: |
      if (metric['total'] > 0) { return new AlarmStatus(WARNING, 'memory exists'); }
      return new AlarmStatus(OK);
`), 0o600)
	cfg := config.Default()
	cfg.ConfdDir = confd
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Interval = 200 * time.Millisecond
	cfg.Token = "recorded-token-0123456789"
	recDir := filepath.Join(cfg.StateDir, "record")
	rt, err := Build(Setup{Config: cfg, Version: "test", UseStateDir: true, Headless: true,
		Record: RecordSetup{Dir: recDir, MaxAge: time.Hour, MaxBytes: 64 << 20, ProcessInterval: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if rt.Recorder == nil {
		t.Fatal("no recorder")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for rt.Recorder.Stats().Checks < 3 || rt.Recorder.Stats().Alarms < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("recorder stats %+v", rt.Recorder.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a process table is due every second
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	r, err := record.Open(recDir)
	if err != nil {
		t.Fatal(err)
	}
	_, last, err := r.Span()
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.At(last)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Snapshot.Processes) == 0 {
		t.Error("no process table recorded by a headless agent")
	}
	// The host's PSI every sample and its cgroups at the process-table
	// interval, though no console asks for them (where the host has them).
	if _, err := os.Stat("/proc/pressure/cpu"); err == nil && f.Snapshot.Pressure == nil {
		t.Error("no pressure recorded on a host with PSI")
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err == nil && (len(f.Snapshot.Cgroups) == 0 || f.CgroupTime.IsZero()) {
		t.Errorf("no cgroup table recorded on a host with cgroups (%d groups at %v)", len(f.Snapshot.Cgroups), f.CgroupTime)
	}
	if len(f.Checks) != 1 || f.Checks[0].CheckID != "confd-mem" || !f.Checks[0].Available {
		t.Errorf("checks %+v", f.Checks)
	}
	if len(f.Alarms) != 1 || f.Alarms[0].To != "WARNING" || f.Alarms[0].Message != "memory exists" {
		t.Errorf("alarms %+v", f.Alarms)
	}
	tr, err := r.PrevTransition(last.Add(time.Second))
	if err != nil || tr.To != "WARNING" || tr.From != "UNKNOWN" {
		t.Errorf("transition %+v %v", tr, err)
	}
	// What the recorder wrote holds no secret.
	filepath.WalkDir(recDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), string(cfg.Token)) {
				t.Errorf("token in %s", p)
			}
		}
		return nil
	})
}
