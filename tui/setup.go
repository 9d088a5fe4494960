package tui

import (
	"slices"
	"strconv"
	"strings"
)

// setupView is the column setup screen (F2): every column, the shown ones
// first in their order. Space shows or hides the one under the cursor, F7
// and F8 move a shown one; the table changes at once.
type setupView struct {
	cursor int
}

// setupList is the setup screen's rows: shown columns in order, then the
// hidden ones in their natural order.
func setupList(shown []colID) []colID {
	out := slices.Clone(shown)
	for id := colID(0); id < numCols; id++ {
		if !slices.Contains(shown, id) {
			out = append(out, id)
		}
	}
	return out
}

// toggleColumn shows a hidden column (before COMMAND when COMMAND is last)
// or hides a shown one; the last shown column stays.
func toggleColumn(cols []colID, id colID) []colID {
	if i := slices.Index(cols, id); i >= 0 {
		if len(cols) == 1 {
			return cols
		}
		return slices.Delete(slices.Clone(cols), i, i+1)
	}
	out := slices.Clone(cols)
	if n := len(out); n > 0 && out[n-1] == colCommand {
		return slices.Insert(out, n-1, id)
	}
	return append(out, id)
}

// moveColumn moves the shown column id by d places (d < 0: left).
func moveColumn(cols []colID, id colID, d int) []colID {
	i := slices.Index(cols, id)
	j := i + d
	if i < 0 || j < 0 || j >= len(cols) {
		return cols
	}
	out := slices.Clone(cols)
	out[i], out[j] = out[j], out[i]
	return out
}

// setupScreen draws the setup screen over the whole body.
func (m Model) setupScreen(w, h int) []string {
	s := m.c.styles
	shown := m.procs.cols
	list := setupList(shown)
	cur := clamp(m.setup.cursor, 0, len(list)-1)
	lines := []string{
		s.Dim.Render("The process table's columns, left to right. ↑/↓ choose · space show/hide · F7/F8 move · esc or F2 close"),
		s.Label.Render("Theme ") + s.Value.Render(m.themeName()) + s.Dim.Render("  (t: next of "+strings.Join(themeNames(), ", ")+")"),
		"",
	}
	rows := max(1, h-2-len(lines)-3)
	off := max(0, min(cur-rows+1, len(list)-rows))
	for i := off; i < len(list) && i < off+rows; i++ {
		id := list[i]
		d := columnDefs[id]
		mark := "[ ]"
		pos := "  "
		if j := slices.Index(shown, id); j >= 0 {
			mark = "[x]"
			pos = padLeft(strconv.Itoa(j+1), 2)
		}
		l := " " + pos + " " + mark + " " + padRight(d.title, 10) + " " + d.help
		if id == m.procs.key {
			l += " (sorted on)"
		}
		if i == cur {
			l = s.PromptChoice.Render(fit(l, w-2))
		} else if !slices.Contains(shown, id) {
			l = s.Dim.Render(l)
		}
		lines = append(lines, l)
	}
	// The header the table will have at this width.
	iw := max(1, m.procs.w-2)
	if m.procs.w <= 0 {
		iw = w - 2
	}
	lines = append(lines, "", s.Label.Render("The table at this width:"),
		s.TableHeader.Render(fit(strings.TrimRight(m.procs.header(layoutColumns(shown, iw)), " "), w-2)))
	title := " " + s.PanelTitle.Render("Setup: process columns") + " "
	return box(s.BorderFocus, title, lines, w, h)
}
