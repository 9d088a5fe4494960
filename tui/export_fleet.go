package tui

// What other consoles (tui/fleet) reuse of this one: its styles, the
// panel frame, the line fitting and the trend graph, so every view of
// virgo-top looks and draws the same. Exports only; the code is the
// console's own.

import "github.com/charmbracelet/lipgloss"

// Styles is the console's style set.
type Styles = styles

// Style is one compiled style of Styles.
type Style = style

// NewStyles builds the style set on r (a renderer with the termenv.Ascii
// profile gives a colourless console).
func NewStyles(r *lipgloss.Renderer) *Styles { return newStyles(r) }

// StateStyle is the colour of an alarm or check state, as on the checks
// panel.
func (s *styles) StateStyle(state string) Style { return s.stateStyle(state) }

// BarStyle is the colour of a percentage, as the meters use.
func (s *styles) BarStyle(pct float64) Style { return s.barStyle(pct) }

// Fit cuts s (which may hold ANSI styling) to exactly w cells, padded;
// a cut ends in an ellipsis.
func Fit(s string, w int) string { return fit(s, w) }

// Box frames lines in a w x h panel border with title; focused panels get
// the heavy border and the focus colour, warn the warning colour.
func Box(st *Styles, title string, lines []string, w, h int, focused bool) []string {
	return StateBox(st, title, lines, w, h, focused, "")
}

// TrendGraph draws vals (oldest first, NaN for no value) as the console's
// trend graphs do: an asciigraph exactly h lines high and w wide, scaled
// lo..hi; fewer than two values give a placeholder line.
func TrendGraph(st *Styles, vals []float64, w, h int, lo, hi float64) []string {
	c := &common{styles: st, window: windowLive}
	return c.trendGraph(vals, w, h, lo, hi)
}

// GraphLabelWidth is the y-axis label column of TrendGraph.
const GraphLabelWidth = graphLabelWidth

// StateBox is Box with the border coloured as the checks panel colours
// its own: red when worst is CRITICAL, yellow for WARNING or UNKNOWN.
func StateBox(st *Styles, title string, lines []string, w, h int, focused bool, worst string) []string {
	border, bc := st.Border, thinBorder
	if focused {
		border, bc = st.BorderFocus, heavyBorder
	}
	switch worst {
	case StateCritical:
		border = st.BorderCrit
	case StateWarning, StateUnknown:
		border = st.BorderWarn
	}
	return frame(bc, border, " "+st.PanelTitle.Render(title)+" ", lines, w, h)
}
