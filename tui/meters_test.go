package tui

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
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

func sensorSnap() *collector.Snapshot {
	s := testSnapshot(3)
	s.Pressure = &collector.Pressure{
		CPU:    collector.PSI{SomeAvg10: 48.7, FullAvg10: 0, HasFull: true},
		Memory: collector.PSI{SomeAvg10: 0.3, FullAvg10: 0.1, HasFull: true},
		IO:     collector.PSI{SomeAvg10: 6.1, FullAvg10: 4.2, HasFull: true},
	}
	s.Sensors = []collector.Sensor{
		{Chip: "coretemp", Label: "Core 0", TempC: 61, HighC: 80, CritC: 100},
		{Chip: "coretemp", Label: "Package id 0", TempC: 64, HighC: 80, CritC: 100},
		{Chip: "nvme", Label: "Composite", TempC: 71.6, HighC: 70, CritC: 85},
		{Chip: "acpitz", Label: "temp1", TempC: 27.8},
		{Chip: "amdgpu", Label: "edge", TempC: 101, HighC: 90, CritC: 100},
		{Chip: "iwlwifi_1", Label: "temp1", TempC: math.NaN()},
	}
	s.Batteries = []collector.Battery{
		{Name: "BAT0", Percent: 87.4, Status: "Discharging", PowerW: 12.34},
		{Name: "BAT1", Percent: 8, Status: "Unknown"},
	}
	return s
}

func newTestMeters(snap *collector.Snapshot, w, h int) *metersView {
	m := newMetersView(testCommon(snap))
	m.SetSize(w, h)
	return m
}

func TestMetersGoldens(t *testing.T) {
	noCPUFull := sensorSnap()
	noCPUFull.Pressure.CPU.HasFull = false
	noPSI := sensorSnap()
	noPSI.Pressure = nil
	for _, w := range []int{80, 120, 200} {
		var b strings.Builder
		for _, snap := range []*collector.Snapshot{sensorSnap(), noCPUFull, noPSI} {
			m := newTestMeters(snap, w, 3)
			b.WriteString(ansi.Strip(m.View()) + "\n")
		}
		checkGolden(t, "meters_"+strconv.Itoa(w), b.String())
	}
}

func TestMetersAbsentHardware(t *testing.T) {
	snap := testSnapshot(3) // no PSI, no sensors, no battery
	m := newTestMeters(snap, 80, 3)
	if m.Height() != 1 {
		t.Errorf("height %d, want 1 (the PSI note)", m.Height())
	}
	if got := ansi.Strip(m.View()); strings.TrimSpace(got) != "PSI: not available on this kernel" {
		t.Errorf("view %q", got)
	}
	snap.Sensors = []collector.Sensor{{Chip: "x", TempC: math.NaN()}} // nothing readable
	if m.Height() != 1 || m.tempLine(80) != "" {
		t.Errorf("unreadable sensors drawn: %q", m.tempLine(80))
	}
	if newTestMeters(nil, 80, 3).Height() != 0 || newTestMeters(nil, 80, 3).View() != "" {
		t.Error("drawn before the first sample")
	}
	if full := newTestMeters(sensorSnap(), 80, 3); full.Height() != 3 {
		t.Errorf("all hardware: height %d", full.Height())
	}
	if low := newTestMeters(sensorSnap(), 80, 2); low.Height() != 2 || len(strings.Split(low.View(), "\n")) != 2 {
		t.Errorf("two lines allowed: height %d", low.Height())
	}
}

func TestMetersPSINotes(t *testing.T) {
	mac := testSnapshot(3)
	mac.Host.OS = "darwin"
	failed := testSnapshot(3)
	failed.Errors = map[string]string{sourcePressure: "read /proc/pressure/cpu:\noperation not supported"}
	for _, tt := range []struct {
		snap  *collector.Snapshot
		frame bool
		want  string
	}{
		{testSnapshot(3), false, "PSI: not available on this kernel"},
		{mac, false, "PSI: Linux only"},
		{failed, false, "PSI: read /proc/pressure/cpu: operation not supported"},
		{testSnapshot(3), true, "PSI: not recorded at this moment"},
	} {
		m := newTestMeters(tt.snap, 80, 3)
		if tt.frame {
			m.c.frame = &record.Frame{Snapshot: tt.snap}
		}
		if got := strings.TrimSpace(ansi.Strip(m.View())); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

// The hottest chip comes first and is coloured against its marks.
func TestMetersTemperatureColours(t *testing.T) {
	c := testCommon(sensorSnap())
	c.styles = newStyles(colourRenderer(termenv.ANSI256))
	m := newMetersView(c)
	line := m.tempLine(200)
	if !strings.HasPrefix(ansi.Strip(line), "Temp amdgpu 101°C nvme 72°C coretemp 64°C acpitz 28°C") {
		t.Errorf("order: %q", ansi.Strip(line))
	}
	if !strings.Contains(line, c.styles.StateCrit.Render("101°C")) || !strings.Contains(line, c.styles.StateWarn.Render("72°C")) ||
		!strings.Contains(line, c.styles.Value.Render("64°C")) {
		t.Errorf("colours: %q", line)
	}
}

func TestMetersFitEverySize(t *testing.T) {
	hostile := sensorSnap()
	hostile.Sensors = append(hostile.Sensors, collector.Sensor{Chip: "\x1b[2J" + strings.Repeat("c", 300), TempC: math.Inf(1)},
		collector.Sensor{Chip: strings.Repeat("d", 300), TempC: 1e300})
	hostile.Batteries = append(hostile.Batteries, collector.Battery{Name: "\x07", Percent: math.NaN(), PowerW: math.Inf(1), Status: "\x1b]0;x"})
	for _, snap := range []*collector.Snapshot{testSnapshot(3), sensorSnap(), hostile} {
		for _, w := range []int{0, 1, 2, 5, 10, 20, 40, 60, 80, 120, 200, 300} {
			for h := 0; h <= 4; h++ {
				m := newTestMeters(snap, w, h)
				v := m.View()
				if m.Height() == 0 || w == 0 {
					if strings.TrimSpace(v) != "" {
						t.Errorf("%dx%d: drew %q with height 0", w, h, v)
					}
					continue
				}
				checkComponentFits(t, "meters", v, w, m.Height())
			}
		}
	}
}
