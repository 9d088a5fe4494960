package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// palette is a colour theme: one colour per role, each role painting the
// same styles in every theme. Colours are lipgloss colours: an
// AdaptiveColor picks its shade for the terminal's background, a Color is
// the same on every background (lipgloss lowers true colour and 256
// colours to what the terminal has).
type palette struct {
	name string
	// bg is the background the theme is made for, "dark" or "light": a
	// dark theme's colours are checked against dark backgrounds only.
	bg string

	text   lipgloss.TerminalColor // values, body text
	dim    lipgloss.TerminalColor // labels, borders, secondary text
	accent lipgloss.TerminalColor // titles, focus, graphs
	ok     lipgloss.TerminalColor // OK, low bars, receive
	warn   lipgloss.TerminalColor // WARNING, middle bars, prompts
	crit   lipgloss.TerminalColor // CRITICAL, high bars, errors
	info   lipgloss.TerminalColor // transmit sparklines

	// mono: no colour at all; states and levels are told apart by
	// attributes (bold, reverse, underline), which NO_COLOR allows.
	mono bool
}

// The themes, in the order a chooser offers them; the first is the default.
var themes = []palette{
	{
		// The console's own, in 256 colours: bright shades on a dark
		// terminal, deep ones when lipgloss sees a light background.
		name: "dark", bg: "dark",
		text:   lipgloss.AdaptiveColor{Dark: "255", Light: "16"},
		dim:    lipgloss.AdaptiveColor{Dark: "246", Light: "240"},
		accent: lipgloss.AdaptiveColor{Dark: "80", Light: "30"},
		ok:     lipgloss.AdaptiveColor{Dark: "114", Light: "22"},
		warn:   lipgloss.AdaptiveColor{Dark: "221", Light: "94"},
		crit:   lipgloss.AdaptiveColor{Dark: "203", Light: "124"},
		info:   lipgloss.AdaptiveColor{Dark: "75", Light: "25"},
	},
	{
		name: "truecolor", bg: "dark",
		text:   lipgloss.Color("#e6e6e6"),
		dim:    lipgloss.Color("#a0a8b0"),
		accent: lipgloss.Color("#5ad4e6"),
		ok:     lipgloss.Color("#7bd88f"),
		warn:   lipgloss.Color("#fcd566"),
		crit:   lipgloss.Color("#ff6b6b"),
		info:   lipgloss.Color("#6cb6ff"),
	},
	{
		// For light terminals whose background lipgloss cannot detect
		// (tmux, ssh): deep colours and a dark grey, never light grey.
		name: "light", bg: "light",
		text:   lipgloss.Color("#111111"),
		dim:    lipgloss.Color("#505050"),
		accent: lipgloss.Color("#0e6e7a"),
		ok:     lipgloss.Color("#1e6b2e"),
		warn:   lipgloss.Color("#8a5300"),
		crit:   lipgloss.Color("#b3261e"),
		info:   lipgloss.Color("#1d4ed8"),
	},
	{name: "mono", bg: "any", mono: true},
}

// themeNames lists the themes, the default first.
func themeNames() []string {
	out := make([]string, len(themes))
	for i, p := range themes {
		out[i] = p.name
	}
	return out
}

// themeByName finds a theme; false (and the default) for an unknown name.
func themeByName(name string) (palette, bool) {
	for _, p := range themes {
		if p.name == name {
			return p, true
		}
	}
	return themes[0], false
}

// nextTheme is the theme after name in themeNames, wrapping; for a key
// that cycles them.
func nextTheme(name string) string {
	for i, p := range themes {
		if p.name == name {
			return themes[(i+1)%len(themes)].name
		}
	}
	return themes[0].name
}

// apply repaints st in p's colours, built on r, the renderer st was made
// with: its colour profile is what keeps NO_COLOR (termenv.Ascii) free of
// colour whatever the theme. Only colours and attributes change, so every
// view keeps its layout.
func (p palette) apply(st *styles, r *lipgloss.Renderer) {
	if st == nil {
		return
	}
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	fg := func(c lipgloss.TerminalColor) lipgloss.Style {
		s := r.NewStyle()
		if !p.mono && c != nil {
			s = s.Foreground(c)
		}
		return s
	}
	// In mono the levels and states are attributes: bold for a warning,
	// reverse for what is critical, plain for the rest.
	warnAttr := func(s lipgloss.Style) lipgloss.Style { return s.Bold(true) }
	critAttr := func(s lipgloss.Style) lipgloss.Style {
		if p.mono {
			return s.Bold(true).Reverse(true)
		}
		return s.Bold(true)
	}
	barHigh := fg(p.crit)
	barMid := fg(p.warn)
	if p.mono {
		barHigh, barMid = barHigh.Bold(true), barMid.Underline(true)
	}
	st.Title = compile(fg(p.accent).Bold(true))
	st.HeaderKey = compile(fg(p.dim))
	st.HeaderValue = compile(fg(p.text))
	st.Paused = compile(fg(p.warn).Bold(true).Reverse(true))
	st.Replay = compile(fg(p.accent).Bold(true).Reverse(true))
	st.Border = compile(fg(p.dim))
	st.BorderFocus = compile(fg(p.accent).Bold(p.mono))
	st.BorderWarn = compile(warnAttr(fg(p.warn)))
	st.BorderCrit = compile(fg(p.crit).Bold(true))
	st.PanelTitle = compile(r.NewStyle().Bold(true))
	st.Label = compile(fg(p.dim))
	st.Value = compile(fg(p.text))
	st.Dim = compile(fg(p.dim))
	st.Error = compile(critAttr(fg(p.crit)))
	st.BarLow = compile(fg(p.ok))
	st.BarMid = compile(barMid)
	st.BarHigh = compile(barHigh)
	st.BarEmpty = compile(fg(p.dim))
	st.Graph = compile(fg(p.accent))
	st.SparkRx = compile(fg(p.ok))
	st.SparkTx = compile(fg(p.info))
	st.TableHeader = compile(r.NewStyle().Bold(true).Reverse(true))
	st.Selected = compile(r.NewStyle().Reverse(true)) // reverse is not colour: NO_COLOR keeps it
	st.Followed = compile(fg(p.accent).Bold(true).Reverse(true))
	st.StateOK = compile(fg(p.ok))
	st.StateWarn = compile(warnAttr(fg(p.warn)))
	st.StateCrit = compile(critAttr(fg(p.crit)))
	st.StateUnknown = compile(fg(p.dim))
	st.ConnOK = compile(fg(p.ok))
	st.ConnRetry = compile(fg(p.warn))
	st.ConnDown = compile(critAttr(fg(p.crit)))
	st.ConnFixture = compile(fg(p.accent))
	st.Prompt = compile(fg(p.warn).Bold(true))
	st.PromptChoice = compile(r.NewStyle().Reverse(true).Bold(true))
	st.Status = compile(fg(p.accent))
	st.Help = help.Styles{
		Ellipsis:       fg(p.dim),
		ShortKey:       fg(p.accent).Bold(true),
		ShortDesc:      fg(p.dim),
		ShortSeparator: fg(p.dim),
		FullKey:        fg(p.accent).Bold(true),
		FullDesc:       fg(p.text),
		FullSeparator:  fg(p.dim),
	}
}
