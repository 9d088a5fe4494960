package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

func TestTeaQuitOnQ(t *testing.T) {
	feed := make(chan tea.Msg, 1)
	feed <- SnapshotMsg{Snap: testSnapshot(50)}
	m := New(Options{Feed: feed, NoColor: true, Now: fixedNow, History: fakeHistory{}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Processes 50")) },
		teatest.WithDuration(10*time.Second))
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}

func TestTeaBackslashFilters(t *testing.T) {
	feed := make(chan tea.Msg, 1)
	feed <- SnapshotMsg{Snap: testSnapshot(200)}
	m := New(Options{Feed: feed, NoColor: true, Now: fixedNow, History: fakeHistory{}})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Processes 200")) },
		teatest.WithDuration(10*time.Second))
	tm.Type("\\")
	tm.Type("postgres")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Processes 60/200")) },
		teatest.WithDuration(10*time.Second))
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	tm.Type("q")
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model)
	if final.procs.filter != "postgres" || len(final.procs.order) != 60 {
		t.Errorf("filter %q, %d rows", final.procs.filter, len(final.procs.order))
	}
	for _, idx := range final.procs.order {
		p := final.procs.procs[idx]
		if p.Name != "postgres" && p.User != "postgres" {
			t.Errorf("pid %d (%s/%s) does not match", p.PID, p.Name, p.User)
		}
	}
}
