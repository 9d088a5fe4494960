package tui

import (
	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
)

// memPanel shows used/available/cached memory and swap with the used-%
// trend.
type memPanel struct {
	c     *common
	w, h  int
	trend []float64
	graph graphCache
}

func (p *memPanel) SetSize(w, h int) { p.w, p.h = w, h }

func (p *memPanel) refresh() {
	p.graph.valid = false
	p.trend = p.c.values(agent.SeriesMemUsedPct, p.w-2-graphLabelWidth, p.trend)
}

func (p *memPanel) view(focused bool) []string {
	title := "Memory · " + p.c.windowTitle()
	iw, ih := p.w-2, p.h-2
	s := p.c.styles
	snap := p.c.snap
	var lines []string
	switch {
	case snap == nil:
		lines = []string{s.Dim.Render("waiting for data…")}
	case p.c.sourceErr(collector.SourceMemory) != "":
		lines = []string{s.Error.Render("memory: " + clean(p.c.sourceErr(collector.SourceMemory)))}
	case iw > 0 && ih > 0:
		m := snap.Memory
		barW := max(4, min(30, iw-30))
		lines = append(lines,
			s.Label.Render("mem  ")+s.bar(m.UsedPct, barW)+" "+s.Value.Render(padLeft(pct(m.UsedPct), 6))+
				"  "+s.Value.Render(humanBytes(float64(m.UsedBytes)))+s.Label.Render("/")+s.Value.Render(humanBytes(float64(m.TotalBytes))),
			"     "+joinFit([]seg{
				{s.Label.Render("avail ") + s.Value.Render(humanBytes(float64(m.AvailableBytes))), 0},
				{s.Label.Render("cached ") + s.Value.Render(humanBytes(float64(m.CachedBytes))), 0},
				{s.Label.Render("buffers ") + s.Value.Render(humanBytes(float64(m.BuffersBytes))), 2},
				{s.Label.Render("free ") + s.Value.Render(humanBytes(float64(m.FreeBytes))), 1},
			}, "  ", iw-5),
		)
		var swapPct float64
		if m.SwapTotalBytes > 0 {
			swapPct = 100 * float64(m.SwapUsedBytes) / float64(m.SwapTotalBytes)
		}
		swap := s.Label.Render("swap ") + s.Dim.Render("none")
		if m.SwapTotalBytes > 0 {
			swap = s.Label.Render("swap ") + s.bar(swapPct, barW) + " " + s.Value.Render(padLeft(pct(swapPct), 6)) +
				"  " + s.Value.Render(humanBytes(float64(m.SwapUsedBytes))) + s.Label.Render("/") + s.Value.Render(humanBytes(float64(m.SwapTotalBytes)))
		}
		lines = append(lines, swap)
		if len(lines) > ih {
			lines = lines[:ih]
		}
		if g := ih - len(lines); g >= 2 {
			lines = append(lines, p.graph.get(p.c, p.trend, iw, g)...)
		}
	}
	return p.c.panelBox(panelMem, title, lines, p.w, p.h, focused)
}
