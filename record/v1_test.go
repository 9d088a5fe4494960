package record_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// testdata/v1 is a recording of format version 1, written by the code of
// that version (bench/recgen: 11 minutes of a 50-process host at 5 s, a
// burner episode, two segments); v1.frames.sha256 and v1.last-frame.json
// are the frames that code read from it (TZ=UTC).

// v1Frame is record.Frame as version 1 had it, so that its JSON is the
// JSON those files hold (a Frame field added since is not in them).
type v1Frame struct {
	Snapshot    *collector.Snapshot
	ProcessTime time.Time
	Checks      []record.CheckResult
	Alarms      []record.AlarmTransition
	Links       []record.LinkEvent
	NewChecks   []record.CheckResult
	Transitions []record.AlarmTransition
	LinkEvents  []record.LinkEvent
}

// asV1 is f in UTC (times come back in Local), as version 1's frame.
func asV1(f *record.Frame) v1Frame {
	s := utc(f.Snapshot)
	checks := func(cs []record.CheckResult) []record.CheckResult {
		if cs == nil {
			return nil
		}
		out := make([]record.CheckResult, len(cs))
		for i, c := range cs {
			c.Time = c.Time.UTC()
			out[i] = c
		}
		return out
	}
	alarms := func(as []record.AlarmTransition) []record.AlarmTransition {
		if as == nil {
			return nil
		}
		out := make([]record.AlarmTransition, len(as))
		for i, a := range as {
			a.Time = a.Time.UTC()
			out[i] = a
		}
		return out
	}
	links := func(ls []record.LinkEvent) []record.LinkEvent {
		if ls == nil {
			return nil
		}
		out := make([]record.LinkEvent, len(ls))
		for i, l := range ls {
			l.Time = l.Time.UTC()
			out[i] = l
		}
		return out
	}
	pt := f.ProcessTime
	if !pt.IsZero() {
		pt = pt.UTC()
	}
	return v1Frame{Snapshot: s, ProcessTime: pt, Checks: checks(f.Checks), Alarms: alarms(f.Alarms), Links: links(f.Links),
		NewChecks: checks(f.NewChecks), Transitions: alarms(f.Transitions), LinkEvents: links(f.LinkEvents)}
}

func frameHash(t *testing.T, f *record.Frame) string {
	t.Helper()
	b, err := json.Marshal(asV1(f))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// v1Golden reads v1.frames.sha256: the time and hash of every frame.
func v1Golden(t *testing.T) (times []string, hashes []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "v1.frames.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		tm, h, _ := strings.Cut(sc.Text(), " ")
		times, hashes = append(times, tm), append(hashes, h)
	}
	return times, hashes
}

// TestReadsVersion1: a version 1 recording opens, says it is version 1,
// and replays frame for frame as version 1 read it: Range, At, the
// transitions, and no data of version 2 (pressure, cgroups, sensors).
func TestReadsVersion1(t *testing.T) {
	r := openReader(t, filepath.Join("testdata", "v1"))
	inf, err := r.Info()
	if err != nil {
		t.Fatal(err)
	}
	if inf.Version != 1 || inf.Samples != 133 || inf.SkippedBlocks != 0 || inf.TornTails != 0 || inf.Segments != 2 {
		t.Fatalf("info %+v", inf)
	}
	times, hashes := v1Golden(t)
	all := frames(t, r, time.Unix(0, 0), time.Unix(0, math.MaxInt64))
	if len(all) != len(hashes) {
		t.Fatalf("%d frames, version 1 read %d", len(all), len(hashes))
	}
	for i, f := range all {
		if got := f.Time().UTC().Format(time.RFC3339Nano); got != times[i] {
			t.Fatalf("frame %d at %s, want %s", i, got, times[i])
		}
		if got := frameHash(t, f); got != hashes[i] {
			t.Errorf("frame %d (%s) differs from what version 1 read", i, times[i])
		}
		s := f.Snapshot
		if s.Pressure != nil || s.Cgroups != nil || s.Sensors != nil || s.Batteries != nil || !f.CgroupTime.IsZero() {
			t.Errorf("frame %d has version 2 data", i)
		}
	}
	// At lands on the same frames, from any keyframe.
	for _, i := range []int{0, 1, 59, 60, 61, 71, len(all) - 1} {
		f, err := r.At(all[i].Time().Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if frameHash(t, f) != hashes[i] {
			t.Errorf("At(frame %d + 1 s) differs from what version 1 read", i)
		}
	}
	last, err := json.MarshalIndent(asV1(all[len(all)-1]), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "v1.last-frame.json"))
	if err != nil {
		t.Fatal(err)
	}
	gl, wl := strings.Split(string(last)+"\n", "\n"), strings.Split(string(want), "\n")
	for i := range max(len(gl), len(wl)) {
		if i >= len(gl) || i >= len(wl) || gl[i] != wl[i] {
			t.Errorf("last frame differs from v1.last-frame.json at line %d", i+1)
			break
		}
	}
	tr, err := r.PrevTransition(all[len(all)-1].Time().Add(time.Second))
	if err != nil || tr.CheckID != "chCPU" {
		t.Errorf("PrevTransition: %+v, %v", tr, err)
	}
}

// TestAppendsToVersion1: a writer opened on a version 1 recording (an
// upgraded daemon) starts a version 2 segment beside the old ones, and a
// reader replays across both.
func TestAppendsToVersion1(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "v1")
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	end := time.Date(2026, 3, 2, 1, 6, 0, 0, time.UTC)
	w := openWriter(t, record.Options{Dir: dir, MaxAge: 365 * 24 * time.Hour})
	h := recordtest.New(recordtest.Config{Start: end, Processes: 50, Seed: 9})
	if _, err := recordtest.Write(w, h, end.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	if inf, err := r.Info(); err != nil || inf.Version != record.Version || inf.Samples != 133+12 || inf.Segments != 3 {
		t.Fatalf("info %+v, %v", inf, err)
	}
	_, hashes := v1Golden(t)
	all := frames(t, r, time.Unix(0, 0), time.Unix(0, math.MaxInt64))
	if len(all) != 133+12 {
		t.Fatalf("%d frames, want 145", len(all))
	}
	for i := range hashes {
		if frameHash(t, all[i]) != hashes[i] {
			t.Errorf("frame %d of the version 1 segments differs", i)
		}
	}
	if f := all[len(all)-1]; f.Snapshot.Pressure == nil || len(f.Snapshot.Cgroups) == 0 {
		t.Error("the version 2 segment's frames lack pressure or cgroups")
	}
}

// TestVersion1DataUnchanged: what version 1 recorded is encoded as version
// 1 encoded it. The synthetic host that bench/recgen wrote testdata/v1
// from, without the data of version 2, recorded by this writer, gives the
// same blocks byte for byte (the segment headers differ in their version
// and checksum only) and so the same frames.
func TestVersion1DataUnchanged(t *testing.T) {
	// bench/recgen --days 0.0076388889 --procs 50 --cores 2 --seed 3
	// --end 2026-03-02T01:06:00Z --burn-ago 6m --burn-for 2m
	end := time.Date(2026, 3, 2, 1, 6, 0, 0, time.UTC)
	interval := 5 * time.Second
	span := time.Duration(0.0076388889 * float64(24*time.Hour))
	start := end.Add(-span).Truncate(interval)
	cfg := recordtest.Config{Start: start, Interval: interval, Processes: 50, Cores: 2, Seed: 3,
		BurnAt: span - 6*time.Minute, BurnFor: 2 * time.Minute, Version1: true}
	dir := t.TempDir()
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true, MaxAge: span + 24*time.Hour, MaxBytes: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recordtest.Write(w, recordtest.New(cfg), end); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"20260302T005500.000000000Z.vtr", "20260302T010000.000000000Z.vtr"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", "v1", name))
		if err != nil {
			t.Fatal(err)
		}
		gb, err1 := record.Blocks(filepath.Join(dir, name))
		wb, err2 := record.Blocks(filepath.Join("testdata", "v1", name))
		if err1 != nil || err2 != nil || len(gb) != len(wb) || len(gb) == 0 {
			t.Fatalf("%s: %d blocks (%v), version 1 wrote %d (%v)", name, len(gb), err1, len(wb), err2)
		}
		// The blocks start after the header, which is as long in both.
		if g, w := got[gb[0].Off:], want[wb[0].Off:]; gb[0].Off != wb[0].Off || string(g) != string(w) {
			t.Errorf("%s: the blocks differ from version 1's", name)
		}
	}
	_, hashes := v1Golden(t)
	all := frames(t, openReader(t, dir), time.Unix(0, 0), time.Unix(0, math.MaxInt64))
	if len(all) != len(hashes) {
		t.Fatalf("%d frames, want %d", len(all), len(hashes))
	}
	for i, f := range all {
		if frameHash(t, f) != hashes[i] {
			t.Errorf("frame %d differs from version 1's", i)
		}
	}
}
