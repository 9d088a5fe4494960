//go:build linux

package record_test

import (
	"github.com/virgo-top/virgo-top/internal/fulldisk"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virgo-top/virgo-top/record"
)

// TestFullDisk: on a full disk recording pauses with one warning, the
// caller never waits, and it resumes (with a keyframe, so what follows
// decodes) when space returns.
func TestFullDisk(t *testing.T) {
	mnt := fulldisk.TB(t, "512k")
	dir := filepath.Join(mnt, "record")
	var log logBuf
	w, err := record.OpenWriter(record.Options{Dir: dir, Logger: log.logger()})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := 0; i < 20; i++ {
		w.Sample(sample(float64(i)))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	ballast := filepath.Join(mnt, "ballast")
	fulldisk.Fill(t, ballast)
	// The first blocks may still fit in the segment's last page; write
	// until a Flush fails, then some more.
	i, failures := 20, 0
	for round := 0; round < 50 && failures < 3; round++ {
		for k := 0; k < 20; k++ {
			w.Sample(sample(float64(i)))
			i++
		}
		if err := w.Flush(); err != nil {
			failures++
		} else if failures > 0 {
			t.Fatal("a Flush succeeded on a full disk after one failed")
		}
	}
	if failures == 0 {
		t.Fatal("no Flush failed on a full disk")
	}
	st := w.Stats()
	if !strings.Contains(st.Paused, "disk full") || st.LostBlocks == 0 {
		t.Errorf("stats on a full disk: %+v", st)
	}
	if n := strings.Count(log.String(), "recording is paused"); n != 1 {
		t.Errorf("%d warnings, want 1 (rate-limited); log:\n%s", n, log.String())
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	resumed := i + 100
	for i := resumed; i < resumed+20; i++ {
		w.Sample(sample(float64(i)))
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("after space returned: %v", err)
	}
	if st := w.Stats(); st.Paused != "" {
		t.Errorf("still paused: %+v", st)
	}
	if !strings.Contains(log.String(), "recording resumed") {
		t.Errorf("no resume logged:\n%s", log.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := openReader(t, dir)
	got := frameTimes(t, r)
	// A contiguous start (at least what was flushed before the disk
	// filled), then what came after space returned.
	n := len(got) - 20
	if n < 20 || !equalInts(got, append(seq(0, n), seq(resumed, resumed+20)...)) {
		t.Errorf("frames %v, want 0..N (N >= 19) and %d..%d", got, resumed, resumed+19)
	}
	t.Logf("%d frames before the disk filled, %d blocks lost", n, w.Stats().LostBlocks)
	if inf, _ := r.Info(); inf.SkippedBlocks != 0 || inf.TornTails != 0 {
		t.Errorf("damage after a full disk: %+v", inf)
	}
}
