package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// replayRecording writes n samples 5 s apart from start into dir/record
// and returns that directory.
func replayRecording(t *testing.T, dir string, start time.Time, n int) string {
	t.Helper()
	rec := filepath.Join(dir, "record")
	w, err := record.OpenWriter(record.Options{Dir: rec, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		w.Sample(&collector.Snapshot{Time: start.Add(time.Duration(i) * 5 * time.Second), Host: collector.Host{Hostname: "h"}})
		if i%20 == 19 {
			if err := w.Flush(); err != nil { // the queue holds 32 samples
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestReplayOptions: where replay opens the console (--at, --since, the
// end by default) and on which recording (--record, --state-dir).
func TestReplayOptions(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	dir := t.TempDir()
	start := time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)
	rec := replayRecording(t, dir, start, 120) // 11:00:00 to 11:09:55
	end := start.Add(119 * 5 * time.Second)
	now := start.Add(time.Hour)
	tests := []struct {
		args []string
		want time.Time
	}{
		{[]string{"--record", rec}, end},
		{[]string{"--state-dir", dir}, end},
		{[]string{"--record", rec, "--since", "2m"}, end.Add(-2 * time.Minute)},
		{[]string{"--record", rec, "--since", "1h30m"}, end.Add(-90 * time.Minute)},
		{[]string{"--record", rec, "--at", "2026-11-24T11:03:00Z"}, start.Add(3 * time.Minute)},
		{[]string{"--record", rec, "--at", "55m ago"}, now.Add(-55 * time.Minute)},
	}
	for _, tt := range tests {
		opts, err := replayOptions(tt.args, io.Discard, now)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if opts.Timeline == nil || opts.Feed != nil || !opts.ReplayAt.Equal(tt.want) {
			t.Errorf("%v: timeline %v feed %v at %v, want at %v", tt.args, opts.Timeline != nil, opts.Feed != nil, opts.ReplayAt, tt.want)
		}
		if opts.NoColor {
			t.Errorf("%v: no colour without --no-color", tt.args)
		}
	}
	if opts, err := replayOptions([]string{"--record", rec, "--no-color"}, io.Discard, now); err != nil || !opts.NoColor {
		t.Errorf("--no-color: %v %v", opts.NoColor, err)
	}
}

// TestReplayErrors: one clear line for what cannot be replayed.
func TestReplayErrors(t *testing.T) {
	base := t.TempDir()
	now := time.Now()
	rec := replayRecording(t, filepath.Join(base, "good"), now.Add(-time.Minute), 5)

	notRec := filepath.Join(base, "photos")
	os.MkdirAll(notRec, 0o755)
	os.WriteFile(filepath.Join(notRec, "cat.jpg"), []byte("meow"), 0o644)

	newer := replayRecording(t, filepath.Join(base, "newer"), now.Add(-time.Minute), 5)
	segs, err := filepath.Glob(filepath.Join(newer, "*.vtr"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v %v", segs, err)
	}
	f, err := os.OpenFile(segs[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{byte(record.Version + 1), 0}, 8) // a newer format version
	f.Close()

	// An empty recording: a segment whose header is all there is (a
	// writer that stopped before its first block).
	empty := replayRecording(t, filepath.Join(base, "empty"), now.Add(-time.Minute), 5)
	segs, err = filepath.Glob(filepath.Join(empty, "*.vtr"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v %v", segs, err)
	}
	head, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	infoLen := int64(binary.LittleEndian.Uint32(head[10:14]))
	if err := os.Truncate(segs[0], 8+2+4+infoLen+4); err != nil {
		t.Fatal(err)
	}
	emptyDir := t.TempDir()

	tests := []struct {
		args  []string
		usage bool
		want  string
	}{
		{[]string{"--record", notRec}, false, "is not a recording"},
		{[]string{"--record", filepath.Join(base, "nowhere")}, false, "no recording at"},
		{[]string{"--record", newer}, false, fmt.Sprintf("version %d", record.Version+1)},
		{[]string{"--record", empty}, false, "holds no sample yet"},
		{[]string{"--record", emptyDir}, false, "is not a recording"},
		{[]string{"--record", rec, "--state-dir", base}, true, "not both"},
		{[]string{"--record", rec, "--at", "12:00", "--since", "5m"}, true, "not both"},
		{[]string{"--record", rec, "--at", "25:99"}, true, "not a time"},
		{[]string{"--record", rec, "--since", "-5m"}, true, "positive duration"},
		{[]string{"--record", rec, "extra"}, true, "unexpected argument"},
	}
	for _, tt := range tests {
		_, err := replayOptions(tt.args, io.Discard, now)
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errUsage) != tt.usage {
			t.Errorf("%v: %v; want %q (usage error %v)", tt.args, err, tt.want, tt.usage)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error of several lines: %q", tt.args, err)
		}
	}
}
