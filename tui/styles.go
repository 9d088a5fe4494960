package tui

import (
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

// Styles is every style the console uses, built once from one renderer (so
// NoColor gives an ASCII profile) and shared through common.
type Styles struct {
	Title        lipgloss.Style // app name in the header
	HeaderKey    lipgloss.Style // "load", "up" labels
	HeaderValue  lipgloss.Style
	Paused       lipgloss.Style
	Border       lipgloss.Style // panel border, unfocused
	BorderFocus  lipgloss.Style // panel border, focused
	BorderWarn   lipgloss.Style // panel with a WARNING/UNKNOWN check
	BorderCrit   lipgloss.Style // panel with a CRITICAL check
	PanelTitle   lipgloss.Style
	Label        lipgloss.Style // dim field labels inside panels
	Value        lipgloss.Style
	Dim          lipgloss.Style
	Error        lipgloss.Style
	BarLow       lipgloss.Style // filled part of a bar below 60 %
	BarMid       lipgloss.Style // 60-85 %
	BarHigh      lipgloss.Style // above 85 %
	BarEmpty     lipgloss.Style
	Graph        lipgloss.Style
	SparkRx      lipgloss.Style
	SparkTx      lipgloss.Style
	TableHeader  lipgloss.Style
	Selected     lipgloss.Style
	Followed     lipgloss.Style
	StateOK      lipgloss.Style
	StateWarn    lipgloss.Style
	StateCrit    lipgloss.Style
	StateUnknown lipgloss.Style
	ConnOK       lipgloss.Style
	ConnRetry    lipgloss.Style
	ConnDown     lipgloss.Style
	ConnFixture  lipgloss.Style
	Prompt       lipgloss.Style // filter, sort chooser, kill confirmation
	PromptChoice lipgloss.Style // the highlighted choice in a prompt
	Status       lipgloss.Style // one-line result of the last action
	Help         help.Styles
}

// NewStyles builds the style set on r. Pass a renderer whose colour profile
// is termenv.Ascii for a colourless console.
func NewStyles(r *lipgloss.Renderer) *Styles {
	n := r.NewStyle
	return &Styles{
		Title:        n().Bold(true).Foreground(colCyan),
		HeaderKey:    n().Foreground(colGrey),
		HeaderValue:  n().Foreground(colText),
		Paused:       n().Bold(true).Reverse(true).Foreground(colYellow),
		Border:       n().Foreground(colGrey),
		BorderFocus:  n().Foreground(colCyan),
		BorderWarn:   n().Bold(true).Foreground(colYellow),
		BorderCrit:   n().Bold(true).Foreground(colRed),
		PanelTitle:   n().Bold(true),
		Label:        n().Foreground(colGrey),
		Value:        n().Foreground(colText),
		Dim:          n().Foreground(colGrey),
		Error:        n().Foreground(colRed),
		BarLow:       n().Foreground(colGreen),
		BarMid:       n().Foreground(colYellow),
		BarHigh:      n().Foreground(colRed),
		BarEmpty:     n().Foreground(colGrey),
		Graph:        n().Foreground(colCyan),
		SparkRx:      n().Foreground(colGreen),
		SparkTx:      n().Foreground(colBlue),
		TableHeader:  n().Bold(true).Reverse(true),
		Selected:     n().Reverse(true),
		Followed:     n().Reverse(true).Bold(true).Foreground(colCyan),
		StateOK:      n().Foreground(colGreen),
		StateWarn:    n().Bold(true).Foreground(colYellow),
		StateCrit:    n().Bold(true).Foreground(colRed),
		StateUnknown: n().Foreground(colGrey),
		ConnOK:       n().Foreground(colGreen),
		ConnRetry:    n().Foreground(colYellow),
		ConnDown:     n().Bold(true).Foreground(colRed),
		ConnFixture:  n().Foreground(colCyan),
		Prompt:       n().Bold(true).Foreground(colYellow),
		PromptChoice: n().Reverse(true).Bold(true),
		Status:       n().Foreground(colCyan),
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
func (s *Styles) stateStyle(state string) lipgloss.Style {
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
func (s *Styles) barStyle(pct float64) lipgloss.Style {
	switch {
	case pct >= 85:
		return s.BarHigh
	case pct >= 60:
		return s.BarMid
	default:
		return s.BarLow
	}
}
