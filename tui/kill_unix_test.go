//go:build !windows

package tui

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// startSleeper runs `sleep 60` and returns it with a channel closed when it
// has exited (after Wait, so its status is known).
func startSleeper(t *testing.T) (*exec.Cmd, <-chan struct{}) {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return cmd, done
}

func modelWithChild(t *testing.T, pid int) Model {
	m := newTestModel(t, 120, 40, 0)
	snap := testSnapshot(0)
	snap.Processes = []collector.Process{
		{PID: int32(pid), PPID: 1, Name: "sleep", User: "test", CPUPct: 90, Cmdline: "sleep 60"},
		{PID: 1, Name: "init", User: "root"},
	}
	return step(m, SnapshotMsg{Snap: snap})
}

func alive(done <-chan struct{}) bool {
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func TestKillCancelLeavesChildAlive(t *testing.T) {
	child, done := startSleeper(t)
	m := modelWithChild(t, child.Process.Pid)
	m = press(m, "k")
	if m.mode != modeKill || m.killPID != int32(child.Process.Pid) {
		t.Fatalf("k: mode %d pid %d", m.mode, m.killPID)
	}
	if !strings.Contains(screen(m), "Send signal to") {
		t.Error("no confirmation prompt shown")
	}
	m = press(m, "9") // choose KILL
	if signalChoices[m.menu.cursor].Name != "KILL" {
		t.Fatalf("9 chose %s", signalChoices[m.menu.cursor].Name)
	}
	next, cmd := m.Update(keyMsg("esc"))
	m = next.(Model)
	if cmd != nil {
		t.Fatal("esc returned a command: a signal would be sent")
	}
	if m.mode != modeNormal || !alive(done) {
		t.Errorf("after esc: mode %d alive %v", m.mode, alive(done))
	}
	// Other keys only choose; y and n mean nothing in the menu.
	m = press(m, "f9", "x", "y", "n", "down", "up", "esc")
	if m.mode != modeNormal || !alive(done) {
		t.Errorf("after esc: mode %d alive %v", m.mode, alive(done))
	}
}

func TestKillSendsChosenSignalOnEnter(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		want syscall.Signal
	}{
		{[]string{"k"}, syscall.SIGTERM},
		{[]string{"k", "1"}, syscall.SIGHUP},
		{[]string{"f9", "2"}, syscall.SIGINT},
		{[]string{"k", "9", "up", "down"}, syscall.SIGKILL},
		{[]string{"k", "1", "5"}, syscall.SIGTERM},
	} {
		t.Run(tc.want.String(), func(t *testing.T) {
			child, done := startSleeper(t)
			m := press(modelWithChild(t, child.Process.Pid), tc.keys...)
			next, cmd := m.Update(keyMsg("enter"))
			m = next.(Model)
			if cmd == nil {
				t.Fatal("enter returned no command")
			}
			m = step(m, cmd())
			if !strings.Contains(m.status, "sent SIG") {
				t.Errorf("status = %q", m.status)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatal("child did not exit after the signal")
			}
			ws, ok := child.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != tc.want {
				t.Errorf("child ended with %v, want signal %v", child.ProcessState, tc.want)
			}
		})
	}
}

func TestKillErrorIsShown(t *testing.T) {
	m := New(Options{NoColor: true, Now: fixedNow, Signal: func(int32, syscall.Signal) error {
		return errors.New("operation not permitted")
	}})
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: smallProcs()}})
	m = step(m, sizeMsg(120, 40))
	next, cmd := press(m, "k").Update(keyMsg("enter"))
	m = step(next.(Model), cmd())
	if !m.statusErr || !strings.Contains(m.status, "operation not permitted") {
		t.Errorf("status %q err %v", m.status, m.statusErr)
	}
}
