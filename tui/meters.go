package tui

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// clipText is plain text s in exactly w cells: padded, or cut with an
// ellipsis so that a reader sees something is missing.
func clipText(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	return fit(s, w)
}

// meterBar draws an htop-style meter exactly width cells wide:
//
//	CPU[|||||||      42.1%]
//
// pct is clamped to 0..100; NaN draws no bar and "-" as the value. The bar
// is uncoloured; (*styles).meterBar colours it by level.
func meterBar(label string, pct float64, width int) string {
	var s *styles
	return s.meterBar(label, pct, width)
}

// meterBar is the package meterBar coloured by level (green, yellow, red)
// through s; a nil s draws it without colour.
func (s *styles) meterBar(label string, pct float64, w int) string {
	if w <= 0 {
		return ""
	}
	label = clean(label)
	nan := math.IsNaN(pct)
	switch {
	case nan, pct < 0:
		pct = 0
	case pct > 100:
		pct = 100
	}
	text := "-"
	if !nan {
		text = strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
	inner := w - width(label) - 2
	if inner < 1 {
		// No room for the label: the bracketed bar alone, else the label cut.
		if w < 3 {
			return fit(ansi.Truncate(label, w, "…"), w)
		}
		label, inner = "", w-2
	}
	if width(text) > inner {
		text = "" // a bar without its number rather than a cut number
	}
	full := int(math.Round(pct / 100 * float64(inner)))
	textAt := inner - width(text)
	bars := min(full, textAt)
	lab, lev, val := style{}, style{}, style{}
	if s != nil {
		lab, lev, val = s.Label, s.barStyle(pct), s.Value
	}
	var b strings.Builder
	b.Grow(w + 32)
	b.WriteString(lab.Render(label))
	b.WriteByte('[')
	b.WriteString(lev.Render(strings.Repeat("|", bars)))
	b.WriteString(spaces(textAt - bars))
	b.WriteString(val.Render(text))
	b.WriteByte(']')
	return b.String()
}
