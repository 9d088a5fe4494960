package fleet

import (
	"math"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/tui"
)

// spans are the drill-down's windows, switched with w.
var spans = []struct {
	d     time.Duration
	label string
}{
	{time.Hour, "last hour"},
	{24 * time.Hour, "last 24 h"},
	{7 * 24 * time.Hour, "last 7 days"},
}

// hostDetail is one host's drill-down: graphs, checks and alarms.
type hostDetail struct {
	st   *tui.Styles
	keys *keyMap
	w, h int
	host string
	span int // index in spans
	d    *fleet.Detail
	now  func() time.Time
}

func newHostDetail(st *tui.Styles, keys *keyMap, now func() time.Time) *hostDetail {
	return &hostDetail{st: st, keys: keys, now: now}
}

// SetSize gives the drill-down its area.
func (d *hostDetail) SetSize(w, h int) { d.w, d.h = w, h }

// open shows host (its data arrives with setDetail).
func (d *hostDetail) open(host string) {
	if host != d.host {
		d.d = nil
	}
	d.host = host
}

func (d *hostDetail) nextSpan() { d.span = (d.span + 1) % len(spans); d.d = nil }

// points is how many values a graph gets: one per plot column.
func (d *hostDetail) points() int { return max(d.graphW()-tui.GraphLabelWidth-2, 2) }

func (d *hostDetail) graphW() int { return max(d.w/2, 20) }

func (d *hostDetail) setDetail(det *fleet.Detail) {
	if det.Host == d.host && det.Span == spans[d.span].d {
		d.d = det
	}
}

// View draws the drill-down: 2 x 2 graphs over the top part, checks and
// alarms below.
func (d *hostDetail) View() []string {
	gw := d.graphW()
	gh := max(min((d.h-6)/2, 12), 4)
	graphs := []struct{ col, title string }{
		{fleet.ColCPU, "cpu %"}, {fleet.ColMem, "memory %"}, {fleet.ColDisk, "fullest filesystem %"}, {"net", "network rx+tx"},
	}
	var boxes [][]string
	for _, g := range graphs {
		boxes = append(boxes, d.graphBox(g.col, g.title, gw, gh))
	}
	out := make([]string, 0, d.h)
	for row := 0; row < 2; row++ {
		for i := 0; i < gh; i++ {
			out = append(out, tui.Fit(boxes[2*row][i]+boxes[2*row+1][i], d.w))
		}
	}
	rest := d.h - len(out)
	if rest >= 3 {
		out = append(out, d.listBox(d.w, rest)...)
	}
	return out
}

func (d *hostDetail) graphBox(col, title string, w, h int) []string {
	title += " · " + spans[d.span].label
	inner := h - 2
	if d.d == nil {
		lines := make([]string, inner)
		lines[inner/2] = d.st.Dim.Render(tui.Fit(strings.Repeat(" ", max((w-12)/2, 0))+"loading…", w-2))
		return tui.Box(d.st, title, lines, w, h, false)
	}
	n := d.points()
	var vals []float64
	lo, hi := 0.0, 100.0
	switch col {
	case "net":
		rx, tx := d.series(fleet.ColRX, n), d.series(fleet.ColTX, n)
		vals = make([]float64, n)
		hi = 1
		for i := range vals {
			vals[i] = math.NaN()
			switch {
			case i < len(rx) && i < len(tx) && !math.IsNaN(rx[i]) && !math.IsNaN(tx[i]):
				vals[i] = rx[i] + tx[i]
			case i < len(rx) && !math.IsNaN(rx[i]):
				vals[i] = rx[i]
			case i < len(tx) && !math.IsNaN(tx[i]):
				vals[i] = tx[i]
			}
			if !math.IsNaN(vals[i]) && vals[i] > hi {
				hi = vals[i]
			}
		}
		title = "network rx+tx · " + spans[d.span].label + " · max " + fleet.FormatRate(hi) + "/s"
	default:
		vals = d.series(col, n)
	}
	if count(vals) < 2 {
		vals = nil
	}
	return tui.Box(d.st, title, tui.TrendGraph(d.st, vals, w-2, inner, lo, hi), w, h, false)
}

func count(vals []float64) int {
	n := 0
	for _, v := range vals {
		if !math.IsNaN(v) {
			n++
		}
	}
	return n
}

func (d *hostDetail) series(col string, n int) []float64 {
	for _, g := range d.d.Graphs {
		if g.Name == col {
			return fleet.Points(g, d.d.End, d.d.Span, n)
		}
	}
	return nil
}

// listBox is the host's checks (left) and alarms (right).
func (d *hostDetail) listBox(w, h int) []string {
	lw := w / 3
	var checks, alarms []string
	if d.d != nil {
		checks = append(checks, d.st.TableHeader.Render(tui.Fit(pad("STATE", 9, false)+" CHECK", lw-2)))
		for _, c := range d.d.Checks {
			checks = append(checks, tui.Fit(d.st.StateStyle(c.State).Render(pad(c.State, 9, false))+" "+fleet.Printable(c.CheckID+" ("+c.Type+")"), lw-2))
		}
		if len(d.d.Checks) == 0 {
			checks = append(checks, d.st.Dim.Render("no virgo-top checks (node_exporter host?)"))
		}
		alarms = alarmLines(d.st, d.d.Alarms, d.d.End, w-lw-2, -1, 0, h-3)
	}
	left := tui.Box(d.st, "checks", checks, lw, h, false)
	right := tui.Box(d.st, "alarms", alarms, w-lw, h, false)
	out := make([]string, h)
	for i := range out {
		out[i] = left[i] + right[i]
	}
	return out
}
