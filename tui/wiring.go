package tui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// This file connects the root model to its settings file and to the
// components that have a screen of their own: the check detail, the
// cgroup view and the PSI/sensor meters.

// loadSettings arranges the console as Options.Settings (read before
// start) says; a bad file's warning goes to the status line.
func (m *Model) loadSettings() {
	if st := m.opts.Settings; st != nil {
		m.settings = st.s
		if st.warning != "" {
			m.setStatus(st.warning, true)
		}
		m.applyPrefs(m.settings.prefs())
	}
	m.applyTheme()
}

// prefs is the arrangement part of the settings.
func (s settings) prefs() viewPrefs {
	return viewPrefs{Layout: s.Layout, Hidden: s.Hidden, SortKey: s.Sort, SortDesc: s.SortDesc, Tree: s.Tree, Columns: s.Columns}
}

// withPrefs is s with the arrangement p.
func (s settings) withPrefs(p viewPrefs) settings {
	s.Layout, s.Hidden, s.Sort, s.SortDesc, s.Tree = p.Layout, p.Hidden, p.SortKey, p.SortDesc, p.Tree
	s.Columns = p.Columns
	return s
}

// saveSettings writes the settings in a command, when there is a file.
func (m Model) saveSettings() tea.Cmd {
	if m.opts.Settings == nil || !m.settingsDirty {
		return nil
	}
	return saveSettingsCmd(m.opts.Settings.path, m.settings)
}

// quit marks the model as quitting; Update then saves what changed and
// quits (quitCmd).
func (m Model) quit() Model {
	m.quitting = true
	return m
}

// quitCmd quits, after writing the settings if they changed this session
// (a save already under way is waited for by the writer).
func (m Model) quitCmd() tea.Cmd {
	if save := m.saveSettings(); save != nil {
		return tea.Sequence(save, tea.Quit)
	}
	return tea.Quit
}

// applyTheme gives the styles the settings' theme; NO_COLOR keeps mono
// whatever the file says.
func (m *Model) applyTheme() {
	name := m.settings.Theme
	if m.opts.NoColor {
		name = "mono"
	}
	if p, ok := themeByName(name); ok && (name != "dark" || m.opts.NoColor) {
		p.apply(m.c.styles, m.r)
	} else if name == "dark" {
		*m.c.styles = *newStyles(m.r)
	}
	m.help.Styles = m.c.styles.Help
	m.cache.helpWidth = -1 // the key bar is drawn again with the new styles
}

// themeName is the theme in use.
func (m Model) themeName() string {
	if m.opts.NoColor {
		return "mono (NO_COLOR)"
	}
	if m.settings.Theme == "" {
		return "dark"
	}
	return m.settings.Theme
}

// cycleTheme moves to the next theme (the setup screen's t).
func (m *Model) cycleTheme() {
	if m.opts.NoColor {
		m.setStatus("NO_COLOR is set: the mono theme stays", false)
		return
	}
	m.settings.Theme = nextTheme(m.settings.Theme)
	m.settingsDirty = true
	m.applyTheme()
}

// openCheck shows the detail of the check selected in the checks panel.
func (m *Model) openCheck() {
	r, ok := m.checks.selected()
	if !ok || !m.layout.shown[panelChecks] {
		return
	}
	m.chk.SetRow(r)
	m.chk.SetSize(m.width, max(0, m.height-3))
	m.mode = modeCheck
}

// followCheck keeps the open check detail on its check's newest row.
func (m *Model) followCheck() {
	if m.mode != modeCheck {
		return
	}
	for _, r := range m.checks.rows {
		if r.ID == m.chk.ID() {
			m.chk.SetRow(r)
			return
		}
	}
}

// openCgroups shows the cgroup view; the sampler lists cgroups while it
// is open (syncSampler).
func (m *Model) openCgroups() {
	m.mode = modeCgroups
	m.cgview.SetActive(true)
	m.cgview.refresh()
}

// closeCgroups hides it.
func (m *Model) closeCgroups() {
	if m.mode == modeCgroups {
		m.mode = modeNormal
	}
	m.cgview.SetActive(false)
}

// bodyLines splits a component's View into at most h lines.
func bodyLines(v string, h int) []string {
	if v == "" || h <= 0 {
		return nil
	}
	lines := strings.Split(v, "\n")
	return lines[:min(len(lines), h)]
}
