package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
)

// Colours are ANSI-16 codes so the console looks the same in a 16-colour
// terminal; Light/Dark pick a readable shade for the background.
var (
	colRed    = lipgloss.AdaptiveColor{Light: "1", Dark: "9"}
	colGreen  = lipgloss.AdaptiveColor{Light: "2", Dark: "10"}
	colYellow = lipgloss.AdaptiveColor{Light: "3", Dark: "11"}
	colBlue   = lipgloss.AdaptiveColor{Light: "4", Dark: "12"}
	colCyan   = lipgloss.AdaptiveColor{Light: "6", Dark: "14"}
	colGrey   = lipgloss.AdaptiveColor{Light: "8", Dark: "7"}
	colText   = lipgloss.AdaptiveColor{Light: "0", Dark: "15"}
)

// styles is every style the console uses, built once from one renderer (so
// NoColor gives an ASCII profile) and shared through common.
type styles struct {
	Title        style // app name in the header
	HeaderKey    style // "load", "up" labels
	HeaderValue  style
	Paused       style
	Replay       style // the REPLAY badge of the header
	Border       style // panel border, unfocused
	BorderFocus  style // panel border, focused
	BorderWarn   style // panel with a WARNING/UNKNOWN check
	BorderCrit   style // panel with a CRITICAL check
	PanelTitle   style
	Label        style // dim field labels inside panels
	Value        style
	Dim          style
	Error        style
	BarLow       style // filled part of a bar below 60 %
	BarMid       style // 60-85 %
	BarHigh      style // above 85 %
	BarEmpty     style
	Graph        style
	SparkRx      style
	SparkTx      style
	TableHeader  style
	Selected     style
	Followed     style
	StateOK      style
	StateWarn    style
	StateCrit    style
	StateUnknown style
	ConnOK       style
	ConnRetry    style
	ConnDown     style
	ConnFixture  style
	Prompt       style // filter, sort chooser, kill confirmation
	PromptChoice style // the highlighted choice in a prompt
	Status       style // one-line result of the last action
	Help         help.Styles
}

// style is a lipgloss style compiled once into the escape codes around its
// text: the console paints hundreds of short spans per frame, and
// lipgloss.Style.Render re-derives the codes on every call. Only colour and
// attributes may be set (no padding, width or borders), and Render takes
// one line.
type style struct {
	pre, post string
}

func compile(ls lipgloss.Style) style {
	const probe = "\x00"
	out := ls.Render(probe)
	i := strings.Index(out, probe)
	if i < 0 {
		return style{}
	}
	return style{pre: out[:i], post: out[i+len(probe):]}
}

// Render paints one line of text.
func (s style) Render(text string) string {
	if s.pre == "" && s.post == "" || text == "" {
		return text
	}
	return s.pre + text + s.post
}

// newStyles builds the style set on r. Pass a renderer whose colour profile
// is termenv.Ascii for a colourless console.
func newStyles(r *lipgloss.Renderer) *styles {
	n := func() lipgloss.Style { return r.NewStyle() }
	return &styles{
		Title:        compile(n().Bold(true).Foreground(colCyan)),
		HeaderKey:    compile(n().Foreground(colGrey)),
		HeaderValue:  compile(n().Foreground(colText)),
		Paused:       compile(n().Bold(true).Reverse(true).Foreground(colYellow)),
		Replay:       compile(n().Bold(true).Reverse(true).Foreground(colCyan)),
		Border:       compile(n().Foreground(colGrey)),
		BorderFocus:  compile(n().Foreground(colCyan)),
		BorderWarn:   compile(n().Bold(true).Foreground(colYellow)),
		BorderCrit:   compile(n().Bold(true).Foreground(colRed)),
		PanelTitle:   compile(n().Bold(true)),
		Label:        compile(n().Foreground(colGrey)),
		Value:        compile(n().Foreground(colText)),
		Dim:          compile(n().Foreground(colGrey)),
		Error:        compile(n().Foreground(colRed)),
		BarLow:       compile(n().Foreground(colGreen)),
		BarMid:       compile(n().Foreground(colYellow)),
		BarHigh:      compile(n().Foreground(colRed)),
		BarEmpty:     compile(n().Foreground(colGrey)),
		Graph:        compile(n().Foreground(colCyan)),
		SparkRx:      compile(n().Foreground(colGreen)),
		SparkTx:      compile(n().Foreground(colBlue)),
		TableHeader:  compile(n().Bold(true).Reverse(true)),
		Selected:     compile(n().Reverse(true)),
		Followed:     compile(n().Reverse(true).Bold(true).Foreground(colCyan)),
		StateOK:      compile(n().Foreground(colGreen)),
		StateWarn:    compile(n().Bold(true).Foreground(colYellow)),
		StateCrit:    compile(n().Bold(true).Foreground(colRed)),
		StateUnknown: compile(n().Foreground(colGrey)),
		ConnOK:       compile(n().Foreground(colGreen)),
		ConnRetry:    compile(n().Foreground(colYellow)),
		ConnDown:     compile(n().Bold(true).Foreground(colRed)),
		ConnFixture:  compile(n().Foreground(colCyan)),
		Prompt:       compile(n().Bold(true).Foreground(colYellow)),
		PromptChoice: compile(n().Reverse(true).Bold(true)),
		Status:       compile(n().Foreground(colCyan)),
		Help: help.Styles{
			Ellipsis:       n().Foreground(colGrey),
			ShortKey:       n().Bold(true).Foreground(colCyan),
			ShortDesc:      n().Foreground(colGrey),
			ShortSeparator: n().Foreground(colGrey),
			FullKey:        n().Bold(true).Foreground(colCyan),
			FullDesc:       n().Foreground(colText),
			FullSeparator:  n().Foreground(colGrey),
		},
	}
}

// stateStyle is the colour of a check state: green, yellow, red, grey.
func (s *styles) stateStyle(state string) style {
	switch state {
	case StateOK:
		return s.StateOK
	case StateWarning:
		return s.StateWarn
	case StateCritical:
		return s.StateCrit
	default:
		return s.StateUnknown
	}
}

// barStyle picks the fill colour of a percentage bar.
func (s *styles) barStyle(pct float64) style {
	switch {
	case pct >= 85:
		return s.BarHigh
	case pct >= 60:
		return s.BarMid
	default:
		return s.BarLow
	}
}
