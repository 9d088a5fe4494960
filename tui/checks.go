package tui

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/virgo-top/virgo-top/check"
)

// checksPanel lists every check with its state; the panel border turns red
// when a check is CRITICAL and yellow when one is WARNING or UNKNOWN.
type checksPanel struct {
	c      *common
	w, h   int
	rows   []CheckRow // most severe first
	offset int
	cursor int    // the selected row while the panel has focus (enter: detail)
	selID  string // its check, kept across updates
}

func (p *checksPanel) SetSize(w, h int) { p.w, p.h = w, h }

// severity orders states for display: CRITICAL first, OK last.
func severity(state string) int {
	switch state {
	case StateCritical:
		return 0
	case StateWarning:
		return 1
	case StateOK:
		return 3
	default:
		return 2
	}
}

func (p *checksPanel) setRows(rows []CheckRow) {
	p.rows = append(p.rows[:0], rows...)
	// sort.SliceStable, not slices.SortStableFunc: a generic instance per
	// struct shape costs the binary ~10 KB (bench/size.sh).
	sort.SliceStable(p.rows, func(i, j int) bool {
		a, b := p.rows[i], p.rows[j]
		if d := severity(a.State) - severity(b.State); d != 0 {
			return d < 0
		}
		return a.ID < b.ID
	})
	// The selection follows its check when the order changes.
	if i := slices.IndexFunc(p.rows, func(r CheckRow) bool { return r.ID == p.selID }); i >= 0 {
		p.cursor = i
	}
	p.cursor = clamp(p.cursor, 0, max(0, len(p.rows)-1))
}

// selected is the check under the cursor.
func (p *checksPanel) selected() (CheckRow, bool) {
	if p.cursor < 0 || p.cursor >= len(p.rows) {
		return CheckRow{}, false
	}
	return p.rows[p.cursor], true
}

// counts is how many checks are in each state.
func (p *checksPanel) counts() (ok, warn, crit, unknown int) {
	for _, r := range p.rows {
		switch r.State {
		case StateOK:
			ok++
		case StateWarning:
			warn++
		case StateCritical:
			crit++
		default:
			unknown++
		}
	}
	return
}

// wantHeight is the panel height that shows every row (at least one line).
func (p *checksPanel) wantHeight() int { return max(1, len(p.rows)) + 3 }

func (p *checksPanel) view(focused bool) []string {
	s := p.c.styles
	ok, warn, crit, unknown := p.counts()
	title := "Checks " + strconv.Itoa(ok) + "/" + strconv.Itoa(len(p.rows)) + " OK"
	border, bc := s.Border, thinBorder
	if focused {
		border, bc = s.BorderFocus, heavyBorder
	}
	switch {
	case crit > 0:
		border = s.BorderCrit
		title += " · " + strconv.Itoa(crit) + " CRITICAL"
		if warn > 0 {
			title += " · " + strconv.Itoa(warn) + " WARNING"
		}
	case warn > 0 || unknown > 0:
		border = s.BorderWarn
		if warn > 0 {
			title += " · " + strconv.Itoa(warn) + " WARNING"
		}
		if unknown > 0 {
			title += " · " + strconv.Itoa(unknown) + " UNKNOWN"
		}
	}
	iw, ih := p.w-2, p.h-2
	var lines []string
	if len(p.rows) == 0 {
		lines = []string{s.Dim.Render("no checks configured")}
	} else if ih > 0 {
		cols := checkColumns(iw)
		lines = append(lines, s.TableHeader.Render(fit(cols.header(), iw)))
		rows := make([]string, len(p.rows))
		now := p.c.at() // ages as of the moment shown
		for i, r := range p.rows {
			rows[i] = cols.row(s, r, now)
			if focused && i == p.cursor {
				rows[i] = s.Selected.Render(fit(ansi.Strip(rows[i]), iw))
			}
		}
		lines = append(lines, scrollRows(s, rows, &p.offset, ih-1)...)
	}
	t := " " + s.PanelTitle.Render("["+string(rune('1'+panelChecks))+"] ") + border.Render(title) + " "
	return frame(bc, border, t, lines, p.w, p.h)
}

// scroll moves the selection by d rows, the view following it.
func (p *checksPanel) scroll(d int) {
	p.cursor = clamp(p.cursor+d, 0, max(0, len(p.rows)-1))
	if r, ok := p.selected(); ok {
		p.selID = r.ID
	}
	vis := max(1, p.h-3)
	if len(p.rows) > vis {
		vis = max(1, vis-1) // the last line says how many more
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	} else if p.cursor >= p.offset+vis {
		p.offset = p.cursor - vis + 1
	}
	p.offset = clamp(p.offset, 0, max(0, len(p.rows)-(p.h-3)))
}

// checkCols are the column widths for one panel width; 0 hides a column.
type checkCols struct {
	state, id, label, typ, period, last, dur, metrics, msg int
}

func checkColumns(w int) checkCols {
	// typ fits "agent.load_average". On a wide panel key metrics get the
	// larger share of the rest (messages are short when all is well); on a
	// narrow one the alarm message does, as it says what is wrong.
	metricsShare := 3
	c := checkCols{state: 8, id: 18, label: 18, typ: 18, period: 6, last: 8, dur: 7}
	if w < 120 {
		metricsShare = 2
		c = checkCols{state: 8, id: 12, label: 0, typ: 14, period: 0, last: 6, dur: 0}
	}
	used := c.state + c.id + c.label + c.typ + c.period + c.last + c.dur
	for _, v := range []int{c.state, c.id, c.label, c.typ, c.period, c.last, c.dur} {
		if v > 0 {
			used++ // separator
		}
	}
	rest := max(0, w-used)
	c.metrics = rest * metricsShare / 5
	c.msg = rest - c.metrics
	return c
}

func (c checkCols) header() string {
	var b strings.Builder
	add := func(t string, w int) {
		if w > 0 {
			b.WriteString(padRight(t, w))
			b.WriteByte(' ')
		}
	}
	add("STATE", c.state)
	add("ID", c.id)
	add("LABEL", c.label)
	add("TYPE", c.typ)
	add("PERIOD", c.period)
	add("LAST", c.last)
	add("TOOK", c.dur)
	add("METRICS", c.metrics)
	add("ALARM / MESSAGE", c.msg)
	return b.String()
}

func (c checkCols) row(s *styles, r CheckRow, now time.Time) string {
	var b strings.Builder
	add := func(t string, w int) {
		if w > 0 {
			b.WriteString(padRight(clean(t), w))
			b.WriteByte(' ')
		}
	}
	state := r.State
	if state == "" {
		state = StateUnknown
	}
	b.WriteString(s.stateStyle(state).Render(padRight(state, c.state)))
	b.WriteByte(' ')
	add(r.ID, c.id)
	add(r.Label, c.label)
	add(r.Type, c.typ)
	period := ""
	if r.Period > 0 {
		period = humanDuration(r.Period)
	}
	add(period, c.period)
	last := "never"
	if !r.LastRun.IsZero() {
		switch age := now.Sub(r.LastRun); {
		case age < time.Second:
			last = "now"
		case c.last < 9:
			last = humanDuration(age)
		default:
			last = humanDuration(age) + " ago"
		}
	}
	add(last, c.last)
	took := ""
	if !r.LastRun.IsZero() && r.Duration > 0 { // not recorded: blank
		took = humanDuration(r.Duration)
	}
	add(took, c.dur)
	add(r.KeyMetrics, c.metrics)
	msg := r.Message
	if r.Alarm != "" {
		msg = r.Alarm
	}
	if !r.Available {
		msg = "unavailable: " + msg
	}
	if c.msg > 0 {
		b.WriteString(s.stateStyle(state).Render(padRight(clean(msg), c.msg)))
	}
	return b.String()
}

// KeyMetrics is CheckRow.KeyMetrics for a check's metrics: the few worth a
// glance for its type ("usage_average=42.5% wait_percent_average=1.0%"),
// the first three for a type it does not know. The console's live rows
// and its recorded ones both use it, so they read alike.
func KeyMetrics(checkType string, metrics []check.Metric) string {
	var names []string
	switch checkType {
	case check.TypeCPU:
		names = []string{"usage_average", "wait_percent_average", "stolen_percent_average"}
	case check.TypeMemory:
		names = []string{"actual_used", "total", "swap_used"}
	case check.TypeLoad:
		names = []string{"1m", "5m", "15m"}
	case check.TypeFilesystem:
		names = []string{"used", "total"}
	case check.TypeDisk:
		names = []string{"read_bytes", "write_bytes"}
	case check.TypeNetwork:
		names = []string{"rx_bytes", "tx_bytes", "link_state"}
	case check.TypeProcess:
		names = []string{"count", "cpu_pct", "rss_bytes"}
	case check.TypeHTTP:
		names = []string{"code", "time_ms"}
	case check.TypeTCP:
		names = []string{"connect_time_ms"}
	}
	var b strings.Builder
	add := func(m check.Metric) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(m.Name + "=" + metricText(m))
	}
	if names == nil {
		for i, m := range metrics {
			if i < 3 {
				add(m)
			}
		}
		return b.String()
	}
	for _, n := range names {
		for _, m := range metrics {
			if m.Dimension == "" && m.Name == n {
				add(m)
				break
			}
		}
	}
	return b.String()
}

// metricText shows a metric value briefly: bytes in IEC units ("1.5GiB"),
// doubles with one decimal.
func metricText(m check.Metric) string {
	f, ok := m.Float()
	switch {
	case !ok:
		return m.Value
	case m.Unit == "bytes":
		return iecBytes(f)
	case m.Unit == "kilobytes":
		return iecBytes(f * 1024)
	case m.Type == check.TypeDouble:
		s := strconv.FormatFloat(f, 'f', 1, 64)
		if m.Unit == "percent" {
			s += "%"
		}
		return s
	}
	return m.Value
}

// iecBytes is "512B", "1.5KiB", "3.0GiB".
func iecBytes(f float64) string {
	if f < 0 || f != f {
		f = 0
	}
	b := uint64(f)
	const unit = 1024
	if b < unit {
		return strconv.FormatUint(b, 10) + "B"
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit; n /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(b)/float64(div), 'f', 1, 64) + string("KMGTPE"[exp]) + "iB"
}
