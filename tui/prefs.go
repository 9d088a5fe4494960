package tui

import (
	"slices"

	tea "github.com/charmbracelet/bubbletea"
)

// viewPrefs is what the user arranges in the console and the settings
// file keeps: names as the file spells them (presetNames, panelNames,
// columnDefs[].name).
type viewPrefs struct {
	Layout   string   // a preset: "overview", "processes", "checks"
	Hidden   []string // hidden panels, in panel order
	SortKey  string   // the process table's sort column
	SortDesc bool
	Tree     bool
	Columns  []string // the process table's columns, in order
}

// prefsChangedMsg is returned (as a command) by Update whenever a key or
// a click changed prefs(): the moment to save the settings.
type prefsChangedMsg struct{ prefs viewPrefs }

// prefs is the arrangement shown now.
func (m Model) prefs() viewPrefs {
	p := viewPrefs{
		Layout:   presetNames[m.preset],
		SortKey:  columnDefs[m.procs.key].name,
		SortDesc: m.procs.desc,
		Tree:     m.procs.tree,
	}
	for id, h := range m.hidden {
		if h {
			p.Hidden = append(p.Hidden, panelNames[id])
		}
	}
	for _, c := range m.procs.cols {
		p.Columns = append(p.Columns, columnDefs[c].name)
	}
	return p
}

// applyPrefs arranges the console as p says; unknown names are skipped
// (the settings file checks them), an empty SortKey or Columns keeps the
// current one. Call it before Run (or in Update): the sampler toggles it
// implies are asked for by Init, or by the next Update.
func (m *Model) applyPrefs(p viewPrefs) {
	for i, n := range presetNames {
		if n == p.Layout {
			m.preset = preset(i)
			m.header.layout = m.preset
		}
	}
	for id := range m.hidden {
		m.hidden[id] = slices.Contains(p.Hidden, panelNames[id])
	}
	if len(p.Columns) > 0 {
		var cols []colID
		for _, n := range p.Columns {
			if id, ok := columnByName(n); ok && !slices.Contains(cols, id) {
				cols = append(cols, id)
			}
		}
		m.procs.setColumns(cols)
	}
	if id, ok := columnByName(p.SortKey); ok {
		m.procs.key = id
		m.procs.desc = p.SortDesc
	}
	m.procs.tree = p.Tree
	m.procs.rebuild(true)
	m.relayout()
	m.refreshTrends()
}

func (a viewPrefs) equal(b viewPrefs) bool {
	return a.Layout == b.Layout && slices.Equal(a.Hidden, b.Hidden) && a.SortKey == b.SortKey &&
		a.SortDesc == b.SortDesc && a.Tree == b.Tree && slices.Equal(a.Columns, b.Columns)
}

// samplerState is what the sampler was last asked for, shared by the
// model's copies (like the panels).
type samplerState struct {
	io, threads, cgroups bool
}

// syncSampler asks the sampler for per-process I/O while a column shows
// it or the table sorts on it, and for threads while they are shown; only
// changes are sent, in a command (never from View).
func (m Model) syncSampler() tea.Cmd {
	var cmds []tea.Cmd
	if want := needsIO(m.procs.cols, m.procs.key); want != m.sampler.io && m.opts.SetProcessIO != nil {
		m.sampler.io = want
		set := m.opts.SetProcessIO
		cmds = append(cmds, func() tea.Msg { set(want); return nil })
	}
	if want := m.procs.threads; want != m.sampler.threads && m.opts.SetThreads != nil {
		m.sampler.threads = want
		set := m.opts.SetThreads
		cmds = append(cmds, func() tea.Msg { set(want); return nil })
	}
	// The cgroup list while the cgroup view is open.
	if want := m.mode == modeCgroups; want != m.sampler.cgroups && m.opts.SetCgroups != nil {
		m.sampler.cgroups = want
		set := m.opts.SetCgroups
		cmds = append(cmds, func() tea.Msg { set(want); return nil })
	}
	return tea.Batch(cmds...)
}

// afterKey is what follows any key: the sampler toggles it implies, and
// a prefsChangedMsg when it changed the arrangement.
func (m Model) afterKey(before viewPrefs) tea.Cmd {
	cmd := m.syncSampler()
	if after := m.prefs(); !after.equal(before) {
		cmd = tea.Batch(cmd, func() tea.Msg { return prefsChangedMsg{after} })
	}
	return cmd
}
