package tui

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestMeterBar(t *testing.T) {
	tests := []struct {
		name  string
		label string
		pct   float64
		width int
		want  string
	}{
		{"htop", "CPU", 42.1, 24, "CPU[||||||||      42.1%]"},
		{"zero", "Mem", 0, 16, "Mem[       0.0%]"},
		{"full", "Mem", 100, 16, "Mem[|||||100.0%]"},
		{"clamp high", "Swp", 250, 16, "Swp[|||||100.0%]"},
		{"clamp low", "Swp", -5, 16, "Swp[       0.0%]"},
		{"nan", "io", math.NaN(), 12, "io[       -]"},
		{"+inf", "io", math.Inf(1), 12, "io[||100.0%]"},
		{"-inf", "io", math.Inf(-1), 12, "io[    0.0%]"},
		{"bars under the number are hidden", "C", 90, 12, "C[||||90.0%]"},
		{"no room for the number", "CPU", 50, 8, "CPU[|| ]"},
		{"no room for the label", "CPU", 50, 4, "[| ]"},
		{"three cells", "CPU", 100, 3, "[|]"},
		{"two cells", "CPU", 100, 2, "C…"},
		{"one cell", "CPU", 100, 1, "…"},
		{"zero width", "CPU", 50, 0, ""},
		{"negative width", "CPU", 50, -3, ""},
		{"empty label", "", 50, 10, "[|||50.0%]"},
		{"control chars in label", "a\x1bb", 0, 13, "a?b[    0.0%]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := meterBar(tt.label, tt.pct, tt.width)
			if got != tt.want {
				t.Errorf("meterBar(%q, %v, %d) = %q, want %q", tt.label, tt.pct, tt.width, got, tt.want)
			}
			if w := max(tt.width, 0); ansi.StringWidth(got) != w {
				t.Errorf("width %d, want %d", ansi.StringWidth(got), w)
			}
		})
	}
}

// The coloured meter is the plain one plus escape codes, its filled part
// in the level's colour, and every width is exact.
func TestMeterBarColoured(t *testing.T) {
	s := newStyles(colourRenderer(termenv.ANSI256))
	for _, p := range []float64{0, 10, 59.9, 60, 84.9, 85, 100, math.NaN()} {
		for w := 0; w <= 30; w++ {
			got := s.meterBar("CPU", p, w)
			if plain := meterBar("CPU", p, w); ansi.Strip(got) != plain {
				t.Fatalf("pct %v width %d: coloured %q, plain %q", p, w, ansi.Strip(got), plain)
			}
			if ansi.StringWidth(got) != w {
				t.Fatalf("pct %v width %d: %d cells", p, w, ansi.StringWidth(got))
			}
		}
	}
	if got := s.meterBar("CPU", 90, 24); !strings.Contains(got, s.BarHigh.Render("|")[:len(s.BarHigh.pre)]) {
		t.Errorf("90%% not drawn in the high colour: %q", got)
	}
}
