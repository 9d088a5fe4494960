package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// checkDetailClosedMsg says the check detail was closed (Esc); the root
// goes back to what it showed before.
type checkDetailClosedMsg struct{}

// checkDetailKeyMap is the check detail's keys.
type checkDetailKeyMap struct {
	Up, Down, PgUp, PgDown, Home, End key.Binding
	Close                             key.Binding
}

func newCheckDetailKeyMap() checkDetailKeyMap {
	return checkDetailKeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		PgUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PgDown: key.NewBinding(key.WithKeys("pgdown", " ", "f"), key.WithHelp("pgdn", "page down")),
		Home:   key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home", "top")),
		End:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end", "bottom")),
		Close:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
}

// ShortHelp is the key bar of the check detail.
func (k checkDetailKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PgDown, k.Close}
}

// FullHelp is the help screen's page for the check detail.
func (k checkDetailKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PgUp, k.PgDown, k.Home, k.End}, {k.Close}}
}

// checkDetail is one check in full (Enter on a check): its status
// message wrapped, never cut; every metric of the last result with type,
// value and unit; each alarm's criteria and state; the recent
// transitions. It scrolls in a bubbles viewport.
//
// The root opens it with SetRow, calls SetRow again with the check's new
// row on every ChecksMsg (ID says which), routes keys to Update while it
// is open, and closes it on checkDetailClosedMsg.
type checkDetail struct {
	c    *common
	keys checkDetailKeyMap
	w, h int
	row  CheckRow
	vp   viewport.Model
	// lines is the content, each line fitted to the inner width; the
	// viewport holds the scroll position over it.
	lines []string
}

func newCheckDetail(c *common) *checkDetail {
	return &checkDetail{c: c, keys: newCheckDetailKeyMap(), vp: viewport.New(0, 0)}
}

// ID is the check shown.
func (d *checkDetail) ID() string { return d.row.ID }

// SetRow shows r; the scroll position is kept when it is the same check.
func (d *checkDetail) SetRow(r CheckRow) {
	same := r.ID == d.row.ID
	d.row = r
	d.rebuild()
	if !same {
		d.vp.GotoTop()
	}
}

// SetSize sets the detail's size, border included.
func (d *checkDetail) SetSize(w, h int) {
	d.w, d.h = w, h
	d.rebuild()
}

// inner is the content area: the box's inside less the footer line.
func (d *checkDetail) inner() (w, h int) {
	w, h = d.w-2, d.h-2
	if h >= 4 {
		h-- // footer
	}
	return max(w, 0), max(h, 0)
}

// refresh rebuilds the content (ages are relative to the moment shown);
// the root calls it when the clock or the shown moment moves.
func (d *checkDetail) refresh() { d.rebuild() }

func (d *checkDetail) rebuild() {
	iw, ih := d.inner()
	d.lines = d.content(iw)
	d.vp.Width, d.vp.Height = iw, ih
	y := d.vp.YOffset
	d.vp.SetContent(strings.Join(d.lines, "\n"))
	d.vp.SetYOffset(y) // clamped to the new content
}

// Update scrolls; Esc gives checkDetailClosedMsg.
func (d *checkDetail) Update(msg tea.Msg) (*checkDetail, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch k := d.keys; {
		case key.Matches(msg, k.Close):
			return d, func() tea.Msg { return checkDetailClosedMsg{} }
		case key.Matches(msg, k.Up):
			d.vp.ScrollUp(1)
		case key.Matches(msg, k.Down):
			d.vp.ScrollDown(1)
		case key.Matches(msg, k.PgUp):
			d.vp.PageUp()
		case key.Matches(msg, k.PgDown):
			d.vp.PageDown()
		case key.Matches(msg, k.Home):
			d.vp.GotoTop()
		case key.Matches(msg, k.End):
			d.vp.GotoBottom()
		}
	case tea.MouseMsg:
		var cmd tea.Cmd
		d.vp, cmd = d.vp.Update(msg) // the wheel
		return d, cmd
	}
	return d, nil
}

// View draws the detail in its w x h box.
func (d *checkDetail) View() string {
	if d.w <= 0 || d.h <= 0 {
		return ""
	}
	s := d.c.styles
	state := d.row.State
	if state == "" {
		state = StateUnknown
	}
	name := d.row.Label
	if name == "" {
		name = d.row.ID
	} else if d.row.ID != "" {
		name += " (" + d.row.ID + ")"
	}
	title := " " + s.PanelTitle.Render("Check "+clean(name)) + " " + s.stateStyle(state).Render(clean(state)) + " "
	iw, ih := d.inner()
	out := make([]string, 0, d.h)
	top := min(d.vp.YOffset, max(len(d.lines)-ih, 0))
	for i := top; i < len(d.lines) && len(out) < ih; i++ {
		out = append(out, d.lines[i])
	}
	if d.h-2 >= 4 {
		for len(out) < ih {
			out = append(out, "")
		}
		foot := "esc close"
		if len(d.lines) > ih {
			last := min(top+ih, len(d.lines))
			foot = "lines " + strconv.Itoa(top+1) + "-" + strconv.Itoa(last) + " of " + strconv.Itoa(len(d.lines)) +
				" · ↑↓ pgup pgdn scroll · " + foot
		}
		out = append(out, s.Dim.Render(clipText(foot, iw)))
	}
	border := s.BorderFocus
	switch state {
	case StateCritical:
		border = s.BorderCrit
	case StateWarning, StateUnknown:
		border = s.BorderWarn
	}
	return strings.Join(frame(heavyBorder, border, title, out, d.w, d.h), "\n")
}

// content is the detail's text, w cells wide: nothing is cut, long text
// wraps.
func (d *checkDetail) content(w int) []string {
	if w <= 0 {
		return nil
	}
	s := d.c.styles
	r := d.row
	now := d.c.at()
	var out []string
	add := func(lines ...string) {
		for _, l := range lines {
			out = append(out, fit(l, w))
		}
	}
	const labelW = 8
	field := func(label string, st style, text string) {
		add(hanging(s.Label.Render(padRight(label, labelW))+" ", labelW+1, st, text, w)...)
	}
	section := func(title string, n int) {
		add("", s.PanelTitle.Render(title+" ("+strconv.Itoa(n)+")"))
	}

	state := r.State
	if state == "" {
		state = StateUnknown
	}
	stateText := state
	if !r.Available {
		stateText += " · unavailable (the check could not run)"
	}
	field("state", s.stateStyle(state), stateText)
	typ := r.Type
	if r.Period > 0 {
		typ += " · every " + humanDuration(r.Period)
	}
	field("type", s.Value, typ)
	last := "never"
	if !r.LastRun.IsZero() {
		last = r.LastRun.In(d.c.loc).Format("2006-01-02 15:04:05") + " (" + humanDuration(now.Sub(r.LastRun)) + " ago)"
		if r.Duration > 0 {
			last += " · took " + humanDuration(r.Duration)
		}
	}
	field("last run", s.Value, last)
	msg := r.Message
	if msg == "" {
		msg = "-"
	}
	field("status", s.Value, msg)
	if r.Alarm != "" {
		field("alarm", s.stateStyle(state), r.Alarm)
	}

	section("Metrics", len(r.Metrics))
	if len(r.Metrics) == 0 {
		add(s.Dim.Render("  no metrics in the last result"))
	} else {
		// As wide as the longest name that fits a third of the line; a
		// longer one goes on a line of its own.
		limit := max(w/3, 8)
		nameW := len("NAME")
		for _, m := range r.Metrics {
			if nw := width(clean(m.Name)); nw <= limit {
				nameW = max(nameW, nw)
			}
		}
		const typeW = 7
		indent := 2 + nameW + 1 + typeW + 1
		add(s.TableHeader.Render(fit("  "+padRight("NAME", nameW)+" "+padRight("TYPE", typeW)+" VALUE", w)))
		for _, m := range r.Metrics {
			name, typ := clean(m.Name), clean(m.Type)
			val := m.Value
			if m.Unit != "" {
				val += " " + m.Unit
			}
			if width(name) > nameW || width(typ) > typeW || indent >= w-8 {
				// A long name on its own line, the value below it.
				add(hanging("  ", 2, s.Value, name+" ("+typ+")", w)...)
				add(hanging(strings.Repeat(" ", 4), 4, s.Value, val, w)...)
				continue
			}
			add(hanging("  "+s.Label.Render(padRight(name, nameW))+" "+s.Dim.Render(padRight(typ, typeW))+" ", indent, s.Value, val, w)...)
		}
	}

	section("Alarms", len(r.Alarms))
	if len(r.Alarms) == 0 {
		add(s.Dim.Render("  no alarms on this check"))
	}
	for i, a := range r.Alarms {
		if i > 0 {
			add("")
		}
		st := a.State
		if st == "" {
			st = StateUnknown
		}
		head := a.Label
		if a.ID != "" {
			if head == "" {
				head = a.ID
			} else {
				head += " (" + a.ID + ")"
			}
		}
		add(hanging("  "+s.stateStyle(st).Render(padRight(clean(st), 8))+" ", 11, s.PanelTitle, head, w)...)
		if a.Message != "" {
			add(hanging(strings.Repeat(" ", 11), 11, s.Value, a.Message, w)...)
		}
		crit := a.Criteria
		if strings.TrimSpace(crit) == "" {
			crit = "(no criteria)"
		}
		add(s.Label.Render(fit("    criteria:", w)))
		add(codeBlock(s, crit, 6, w)...)
	}

	section("Recent transitions", len(r.Transitions))
	if len(r.Transitions) == 0 {
		add(s.Dim.Render("  none recorded"))
	}
	for _, t := range r.Transitions {
		when := t.Time.In(d.c.loc).Format("01-02 15:04:05")
		if t.Time.IsZero() {
			when = "--         "
		}
		from, to := t.From, t.To
		if from == "" {
			from = "-"
		}
		if to == "" {
			to = StateUnknown
		}
		head := "  " + s.Label.Render(when) + " " + s.stateStyle(from).Render(clean(from)) + " -> " + s.stateStyle(to).Render(clean(to))
		text := t.Alarm
		if t.Message != "" {
			if text != "" {
				text += ": "
			}
			text += t.Message
		}
		if ago := now.Sub(t.Time); !t.Time.IsZero() && ago >= 0 {
			head += s.Dim.Render(" (" + humanDuration(ago) + " ago)")
		}
		add(head)
		if text != "" {
			add(hanging(strings.Repeat(" ", 17), 17, s.Value, text, w)...)
		}
	}
	return out
}

// hanging is prefix (already styled, prefixW cells) followed by text word
// wrapped to w, its continuation lines indented by prefixW; a narrow w
// puts the text below the prefix. Nothing of text is cut.
func hanging(prefix string, prefixW int, st style, text string, w int) []string {
	text = clean(strings.Join(strings.Fields(text), " "))
	if w-prefixW < 12 {
		var out []string
		if strings.TrimSpace(prefix) != "" {
			out = append(out, prefix)
		}
		for _, l := range wordWrap(text, w) {
			out = append(out, st.Render(l))
		}
		return out
	}
	lines := wordWrap(text, w-prefixW)
	out := make([]string, len(lines))
	pad := spaces(prefixW)
	for i, l := range lines {
		if i == 0 {
			out[i] = prefix + st.Render(l)
		} else {
			out[i] = pad + st.Render(l)
		}
	}
	return out
}

// codeBlock shows text (alarm criteria) as written: line by line, its
// indentation kept, each line wrapped (not cut) at w with indent cells
// before it.
func codeBlock(s *styles, text string, indent, w int) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\t", "    ")
	inner := w - indent
	if inner < 8 {
		indent, inner = 0, w
	}
	pad := spaces(indent)
	var out []string
	for _, line := range strings.Split(strings.TrimRight(text, "\n "), "\n") {
		line = clean(strings.TrimRight(line, " "))
		lead := len(line) - len(strings.TrimLeft(line, " "))
		lead = min(lead, inner/2)
		body := strings.TrimLeft(line, " ")
		if body == "" {
			out = append(out, "")
			continue
		}
		ww, cont := inner-lead, 0
		if ww-2 >= 8 {
			ww, cont = ww-2, 2 // room to indent a wrapped line further
		}
		for i, l := range wordWrap(body, ww) {
			extra := ""
			if i > 0 {
				extra = spaces(cont)
			}
			out = append(out, pad+spaces(lead)+extra+s.Value.Render(l))
		}
	}
	return out
}
