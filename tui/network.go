package tui

import (
	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
)

// netPanel lists interfaces with rx/tx rates and sparklines, and totals.
type netPanel struct {
	c      *common
	w, h   int
	offset int
	spark  [][]float64 // per interface: rx, tx
}

func (p *netPanel) SetSize(w, h int) { p.w, p.h = w, h }

func (p *netPanel) refresh() {
	snap := p.c.snap
	if snap == nil {
		return
	}
	sw := rowSparkWidth(p.w - 2)
	need := 2 * len(snap.Network)
	for len(p.spark) < need {
		p.spark = append(p.spark, nil)
	}
	p.spark = p.spark[:need]
	for i, n := range snap.Network {
		p.spark[2*i] = p.c.values(agent.SeriesNetRx(n.Name), sw, p.spark[2*i])
		p.spark[2*i+1] = p.c.values(agent.SeriesNetTx(n.Name), sw, p.spark[2*i+1])
	}
}

func (p *netPanel) view(focused bool) []string {
	title := "Network · " + p.c.windowTitle()
	s := p.c.styles
	snap := p.c.snap
	ih := p.h - 2
	var lines []string
	switch {
	case snap == nil:
		lines = []string{s.Dim.Render("waiting for data…")}
	case p.c.sourceErr(collector.SourceNetwork) != "":
		lines = []string{s.Error.Render("network: " + clean(p.c.sourceErr(collector.SourceNetwork)))}
	case ih > 0:
		sw := rowSparkWidth(p.w - 2)
		var rows []string
		var rx, tx float64
		for i, n := range snap.Network {
			rx += n.RxBps
			tx += n.TxBps
			var rs, ts []float64
			if 2*i+1 < len(p.spark) {
				rs, ts = p.spark[2*i], p.spark[2*i+1]
			}
			name := clean(n.Name)
			if n.LinkState == "down" {
				name += "↓"
			}
			rows = append(rows, s.Value.Render(padRight(name, 8))+
				s.Label.Render(" rx ")+s.Value.Render(padLeft(humanRate(n.RxBps), 9))+" "+s.SparkRx.Render(sparkline(rs, sw))+
				s.Label.Render(" tx ")+s.Value.Render(padLeft(humanRate(n.TxBps), 9))+" "+s.SparkTx.Render(sparkline(ts, sw)))
		}
		total := s.PanelTitle.Render(padRight("total", 8)) +
			s.Label.Render(" rx ") + s.Value.Render(padLeft(humanRate(rx), 9)) + " " + padRight("", sw) +
			s.Label.Render(" tx ") + s.Value.Render(padLeft(humanRate(tx), 9))
		if ih == 1 {
			lines = []string{total}
			break
		}
		lines = append(scrollRows(s, rows, &p.offset, ih-1), total)
	}
	return p.c.panelBox(panelNet, title, lines, p.w, p.h, focused)
}

func (p *netPanel) scroll(d int) {
	n := 0
	if s := p.c.snap; s != nil {
		n = len(s.Network)
	}
	p.offset = clamp(p.offset+d, 0, max(0, n-(p.h-3)))
}
