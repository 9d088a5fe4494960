package tui

import (
	"github.com/charmbracelet/x/ansi"
)

// menu is a list of choices drawn as a panel down the left of the body,
// over the dashboard (htop's side menus): the sort column (F6), the signal
// (k) and the user (u).
type menu struct {
	title  string
	items  []string
	cursor int
	offset int
	typed  string // digits typed so far (the signal menu picks by number)
}

func (mn *menu) move(d int) {
	if len(mn.items) == 0 {
		return
	}
	mn.cursor = (mn.cursor + d + len(mn.items)) % len(mn.items)
	mn.typed = ""
}

// page moves d choices without wrapping (PgUp/PgDown).
func (mn *menu) page(d int) {
	mn.cursor = clamp(mn.cursor+d, 0, max(0, len(mn.items)-1))
	mn.typed = ""
}

// menuWidth is the panel's width for items, within w.
func (mn *menu) menuWidth(w int) int {
	iw := width(mn.title) + 4 // the title sits in the top border: "╭─ title ─╮"
	for _, it := range mn.items {
		iw = max(iw, width(it)+2)
	}
	return min(w, max(iw+2, 22))
}

// view is the panel, h lines of menuWidth cells.
func (mn *menu) view(s *styles, w, h int) []string {
	mw := mn.menuWidth(w)
	rows := max(0, h-2)
	if rows > 0 {
		if mn.cursor < mn.offset {
			mn.offset = mn.cursor
		}
		if mn.cursor >= mn.offset+rows {
			mn.offset = mn.cursor - rows + 1
		}
		mn.offset = max(0, min(mn.offset, len(mn.items)-rows))
	}
	lines := make([]string, 0, rows)
	for i := mn.offset; i < len(mn.items) && len(lines) < rows; i++ {
		l := fit(" "+mn.items[i], mw-2)
		if i == mn.cursor {
			l = s.PromptChoice.Render(l)
		}
		lines = append(lines, l)
	}
	return box(s.BorderFocus, " "+s.PanelTitle.Render(mn.title)+" ", lines, mw, h)
}

// overlay draws panel over the left of lines from line top on: each line
// keeps what was right of the panel.
func overlay(lines, panel []string, top int) {
	for i, pl := range panel {
		y := top + i
		if y >= len(lines) {
			break
		}
		lines[y] = pl + ansi.TruncateLeft(lines[y], width(pl), "")
	}
}
