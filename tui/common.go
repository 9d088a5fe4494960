package tui

import (
	"math"
	"strings"
	"time"

	"github.com/guptarohit/asciigraph"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
	"github.com/virgo-top/virgo-top/record"
)

// panelID names a dashboard panel; the number key toggling it is id+1.
type panelID int

const (
	panelCPU panelID = iota
	panelMem
	panelDisk
	panelNet
	panelChecks
	panelProcs
	numPanels
)

var panelNames = [numPanels]string{"cpu", "memory", "disk", "network", "checks", "processes"}

// trendWindow is the span every trend graph and sparkline shows.
type trendWindow int

const (
	windowLive trendWindow = iota // raw samples, as many as fit
	windowHour                    // per-minute rollups, last 60
	windowDay                     // hourly rollups, last 24
	numWindows
)

func (w trendWindow) resolution() history.Resolution {
	switch w {
	case windowHour:
		return history.Minute
	case windowDay:
		return history.Hour
	default:
		return history.Raw
	}
}

func (w trendWindow) label() string {
	switch w {
	case windowHour:
		return "last hour"
	case windowDay:
		return "last day"
	default:
		return "live"
	}
}

// points is how many values to ask history for when cols cells are free.
func (w trendWindow) points(cols int) int {
	switch w {
	case windowHour:
		return 60
	case windowDay:
		return 24
	default:
		return max(cols, 2)
	}
}

// common is what every panel shares: styles, keys, clock, trend window, the
// history to read and the snapshot to show. Live, snap is the latest
// sample; in replay it is the recorded frame's, frame is that frame and
// hist serves the trend window that ends at it: panels render a moment,
// whichever it is.
type common struct {
	styles *styles
	keys   *keyMap
	now    func() time.Time
	loc    *time.Location // for times shown: local unless a test says
	window trendWindow
	hist   HistoryReader
	snap   *collector.Snapshot
	frame  *record.Frame // the recorded frame shown; nil: live
	// trendsLoading: in replay, the trends of frame are being read.
	trendsLoading bool
}

// at is the moment shown: the recorded frame's, or now.
func (c *common) at() time.Time {
	if c.frame != nil {
		return c.frame.Time()
	}
	return c.now()
}

// windowLabel names the trend window; in replay the live window is the
// recorded samples.
func (c *common) windowLabel() string {
	if c.frame != nil && c.window == windowLive {
		return "samples"
	}
	return c.window.label()
}

// windowTitle is a graph panel's window, with the moment it ends at in
// replay: "last hour to 03:12:05".
func (c *common) windowTitle() string {
	if c.frame == nil {
		return c.window.label()
	}
	return c.windowLabel() + " to " + c.frame.Time().In(c.loc).Format("15:04:05")
}

// values reads one series for a panel cols cells wide (nil without history).
func (c *common) values(name string, cols int, dst []float64) []float64 {
	if c.hist == nil {
		return dst[:0]
	}
	return c.hist.Values(name, c.window.resolution(), c.window.points(cols), dst[:0])
}

// sourceErr is the collector's error for one source of the snapshot, if any.
func (c *common) sourceErr(source string) string {
	if c.snap == nil {
		return ""
	}
	return c.snap.Errors[source]
}

// panelBox frames a panel: the focused one gets the focus colour.
func (c *common) panelBox(id panelID, title string, lines []string, w, h int, focused bool) []string {
	border, bc := c.styles.Border, thinBorder
	if focused {
		border, bc = c.styles.BorderFocus, heavyBorder
	}
	t := " " + c.styles.PanelTitle.Render("["+string(rune('1'+id))+"] "+title) + " "
	return frame(bc, border, t, lines, w, h)
}

// graphLabelWidth is the y-axis label column of a 0-100 asciigraph.
const graphLabelWidth = 7

// trendGraph draws vals as an asciigraph exactly h lines high and w wide,
// scaled lo..hi. Fewer than two values give a placeholder line.
func (c *common) trendGraph(vals []float64, w, h int, lo, hi float64) []string {
	if h <= 0 || w <= 0 {
		return nil
	}
	if h < 3 && len(vals) >= 2 && w > 8 {
		// Too low for a graph: one sparkline row per line instead.
		out := blank(w, h)
		out[0] = fit(c.styles.Label.Render("trend ")+c.styles.Graph.Render(sparklineScaled(vals, w-6, 100)), w)
		return out
	}
	if len(vals) < 2 || w <= graphLabelWidth+2 || h < 2 {
		msg := "no trend yet"
		switch {
		case c.frame != nil && c.trendsLoading:
			msg = "reading the recording…"
		case c.frame != nil:
			msg = "no trend recorded before this moment"
		case c.hist != nil && c.window != windowLive:
			msg = "no " + c.window.label() + " history yet"
		}
		out := blank(w, h)
		out[h/2] = fit(c.styles.Dim.Render(strings.Repeat(" ", max(0, (w-len(msg))/2))+msg), w)
		return out
	}
	// Right-align a short series on the window's time axis (NaN is not
	// drawn) instead of letting asciigraph stretch it over the width.
	if want := c.window.points(w - graphLabelWidth); len(vals) < want {
		padded := make([]float64, want)
		for i := range want - len(vals) {
			padded[i] = math.NaN()
		}
		copy(padded[want-len(vals):], vals)
		vals = padded
	}
	g := asciigraph.Plot(vals,
		asciigraph.Height(h-1),
		asciigraph.Width(w-graphLabelWidth),
		asciigraph.LowerBound(lo),
		asciigraph.UpperBound(hi),
		asciigraph.Precision(0),
	)
	lines := strings.Split(g, "\n")
	if c.frame != nil {
		markCursor(lines, w-graphLabelWidth)
	}
	out := make([]string, h)
	for i := range out {
		l := ""
		if i < len(lines) {
			l = c.styles.Graph.Render(fit(lines[i], w))
		}
		out[i] = fit(l, w)
	}
	return out
}

// cursorMark fills the empty cells of the time cursor's column.
const cursorMark = '┊'

// markCursor marks the last column of an asciigraph plot plotW wide (the
// replayed moment: the window ends there) in its empty cells.
func markCursor(lines []string, plotW int) {
	if len(lines) == 0 || plotW < 2 {
		return
	}
	axis := -1
	for i, r := range []rune(lines[0]) {
		if r == '┤' || r == '┼' {
			axis = i
			break
		}
	}
	if axis < 0 {
		return
	}
	col := axis + plotW - 1 // asciigraph draws plotW-1 cells after the axis
	for i, l := range lines {
		rs := []rune(l)
		for len(rs) <= col {
			rs = append(rs, ' ')
		}
		if rs[col] == ' ' {
			rs[col] = cursorMark
		}
		lines[i] = string(rs)
	}
}

// graphCache keeps a rendered 0-100 trend graph until its data (refresh)
// or size changes: asciigraph is the costliest part of a frame. A refresh
// follows every change of the shown moment, so the cursor mark needs no
// key of its own.
type graphCache struct {
	valid bool
	w, h  int
	lines []string
}

func (g *graphCache) get(c *common, vals []float64, w, h int) []string {
	if !g.valid || g.w != w || g.h != h {
		g.lines = c.trendGraph(vals, w, h, 0, 100)
		g.valid, g.w, g.h = true, w, h
	}
	return g.lines
}
