package tui

import (
	"strings"
	"testing"
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
