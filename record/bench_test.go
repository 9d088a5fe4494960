package record_test

import (
	"compress/flate"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// The figures the issue asks for (make bench-go; BENCHMARKS.md):
//   - bytes per sample and MB per day at 5 s samples with 300 processes;
//   - encode CPU per sample (and with the write, without fsync);
//   - the writer's heap;
//   - seek, trend load, last-hour read and `!` on a 7-day recording.
// Nothing here is asserted: they are measured.

const day = 24 * time.Hour

// feed runs a synthetic host through a synchronous writer for b.N samples
// (the host's own work is not timed) and reports the bytes.
func feed(b *testing.B, cfg recordtest.Config, discard bool) {
	b.Helper()
	w, err := record.NewSyncWriter(record.Options{Dir: b.TempDir(), NoSync: true}, discard)
	if err != nil {
		b.Fatal(err)
	}
	h := recordtest.New(cfg)
	// One hour first, so that b.N = 1 is not all first keyframe.
	for i := 0; i < int(time.Hour/cfg.Interval); i++ {
		step(w, h.Next())
	}
	before := w.Stats().Bytes
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := h.Next()
		b.StartTimer()
		step(w, st)
	}
	b.StopTimer()
	w.Close()
	bytes := float64(w.Stats().Bytes - before)
	b.ReportMetric(bytes/float64(b.N), "B/sample")
	b.ReportMetric(bytes/float64(b.N)*float64(day/cfg.Interval)/1e6, "MB/day")
}

func step(w *record.SyncWriter, st recordtest.Step) {
	w.Sample(st.Snapshot)
	for _, c := range st.Checks {
		w.Check(c)
	}
	for _, a := range st.Alarms {
		w.Alarm(a)
	}
	for _, l := range st.Links {
		w.Link(l)
	}
}

// BenchmarkEncode: the writer goroutine's work per sample at 5 s with 300
// processes (a process table each sample), without and with the write
// (no fsync: that is the disk's, once per block).
func BenchmarkEncode(b *testing.B) {
	cfg := recordtest.Config{Seed: 7, Interval: 5 * time.Second}
	b.Run("encode", func(b *testing.B) { feed(b, cfg, true) })
	b.Run("encode+write", func(b *testing.B) { feed(b, cfg, false) })
	// The same host without what format version 2 added (pressure, 28
	// cgroups, sensors, per-process I/O and cgroups): what version 1 wrote.
	b.Run("version1-data/encode", func(b *testing.B) {
		feed(b, recordtest.Config{Seed: 7, Interval: 5 * time.Second, Version1: true}, true)
	})
	// The console's 1 s samples: host figures every sample, the table every 5 s.
	b.Run("1s-samples/encode", func(b *testing.B) { feed(b, recordtest.Config{Seed: 7, Interval: time.Second}, true) })
}

// BenchmarkFlateLevel: bytes per sample and encode time at each level,
// and what flate.NewWriter allocates at that level (the encoder's memory).
func BenchmarkFlateLevel(b *testing.B) {
	cfg := recordtest.Config{Seed: 7, Interval: 5 * time.Second}
	for _, l := range []struct {
		name  string
		level int
	}{{"stored", flate.NoCompression}, {"huffman", flate.HuffmanOnly}, {"1-speed", 1}, {"2", 2}, {"3", 3}, {"4", 4}, {"5", 5}, {"6-default", 6}, {"9-best", 9}} {
		b.Run(l.name, func(b *testing.B) {
			defer record.SetFlateLevel(l.level)()
			var ms1, ms2 runtime.MemStats
			runtime.ReadMemStats(&ms1)
			fw, _ := flate.NewWriter(io.Discard, l.level)
			runtime.ReadMemStats(&ms2)
			runtime.KeepAlive(fw)
			feed(b, cfg, true)
			b.ReportMetric(float64(ms2.TotalAlloc-ms1.TotalAlloc)/1024, "encoder-KiB")
		})
	}
}

// BenchmarkKeyframeEvery: the size cost of keyframes against the seek
// cost of decoding from one (a 6 h recording).
func BenchmarkKeyframeEvery(b *testing.B) {
	for _, every := range []time.Duration{0, time.Minute, 5 * time.Minute, 10 * time.Minute} {
		name := "every-block"
		if every > 0 {
			name = every.String()
		}
		b.Run(name, func(b *testing.B) {
			defer record.SetKeyframeEvery(every)()
			dir := b.TempDir()
			w, err := record.NewSyncWriter(record.Options{Dir: dir, NoSync: true}, false)
			if err != nil {
				b.Fatal(err)
			}
			h := recordtest.New(recordtest.Config{Seed: 7})
			start := h.Now()
			n := int(6 * time.Hour / (5 * time.Second))
			for i := 0; i < n; i++ {
				step(w, h.Next())
			}
			w.Close()
			r, err := record.Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				// After the first sample (at +5 s).
				if _, err := r.At(start.Add(5*time.Second + time.Duration(rng.Int64N(int64(6*time.Hour-5*time.Second))))); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(w.Stats().Bytes)/float64(n), "B/sample")
		})
	}
}

// BenchmarkWriterMemory: the heap a Writer keeps (encoder state, block
// buffers, flate encoder) after an hour of samples at 5 s, 300 processes.
func BenchmarkWriterMemory(b *testing.B) {
	defer record.SetQueue(256, 32)() // the production bounds (TestMain raises them)
	for i := 0; i < b.N; i++ {
		h := recordtest.New(recordtest.Config{Seed: 7})
		// The host's own memory settles first.
		for j := 0; j < 100; j++ {
			h.Next()
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w, err := record.OpenWriter(record.Options{Dir: b.TempDir(), NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := recordtest.Write(w, h, h.Now().Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "heap-KiB")
		w.Close()
	}
}

var (
	weekOnce  sync.Once
	weekDir   string
	weekStart time.Time
	weekEnd   time.Time
	weekErr   error
)

// week returns a synthesised 7-day recording at 5 s with 300 processes
// (RECORD_BENCH_DIR reuses one made by `go run ./bench/recgen`).
func week(b *testing.B) (string, time.Time, time.Time) {
	b.Helper()
	weekOnce.Do(func() {
		if d := os.Getenv("RECORD_BENCH_DIR"); d != "" {
			r, err := record.Open(d)
			if err != nil {
				weekErr = err
				return
			}
			weekDir = d
			weekStart, weekEnd, weekErr = r.Span()
			return
		}
		weekDir, weekErr = os.MkdirTemp("", "record-week-")
		if weekErr != nil {
			return
		}
		w, err := record.NewSyncWriter(record.Options{Dir: weekDir, NoSync: true}, false)
		if err != nil {
			weekErr = err
			return
		}
		h := recordtest.New(recordtest.Config{Seed: 7, BurnAt: 6*day + 3*time.Hour, BurnFor: 10 * time.Minute})
		from := h.Now()
		for h.Now().Before(from.Add(7 * day)) {
			st := h.Next()
			if weekStart.IsZero() {
				weekStart = st.Snapshot.Time
			}
			step(w, st)
		}
		weekEnd = h.Now()
		w.Close()
	})
	if weekErr != nil {
		b.Fatal(weekErr)
	}
	return weekDir, weekStart, weekEnd
}

// BenchmarkSeek7d: At at a random moment of a 7-day recording (the
// console's `g` and `[`/`]` keys; a fresh Reader each time, as `replay`
// starts).
func BenchmarkSeek7d(b *testing.B) {
	dir, start, end := week(b)
	r, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	span := int64(end.Sub(start))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := r.At(start.Add(time.Duration(rng.Int64N(span))))
		if err != nil || len(f.Snapshot.Processes) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrends24h: the last 24 h of per-minute trend points of every
// series from a 7-day recording (the console's start).
func BenchmarkTrends24h(b *testing.B) {
	dir, _, end := week(b)
	r, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = 0
		if err := r.Trends(end.Add(-day), end, func(string, record.Point) { n++ }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "points")
}

// BenchmarkRangeLastHour: every frame of the last hour (720 at 5 s), with
// the peak heap while streaming.
func BenchmarkRangeLastHour(b *testing.B) { benchRange(b, time.Hour) }

// BenchmarkRangeLastDay: the same over a day: the peak heap must not grow
// with the span (streamed reads).
func BenchmarkRangeLastDay(b *testing.B) { benchRange(b, day) }

func benchRange(b *testing.B, span time.Duration) {
	dir, _, end := week(b)
	r, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		if err := r.Range(end.Add(-span), end, func(f *record.Frame) error {
			n++
			if n%500 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "frames")
	}
	b.StopTimer()
	if peak > base {
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkPrevTransition: `!` from the end of a 7-day recording, and on
// through every transition to the first.
func BenchmarkPrevTransition(b *testing.B) {
	dir, _, end := week(b)
	r, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.PrevTransition(end); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInfo7d: `record info` on a 7-day recording (reads every byte
// once to check the checksums).
func BenchmarkInfo7d(b *testing.B) {
	dir, _, _ := week(b)
	r, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var inf record.Info
	for i := 0; i < b.N; i++ {
		if inf, err = r.Info(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(inf.Bytes)/1e6, "MB")
	b.ReportMetric(inf.BytesPerSample, "B/sample")
}
