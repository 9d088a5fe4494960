package tui

import (
	"strconv"

	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
)

// diskPanel lists filesystems (used %, gauge, free) and block devices with
// read/write rates and their sparklines.
type diskPanel struct {
	c      *common
	w, h   int
	offset int         // first row shown when the rows do not fit
	spark  [][]float64 // per device: read, write, read, write...
}

func (p *diskPanel) SetSize(w, h int) { p.w, p.h = w, h }

// sparkWidth is the cells each of a row's two sparklines gets.
func rowSparkWidth(iw int) int { return max(0, min(40, (iw-36)/2)) }

func (p *diskPanel) refresh() {
	snap := p.c.snap
	if snap == nil {
		return
	}
	sw := rowSparkWidth(p.w - 2 - 10)
	need := 2 * len(snap.Disks)
	for len(p.spark) < need {
		p.spark = append(p.spark, nil)
	}
	p.spark = p.spark[:need]
	for i, d := range snap.Disks {
		p.spark[2*i] = p.c.values(agent.SeriesDiskRead(d.Name), sw, p.spark[2*i])
		p.spark[2*i+1] = p.c.values(agent.SeriesDiskWrite(d.Name), sw, p.spark[2*i+1])
	}
}

func (p *diskPanel) rows() []string {
	s := p.c.styles
	snap := p.c.snap
	iw := p.w - 2
	var lines []string
	if e := p.c.sourceErr(collector.SourceFilesystems); e != "" {
		lines = append(lines, s.Error.Render(collector.SourceFilesystems+": "+clean(e)))
	}
	mountW := max(6, min(24, iw/4))
	barW := max(4, min(20, iw-mountW-38))
	for _, f := range snap.Filesystems {
		ro := ""
		if f.ReadOnly {
			ro = s.Dim.Render(" ro")
		}
		lines = append(lines, s.Value.Render(padRight(clean(f.Mount), mountW))+" "+
			s.Dim.Render(padRight(clean(f.FSType), 6))+" "+s.bar(f.UsedPct, barW)+" "+
			s.Value.Render(padLeft(pct(f.UsedPct), 6))+s.Label.Render("  free ")+
			s.Value.Render(padLeft(humanBytes(float64(f.AvailBytes)), 6))+s.Label.Render(" of ")+
			s.Value.Render(humanBytes(float64(f.TotalBytes)))+ro)
	}
	if e := p.c.sourceErr(collector.SourceDisks); e != "" {
		lines = append(lines, s.Error.Render(collector.SourceDisks+": "+clean(e)))
	}
	sw := rowSparkWidth(iw - 10)
	for i, d := range snap.Disks {
		var rd, wr []float64
		if 2*i+1 < len(p.spark) {
			rd, wr = p.spark[2*i], p.spark[2*i+1]
		}
		line := s.Value.Render(padRight(clean(d.Name), 8)) +
			s.Label.Render(" r ") + s.Value.Render(padLeft(humanRate(d.ReadBps), 9)) + " " + s.SparkRx.Render(sparkline(rd, sw)) +
			s.Label.Render(" w ") + s.Value.Render(padLeft(humanRate(d.WriteBps), 9)) + " " + s.SparkTx.Render(sparkline(wr, sw))
		line += s.Label.Render(" busy ") + s.Value.Render(padLeft(strconv.Itoa(int(d.BusyPct+0.5))+"%", 4))
		lines = append(lines, line)
	}
	return lines
}

func (p *diskPanel) view(focused bool) []string {
	title := "Disk · " + p.c.windowTitle()
	s := p.c.styles
	var lines []string
	if p.c.snap == nil {
		lines = []string{s.Dim.Render("waiting for data…")}
	} else {
		lines = scrollRows(s, p.rows(), &p.offset, p.h-2)
	}
	return p.c.panelBox(panelDisk, title, lines, p.w, p.h, focused)
}

// scrollRows shows rows from *offset in h lines, replacing the last line by
// "+N more" when rows remain below.
func scrollRows(s *styles, rows []string, offset *int, h int) []string {
	if h <= 0 {
		return nil
	}
	*offset = max(0, min(*offset, len(rows)-h))
	rows = rows[*offset:]
	if len(rows) > h {
		more := len(rows) - h + 1
		rows = append(rows[:h-1:h-1], s.Dim.Render("+"+strconv.Itoa(more)+" more (tab to focus, ↓ to scroll)"))
	}
	return rows
}

func (p *diskPanel) scroll(d int) {
	n := 0
	if s := p.c.snap; s != nil {
		n = len(s.Filesystems) + len(s.Disks)
		for _, src := range []string{collector.SourceFilesystems, collector.SourceDisks} {
			if s.Errors[src] != "" {
				n++
			}
		}
	}
	p.offset = clamp(p.offset+d, 0, max(0, n-(p.h-2)))
}
