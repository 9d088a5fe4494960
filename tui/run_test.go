package tui

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Run returns nil when its context is cancelled, and stops on q.
func TestRunStopsOnContextAndQuit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	feed := make(chan tea.Msg)
	errc := make(chan error, 1)
	in, idle := io.Pipe() // an idle terminal: input that never comes
	defer idle.Close()
	go func() {
		errc <- run(ctx, Options{Feed: feed, NoColor: true}, tea.WithInput(in), tea.WithOutput(io.Discard), tea.WithoutSignals())
	}()
	feed <- SnapshotMsg{Snap: testSnapshot(5)} // the program is running and reading the feed
	cancel()
	wait, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("cancelled run = %v, want nil", err)
		}
	case <-wait.Done():
		t.Fatal("run did not return after cancel")
	}

	err := run(context.Background(), Options{NoColor: true}, tea.WithInput(bytes.NewBufferString("q")), tea.WithOutput(io.Discard), tea.WithoutSignals())
	if err != nil {
		t.Errorf("run with q = %v", err)
	}
}
