package tui

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/internal/when"
	"github.com/virgo-top/virgo-top/record"
)

// mode is what keys currently drive.
type mode int

const (
	modeNormal  mode = iota
	modeFilter       // typing into the process filter (\ F4)
	modeSearch       // typing into the process search (/ F3)
	modeSort         // the sort menu (F6)
	modeKill         // the signal menu (k F9); sends only on Enter
	modeUser         // the user menu (u)
	modeSetup        // the column setup screen (F2)
	modeRenice       // the nice value prompt (r)
	modeDetail       // one process's details
	modeHelp         // the full help screen
	modeGoto         // the g prompt: a time to go to
	modeCheck        // one check's detail (enter on a check)
	modeCgroups      // the cgroup view (c)
)

// feedMsg wraps a message read from Options.Feed, so Update knows to re-arm
// the wait for the next one.
type feedMsg struct{ msg tea.Msg }

// feedClosedMsg says Options.Feed was closed; nothing more will come.
type feedClosedMsg struct{}

// detailMsg carries the process detail text fetched outside View.
type detailMsg struct {
	pid  int32
	text string
	err  error
}

// signalMsg is the outcome of sending a signal.
type signalMsg struct {
	pid  int32
	name string
	err  error
}

// detailView is the state of the process detail screen.
type detailView struct {
	proc    collector.Process
	text    string
	err     error
	loading bool
	offset  int
	// recorded: a process of a replayed moment (no live details).
	recorded bool
}

// Model is the console's root bubbletea model. It composes one sub-model per
// panel, routes keys by mode and focus, and lays the panels out on resize.
type Model struct {
	c      *common
	opts   Options
	ring   *ringHistory // fallback trends when Options.History is nil
	header *headerPanel
	cpu    *cpuPanel
	mem    *memPanel
	disk   *diskPanel
	net    *netPanel
	checks *checksPanel
	procs  *procPanel
	cgview *cgroupView  // the cgroup view (c)
	chk    *checkDetail // one check's detail (enter on a check)
	meters *metersView  // PSI, temperatures, batteries under the header meters
	r      *lipgloss.Renderer
	help   help.Model
	filter lineInput
	search lineInput

	width, height int
	layout        layout
	hidden        [numPanels]bool
	focus         panelID
	mode          mode
	paused        bool
	preset        preset
	sampler       *samplerState // what the sampler was asked for; shared by copies

	// The live feed, kept while paused or replaying: the newest sample
	// and check states, and the live trend source. (The header keeps the
	// live link: a replay shows the recorded one instead.)
	liveSnap *collector.Snapshot
	liveRows []CheckRow
	liveHist HistoryReader
	tt       *travel // the time cursor; shared by copies, like the panels

	menu       menu      // the open side menu (sort, signal, user)
	menuCols   []colID   // the sort menu's columns, parallel to menu.items
	menuUsers  []string  // the user menu's users ("" all), parallel to menu.items
	searchFrom int       // the row a search started from
	setup      setupView // the column setup screen
	renice     lineInput // the nice value prompt
	killPID    int32
	killName   string
	detail     detailView
	status     string
	statusErr  bool

	// setPriority renices a process (syscall.Setpriority where there is
	// one); tests replace it.
	setPriority func(pid int32, nice int) error

	// settings is the console's settings file as loaded and as changed
	// since; settingsDirty: changed this session, saved again at quit.
	settings      settings
	settingsDirty bool
	quitting      bool // a quit key was pressed: save, then quit

	cache *viewCache
}

// viewCache holds View results that change only with focus or width.
type viewCache struct {
	helpFocus panelID
	helpWidth int
	helpBar   timeBar
	help      string
	detailMax int // largest useful detail scroll offset at the last frame
}

// New builds the console model; run it with Run or tea.NewProgram.
func New(opts Options) Model {
	r := lipgloss.DefaultRenderer()
	if opts.NoColor {
		// NO_COLOR forbids colour, not reverse video: the mono theme on
		// a 16-colour profile keeps the selected row visible (the ASCII
		// profile would drop every attribute).
		r = lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI)
	}
	return newModel(opts, r)
}

// newModel builds the model with styles from r (tests pass a colour one).
func newModel(opts Options, r *lipgloss.Renderer) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Signal == nil {
		opts.Signal = sendSignal
	}
	if r, ok := opts.Timeline.(*record.Reader); ok && r == nil {
		opts.Timeline = nil // a nil *record.Reader is no recording
	}
	st := newStyles(r)
	c := &common{styles: st, keys: newKeyMap(), now: opts.Now, loc: time.Local, hist: opts.History}
	m := Model{c: c, opts: opts, focus: panelProcs, cache: &viewCache{helpWidth: -1},
		sampler: &samplerState{}, setPriority: setPriority, r: r, settings: defaultSettings()}
	if opts.History == nil {
		m.ring = newRingHistory()
		c.hist = m.ring
	}
	m.liveHist = c.hist
	m.tt = &travel{tl: opts.Timeline, hasLive: opts.Feed != nil}
	m.tt.prompt = lineInput{limit: 64}
	if !opts.ReplayAt.IsZero() && opts.Timeline != nil {
		m.tt.seq, m.tt.busy = 1, true // Init's seek
	}
	m.header = &headerPanel{c: c, interval: opts.Interval}
	m.cpu = &cpuPanel{c: c}
	m.mem = &memPanel{c: c}
	m.disk = &diskPanel{c: c}
	m.net = &netPanel{c: c}
	m.checks = &checksPanel{c: c}
	m.header.checks = m.checks
	m.procs = newProcPanel(c)
	m.cgview = newCgroupView(c)
	m.chk = newCheckDetail(c)
	m.meters = newMetersView(c)
	m.help = help.New()
	m.loadSettings()
	m.filter = lineInput{limit: 128}
	m.search = lineInput{limit: 128}
	m.renice = lineInput{limit: 3}
	return m
}

// Init starts waiting on the feed, and opens the recording at
// Options.ReplayAt.
func (m Model) Init() tea.Cmd {
	if m.opts.ReplayAt.IsZero() || m.tt.tl == nil {
		return tea.Batch(m.waitFeed(), m.syncSampler())
	}
	// Init has a value receiver: the seek's sequence number 1 is the
	// first the model will expect (see seek).
	start := seekStart{base: m.opts.ReplayAt, hasLive: m.tt.hasLive}
	return tea.Batch(m.waitFeed(), m.syncSampler(), seekCmd(m.tt.tl, 1, start, []seekOp{{kind: seekTo, t: m.opts.ReplayAt}}, m.c.loc))
}

func (m Model) waitFeed() tea.Cmd {
	ch := m.opts.Feed
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return feedClosedMsg{}
		}
		return feedMsg{msg}
	}
}

// Update applies one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case feedMsg:
		next, cmd := m.Update(msg.msg)
		nm := next.(Model)
		return nm, tea.Batch(cmd, nm.waitFeed())
	case feedClosedMsg:
		return m, nil
	case FrameMsg:
		var cmds []tea.Cmd
		for _, sub := range msg {
			next, cmd := m.Update(sub)
			m = next.(Model)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case tea.WindowSizeMsg:
		grew := msg.Width > m.width
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		m.refreshTrends()
		if grew {
			// Wider graphs show more recorded samples.
			return m, m.loadTrends()
		}
		return m, nil
	case SnapshotMsg:
		m.applySnapshot(msg.Snap)
		return m, nil
	case ChecksMsg:
		m.liveRows = msg.Rows
		if !m.tt.active {
			m.checks.setRows(msg.Rows)
			m.relayout()
			m.followCheck()
		}
		return m, nil
	case ConnMsg:
		m.header.conn = msg.Status
		return m, nil
	case seekMsg:
		return m.seekDone(msg)
	case trendsMsg:
		return m, m.trendsDone(msg)
	case spanMsg:
		if msg.err == nil {
			m.tt.from, m.tt.to = msg.from, msg.to
		}
		return m, nil
	case detailMsg:
		if m.mode == modeDetail && msg.pid == m.detail.proc.PID {
			m.detail.text, m.detail.err, m.detail.loading = msg.text, msg.err, false
		}
		return m, nil
	case signalMsg:
		if msg.err != nil {
			m.setStatus("SIG"+msg.name+" to "+strconv.Itoa(int(msg.pid))+" failed: "+msg.err.Error(), true)
		} else {
			m.setStatus("sent SIG"+msg.name+" to "+strconv.Itoa(int(msg.pid)), false)
		}
		return m, nil
	case reniceMsg:
		if msg.err != nil {
			m.setStatus(reniceError(msg.pid, msg.nice, msg.err), true)
		} else {
			m.setStatus("nice of "+strconv.Itoa(int(msg.pid))+" is now "+strconv.Itoa(msg.nice), false)
		}
		return m, nil
	case tea.MouseMsg:
		if m.mode == modeCheck {
			var cmd tea.Cmd
			m.chk, cmd = m.chk.Update(msg)
			return m, cmd
		}
		m.mouse(msg)
		return m, nil
	case prefsChangedMsg:
		return m, m.saveSettings()
	case settingsSavedMsg:
		if msg.err != nil {
			m.setStatus("settings not saved (they last for this session): "+oneLine(msg.err.Error()), true)
		}
		return m, nil
	case checkDetailClosedMsg:
		if m.mode == modeCheck {
			m.mode = modeNormal
		}
		return m, nil
	case cgroupFilterMsg:
		m.closeCgroups()
		m.procs.setCgroup(msg.Path)
		m.focus = panelProcs
		m.setStatus("processes of "+clean(msg.Path)+" (c again for the cgroups; \\ then esc clears)", false)
		return m, m.syncSampler()
	case tea.KeyMsg:
		before := m.prefs()
		next, cmd := m.key(msg)
		nm := next.(Model)
		if after := nm.prefs(); !after.equal(before) {
			nm.settings = nm.settings.withPrefs(after)
			nm.settingsDirty = true
		}
		if nm.quitting {
			return nm, nm.quitCmd()
		}
		return nm, tea.Batch(cmd, nm.afterKey(before))
	}
	return m, nil
}

func (m *Model) setStatus(s string, isErr bool) { m.status, m.statusErr = s, isErr }

// applySnapshot keeps snap as the newest live sample and shows it unless
// paused or replaying.
func (m *Model) applySnapshot(snap *collector.Snapshot) {
	if snap == nil {
		return
	}
	if m.ring != nil {
		m.ring.add(snap)
	}
	m.liveSnap = snap
	if !m.paused && !m.tt.active {
		m.showSnapshot(snap)
	}
}

// showSnapshot makes snap the shown sample.
func (m *Model) showSnapshot(snap *collector.Snapshot) {
	m.c.snap = snap
	m.procs.setProcesses(snap.Processes)
	m.relayout()
	m.refreshTrends()
}

// refreshTrends re-reads every graph's series: on a new sample, a resize or
// a window change, never in View.
func (m *Model) refreshTrends() {
	m.cpu.refresh()
	m.mem.refresh()
	m.disk.refresh()
	m.net.refresh()
	m.cgview.refresh()
	if m.mode == modeCheck {
		m.chk.refresh()
	}
}

// relayout recomputes panel places and hands each panel its size.
func (m *Model) relayout() {
	diskRows, netRows := 0, 0
	if s := m.c.snap; s != nil {
		diskRows, netRows = len(s.Filesystems)+len(s.Disks), len(s.Network)
	}
	m.meters.SetSize(m.width, 3)
	m.layout = computeLayout(m.width, m.height, m.preset, m.hidden, diskRows, netRows, m.checks.wantHeight(), m.meters.Height())
	m.header.SetSize(m.width)
	bodyH := max(0, m.height-3)
	m.cgview.SetSize(m.width, bodyH)
	m.chk.SetSize(m.width, bodyH)
	m.help.Width = m.width
	for _, row := range m.layout.rows {
		x := 0
		for i, id := range row.panels {
			m.panelSize(id, row.widths[i], row.h)
			if id == panelProcs {
				m.procs.setOrigin(x, row.y)
			}
			x += row.widths[i]
		}
	}
	if !m.layout.shown[m.focus] {
		m.cycleFocus(1)
	}
}

func (m *Model) panelSize(id panelID, w, h int) {
	switch id {
	case panelCPU:
		m.cpu.SetSize(w, h)
	case panelMem:
		m.mem.SetSize(w, h)
	case panelDisk:
		m.disk.SetSize(w, h)
	case panelNet:
		m.net.SetSize(w, h)
	case panelChecks:
		m.checks.SetSize(w, h)
	case panelProcs:
		m.procs.SetSize(w, h)
	}
}

// cycleFocus moves focus to the next (d=1) or previous (d=-1) shown panel.
func (m *Model) cycleFocus(d int) {
	for i := 1; i <= int(numPanels); i++ {
		id := panelID((int(m.focus) + d*i + 2*int(numPanels)) % int(numPanels))
		if m.layout.shown[id] {
			m.focus = id
			return
		}
	}
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	if msg.Type == tea.KeyCtrlC {
		return m.quit(), nil
	}
	// Fast typing arrives as one message of several runes ("/ssh"): take
	// them one key at a time so "/" opens the search and the rest fill it.
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.typing() {
		var cmds []tea.Cmd
		cur := m
		for i, r := range msg.Runes {
			if cur.typing() {
				rest := tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[i:]}
				next, cmd := cur.key(rest)
				return next, tea.Batch(append(cmds, cmd)...)
			}
			next, cmd := cur.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			cur = next.(Model)
			cmds = append(cmds, cmd)
		}
		return cur, tea.Batch(cmds...)
	}
	switch m.mode {
	case modeFilter:
		switch {
		case key.Matches(msg, k.Cancel):
			m.filter.Reset()
			m.procs.setFilter("")
			m.procs.setCgroup("")
			m.mode = modeNormal
			return m, nil
		case key.Matches(msg, k.Accept):
			m.mode = modeNormal
			return m, nil
		case key.Matches(msg, k.Up, k.Down, k.PgUp, k.PgDown):
			m.tableKey(msg)
			return m, nil
		}
		if m.filter.Update(msg) {
			m.procs.setFilter(m.filter.Value())
		}
		return m, nil
	case modeSearch:
		return m.searchKey(msg)
	case modeSort, modeKill, modeUser:
		return m.menuKey(msg)
	case modeSetup:
		return m, m.setupKey(msg)
	case modeRenice:
		switch {
		case key.Matches(msg, k.Cancel):
			m.mode = modeNormal
			m.setStatus("renice cancelled", false)
			return m, nil
		case key.Matches(msg, k.Accept):
			m.mode = modeNormal
			n, err := strconv.Atoi(strings.TrimSpace(m.renice.Value()))
			if err != nil || n < minNice || n > maxNice {
				m.setStatus("a nice value is a number from -20 (most CPU) to 19 (least)", true)
				return m, nil
			}
			return m, m.reniceCmd(m.killPID, n)
		}
		if msg.Type == tea.KeyRunes {
			for _, r := range msg.Runes {
				if (r < '0' || r > '9') && r != '-' {
					return m, nil
				}
			}
		}
		m.renice.Update(msg)
		return m, nil
	case modeDetail:
		switch {
		case key.Matches(msg, k.Close, k.Detail):
			m.mode = modeNormal
		case key.Matches(msg, k.Quit):
			return m.quit(), nil
		case key.Matches(msg, k.Up):
			m.scrollDetail(-1)
		case key.Matches(msg, k.Down):
			m.scrollDetail(1)
		case key.Matches(msg, k.PgUp):
			m.scrollDetail(-10)
		case key.Matches(msg, k.PgDown):
			m.scrollDetail(10)
		case key.Matches(msg, k.Home):
			m.detail.offset = 0
		case key.Matches(msg, k.End):
			m.detail.offset = m.cache.detailMax
		}
		return m, nil
	case modeHelp:
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit(), nil
		case key.Matches(msg, k.Help, k.Close):
			m.mode = modeNormal
		}
		return m, nil
	case modeGoto:
		return m.gotoKey(msg)
	case modeCheck:
		if key.Matches(msg, k.Quit) {
			return m.quit(), nil
		}
		var cmd tea.Cmd
		m.chk, cmd = m.chk.Update(msg)
		return m, cmd
	case modeCgroups:
		switch {
		case key.Matches(msg, k.Quit):
			return m.quit(), nil
		case key.Matches(msg, k.Close, k.Cgroups):
			m.closeCgroups()
			return m, m.syncSampler()
		}
		var cmd tea.Cmd
		m.cgview, cmd = m.cgview.Update(msg)
		return m, cmd
	}

	m.status = ""
	if cmd, ok := m.timeKey(msg); ok {
		return m, cmd
	}
	if m.focus == panelChecks && key.Matches(msg, k.Detail) {
		m.openCheck()
		return m, nil
	}
	if cmd, ok := m.procKey(msg); ok {
		return m, cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit(), nil
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Cgroups):
		m.openCgroups()
		return m, m.syncSampler()
	case key.Matches(msg, k.Layout):
		m.preset = (m.preset + 1) % numPresets
		m.header.layout = m.preset
		switch m.preset {
		case presetChecks:
			m.focus = panelChecks
		default:
			m.focus = panelProcs
		}
		m.relayout()
		m.refreshTrends()
		m.setStatus("layout: "+presetNames[m.preset]+" (v for the next)", false)
	case key.Matches(msg, k.FocusNext):
		m.cycleFocus(1)
	case key.Matches(msg, k.FocusPrev):
		m.cycleFocus(-1)
	case key.Matches(msg, k.Pause):
		m.paused = !m.paused
		if !m.paused && !m.tt.active && m.liveSnap != nil && m.liveSnap != m.c.snap {
			m.showSnapshot(m.liveSnap)
		}
	case key.Matches(msg, k.Window):
		m.c.window = (m.c.window + 1) % numWindows
		if m.tt.active {
			m.c.trendsLoading = true
			m.refreshTrends()
			return m, m.loadTrends()
		}
		m.refreshTrends()
	case key.Matches(msg, k.Up, k.Down, k.PgUp, k.PgDown, k.Home, k.End):
		m.tableKey(msg)
	default:
		for i, b := range k.Toggle {
			if key.Matches(msg, b) {
				m.hidden[i] = !m.hidden[i]
				m.relayout()
				m.refreshTrends()
			}
		}
	}
	return m, nil
}

// typing reports a mode that takes text, where every rune is input.
func (m Model) typing() bool {
	return m.mode == modeFilter || m.mode == modeSearch || m.mode == modeGoto || m.mode == modeRenice
}

// procKey handles the process table's keys in normal mode; ok is false
// for any other key.
func (m *Model) procKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := m.c.keys
	tableShown := m.layout.shown[panelProcs]
	switch {
	case key.Matches(msg, k.Search):
		m.mode = modeSearch
		m.searchFrom = m.procs.cursor
		m.search.SetValue(m.procs.search)
	case key.Matches(msg, k.NextMatch):
		switch {
		case m.procs.search == "":
			m.setStatus("nothing searched yet: / to search", false)
		case !m.procs.findNext(m.procs.cursor + 1):
			m.setStatus("no process matches \""+clean(m.procs.search)+"\"", true)
		}
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.filter.SetValue(m.procs.filter)
	case key.Matches(msg, k.Users):
		m.openUserMenu()
	case key.Matches(msg, k.SortMenu):
		m.openSortMenu()
	case key.Matches(msg, k.Setup):
		m.mode = modeSetup
		m.setup = setupView{}
	case key.Matches(msg, k.Kill, k.NiceDown, k.NiceUp, k.Renice) && m.tt.active:
		m.setStatus("a recorded process may be gone or its pid reused: L for live, then signal or renice", true)
	case key.Matches(msg, k.Kill):
		if p, ok := m.procs.selected(); ok && tableShown {
			m.mode = modeKill
			m.killPID, m.killName = p.PID, p.Name
			m.menu = menu{title: "Send signal", cursor: defaultSignal()}
			for _, c := range signalChoices {
				m.menu.items = append(m.menu.items, padLeft(strconv.Itoa(int(c.Sig)), 2)+" SIG"+c.Name)
			}
		}
	case key.Matches(msg, k.NiceDown, k.NiceUp):
		p, ok := m.procs.selected()
		if !ok || !tableShown {
			return nil, true
		}
		n := int(p.Nice) + 1
		if key.Matches(msg, k.NiceDown) {
			n = int(p.Nice) - 1
		}
		if n < minNice || n > maxNice {
			m.setStatus("nice stays within -20 and 19", true)
			return nil, true
		}
		return m.reniceCmd(p.PID, n), true
	case key.Matches(msg, k.Renice):
		if p, ok := m.procs.selected(); ok && tableShown {
			m.mode = modeRenice
			m.killPID, m.killName = p.PID, p.Name
			m.renice.SetValue(strconv.Itoa(int(p.Nice)))
		}
	case key.Matches(msg, k.Tree):
		m.procs.toggleTree()
	case key.Matches(msg, k.Expand, k.Collapse, k.ExpandAll) && !m.procs.tree:
		m.setStatus("+ - * fold the tree view: t shows it", false)
	case key.Matches(msg, k.Expand):
		m.procs.expand()
	case key.Matches(msg, k.Collapse):
		m.procs.collapse()
	case key.Matches(msg, k.ExpandAll):
		m.procs.expandAll()
	case key.Matches(msg, k.Threads):
		if m.opts.SetThreads == nil && !m.procs.threads && !m.tt.active {
			m.setStatus("threads are not listed by this console's sampler", true)
			return nil, true
		}
		m.procs.setThreads(!m.procs.threads)
	case key.Matches(msg, k.ScrollCmd) && m.focus == panelProcs:
		d := 8
		if msg.Type == tea.KeyLeft {
			d = -8
		}
		m.procs.scrollCommand(d)
	case key.Matches(msg, k.Follow):
		m.procs.toggleFollow()
	case key.Matches(msg, k.SortCPU):
		m.procs.setSort(colCPU)
	case key.Matches(msg, k.SortMem):
		m.procs.setSort(colMem)
	case key.Matches(msg, k.SortPID):
		m.procs.setSort(colPID)
	case key.Matches(msg, k.SortTime):
		m.procs.setSort(colTime)
	case key.Matches(msg, k.SortInvert):
		m.procs.invertSort()
	case key.Matches(msg, k.Detail):
		return m.openDetail(), true
	default:
		return nil, false
	}
	return nil, true
}

// searchKey edits the search: each change moves the selection to the
// first match from where the search started; Enter keeps the search (n
// finds the next), Esc ends it.
func (m Model) searchKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Cancel):
		m.search.Reset()
		m.procs.search = ""
		m.mode = modeNormal
		return m, nil
	case key.Matches(msg, k.Accept):
		m.mode = modeNormal
		return m, nil
	case key.Matches(msg, k.Up, k.Down, k.PgUp, k.PgDown):
		m.tableKey(msg)
		return m, nil
	}
	if m.search.Update(msg) {
		m.procs.setSearch(m.search.Value(), m.searchFrom)
	}
	return m, nil
}

// openSortMenu lists every column to sort on, the current one chosen.
func (m *Model) openSortMenu() {
	m.mode = modeSort
	m.menu = menu{title: "Sort by"}
	m.menuCols = m.menuCols[:0]
	for id := colID(0); id < numCols; id++ {
		if id == m.procs.key {
			m.menu.cursor = len(m.menu.items)
		}
		m.menu.items = append(m.menu.items, columnDefs[id].title)
		m.menuCols = append(m.menuCols, id)
	}
}

// openUserMenu lists the users that own a process, "all users" first.
func (m *Model) openUserMenu() {
	names, counts := m.procs.users()
	m.mode = modeUser
	m.menu = menu{title: "Show processes of", items: []string{"all users"}}
	m.menuUsers = append(m.menuUsers[:0], "")
	for _, u := range names {
		if u == m.procs.user {
			m.menu.cursor = len(m.menu.items)
		}
		label := u
		if label == "" {
			label = "(unknown)"
		}
		m.menu.items = append(m.menu.items, clean(label)+" ("+strconv.Itoa(counts[u])+")")
		m.menuUsers = append(m.menuUsers, u)
	}
}

// menuKey drives the open side menu: arrows choose, Enter applies (sends,
// for the signal menu), Esc cancels; digits pick a signal by number.
func (m Model) menuKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.c.keys
	switch {
	case key.Matches(msg, k.Cancel), m.mode == modeSort && key.Matches(msg, k.SortMenu),
		m.mode == modeUser && key.Matches(msg, k.Users):
		if m.mode == modeKill {
			m.setStatus("signal cancelled", false)
		}
		m.mode = modeNormal
	case key.Matches(msg, k.Up, k.Left):
		m.menu.move(-1)
	case key.Matches(msg, k.Down, k.Right):
		m.menu.move(1)
	case key.Matches(msg, k.PgUp):
		m.menu.page(-10)
	case key.Matches(msg, k.PgDown):
		m.menu.page(10)
	case key.Matches(msg, k.Home):
		m.menu.cursor, m.menu.typed = 0, ""
	case key.Matches(msg, k.End):
		m.menu.cursor, m.menu.typed = len(m.menu.items)-1, ""
	case key.Matches(msg, k.Accept):
		mode := m.mode
		m.mode = modeNormal
		switch mode {
		case modeKill:
			return m, m.sendSignal()
		case modeSort:
			if id := m.menuCols[m.menu.cursor]; id != m.procs.key {
				m.procs.setSort(id)
			}
		case modeUser:
			m.procs.setUser(m.menuUsers[m.menu.cursor])
		}
	case m.mode == modeKill && msg.Type == tea.KeyBackspace:
		m.menu.typed = ""
	case m.mode == modeKill && msg.Type == tea.KeyRunes && len(msg.Runes) == 1 && msg.Runes[0] >= '0' && msg.Runes[0] <= '9':
		// A number picks its signal: "9", or "1" then "5" for TERM.
		typed := m.menu.typed + string(msg.Runes[0])
		if n, _ := strconv.Atoi(typed); len(typed) > 2 || n > int(signalChoices[len(signalChoices)-1].Sig) {
			typed = string(msg.Runes[0])
		}
		if n, _ := strconv.Atoi(typed); n > 0 {
			if i, ok := signalByNumber(n); ok {
				m.menu.cursor = i
			}
		}
		m.menu.typed = typed
	}
	return m, nil
}

// setupKey drives the column setup screen; changes apply at once.
func (m *Model) setupKey(msg tea.KeyMsg) tea.Cmd {
	k := m.c.keys
	list := setupList(m.procs.cols)
	cur := clamp(m.setup.cursor, 0, len(list)-1)
	switch {
	case key.Matches(msg, k.Close, k.Setup):
		m.mode = modeNormal
	case key.Matches(msg, k.Quit):
		m.quitting = true
		return nil
	case key.Matches(msg, k.Theme):
		m.cycleTheme()
	case key.Matches(msg, k.ColUp):
		m.procs.setColumns(moveColumn(m.procs.cols, list[cur], -1))
		if slices.Contains(m.procs.cols, list[cur]) {
			m.setup.cursor = max(0, slices.Index(m.procs.cols, list[cur]))
		}
	case key.Matches(msg, k.ColDown):
		m.procs.setColumns(moveColumn(m.procs.cols, list[cur], 1))
		if slices.Contains(m.procs.cols, list[cur]) {
			m.setup.cursor = slices.Index(m.procs.cols, list[cur])
		}
	case key.Matches(msg, k.Up):
		m.setup.cursor = max(0, cur-1)
	case key.Matches(msg, k.Down):
		m.setup.cursor = min(len(list)-1, cur+1)
	case key.Matches(msg, k.Home):
		m.setup.cursor = 0
	case key.Matches(msg, k.End):
		m.setup.cursor = len(list) - 1
	case key.Matches(msg, k.Toggle1):
		id := list[cur]
		m.procs.setColumns(toggleColumn(m.procs.cols, id))
		m.setup.cursor = slices.Index(setupList(m.procs.cols), id)
	}
	return nil
}

// reniceCmd sets a process's nice value outside Update.
func (m *Model) reniceCmd(pid int32, nice int) tea.Cmd {
	set := m.setPriority
	m.setStatus("renicing "+strconv.Itoa(int(pid))+" to "+strconv.Itoa(nice)+"…", false)
	return func() tea.Msg {
		return reniceMsg{pid: pid, nice: nice, err: set(pid, nice)}
	}
}

// tableKey moves within the focused panel: the process cursor, or the
// scroll offset of the disk, network and checks lists.
func (m *Model) tableKey(msg tea.KeyMsg) {
	k := m.c.keys
	if m.focus == panelProcs || m.mode == modeFilter || m.mode == modeSearch {
		switch {
		case key.Matches(msg, k.Up):
			m.procs.move(-1)
		case key.Matches(msg, k.Down):
			m.procs.move(1)
		case key.Matches(msg, k.PgUp):
			m.procs.page(-1)
		case key.Matches(msg, k.PgDown):
			m.procs.page(1)
		case key.Matches(msg, k.Home):
			m.procs.moveTo(0)
		case key.Matches(msg, k.End):
			m.procs.moveTo(len(m.procs.order) - 1)
		}
		return
	}
	d := 0
	switch {
	case key.Matches(msg, k.Up):
		d = -1
	case key.Matches(msg, k.Down):
		d = 1
	case key.Matches(msg, k.PgUp):
		d = -5
	case key.Matches(msg, k.PgDown):
		d = 5
	case key.Matches(msg, k.Home):
		d = -1 << 20
	case key.Matches(msg, k.End):
		d = 1 << 20
	}
	m.scrollPanel(m.focus, d)
}

func (m *Model) scrollPanel(id panelID, d int) {
	switch id {
	case panelDisk:
		m.disk.scroll(d)
	case panelNet:
		m.net.scroll(d)
	case panelChecks:
		m.checks.scroll(d)
	case panelProcs:
		m.procs.move(d)
	}
}

// mouse: the wheel scrolls the panel under the pointer, a click selects a
// process row (and focuses the table).
func (m *Model) mouse(msg tea.MouseMsg) {
	if m.mode != modeNormal && m.mode != modeFilter {
		return
	}
	id, ok := m.panelAt(msg.X, msg.Y)
	if !ok {
		return
	}
	switch {
	case msg.Button == tea.MouseButtonWheelUp:
		m.scrollPanel(id, -3)
	case msg.Button == tea.MouseButtonWheelDown:
		m.scrollPanel(id, 3)
	case msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress:
		m.focus = id
		if id == panelProcs {
			m.procs.clickRow(msg.X, msg.Y)
		}
	}
}

func (m *Model) panelAt(x, y int) (panelID, bool) {
	for _, row := range m.layout.rows {
		if y < row.y || y >= row.y+row.h {
			continue
		}
		px := 0
		for i, id := range row.panels {
			if x >= px && x < px+row.widths[i] {
				return id, true
			}
			px += row.widths[i]
		}
	}
	return 0, false
}

// openDetail shows the selected process and fetches its detail text.
func (m *Model) openDetail() tea.Cmd {
	p, ok := m.procs.selected()
	if !ok || !m.layout.shown[panelProcs] {
		return nil
	}
	m.mode = modeDetail
	// A recorded process is shown as recorded: /proc has today's, if any.
	m.detail = detailView{proc: p, loading: m.opts.Detail != nil && !m.tt.active, recorded: m.tt.active}
	if m.opts.Detail == nil || m.tt.active {
		return nil
	}
	fetch, pid := m.opts.Detail, p.PID
	return func() tea.Msg {
		text, err := fetch(pid)
		return detailMsg{pid: pid, text: text, err: err}
	}
}

// scrollDetail moves the detail view, within what the last frame showed.
func (m *Model) scrollDetail(d int) {
	m.detail.offset = clamp(m.detail.offset+d, 0, m.cache.detailMax)
}

// sendSignal is the command that sends the chosen signal after y.
func (m *Model) sendSignal() tea.Cmd {
	choice := signalChoices[clamp(m.menu.cursor, 0, len(signalChoices)-1)]
	pid, send := m.killPID, m.opts.Signal
	m.setStatus("sending SIG"+choice.Name+" to "+strconv.Itoa(int(pid))+"…", false)
	return func() tea.Msg {
		return signalMsg{pid: pid, name: choice.Name, err: send(pid, syscall.Signal(choice.Sig))}
	}
}

// View draws the whole screen: every line is cut to the terminal width and
// there are never more lines than the terminal has.
func (m Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if m.layout.tooSmall {
		return tooSmall(w, h)
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.header.view(m.paused)...)
	bodyH := h - 3
	switch m.mode {
	case modeHelp:
		lines = append(lines, m.helpScreen(w, bodyH)...)
	case modeDetail:
		lines = append(lines, m.detailScreen(w, bodyH)...)
	case modeSetup:
		lines = append(lines, m.setupScreen(w, bodyH)...)
	case modeCheck:
		lines = append(lines, bodyLines(m.chk.View(), bodyH)...)
	case modeCgroups:
		lines = append(lines, bodyLines(m.cgview.View(), bodyH)...)
	default:
		lines = append(lines, m.header.meters(w, m.layout.meters-m.layout.extra)...)
		extra := bodyLines(m.meters.View(), m.layout.extra)
		for len(extra) < m.layout.extra {
			extra = append(extra, "")
		}
		lines = append(lines, extra...)
		for _, row := range m.layout.rows {
			cols := make([][]string, len(row.panels))
			for i, id := range row.panels {
				cols[i] = m.panelView(id, row.widths[i], row.h)
			}
			for y := 0; y < row.h; y++ {
				var b strings.Builder
				for _, c := range cols {
					if y < len(c) {
						b.WriteString(c[y])
					}
				}
				lines = append(lines, b.String())
			}
		}
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	lines = lines[:h-1]
	if m.mode == modeSort || m.mode == modeKill || m.mode == modeUser {
		// The menu down the left of the panels, below the meters.
		top := 2 + m.layout.meters
		mn := m.menu
		overlay(lines, mn.view(m.c.styles, w, len(lines)-top), top)
	}
	if m.mode == modeGoto {
		// The prompt's hint and error over the bottom of the body.
		hint := m.gotoHint(w, max(0, len(lines)-2))
		copy(lines[len(lines)-len(hint):], hint)
	}
	lines = append(lines, m.footer(w))
	for i := range lines {
		lines[i] = fit(lines[i], w)
	}
	return strings.Join(lines, "\n")
}

func (m Model) panelView(id panelID, w, h int) []string {
	focused := m.focus == id
	switch id {
	case panelCPU:
		return m.cpu.view(focused)
	case panelMem:
		return m.mem.view(focused)
	case panelDisk:
		return m.disk.view(focused)
	case panelNet:
		return m.net.view(focused)
	case panelChecks:
		return m.checks.view(focused)
	case panelProcs:
		return m.procs.view(focused)
	}
	return blank(w, h)
}

// tooSmall is the message shown below the minimum size, cut to fit.
func tooSmall(w, h int) string {
	msg := []string{
		"terminal too small",
		"need at least " + strconv.Itoa(minWidth) + "x" + strconv.Itoa(minHeight),
		"have " + strconv.Itoa(w) + "x" + strconv.Itoa(h),
	}
	long := "terminal too small (need at least " + strconv.Itoa(minWidth) + "x" + strconv.Itoa(minHeight) +
		", have " + strconv.Itoa(w) + "x" + strconv.Itoa(h) + ")"
	if len(long) <= w {
		msg = []string{long, "q quits"}
	}
	out := make([]string, 0, h)
	for _, l := range msg {
		if len(out) == h {
			break
		}
		out = append(out, fit(l, w))
	}
	return strings.Join(out, "\n")
}

// footer is the prompt of the current mode, the last action's result, or
// the key help.
func (m Model) footer(w int) string {
	s := m.c.styles
	k := m.c.keys
	switch m.mode {
	case modeFilter:
		n := strconv.Itoa(len(m.procs.order)) + " of " + strconv.Itoa(len(m.procs.procs))
		return m.filter.View(s, "\\ filter: ") + s.Dim.Render("  "+n+" shown · enter keep · esc clear")
	case modeSearch:
		hint := "  enter keep (n next) · esc end · ↑/↓ move"
		if m.procs.search != "" && (len(m.procs.order) == 0 || !matches(&m.procs.procs[m.procs.order[m.procs.cursor]], m.procs.search)) {
			return m.search.View(s, "/ search: ") + s.Error.Render("  no match") + s.Dim.Render(hint)
		}
		return m.search.View(s, "/ search: ") + s.Dim.Render(hint)
	case modeSort:
		return s.Prompt.Render("Sort by: ") + s.Dim.Render("↑/↓ choose · enter sort · esc cancel (again: invert)")
	case modeUser:
		return s.Prompt.Render("Show the processes of: ") + s.Dim.Render("↑/↓ choose · enter show · esc cancel")
	case modeKill:
		t := s.Prompt.Render("Send signal to "+strconv.Itoa(int(m.killPID))+" ("+clean(m.killName)+"): ") +
			s.PromptChoice.Render("SIG"+signalChoices[clamp(m.menu.cursor, 0, len(signalChoices)-1)].Name)
		if m.menu.typed != "" {
			t += s.Dim.Render(" #" + m.menu.typed)
		}
		return t + s.Dim.Render("  ↑/↓ or a number choose · enter send · esc cancel")
	case modeRenice:
		return m.renice.View(s, "Nice of "+strconv.Itoa(int(m.killPID))+" ("+clean(m.killName)+"): ") +
			s.Dim.Render("  -20 most CPU … 19 least (lowering needs root) · enter set · esc cancel")
	case modeSetup:
		return m.help.ShortHelpView([]key.Binding{k.Up, k.Down, k.Toggle1, k.ColUp, k.ColDown, k.Theme, k.Close})
	case modeCheck:
		return m.help.ShortHelpView(m.chk.keys.ShortHelp())
	case modeCgroups:
		return m.help.ShortHelpView(append(m.cgview.keys.ShortHelp(), k.Close))
	case modeDetail:
		return m.help.ShortHelpView([]key.Binding{k.Close, k.Up, k.Down, k.PgUp, k.PgDown, k.Quit})
	case modeHelp:
		return m.help.ShortHelpView([]key.Binding{k.Close, k.Quit})
	case modeGoto:
		return m.tt.prompt.View(s, "go to: ") + s.Dim.Render("  enter go · esc cancel")
	}
	if m.status != "" {
		if m.statusErr {
			return s.Error.Render(clean(m.status))
		}
		return s.Status.Render(clean(m.status))
	}
	tb := timeNone
	switch {
	case m.tt.active:
		tb = timeReplay
	case m.tt.tl != nil:
		tb = timeLive
	}
	if c := m.cache; c.helpWidth != w || c.helpFocus != m.focus || c.helpBar != tb {
		c.help = m.help.View(helpKeys{short: k.shortHelp(m.focus, tb)})
		c.helpWidth, c.helpFocus, c.helpBar = w, m.focus, tb
	}
	return m.cache.help
}

// timeTravelHelp explains the time keys on the help screen.
const timeTravelHelp = "Time travel: [ ] { } g ! move a cursor over the host's recording, and every panel shows " +
	"that moment: processes, checks and alarms as they were, graphs ending at it (┊). " +
	"g takes " + when.Forms + ". Esc closes the open prompt or view first, then returns to live, as L does."

// helpScreen is the full key reference.
func (m Model) helpScreen(w, h int) []string {
	s := m.c.styles
	out := []string{"", s.PanelTitle.Render("  virgo-top keys"), ""}
	full := m.help.FullHelpView(m.c.keys.fullHelp())
	for _, l := range strings.Split(full, "\n") {
		out = append(out, "  "+l)
	}
	out = append(out, "",
		s.Dim.Render("  Panels: 1 cpu · 2 memory · 3 disk · 4 network · 5 checks · 6 processes."),
		s.Dim.Render("  Trend windows (w): live samples, last hour (per minute), last day (per hour)."),
		s.Dim.Render("  / (F3) searches: the selection moves to a match, n to the next; \\ (F4) filters: the rest is hidden."),
		s.Dim.Render("  k: ↑/↓ or a signal's number choose, Enter sends, Esc cancels. F7/F8 nice -1/+1, r a nice value (-20..19;"),
		s.Dim.Render("  lowering it needs root). F2 chooses and orders columns, F6 the sort column, v the layout."))
	for _, l := range wordWrap(timeTravelHelp, max(1, w-4)) {
		out = append(out, s.Dim.Render("  "+l))
	}
	if len(out) > h {
		out = out[:h]
	}
	for i := range out {
		out[i] = fit(out[i], w)
	}
	return out
}

// detailScreen draws the process detail view over the whole body.
func (m Model) detailScreen(w, h int) []string {
	s := m.c.styles
	p := m.detail.proc
	kv := func(k, v string) string { return s.Label.Render(k+" ") + s.Value.Render(v) + "  " }
	lines := []string{
		kv("pid", strconv.Itoa(int(p.PID))) + kv("ppid", strconv.Itoa(int(p.PPID))) + kv("user", clean(p.User)) +
			kv("state", clean(p.State)) + kv("threads", strconv.Itoa(int(p.Threads))) + kv("nice", strconv.Itoa(int(p.Nice))),
		kv("cpu", pct(p.CPUPct)) + kv("mem", pct(p.MemPct)) + kv("rss", humanBytes(float64(p.RSSBytes))) +
			kv("vms", humanBytes(float64(p.VMSBytes))) + kv("cpu time", cpuTime(p.CPUTimeS)),
	}
	if !p.StartTime.IsZero() {
		lines = append(lines, kv("started", p.StartTime.Format("2006-01-02 15:04:05")))
	}
	lines = append(lines, "")
	switch {
	case m.detail.loading:
		lines = append(lines, s.Dim.Render("loading details…"))
	case m.detail.err != nil:
		lines = append(lines, s.Error.Render("details: "+clean(m.detail.err.Error())))
	case m.opts.Detail == nil || m.detail.recorded:
		if m.detail.recorded && m.c.frame != nil {
			lines = append(lines, s.Dim.Render("as recorded at "+stampAt(m.c.frame.ProcessTime, m.c.now(), m.c.loc)+
				" (open files, io and /proc/PID/status are not recorded)"), "")
		}
		lines = append(lines, s.Label.Render("cmdline"))
		lines = append(lines, wrap("  "+clean(p.Cmdline), max(1, w-2))...)
	default:
		for _, l := range strings.Split(strings.ReplaceAll(m.detail.text, "\t", "    "), "\n") {
			lines = append(lines, wrap(clean(l), max(1, w-2))...)
		}
	}
	m.cache.detailMax = max(0, len(lines)-(h-2))
	off := min(m.detail.offset, m.cache.detailMax)
	title := " " + s.PanelTitle.Render("Process "+strconv.Itoa(int(p.PID))+" "+clean(p.Name)) + s.Dim.Render(" · esc to close") + " "
	return box(s.BorderFocus, title, lines[off:], w, h)
}

// wrap cuts plain text s into lines of at most w cells.
func wrap(s string, w int) []string {
	if s == "" {
		return []string{""}
	}
	var out []string
	for s != "" {
		head := ansi.Truncate(s, w, "")
		if head == "" { // a rune wider than w
			_, size := utf8.DecodeRuneInString(s)
			head = s[:size]
		}
		out = append(out, head)
		s = s[len(head):]
	}
	return out
}
