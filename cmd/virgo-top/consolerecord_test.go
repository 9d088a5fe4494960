package main

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// TestPlanConsoleRecording: the console reads the daemon's recording when
// a daemon records, else records its own session (24 h / 100 MiB unless
// set), and with --no-record writes nothing.
func TestPlanConsoleRecording(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_STATE_HOME", filepath.Join(base, "xdg"))
	own := filepath.Join(base, "xdg", "virgo-top", "record")
	log := slog.New(slog.DiscardHandler)
	cfg := config.Default()
	cfg.StateDir = filepath.Join(base, "state")

	p := planConsoleRecording(cfg, log)
	if !p.write || p.dir != own || p.setup.Dir != own || p.setup.MaxAge != config.ConsoleRecordMaxAge ||
		p.setup.MaxBytes != config.ConsoleRecordMaxBytes || p.setup.ProcessInterval != cfg.RecordProcessInterval {
		t.Errorf("no daemon: %+v", p)
	}
	set := cfg
	set.Source = map[string]string{"record_max_age": "flag"}
	set.RecordMaxAge = 48 * time.Hour
	if p := planConsoleRecording(set, log); p.setup.MaxAge != 48*time.Hour || p.setup.MaxBytes != config.ConsoleRecordMaxBytes {
		t.Errorf("record_max_age set: %+v", p)
	}
	off := cfg
	off.Record = false
	if p := planConsoleRecording(off, log); p.write || p.dir != own {
		t.Errorf("--no-record: %+v", p)
	}

	// A daemon records: read its recording, write nothing.
	w, err := record.OpenWriter(record.Options{Dir: daemonRecordDir(cfg), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if p := planConsoleRecording(cfg, log); p.write || p.dir != daemonRecordDir(cfg) {
		t.Errorf("daemon recording: %+v", p)
	}
}

// TestFillHistory: the console's hour and day windows show the recorded
// past at once.
func TestFillHistory(t *testing.T) {
	dir := t.TempDir()
	end := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	h := recordtest.New(recordtest.Config{Start: end.Add(-2 * time.Hour), Interval: 5 * time.Second, Processes: 20, Seed: 1})
	if _, err := recordtest.Write(w, h, end); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	store := history.NewStore(history.DefaultRetention(), 512)
	fillHistory(store, r, end, slog.New(slog.DiscardHandler))
	mins := store.Points("cpu.usage", history.Minute, end.Add(-3*time.Hour), nil)
	if len(mins) < 110 || len(mins) > 121 {
		t.Fatalf("%d minutes of cpu.usage filled from a 2 h recording", len(mins))
	}
	if hours := store.Points("cpu.usage", history.Hour, time.Time{}, nil); len(hours) < 2 {
		t.Errorf("hours %d", len(hours))
	}
}

// TestLazyTimeline: a console that starts its own recording has nothing to
// read until the first block is written; time travel works from then on.
func TestLazyTimeline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "record")
	l := openConsoleTimeline(consoleRecording{dir: dir}, slog.New(slog.DiscardHandler))
	if _, _, err := l.Span(); err == nil {
		t.Fatal("a span before anything was recorded")
	}
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Now().Truncate(time.Second)
	h := recordtest.New(recordtest.Config{Start: end.Add(-time.Minute), Interval: 5 * time.Second, Seed: 2})
	if _, err := recordtest.Write(w, h, end); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	from, to, err := l.Span()
	if err != nil || !to.After(from) {
		t.Fatalf("span %v %v %v", from, to, err)
	}
	if f, err := l.At(to); err != nil || f.Snapshot == nil {
		t.Errorf("At: %v", err)
	}
	if openConsoleTimeline(consoleRecording{}, nil) != nil {
		t.Error("a timeline with no dir")
	}
}
