package tui

// Minimum terminal size for the dashboard; below it a message says so.
const (
	minWidth  = 60
	minHeight = 15
)

// layoutRow is one band of the dashboard: panels side by side.
type layoutRow struct {
	y, h   int
	panels []panelID
	widths []int
}

// layout is where every panel goes for one terminal size, computed once per
// resize (or toggle, or content change) by the root model.
type layout struct {
	tooSmall bool
	rows     []layoutRow
	shown    [numPanels]bool
}

// computeLayout places the visible panels in w x h: header (2 lines) on top,
// key bar (1 line) at the bottom; cpu|memory, then disk|network, checks and
// the process table, which takes what is left. Lower-priority bands are
// dropped when they do not fit.
func computeLayout(w, h int, hidden [numPanels]bool, diskRows, netRows, checkRows int) layout {
	var l layout
	if w < minWidth || h < minHeight {
		l.tooSmall = true
		return l
	}
	avail := h - 3
	tall := h >= 40
	bands := [][]panelID{{panelCPU, panelMem}, {panelDisk, panelNet}, {panelChecks}, {panelProcs}}
	visible := func(ids []panelID) []panelID {
		var out []panelID
		for _, id := range ids {
			if !hidden[id] {
				out = append(out, id)
			}
		}
		return out
	}
	want := func(band int) (desired, minimum int) {
		switch band {
		case 0:
			switch {
			case tall:
				return 12, 5
			case h >= 30:
				return 9, 5
			default:
				return 7, 5
			}
		case 1:
			hi := 6
			if tall {
				hi = 10
			}
			return clamp(max(diskRows, netRows+1)+2, 4, hi), 4
		case 2:
			hi := 6
			if tall {
				hi = 10
			}
			return clamp(checkRows, 4, hi), 4
		default:
			return 8, 6
		}
	}
	procsShown := !hidden[panelProcs]
	reserve := 0
	if procsShown {
		_, reserve = want(3)
		reserve = min(reserve, avail)
	}
	heights := [4]int{}
	left := avail - reserve
	// Priority: cpu|memory, checks, disk|network.
	for _, b := range []int{0, 2, 1} {
		if len(visible(bands[b])) == 0 {
			continue
		}
		d, mn := want(b)
		switch {
		case left >= d:
			heights[b] = d
		case left >= mn:
			heights[b] = left
		}
		left -= heights[b]
	}
	if procsShown {
		heights[3] = reserve + left
	} else if heights[0] > 0 {
		heights[0] += left
	}
	y := 2
	for b, ids := range bands {
		ids = visible(ids)
		if heights[b] == 0 || len(ids) == 0 {
			continue
		}
		row := layoutRow{y: y, h: heights[b], panels: ids}
		for i := range ids {
			row.widths = append(row.widths, w/len(ids)+boolInt(i < w%len(ids)))
			l.shown[ids[i]] = true
		}
		l.rows = append(l.rows, row)
		y += heights[b]
	}
	return l
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
