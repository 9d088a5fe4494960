package tui

import (
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
)

// cpuPanel shows total usage with its trend, the usage split and a gauge per
// core (a one-glyph-per-core heat row when the cores do not fit as gauges).
type cpuPanel struct {
	c     *common
	w, h  int
	trend []float64
	graph graphCache
}

func (p *cpuPanel) SetSize(w, h int) { p.w, p.h = w, h }

func (p *cpuPanel) refresh() {
	p.graph.valid = false
	p.trend = p.c.values(agent.SeriesCPUUsage, p.w-2-graphLabelWidth, p.trend)
}

func (p *cpuPanel) view(focused bool) []string {
	title := "CPU · " + p.c.windowTitle()
	iw, ih := p.w-2, p.h-2
	s := p.c.styles
	snap := p.c.snap
	var lines []string
	switch {
	case snap == nil:
		lines = []string{s.Dim.Render("waiting for data…")}
	case p.c.sourceErr(collector.SourceCPU) != "":
		lines = []string{s.Error.Render("cpu: " + clean(p.c.sourceErr(collector.SourceCPU)))}
	default:
		lines = p.body(snap.CPU, iw, ih)
	}
	return p.c.panelBox(panelCPU, title, lines, p.w, p.h, focused)
}

func (p *cpuPanel) body(cpu collector.CPU, iw, ih int) []string {
	s := p.c.styles
	if ih <= 0 || iw <= 0 {
		return nil
	}
	summary := joinFit([]seg{
		{s.Label.Render("total ") + s.barStyle(cpu.UsagePct).Render(pct(cpu.UsagePct)), 0},
		{s.Label.Render("usr ") + s.Value.Render(pct(cpu.UserPct)), 0},
		{s.Label.Render("sys ") + s.Value.Render(pct(cpu.SystemPct)), 0},
		{s.Label.Render("iowait ") + s.Value.Render(pct(cpu.IOWaitPct)), 1},
		{s.Label.Render("steal ") + s.Value.Render(pct(cpu.StealPct)), 2},
		{s.Label.Render("irq ") + s.Value.Render(pct(cpu.IRQPct)), 3},
	}, "  ", iw)
	lines := []string{summary}
	rest := ih - 1
	if rest <= 0 {
		return lines
	}
	// Keep at least three graph lines when there is room for a graph.
	coreBudget := rest
	if rest >= 5 {
		coreBudget = rest - 3
		if rest >= 10 {
			coreBudget = rest / 2
		}
	}
	cores := coreGrid(s, cpu.PerCore, iw, coreBudget)
	lines = append(lines, cores...)
	if g := rest - len(cores); g >= 2 {
		lines = append(lines, p.graph.get(p.c, p.trend, iw, g)...)
	}
	return lines
}

// coreGrid lays per-core gauges in as many columns as fit in w, within
// maxRows rows; when they cannot fit it falls back to heat rows of one
// glyph per core (▁ idle .. █ busy), which hold 64+ cores on one line.
func coreGrid(s *styles, cores []collector.CPUTimes, w, maxRows int) []string {
	n := len(cores)
	if n == 0 || maxRows <= 0 || w <= 0 {
		return nil
	}
	digits := len(strconv.Itoa(n - 1))
	minCell := digits + 1 + 4 + 5 // "12 ████ 100%"
	for cell := 26; cell >= minCell; cell -= 2 {
		cols := min(n, (w+1)/(cell+1))
		if cols < 1 {
			continue
		}
		rows := (n + cols - 1) / cols
		if rows > maxRows {
			continue
		}
		cell = (w+1)/cols - 1 // widen the gauges to use the whole line
		barW := min(cell-digits-1-5, 40)
		out := make([]string, rows)
		for r := 0; r < rows; r++ {
			var b strings.Builder
			for col := 0; col < cols; col++ {
				i := col*rows + r // column-major, like htop
				if i >= n {
					break
				}
				if col > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(s.Label.Render(padLeft(strconv.Itoa(i), digits)))
				b.WriteByte(' ')
				b.WriteString(s.bar(cores[i].UsagePct, barW))
				b.WriteString(padLeft(strconv.Itoa(int(cores[i].UsagePct+0.5))+"%", 5))
			}
			out[r] = b.String()
		}
		return out
	}
	// Heat rows: "0-63 ▁▂█…"
	per := w - (2*digits + 2)
	if per < 1 {
		return nil
	}
	var out []string
	for start := 0; start < n && len(out) < maxRows; start += per {
		end := min(n, start+per)
		var b strings.Builder
		label := padLeft(strconv.Itoa(start), digits) + "-" + padRight(strconv.Itoa(end-1), digits) + " "
		b.WriteString(s.Label.Render(label))
		for i := start; i < end; i++ {
			u := cores[i].UsagePct
			b.WriteString(s.barStyle(u).Render(string(sparkChars[level(u, 100, len(sparkChars))])))
		}
		out = append(out, b.String())
	}
	return out
}
