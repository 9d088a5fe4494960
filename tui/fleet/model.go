package fleet

import (
	"context"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/tui"
)

// Source is what the console reads: package fleet's queries.
type Source interface {
	Table(ctx context.Context, req fleet.Request) (*fleet.Table, error)
	Alarms(ctx context.Context, at time.Time) ([]fleet.Alarm, error)
	HostDetail(ctx context.Context, host string, span time.Duration, end time.Time, points int) (*fleet.Detail, error)
	EngineVersion(ctx context.Context) (string, error)
}

// Options configure the console.
type Options struct {
	Source  Source
	Engine  string        // the engine's URL, for the status line (no credentials)
	Refresh time.Duration // 15 s by default
	Now     func() time.Time
	// Tick schedules the next refresh; nil: tea.Tick. Tests pass one
	// that never fires.
	Tick func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
	Ctx  context.Context
}

// Messages. Each carries what a command fetched, or its error.
type (
	// tableMsg is a fetched page of the host table.
	tableMsg struct {
		t   *fleet.Table
		err error
	}
	// alarmsMsg is the fetched alarms list.
	alarmsMsg struct {
		a   []fleet.Alarm
		err error
	}
	// detailMsg is a fetched drill-down.
	detailMsg struct {
		d   *fleet.Detail
		err error
	}
	// tickMsg is the refresh timer.
	tickMsg time.Time
	// versionMsg is the engine's version, asked once.
	versionMsg struct {
		v   string
		err error
	}
)

type view int

const (
	viewTable view = iota
	viewAlarms
	viewDetail
)

// Model is the fleet console's root: it routes keys to the view shown,
// runs the fetches and draws the status line.
type Model struct {
	opts   Options
	st     *tui.Styles
	keys   *keyMap
	w, h   int
	view   view
	back   view // where Esc from the drill-down goes
	table  *hostTable
	alarms *alarmList
	detail *hostDetail
	help   bool

	// fetch state, per kind: a fetch in flight is never doubled.
	tableBusy, alarmsBusy, detailBusy bool
	tableAgain                        bool // the request changed while a fetch ran
	lastGood                          time.Time
	version                           string // the engine's, or why it is unknown
	// The last fetch's error per kind ("" when it succeeded): each view
	// shows the table's and its own, so one view's success never hides
	// another's failure.
	tableErr, alarmsErr, detailErr string
	warning                        string // the table's last answer's warnings (partial data)
	took                           time.Duration
}

// New builds the console's model; r is the renderer its styles are built
// on (lipgloss.DefaultRenderer() for the terminal).
func New(opts Options, r *lipgloss.Renderer) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 15 * time.Second
	}
	if opts.Tick == nil {
		opts.Tick = func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd { return tea.Tick(d, fn) }
	}
	if opts.Ctx == nil {
		opts.Ctx = context.Background()
	}
	st := tui.NewStyles(r)
	keys := newKeyMap()
	m := Model{opts: opts, st: st, keys: keys,
		table:  newHostTable(st, keys),
		alarms: newAlarmList(st, keys, opts.Now),
		detail: newHostDetail(st, keys, opts.Now),
		w:      80, h: 24,
	}
	m.layout()
	return m
}

// Init fetches the host table and the engine's version once and starts
// the refresh tick. The fleet's alarms (every alarm not OK, and two
// subqueries over the lookback: they grow with the fleet) are fetched
// only while their list is shown.
func (m Model) Init() tea.Cmd {
	src, ctx := m.opts.Source, m.opts.Ctx
	version := func() tea.Msg {
		v, err := src.EngineVersion(ctx)
		return versionMsg{v, err}
	}
	return tea.Batch(m.fetchTable(), version, m.tick())
}

func (m *Model) tick() tea.Cmd {
	return m.opts.Tick(m.opts.Refresh, func(t time.Time) tea.Msg { return tickMsg(t) })
}

func (m *Model) fetchTable() tea.Cmd {
	if m.tableBusy {
		m.tableAgain = true
		return nil
	}
	m.tableBusy = true
	src, ctx, req := m.opts.Source, m.opts.Ctx, m.table.request()
	return func() tea.Msg {
		t, err := src.Table(ctx, req)
		return tableMsg{t, err}
	}
}

func (m *Model) fetchAlarms() tea.Cmd {
	if m.alarmsBusy {
		return nil
	}
	m.alarmsBusy = true
	src, ctx := m.opts.Source, m.opts.Ctx
	return func() tea.Msg {
		a, err := src.Alarms(ctx, time.Time{})
		return alarmsMsg{a, err}
	}
}

func (m *Model) fetchDetail() tea.Cmd {
	if m.detailBusy || m.detail.host == "" {
		return nil
	}
	m.detailBusy = true
	src, ctx, host, span, n := m.opts.Source, m.opts.Ctx, m.detail.host, spans[m.detail.span].d, m.detail.points()
	return func() tea.Msg {
		d, err := src.HostDetail(ctx, host, span, time.Time{}, n)
		return detailMsg{d, err}
	}
}

// layout sizes the components: everything but the two status lines.
func (m *Model) layout() {
	body := max(m.h-2, 3)
	m.table.SetSize(m.w, body)
	m.alarms.SetSize(m.w, body)
	m.detail.SetSize(m.w, body-1)
}

// Update routes messages.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		oldRows := m.table.rows()
		m.w, m.h = msg.Width, msg.Height
		m.layout()
		if m.table.rows() != oldRows {
			return m, m.fetchTable()
		}
		return m, nil
	case tickMsg:
		return m, tea.Batch(m.tick(), m.refresh())
	case tableMsg:
		m.tableBusy = false
		if msg.err != nil {
			m.tableErr = oneLine(msg.err.Error())
		} else {
			m.tableErr = ""
			m.lastGood = m.opts.Now()
			m.took = msg.t.Took
			m.warning = oneLine(strings.Join(msg.t.Warnings, "; "))
			m.table.setTable(msg.t)
			if m.table.clampOffset() {
				m.tableAgain = true
			}
		}
		if m.tableAgain {
			m.tableAgain = false
			return m, m.fetchTable()
		}
		return m, nil
	case alarmsMsg:
		m.alarmsBusy = false
		if msg.err != nil {
			m.alarmsErr = oneLine(msg.err.Error())
		} else {
			m.alarmsErr = ""
			m.alarms.setAlarms(msg.a)
		}
		return m, nil
	case detailMsg:
		m.detailBusy = false
		if msg.err != nil {
			m.detailErr = oneLine(msg.err.Error())
			return m, nil
		}
		m.detailErr = ""
		m.detail.setDetail(msg.d)
		if m.detail.d == nil && m.view == viewDetail {
			// The host or the window changed while it ran.
			return m, m.fetchDetail()
		}
		return m, nil
	case sortMsg:
		return m, m.fetchTable()
	case versionMsg:
		m.version = msg.v
		if msg.err != nil {
			m.version = "version unknown (" + oneLine(msg.err.Error()) + ")"
		}
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if msg.Type == tea.KeyCtrlC {
		return m, tea.Quit // also while typing a filter
	}
	if m.view == viewTable && m.table.editing {
		return m, m.table.Update(msg)
	}
	if m.help {
		m.help = false
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help = true
		return m, nil
	case key.Matches(msg, k.Refresh):
		return m, m.refresh()
	}
	switch m.view {
	case viewTable:
		switch {
		case key.Matches(msg, k.Enter):
			if h := m.table.selected(); h != "" {
				return m, m.openDetail(h, viewTable)
			}
			return m, nil
		case key.Matches(msg, k.Alarms):
			m.view = viewAlarms
			return m, m.fetchAlarms()
		}
		return m, m.table.Update(msg)
	case viewAlarms:
		switch {
		case key.Matches(msg, k.Enter):
			if h := m.alarms.selectedHost(); h != "" {
				return m, m.openDetail(h, viewAlarms)
			}
			return m, nil
		case key.Matches(msg, k.Alarms), key.Matches(msg, k.Back):
			m.view = viewTable
			return m, nil
		}
		return m, m.alarms.Update(msg)
	case viewDetail:
		switch {
		case key.Matches(msg, k.Back):
			m.view = m.back
			if m.view == viewAlarms {
				return m, m.fetchAlarms()
			}
			return m, nil
		case key.Matches(msg, k.Window):
			m.detail.nextSpan()
			return m, m.fetchDetail()
		}
	}
	return m, nil
}

// refresh fetches the host table (the drill-down's header and the status
// line use it) and what the view shown needs.
func (m *Model) refresh() tea.Cmd {
	cmds := []tea.Cmd{m.fetchTable()}
	switch m.view {
	case viewAlarms:
		cmds = append(cmds, m.fetchAlarms())
	case viewDetail:
		cmds = append(cmds, m.fetchDetail())
	}
	return tea.Batch(cmds...)
}

func (m *Model) openDetail(host string, from view) tea.Cmd {
	m.detail.open(host)
	m.view, m.back = viewDetail, from
	return m.fetchDetail()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// View draws the screen: a title line, the view shown, a status line.
func (m Model) View() string {
	lines := make([]string, 0, m.h)
	lines = append(lines, tui.Fit(m.titleLine(), m.w))
	switch {
	case m.help:
		lines = append(lines, m.helpLines()...)
	case m.view == viewTable:
		lines = append(lines, m.table.View(true)...)
	case m.view == viewAlarms:
		lines = append(lines, m.alarms.View(true)...)
	case m.view == viewDetail:
		lines = append(lines, tui.Fit(m.detailHeader(), m.w))
		lines = append(lines, m.detail.View()...)
	}
	for len(lines) < m.h-1 {
		lines = append(lines, tui.Fit("", m.w))
	}
	lines = lines[:max(m.h-1, 0)]
	lines = append(lines, tui.Fit(m.statusLine(), m.w))
	return strings.Join(lines, "\n")
}

func (m Model) titleLine() string {
	s := m.st.Title.Render("virgo-top fleet") + " " + m.st.HeaderKey.Render("engine") + " " + m.st.HeaderValue.Render(m.opts.Engine)
	if m.version != "" {
		s += " " + m.st.Dim.Render(m.version)
	}
	switch m.view {
	case viewTable:
		s += m.st.Dim.Render("  enter host · a alarms · / filter · <> sort · I invert · ? help · q quit")
	case viewAlarms:
		s += m.st.Dim.Render("  enter host · esc hosts · ? help · q quit")
	case viewDetail:
		s += m.st.Dim.Render("  w 1h/24h/7d · esc back · q quit")
	}
	return s
}

func (m Model) detailHeader() string {
	var h *fleet.Host
	for i := range m.table.hosts {
		if m.table.hosts[i].Host == m.detail.host {
			h = &m.table.hosts[i]
		}
	}
	s := m.st.PanelTitle.Render(fleet.Printable(m.detail.host))
	if h != nil {
		cells := fleet.Cells(*h)
		for i, c := range fleet.Columns[1:] {
			if v := cells[i+1]; v != "" {
				s += "  " + m.st.Label.Render(c) + " " + m.st.Value.Render(v)
			}
		}
	}
	return s
}

// statusLine says when the data shown was fetched, how long the queries
// took, and what went wrong (the last good data stays on the screen): the
// table's error, and the error of the view shown.
func (m Model) statusLine() string {
	now := m.opts.Now()
	var errs []string
	if m.tableErr != "" {
		errs = append(errs, m.tableErr)
	}
	switch {
	case m.view == viewAlarms && m.alarmsErr != "":
		errs = append(errs, m.alarmsErr)
	case m.view == viewDetail && m.detailErr != "":
		errs = append(errs, m.detailErr)
	}
	lastErr := strings.Join(errs, "; ")
	var s string
	switch {
	case m.lastGood.IsZero() && lastErr == "":
		s = m.st.Dim.Render("querying the engine…")
	case m.lastGood.IsZero():
		s = m.st.Error.Render("engine error: " + lastErr + " (no data yet; retrying every " + m.opts.Refresh.String() + ")")
	case lastErr != "":
		s = m.st.Error.Render("engine error: "+lastErr) + m.st.Dim.Render(" · showing data from "+fleet.FormatAge(now.Sub(m.lastGood).Seconds())+" ago")
	default:
		s = m.st.Status.Render("updated "+m.lastGood.Format("15:04:05")+" ("+fleet.FormatAge(now.Sub(m.lastGood).Seconds())+" ago)") +
			m.st.Dim.Render(" · queries "+m.took.Round(time.Millisecond).String()+" · every "+m.opts.Refresh.String())
		if m.warning != "" {
			// Partial data: say so before the timings.
			s = m.st.StateWarn.Render("engine warning: "+m.warning) + m.st.Dim.Render(" · ") + s
		}
	}
	return s
}

func (m Model) helpLines() []string {
	rows := [][2]string{
		{"↑ ↓ pgup pgdn home end", "move (pages are fetched from the engine)"},
		{"/ F3", "filter hosts by name (Enter keeps, Esc clears)"},
		{"< > , .", "sort by the previous / next column"},
		{"P M", "sort by cpu, memory"},
		{"I", "invert the sort"},
		{"Enter", "the host: cpu, memory, disk, network graphs, checks, alarms"},
		{"w", "graph window: 1 h, 24 h, 7 d (drill-down)"},
		{"a Tab", "the fleet's alarms that are not OK (worst, then oldest first)"},
		{"r F5", "refresh now (else every " + m.opts.Refresh.String() + ")"},
		{"Esc", "back"},
		{"q F10", "quit"},
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, m.st.Help.FullKey.Render(tui.Fit(r[0], 24))+" "+r[1])
	}
	lines = append(lines, "", m.st.Dim.Render("any key closes this help"))
	return tui.Box(m.st, "help", lines, m.w, max(m.h-2, 3), true)
}
