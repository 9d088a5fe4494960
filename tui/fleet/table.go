package fleet

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/tui"
)

// column is one column of the host table as drawn.
type column struct {
	name  string // fleet's column name; the header is its upper case
	width int
	right bool // numbers align right
	prio  int  // lower: kept longer on a narrow screen
}

var tableColumns = []column{
	{fleet.ColHost, 0, false, 0},
	{fleet.ColStatus, 6, false, 1},
	{fleet.ColCPU, 6, true, 3},
	{fleet.ColMem, 6, true, 4},
	{fleet.ColLoad, 5, true, 6},
	{fleet.ColDisk, 6, true, 5},
	{fleet.ColRX, 7, true, 9},
	{fleet.ColTX, 7, true, 10},
	{fleet.ColAlarm, 8, false, 2},
	{fleet.ColNotOK, 6, true, 8},
	{fleet.ColLink, 5, false, 11},
	{fleet.ColAge, 6, true, 7},
}

const minHostWidth = 12

// maxFilter caps the filter (it goes into every query), in bytes.
const maxFilter = 64

// sortMsg asks the root to fetch the table again (sort, filter or page
// changed).
type sortMsg struct{}

// hostTable is the host table: the page of hosts shown, the selection,
// the sort and the filter (both applied by the engine).
type hostTable struct {
	st      *tui.Styles
	keys    *keyMap
	w, h    int
	hosts   []fleet.Host
	total   int
	offset  int // of the first row shown, in the whole sorted table
	sel     int // selected row within hosts
	sortCol string
	desc    bool
	filter  string
	editing bool // typing the filter
}

func newHostTable(st *tui.Styles, keys *keyMap) *hostTable {
	return &hostTable{st: st, keys: keys, sortCol: fleet.ColAlarm, desc: true}
}

// SetSize gives the table its box.
func (t *hostTable) SetSize(w, h int) { t.w, t.h = w, h }

// rows is how many hosts fit: the box's inside less the header.
func (t *hostTable) rows() int { return max(t.h-3, 1) }

// request is the page to fetch.
func (t *hostTable) request() fleet.Request {
	return fleet.Request{Sort: t.sortCol, Desc: t.desc, Filter: t.filter, Offset: t.offset, Limit: t.rows()}
}

// setTable takes a fetched page.
func (t *hostTable) setTable(tb *fleet.Table) {
	t.hosts, t.total = tb.Hosts, tb.Total
	if t.sel >= len(t.hosts) {
		t.sel = max(len(t.hosts)-1, 0)
	}
}

// clampOffset moves a page past the end of a fleet that shrank (hosts
// left the lookback) back to the last page; true when the offset changed
// and the page must be fetched again.
func (t *hostTable) clampOffset() bool {
	if len(t.hosts) > 0 || t.offset == 0 {
		return false
	}
	last := max(t.total-t.rows(), 0)
	if last >= t.offset {
		return false
	}
	t.offset, t.sel = last, 0
	return true
}

// selected is the selected host's name, "" when none.
func (t *hostTable) selected() string {
	if t.sel < len(t.hosts) {
		return t.hosts[t.sel].Host
	}
	return ""
}

func refetch() tea.Msg { return sortMsg{} }

// Update handles the table's keys; a command that returns sortMsg asks
// for a fetch.
func (t *hostTable) Update(msg tea.KeyMsg) tea.Cmd {
	if t.editing {
		switch msg.Type {
		case tea.KeyEnter:
			t.editing = false
			return nil
		case tea.KeyEsc:
			t.editing, t.filter, t.offset, t.sel = false, "", 0, 0
			return refetch
		case tea.KeyBackspace:
			if r := []rune(t.filter); len(r) > 0 {
				t.filter = string(r[:len(r)-1])
			}
		case tea.KeyRunes, tea.KeySpace:
			for _, r := range msg.Runes { // a paste too: at most 64 bytes
				if len(t.filter)+utf8.RuneLen(r) > maxFilter {
					break
				}
				t.filter += string(r)
			}
		default:
			return nil
		}
		t.offset, t.sel = 0, 0
		return refetch
	}
	k := t.keys
	page := t.rows()
	switch {
	case key.Matches(msg, k.Filter):
		t.editing = true
	case key.Matches(msg, k.Up):
		if t.sel > 0 {
			t.sel--
		} else if t.offset > 0 {
			t.offset--
			return refetch
		}
	case key.Matches(msg, k.Down):
		if t.sel < len(t.hosts)-1 && t.sel < page-1 {
			t.sel++
		} else if t.offset+len(t.hosts) < t.total {
			t.offset++
			return refetch
		}
	case key.Matches(msg, k.PgDown):
		if t.offset+page < t.total {
			t.offset += page
			return refetch
		}
		t.sel = max(len(t.hosts)-1, 0)
	case key.Matches(msg, k.PgUp):
		if t.offset > 0 {
			t.offset = max(t.offset-page, 0)
			return refetch
		}
		t.sel = 0
	case key.Matches(msg, k.Home):
		t.sel = 0
		if t.offset > 0 {
			t.offset = 0
			return refetch
		}
	case key.Matches(msg, k.End):
		if last := max(t.total-page, 0); t.offset != last {
			t.offset, t.sel = last, page-1
			return refetch
		}
		t.sel = max(len(t.hosts)-1, 0)
	case key.Matches(msg, k.SortNext), key.Matches(msg, k.SortPrev):
		i := 0
		for j, c := range fleet.Columns {
			if c == t.sortCol {
				i = j
			}
		}
		if key.Matches(msg, k.SortNext) {
			i = (i + 1) % len(fleet.Columns)
		} else {
			i = (i + len(fleet.Columns) - 1) % len(fleet.Columns)
		}
		t.setSort(fleet.Columns[i])
		return refetch
	case key.Matches(msg, k.Invert):
		t.desc = !t.desc
		t.offset, t.sel = 0, 0
		return refetch
	case key.Matches(msg, k.SortCPU):
		t.setSort(fleet.ColCPU)
		return refetch
	case key.Matches(msg, k.SortMem):
		t.setSort(fleet.ColMem)
		return refetch
	}
	return nil
}

// setSort sorts by col, in its natural direction: names A-Z, everything
// else the biggest (worst) first.
func (t *hostTable) setSort(col string) {
	t.sortCol, t.desc = col, col != fleet.ColHost && col != fleet.ColStatus
	t.offset, t.sel = 0, 0
}

// shown picks the columns that fit in w cells, in table order.
func shown(w int) ([]column, int) {
	byPrio := append([]column(nil), tableColumns...)
	keep := map[string]bool{}
	used := minHostWidth
	for p := 1; p <= 11; p++ {
		for _, c := range byPrio {
			if c.prio == p && used+1+c.width <= w {
				keep[c.name] = true
				used += 1 + c.width
			}
		}
	}
	var out []column
	for _, c := range tableColumns {
		if c.name == fleet.ColHost || keep[c.name] {
			out = append(out, c)
		}
	}
	// A wide screen gives the host up to 40 cells; the rest stays blank.
	return out, min(minHostWidth+(w-used), 40)
}

func pad(s string, w int, right bool) string {
	if right {
		if n := w - len([]rune(s)); n > 0 {
			s = strings.Repeat(" ", n) + s
		}
	}
	return tui.Fit(s, w)
}

// View draws the table in its box.
func (t *hostTable) View(focused bool) []string {
	cols, hostW := shown(t.w - 2)
	var hdr strings.Builder
	for i, c := range cols {
		w := c.width
		if c.name == fleet.ColHost {
			w = hostW
		}
		name := strings.ToUpper(c.name)
		if c.name == t.sortCol {
			if t.desc {
				name += "▼"
			} else {
				name += "▲"
			}
		}
		if i > 0 {
			hdr.WriteByte(' ')
		}
		hdr.WriteString(pad(name, w, c.right))
	}
	lines := []string{t.st.TableHeader.Render(tui.Fit(hdr.String(), t.w-2))}
	for i, h := range t.hosts {
		if i >= t.rows() {
			break
		}
		cells := fleet.Cells(h)
		var b strings.Builder
		for j, c := range cols {
			w := c.width
			if c.name == fleet.ColHost {
				w = hostW
			}
			var idx int
			for k, name := range fleet.Columns {
				if name == c.name {
					idx = k
				}
			}
			cell := pad(cells[idx], w, c.right)
			if i != t.sel {
				cell = t.cellStyle(h, c.name).Render(cell)
			}
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(cell)
		}
		line := tui.Fit(b.String(), t.w-2)
		if i == t.sel {
			line = t.st.Selected.Render(line)
		}
		lines = append(lines, line)
	}
	if len(t.hosts) == 0 {
		msg := "no hosts yet"
		if t.filter != "" {
			msg = "no host matches " + strconv.Quote(t.filter)
		}
		lines = append(lines, t.st.Dim.Render(msg))
	}
	// The page's counts and its worst state colour the border, as the
	// local checks panel does.
	worst, down, notOK := "", 0, 0
	for _, h := range t.hosts {
		if h.Status == fleet.StatusDown {
			down++
		}
		if h.Alarm != "" && h.Alarm != "OK" {
			notOK++
		}
		if fleet.StateRank(h.Alarm) > fleet.StateRank(worst) {
			worst = h.Alarm
		}
	}
	title := "hosts " + t.position()
	if notOK > 0 {
		title += " · " + strconv.Itoa(notOK) + " not OK"
	}
	if down > 0 {
		title += " · " + strconv.Itoa(down) + " DOWN"
	}
	if t.filter != "" || t.editing {
		f := "filter: " + t.filter
		if t.editing {
			f += "█"
		}
		title += " · " + f
	}
	return tui.StateBox(t.st, title, lines, t.w, t.h, focused, worst)
}

// position is "1-20 of 2000".
func (t *hostTable) position() string {
	if t.total == 0 {
		return "0"
	}
	return strconv.Itoa(t.offset+1) + "-" + strconv.Itoa(t.offset+len(t.hosts)) + " of " + strconv.Itoa(t.total)
}

// cellStyle colours a cell as the local checks panel colours states: the
// alarm and a non-OK host's name by state, DOWN in red.
func (t *hostTable) cellStyle(h fleet.Host, col string) tui.Style {
	switch col {
	case fleet.ColStatus:
		if h.Status == fleet.StatusDown {
			return t.st.ConnDown
		}
		return t.st.ConnOK
	case fleet.ColAlarm:
		return t.st.StateStyle(h.Alarm)
	case fleet.ColHost:
		if h.Status == fleet.StatusDown {
			return t.st.ConnDown
		}
		if h.Alarm != "" && h.Alarm != "OK" {
			return t.st.StateStyle(h.Alarm)
		}
		return t.st.Value
	case fleet.ColCPU, fleet.ColMem, fleet.ColDisk:
		if v, ok := fleet.SortKey(h, col); ok {
			return t.st.BarStyle(v)
		}
	case fleet.ColLink:
		if h.Link == "down" {
			return t.st.ConnRetry
		}
	}
	return t.st.Value
}
