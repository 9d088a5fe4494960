package tui

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

// BenchmarkView is one full frame at 200x50 with 1,000 processes.
func BenchmarkView(b *testing.B) {
	m := newTestModel(b, 200, 50, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(m.View()) == 0 {
			b.Fatal("empty view")
		}
	}
}

// BenchmarkSnapshot is applying one sample of 1,000 processes (filter,
// sort, trend refresh), what the console does once per interval.
func BenchmarkSnapshot(b *testing.B) {
	m := newTestModel(b, 200, 50, 1000)
	snap := testSnapshot(1000)
	msg := SnapshotMsg{Snap: snap}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m = step(m, msg)
	}
}

func FuzzFit(f *testing.F) {
	for _, s := range []string{"", "abc", "日本語テキスト", "\x1b[31mred\x1b[0m tail", "tab\there", "e\u0301", "🙂🙂🙂"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, w int) {
		w = w % 300
		got := fit(clean(s), w)
		if w <= 0 {
			if got != "" {
				t.Fatalf("fit(%q, %d) = %q", s, w, got)
			}
			return
		}
		if gw := ansiWidth(got); gw != w {
			t.Fatalf("fit(%q, %d) is %d wide: %q", s, w, gw, got)
		}
		if strings.ContainsAny(got, "\n\r") {
			t.Fatalf("fit(%q) kept a line break", s)
		}
	})
}

func FuzzFilterInput(f *testing.F) {
	f.Add("nginx", 3)
	f.Add("\x00\x1b[2J", 0)
	f.Add("日本", 9)
	f.Fuzz(func(t *testing.T, s string, moves int) {
		m := press(smallModel(t), "/")
		m = typeText(m, s)
		for i := 0; i < moves%20; i++ {
			m = press(m, []string{"left", "backspace", "right", "home", "end"}[i%5])
		}
		checkFits(t, "fuzz filter", m, 120, 40)
	})
}

// BenchmarkSampleFrame is a new sample plus the frame that shows it (trend
// graphs redrawn), at 200x50 with 1,000 processes, in 256 colours.
func BenchmarkSampleFrame(b *testing.B) {
	m := newModel(Options{History: fakeHistory{}, Now: fixedNow}, colourRenderer(termenv.ANSI256))
	m = step(m, sizeMsg(200, 50))
	m = step(m, ChecksMsg{Rows: criticalChecks()})
	msg := SnapshotMsg{Snap: testSnapshot(1000)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m = step(m, msg)
		if len(m.View()) == 0 {
			b.Fatal("empty view")
		}
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		vals []float64
		w    int
		want string
	}{
		{nil, 3, "   "},
		{[]float64{0, 0}, 2, "▁▁"},
		{[]float64{0, 1, 2, 3, 4, 5, 6, 7}, 8, "▁▂▃▄▅▆▇█"},
		{[]float64{1, 7}, 4, "  ▂█"},
		{[]float64{5, 10, 20}, 2, "▅█"},
		{[]float64{-3, 0, math.NaN(), math.Inf(1)}, 4, "▁▁▁▁"},
		{[]float64{1, 2}, 0, ""},
	}
	for _, tt := range tests {
		if got := sparkline(tt.vals, tt.w); got != tt.want {
			t.Errorf("sparkline(%v, %d) = %q, want %q", tt.vals, tt.w, got, tt.want)
		}
	}
	if got := sparklineScaled([]float64{0, 50, 100, 150}, 4, 100); got != "▁▅██" {
		t.Errorf("scaled = %q", got)
	}
}

func TestHumanFormats(t *testing.T) {
	bytes := map[float64]string{0: "0B", 1023: "1023B", 1024: "1.0K", 1536: "1.5K", 100 << 20: "100M", 3 << 30: "3.0G", -5: "0B"}
	for in, want := range bytes {
		if got := humanBytes(in); got != want {
			t.Errorf("humanBytes(%v) = %q, want %q", in, got, want)
		}
	}
	durs := map[time.Duration]string{500 * time.Millisecond: "500ms", 45 * time.Second: "45s", 12 * time.Minute: "12m",
		90 * time.Second: "1m30s", 3*time.Hour + 4*time.Minute: "3h4m", 50 * time.Hour: "2d2h", -time.Second: "0ms"}
	for in, want := range durs {
		if got := humanDuration(in); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", in, got, want)
		}
	}
	times := map[float64]string{0: "0:00.00", 61.5: "1:01.50", 3725: "1:02:05", -1: "0:00.00"}
	for in, want := range times {
		if got := cpuTime(in); got != want {
			t.Errorf("cpuTime(%v) = %q, want %q", in, got, want)
		}
	}
	if got := uptime(3*86400 + 4*3600 + 12*60 + 59); got != "3d 4h 12m" {
		t.Errorf("uptime = %q", got)
	}
	if got := clean("a\x1b[2Jb\tc\xff"); got != "a?[2Jb?c?" {
		t.Errorf("clean = %q", got)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ascii", "nginx: worker", "nginx: worker"},
		{"C0 escape", "a\x1b[2Jb", "a?[2Jb"},
		{"DEL", "a\x7fb", "a?b"},
		{"C1 CSI (U+009B)", "a\u009b2Jb", "a?2Jb"},
		{"invalid UTF-8", "a\xffb", "a?b"},
		{"right-to-left override", "\u202eexe.live", "?exe.live"},
		{"bidi isolate", "a\u2066b\u2069", "a?b?"},
		{"zero-width space", "a\u200bb", "a?b"},
		{"prepend mark (found by FuzzFit)", "000\u0602", "000?"},
		{"prepend letter", "x\u0d4e", "x?"},
		{"joiners kept", "a\u200db\u200cc", "a\u200db\u200cc"},
		{"latin and CJK kept", "café 日本", "café 日本"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("%s: clean(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// replayBenchReader is a 6-hour synthetic recording (5 s samples, 300
// processes), written once per benchmark binary run.
func replayBenchReader(b *testing.B) *record.Reader {
	b.Helper()
	dir := b.TempDir()
	end := testNow
	w, err := record.OpenWriter(record.Options{Dir: dir, NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := recordtest.Write(w, recordtest.New(recordtest.Config{Start: end.Add(-6 * time.Hour), Seed: 3}), end); err != nil {
		b.Fatal(err)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	r, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkReplayStep is one [ in replay: the seek of the frame before
// (shown as soon as it is read), then the read of the live trend window of
// 200 samples that ends at it (the graphs follow).
func BenchmarkReplayStep(b *testing.B) {
	r := replayBenchReader(b)
	_, end, _ := r.Span()
	b.Run("seek", func(b *testing.B) {
		t := end
		for i := 0; i < b.N; i++ {
			msg := runSeek(r, seekStart{base: t}, []seekOp{{kind: seekStep, n: -1}}, time.UTC)
			if msg.frame == nil {
				t = end
				continue
			}
			t = msg.frame.Time()
		}
	})
	for _, w := range []trendWindow{windowLive, windowHour, windowDay} {
		b.Run("trends "+w.label(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := readTrends(r, end.Add(-time.Duration(i%100)*time.Minute), w, 200, 5*time.Second); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
