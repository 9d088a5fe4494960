package tui

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/virgo-top/virgo-top/collector"
)

// clipText is plain text s in exactly w cells: padded, or cut with an
// ellipsis so that a reader sees something is missing.
func clipText(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return fit(s, w)
}

// meterBar draws an htop-style meter exactly width cells wide:
//
//	CPU[|||||||      42.1%]
//
// pct is clamped to 0..100; NaN draws no bar and "-" as the value. The bar
// is uncoloured; (*styles).meterBar colours it by level.
func meterBar(label string, pct float64, width int) string {
	var s *styles
	return s.meterBar(label, pct, width)
}

// meterBar is the package meterBar coloured by level (green, yellow, red)
// through s; a nil s draws it without colour.
func (s *styles) meterBar(label string, pct float64, w int) string {
	if w <= 0 {
		return ""
	}
	label = clean(label)
	nan := math.IsNaN(pct)
	switch {
	case nan, pct < 0:
		pct = 0
	case pct > 100:
		pct = 100
	}
	text := "-"
	if !nan {
		text = strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
	inner := w - width(label) - 2
	if inner < 1 {
		// No room for the label: the bracketed bar alone, else the label cut.
		if w < 3 {
			return fit(ansi.Truncate(label, w, "…"), w)
		}
		label, inner = "", w-2
	}
	if width(text) > inner {
		text = "" // a bar without its number rather than a cut number
	}
	full := int(math.Round(pct / 100 * float64(inner)))
	textAt := inner - width(text)
	bars := min(full, textAt)
	lab, lev, val := style{}, style{}, style{}
	if s != nil {
		lab, lev, val = s.Label, s.barStyle(pct), s.Value
	}
	var b strings.Builder
	b.Grow(w + 32)
	b.WriteString(lab.Render(label))
	b.WriteByte('[')
	b.WriteString(lev.Render(strings.Repeat("|", bars)))
	b.WriteString(spaces(textAt - bars))
	b.WriteString(val.Render(text))
	b.WriteByte(']')
	return b.String()
}

// sourcePressure is the Snapshot.Errors key of the PSI source.
const sourcePressure = "pressure"

// metersView is the compact one-line meters of the shown snapshot for the
// header or the CPU panel: pressure stall (PSI) "some" and "full" avg10
// for cpu, memory and io; the hottest temperature of each chip; the
// batteries. The PSI line is always there (a note where the kernel has no
// PSI); temperatures and batteries only where the hardware is: absent, they
// take no line at all (Height counts the lines View draws).
type metersView struct {
	c    *common
	w, h int
}

func newMetersView(c *common) *metersView { return &metersView{c: c} }

// SetSize sets the width of every line and the most lines to draw.
func (m *metersView) SetSize(w, h int) { m.w, m.h = w, h }

// Height is how many lines View draws: the PSI line, a temperature line
// with sensors, a battery line with batteries; 0 before the first sample.
// The root sizes its header with it.
func (m *metersView) Height() int { return min(len(m.lineSet()), max(m.h, 0)) }

// View draws Height lines of exactly w cells.
func (m *metersView) View() string {
	lines := m.lineSet()
	lines = lines[:min(len(lines), max(m.h, 0))]
	for i, l := range lines {
		lines[i] = fit(l, m.w)
	}
	return strings.Join(lines, "\n")
}

func (m *metersView) lineSet() []string {
	if m.c.snap == nil || m.w <= 0 {
		return nil
	}
	out := []string{m.psiLine(m.w)}
	if l := m.tempLine(m.w); l != "" {
		out = append(out, l)
	}
	if l := m.batteryLine(m.w); l != "" {
		out = append(out, l)
	}
	return out
}

// psiLevel colours a stall share: most of the time it is 0, a few percent
// is felt, a quarter of the time stalled is a saturated box.
func (s *styles) psiLevel(v float64) style {
	switch {
	case v >= 25:
		return s.BarHigh
	case v >= 5:
		return s.BarMid
	default:
		return s.Value
	}
}

// psiLine is "PSI some cpu 1.2 mem 0.0 io 4.5 · full mem 0.0 io 0.3 (avg10 %)"
// or one line saying why there is no PSI.
func (m *metersView) psiLine(w int) string {
	s, snap := m.c.styles, m.c.snap
	p := snap.Pressure
	if p == nil {
		why := "not available on this kernel"
		switch {
		case m.c.frame != nil:
			why = "not recorded at this moment"
		case snap.Errors[sourcePressure] != "":
			why = oneLine(snap.Errors[sourcePressure])
		case snap.Host.OS != "" && snap.Host.OS != "linux":
			why = "Linux only"
		}
		return clipText(s.Label.Render("PSI: ")+s.Dim.Render(why), w)
	}
	val := func(name string, v float64) string {
		return s.Label.Render(name+" ") + s.psiLevel(v).Render(num1(v))
	}
	segs := []seg{
		{s.Label.Render("PSI some"), 0},
		{val("cpu", p.CPU.SomeAvg10), 0},
		{val("mem", p.Memory.SomeAvg10), 0},
		{val("io", p.IO.SomeAvg10), 0},
		{s.Dim.Render("·") + s.Label.Render(" full"), 2},
	}
	if p.CPU.HasFull {
		segs = append(segs, seg{val("cpu", p.CPU.FullAvg10), 3})
	}
	segs = append(segs,
		seg{val("mem", p.Memory.FullAvg10), 2},
		seg{val("io", p.IO.FullAvg10), 2},
		seg{s.Dim.Render("(% of 10s stalled)"), 4},
	)
	return clipText(joinFit(segs, " ", w), w)
}

// tempLine is the hottest sensor of each chip, hottest chip first:
// "Temp coretemp 64°C nvme 41°C", each coloured against its chip's high
// and critical marks. "" without sensors.
func (m *metersView) tempLine(w int) string {
	s, snap := m.c.styles, m.c.snap
	if len(snap.Sensors) == 0 {
		return ""
	}
	hottest := make(map[string]collector.Sensor)
	var chips []string
	for _, x := range snap.Sensors {
		if x.TempC != x.TempC || math.IsInf(x.TempC, 0) {
			continue
		}
		chip := clean(x.Chip)
		if chip == "" {
			chip = "temp"
		}
		h, seen := hottest[chip]
		if !seen {
			chips = append(chips, chip)
		}
		if !seen || x.TempC > h.TempC {
			hottest[chip] = x
		}
	}
	if len(chips) == 0 {
		return ""
	}
	slices.SortStableFunc(chips, func(a, b string) int {
		if d := cmp.Compare(hottest[b].TempC, hottest[a].TempC); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	segs := []seg{{s.Label.Render("Temp"), 0}}
	for i, chip := range chips {
		x := hottest[chip]
		st := s.Value
		switch {
		case x.CritC > 0 && x.TempC >= x.CritC:
			st = s.StateCrit
		case x.HighC > 0 && x.TempC >= x.HighC:
			st = s.StateWarn
		}
		segs = append(segs, seg{s.Label.Render(chip+" ") + st.Render(strconv.FormatFloat(x.TempC, 'f', 0, 64)+"°C"), i})
	}
	return clipText(joinFit(segs, " ", w), w)
}

// batteryLine is "Bat BAT0 87% discharging 12.3W"; "" without batteries.
func (m *metersView) batteryLine(w int) string {
	s, snap := m.c.styles, m.c.snap
	if len(snap.Batteries) == 0 {
		return ""
	}
	var segs []seg
	for i, b := range snap.Batteries {
		p := b.Percent
		if p != p || p < 0 {
			p = 0
		}
		p = min(p, 100)
		st := s.Value
		switch {
		case p < 10:
			st = s.StateCrit
		case p < 25:
			st = s.StateWarn
		}
		t := s.Label.Render(clean(b.Name)+" ") + st.Render(strconv.FormatFloat(p, 'f', 0, 64)+"%")
		if status := strings.ToLower(clean(b.Status)); status != "" && status != "unknown" {
			t += " " + s.Value.Render(status)
		}
		if b.PowerW > 0 && b.PowerW < 1e6 {
			t += " " + s.Value.Render(strconv.FormatFloat(b.PowerW, 'f', 1, 64)+"W")
		}
		if i == 0 {
			t = s.Label.Render("Bat ") + t
		}
		segs = append(segs, seg{t, i})
	}
	return clipText(joinFit(segs, "  ", w), w)
}
