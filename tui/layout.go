package tui

// Minimum terminal size for the dashboard; below it a message says so.
const (
	minWidth  = 60
	minHeight = 15
)

// preset is a layout the v key cycles through.
type preset int

const (
	presetOverview  preset = iota // meters, trends and checks where they fit, processes
	presetProcesses               // meters and the process table only (htop)
	presetChecks                  // meters, every check, processes below
	numPresets
)

// presetNames are the presets as the settings file and the header name them.
var presetNames = [numPresets]string{"overview", "processes", "checks"}

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
	meters   int // lines of header meters below the two status lines
	extra    int // of which the last: PSI, temperature and battery lines
	rows     []layoutRow
	shown    [numPanels]bool
}

// meterColumns is how many header meters go side by side at width w.
func meterColumns(w int) int {
	if w >= 150 {
		return 3
	}
	return 2
}

// meterLines is the height of the header meters at width w.
func meterLines(w int) int {
	c := meterColumns(w)
	return (numMeters + c - 1) / c
}

// procRowsWanted is how many process rows the table is guaranteed before
// any trend or list band gets a line: 10 on a 24-line terminal, half the
// height from 30 lines up (20 at 40, 25 at 50).
func procRowsWanted(h int) int {
	if h < 30 {
		return 10
	}
	return h / 2
}

// computeLayout places the visible panels in w x h: the status lines and
// meters on top, the key bar (1 line) at the bottom, then the preset's
// bands. In the overview the process table is guaranteed procRowsWanted
// rows; checks, cpu|memory trends and disk|network lists follow in that
// order where their least height fits (the meters already show their
// figures), grow towards what they want, and what is left goes to the
// table.
// extra is the lines of PSI, temperature and battery meters (metersView)
// to place below the header meters; fewer are placed on short terminals.
func computeLayout(w, h int, pre preset, hidden [numPanels]bool, diskRows, netRows, checkRows, extra int) layout {
	var l layout
	if w < minWidth || h < minHeight {
		l.tooSmall = true
		return l
	}
	l.meters = meterLines(w)
	// Below 30 lines the table and the checks keep their rows: the PSI,
	// temperature and battery lines come from 30 lines up.
	if h < 30 {
		extra = 0
	}
	l.extra = max(0, extra)
	l.meters += l.extra
	avail := h - 3 - l.meters
	tall := h >= 40
	bands := [][]panelID{{panelCPU, panelMem}, {panelDisk, panelNet}, {panelChecks}, {panelProcs}}
	const cpuBand, diskBand, checksBand, procBand = 0, 1, 2, 3
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
		case cpuBand:
			if tall {
				return 12, 8
			}
			return 9, 8
		case diskBand:
			hi := 8
			if tall {
				hi = 10
			}
			return clamp(max(diskRows, netRows+1)+2, 8, hi), 8
		case checksBand:
			hi := 6
			if tall {
				hi = 10
			}
			return clamp(checkRows, 4, hi), 4
		}
		return 0, 0
	}
	procsShown := !hidden[panelProcs]
	if pre == presetProcesses && !procsShown {
		pre = presetOverview // nothing to show but the bands
	}
	heights := [4]int{}
	left := avail
	reserve := 0
	if procsShown {
		reserve = min(procRowsWanted(h)+3, avail)
	}
	switch pre {
	case presetProcesses:
		reserve = avail
	case presetChecks:
		if len(visible(bands[checksBand])) > 0 {
			// Every check, leaving the table at least 6 rows.
			most := avail
			if procsShown {
				most = max(4, avail-9)
			}
			heights[checksBand] = clamp(checkRows, min(4, most), most)
			left -= heights[checksBand]
		}
		reserve = left
	default:
		// Each band at its least first, in priority order, then grown
		// towards what it wants in the same order.
		left -= reserve
		order := []int{checksBand, cpuBand, diskBand}
		for _, b := range order {
			if _, mn := want(b); len(visible(bands[b])) > 0 && left >= mn {
				heights[b] = mn
				left -= mn
			}
		}
		for _, b := range order {
			if d, _ := want(b); heights[b] > 0 {
				grow := min(left, max(0, d-heights[b]))
				heights[b] += grow
				left -= grow
			}
		}
		reserve += left
	}
	if procsShown {
		heights[procBand] = reserve
	} else if reserve > 0 {
		// No table: the first band shown takes the rest.
		for _, b := range []int{cpuBand, checksBand, diskBand} {
			if heights[b] > 0 {
				heights[b] += reserve
				break
			}
		}
	}
	y := 2 + l.meters
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
