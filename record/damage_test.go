package record_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// logBuf collects a writer's log lines.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuf) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// writeSeconds records n samples one second apart from t0 and closes.
func writeSeconds(t *testing.T, opt record.Options, from, n int) {
	t.Helper()
	w := openWriter(t, opt)
	for i := from; i < from+n; i++ {
		w.Sample(sample(float64(i)))
		if i%7 == 0 {
			w.Check(record.CheckResult{Time: at(float64(i)), CheckID: "ch", Type: "agent.cpu", Available: true, Status: "ok"})
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// frameTimes returns the seconds (from t0) of every frame, and checks
// that every frame is whole (its table of processes decoded).
func frameTimes(t *testing.T, r *record.Reader) []int {
	t.Helper()
	var out []int
	for _, f := range frames(t, r, t0.Add(-time.Hour), t0.Add(24*time.Hour)) {
		out = append(out, int(f.Snapshot.Time.Sub(t0)/time.Second))
		if len(f.Snapshot.Processes) != 3 || f.Snapshot.Processes[1].Cmdline == "" {
			t.Errorf("frame at %v has a broken process table: %+v", f.Snapshot.Time, f.Snapshot.Processes)
		}
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func onlySegment(t *testing.T, dir string) string {
	t.Helper()
	segs, err := record.Segments(dir)
	if err != nil || len(segs) != 1 {
		t.Fatalf("segments %v (%v), want one", segs, err)
	}
	return segs[0]
}

// TestTornTail: a crash in the middle of a block leaves a torn tail.
// Readers ignore it; the next writer truncates it with a warning; the
// blocks before it stay whole.
func TestTornTail(t *testing.T) {
	tests := []struct {
		name   string
		tear   func(path string, last record.Block) error
		torn   int // Info.TornTails before repair
		broken int // Info.SkippedBlocks before repair
	}{
		{"half a header", func(p string, b record.Block) error { return os.Truncate(p, b.Off+20) }, 1, 0},
		{"header only", func(p string, b record.Block) error { return os.Truncate(p, b.Off+44) }, 1, 0},
		{"half a payload", func(p string, b record.Block) error { return os.Truncate(p, (b.Off+44+b.End)/2) }, 1, 0},
		{"zeroed payload (power cut)", func(p string, b record.Block) error {
			return patch(p, b.Off+44, make([]byte, b.End-b.Off-44))
		}, 0, 1},
		{"zeroed header and payload", func(p string, b record.Block) error {
			return patch(p, b.Off, make([]byte, b.End-b.Off))
		}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			noTrends := func(*collector.Snapshot, func(string, float64)) {}
			writeSeconds(t, record.Options{Dir: dir, Series: noTrends}, 0, 45)
			path := onlySegment(t, dir)
			blocks, err := record.Blocks(path)
			if err != nil || len(blocks) != 5 {
				t.Fatalf("blocks %+v (%v)", blocks, err)
			}
			last := blocks[len(blocks)-1]
			if err := tt.tear(path, last); err != nil {
				t.Fatal(err)
			}
			r := openReader(t, dir)
			inf, err := r.Info()
			if err != nil {
				t.Fatal(err)
			}
			if inf.TornTails != tt.torn || inf.SkippedBlocks != tt.broken {
				t.Errorf("info before repair: torn %d skipped %d, want %d and %d", inf.TornTails, inf.SkippedBlocks, tt.torn, tt.broken)
			}
			want := seq(0, 40) // the last block held 40..44
			if got := frameTimes(t, r); !equalInts(got, want) {
				t.Fatalf("frames %v, want %v", got, want)
			}
			var log logBuf
			w, err := record.OpenWriter(record.Options{Dir: dir, Logger: log.logger(), NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "truncated a torn tail") {
				t.Errorf("no warning; log: %s", log.String())
			}
			if fi, err := os.Stat(path); err != nil || fi.Size() != last.Off {
				t.Errorf("size after repair %v (%v), want %d", fi.Size(), err, last.Off)
			}
			for i := 45; i < 60; i++ {
				w.Sample(sample(float64(i)))
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			inf, _ = r.Info()
			if inf.TornTails != 0 || inf.SkippedBlocks != 0 || inf.Segments != 2 {
				t.Errorf("info after repair: %+v", inf)
			}
			if got, want := frameTimes(t, r), append(seq(0, 40), seq(45, 60)...); !equalInts(got, want) {
				t.Errorf("frames after repair %v, want %v", got, want)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func patch(path string, off int64, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteAt(b, off)
	return err
}

// TestCorruptBlock: a damaged block in the middle is skipped with the
// delta blocks that depend on it, up to the next keyframe; everything
// else stays readable, and At lands on the moment before the damage.
func TestCorruptBlock(t *testing.T) {
	defer record.SetKeyframeEvery(30 * time.Second)()
	tests := []struct {
		name  string
		where func(b record.Block) int64 // the byte to flip
	}{
		{"payload", func(b record.Block) int64 { return (b.Off + 44 + b.End) / 2 }},
		{"header", func(b record.Block) int64 { return b.Off + 13 }},
		{"magic", func(b record.Block) int64 { return b.Off }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			noTrends := func(*collector.Snapshot, func(string, float64)) {}
			writeSeconds(t, record.Options{Dir: dir, Series: noTrends}, 0, 120)
			path := onlySegment(t, dir)
			blocks, _ := record.Blocks(path)
			// Blocks of 10 s, a keyframe every 30 s: 0 10 20 | 30 40 50 | ...
			// Damage the block of 40..49.
			var victim record.Block
			for _, b := range blocks {
				if b.First.Equal(at(40)) {
					victim = b
				}
			}
			if victim.Keyframe || victim.Off == 0 {
				t.Fatalf("no delta block at 40 s: %+v", blocks)
			}
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			one := []byte{0}
			off := tt.where(victim)
			f.ReadAt(one, off)
			one[0] ^= 0x5a
			f.WriteAt(one, off)
			f.Close()

			r := openReader(t, dir)
			// 40..49 damaged, 50..59 depend on it; 39 is whole.
			if got, want := frameTimes(t, r), append(seq(0, 40), seq(60, 120)...); !equalInts(got, want) {
				t.Errorf("frames %v, want %v", got, want)
			}
			inf, _ := r.Info()
			if inf.SkippedBlocks != 1 || inf.TornTails != 0 {
				t.Errorf("info: skipped %d torn %d, want 1 and 0", inf.SkippedBlocks, inf.TornTails)
			}
			for _, tc := range []struct{ at, want int }{{45, 39}, {55, 39}, {60, 60}, {119, 119}, {39, 39}} {
				fr, err := r.At(at(float64(tc.at)))
				if err != nil {
					t.Fatal(err)
				}
				if got := int(fr.Snapshot.Time.Sub(t0) / time.Second); got != tc.want {
					t.Errorf("At(%d s) gives the frame at %d s, want %d", tc.at, got, tc.want)
				}
			}
		})
	}
}

// TestNewerVersion: a recording (or a single segment) of a newer format
// version is refused with a clear error by readers and writers alike.
func TestNewerVersion(t *testing.T) {
	dir := t.TempDir()
	writeSeconds(t, record.Options{Dir: dir}, 0, 5)
	path := onlySegment(t, dir)
	newer := record.Version + 1
	if err := patch(path, 8, []byte{byte(newer), 0}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, path} {
		_, err := record.Open(p)
		var ve *record.VersionError
		if !errorsAs(err, &ve) || ve.Version != newer || !errorsIs(err, record.ErrNewerVersion) ||
			!strings.Contains(err.Error(), fmt.Sprintf("version %d", newer)) || !strings.Contains(err.Error(), "newer virgo-top") {
			t.Errorf("Open(%s): %v, want a *VersionError for version %d", p, err, newer)
		}
	}
	if _, err := record.OpenWriter(record.Options{Dir: dir}); !errorsIs(err, record.ErrNewerVersion) {
		t.Errorf("OpenWriter: %v, want ErrNewerVersion", err)
	}
}

// TestNotARecording: clear errors for a directory that is not a
// recording and for a file that is not a segment.
func TestNotARecording(t *testing.T) {
	empty := t.TempDir()
	if _, err := record.Open(empty); !errorsIs(err, record.ErrNoRecording) {
		t.Errorf("empty dir: %v, want ErrNoRecording", err)
	}
	junk := t.TempDir()
	os.WriteFile(junk+"/20260101T000000.000000000Z.vtr", []byte("not a recording at all, just text\n"), 0o600)
	if _, err := record.Open(junk); !errorsIs(err, record.ErrNoRecording) {
		t.Errorf("dir of junk: %v, want ErrNoRecording", err)
	}
	if _, err := record.Open(junk + "/20260101T000000.000000000Z.vtr"); err == nil {
		t.Error("a text file opened as a segment")
	}
	if _, err := record.Open(junk + "/missing"); err == nil {
		t.Error("a missing path opened")
	}
}
