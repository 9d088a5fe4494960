package tui

import (
	"cmp"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/collector"
)

// cgroupFilterMsg asks the root to filter the process table to the
// processes of one control group (Enter on a row of the cgroup view).
// Path is Cgroup.Path, which is what collector.Process.Cgroup holds;
// Version says which hierarchy it is in (1: a hybrid host's v1 controllers,
// 2: unified).
type cgroupFilterMsg struct {
	Path    string
	Version int
}

// sourceCgroups is the Snapshot.Errors key of the cgroup source.
const sourceCgroups = "cgroups"

// cgroupSort is a column of the cgroup view to sort on.
type cgroupSort int

const (
	cgSortCPU cgroupSort = iota
	cgSortMem
	cgSortMemPct
	cgSortIORead
	cgSortIOWrite
	cgSortPSICPU
	cgSortPSIMem
	cgSortPSIIO
	cgSortProcs
	cgSortName
	numCgroupSorts
)

// cgroupKeyMap is the cgroup view's keys (htop's where htop has one).
type cgroupKeyMap struct {
	Up, Down, PgUp, PgDown, Home, End key.Binding
	Processes                         key.Binding // Enter: filter the process table to the group
	SortNext, SortPrev, Invert        key.Binding
	SortCPU, SortMem                  key.Binding
	Tree                              key.Binding
}

func newCgroupKeyMap() cgroupKeyMap {
	return cgroupKeyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		PgUp:      key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PgDown:    key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Home:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		End:       key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
		Processes: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "its processes")),
		SortNext:  key.NewBinding(key.WithKeys(">", "."), key.WithHelp(">", "next sort column")),
		SortPrev:  key.NewBinding(key.WithKeys("<", ","), key.WithHelp("<", "previous sort column")),
		Invert:    key.NewBinding(key.WithKeys("I"), key.WithHelp("I", "invert sort")),
		SortCPU:   key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "sort by CPU%")),
		SortMem:   key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "sort by memory")),
		Tree:      key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tree/flat")),
	}
}

// ShortHelp is the key bar of the cgroup view.
func (k cgroupKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Processes, k.SortNext, k.Invert, k.Tree}
}

// FullHelp is the help screen's page for the cgroup view.
func (k cgroupKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PgUp, k.PgDown, k.Home, k.End},
		{k.Processes, k.SortNext, k.SortPrev, k.Invert, k.SortCPU, k.SortMem, k.Tree},
	}
}

// cgroupView is the control groups of the shown snapshot (systemd slices,
// services, scopes, containers; cgroup v2 and a hybrid host's v1
// controllers) as a sortable table indented by path, in the manner of
// systemd-cgtop and below. Enter on a row asks the root to filter the
// process table to it (cgroupFilterMsg).
//
// The root calls refresh after every change of the shown snapshot (live or
// replayed), SetActive when the view is shown or hidden, and routes keys to
// Update while the view has the focus.
type cgroupView struct {
	c    *common
	keys cgroupKeyMap
	w, h int

	sort cgroupSort
	desc bool
	flat bool // sorted as one list instead of a tree

	groups []collector.Cgroup // the snapshot's; never modified
	order  []int              // indices into groups, as shown
	depth  []int              // indentation of order[i]
	cursor int                // index into order
	offset int                // first row shown
	sel    cgroupID           // the selection survives re-sorting
	mixed  bool               // v1 and v2 groups both listed

	// Whether cgroups were asked for long enough to tell "none here"
	// from "not sampled yet": snapshots seen since SetActive(true).
	lastSnap *collector.Snapshot
	fresh    int
}

type cgroupID struct {
	version int
	path    string
}

func newCgroupView(c *common) *cgroupView {
	return &cgroupView{c: c, keys: newCgroupKeyMap(), desc: true}
}

// SetSize sets the view's size, border included.
func (v *cgroupView) SetSize(w, h int) {
	v.w, v.h = w, h
	v.clampOffset()
}

// SetActive tells the view it is shown (the root also turns the sampler's
// cgroups on with Options.SetCgroups) or hidden.
func (v *cgroupView) SetActive(on bool) {
	v.lastSnap, v.fresh = v.c.snap, 0
}

// refresh reads the shown snapshot's cgroups and orders them; the root
// calls it whenever common.snap changes.
func (v *cgroupView) refresh() {
	if v.c.snap != v.lastSnap {
		v.lastSnap = v.c.snap
		v.fresh++
	}
	v.groups = nil
	if v.c.snap != nil {
		v.groups = v.c.snap.Cgroups
	}
	v.reorder()
}

// rowsShown is how many table rows fit (border, header and footer out).
func (v *cgroupView) rowsShown() int {
	ih := v.h - 2
	if ih >= 5 {
		ih-- // footer: the selected group's path
	}
	return max(ih-1, 0)
}

func (v *cgroupView) clampOffset() {
	n, rows := len(v.order), v.rowsShown()
	v.cursor = clamp(v.cursor, 0, max(n-1, 0))
	if rows <= 0 {
		v.offset = 0
		return
	}
	if v.cursor < v.offset {
		v.offset = v.cursor
	}
	if v.cursor >= v.offset+rows {
		v.offset = v.cursor - rows + 1
	}
	v.offset = clamp(v.offset, 0, max(n-rows, 0))
}

func (v *cgroupView) sortValue(g *collector.Cgroup) float64 {
	switch v.sort {
	case cgSortCPU:
		return g.CPUPct
	case cgSortMem:
		return float64(g.MemBytes)
	case cgSortMemPct:
		return memPctOf(g)
	case cgSortIORead:
		return g.IOReadBps
	case cgSortIOWrite:
		return g.IOWriteBps
	case cgSortPSICPU:
		return psiOf(g, 0)
	case cgSortPSIMem:
		return psiOf(g, 1)
	case cgSortPSIIO:
		return psiOf(g, 2)
	case cgSortProcs:
		return float64(g.Procs)
	}
	return 0
}

// memPctOf is memory use as a share of the group's limit; -1 without one.
func memPctOf(g *collector.Cgroup) float64 {
	if g.MemLimit == 0 {
		return -1
	}
	return float64(g.MemBytes) / float64(g.MemLimit) * 100
}

// psiOf is the group's "some" avg10 for cpu (0), memory (1) or io (2);
// -1 without PSI.
func psiOf(g *collector.Cgroup, res int) float64 {
	if g.Pressure == nil {
		return -1
	}
	return [3]float64{g.Pressure.CPU.SomeAvg10, g.Pressure.Memory.SomeAvg10, g.Pressure.IO.SomeAvg10}[res]
}

// compare orders two groups by the sort column (NaN last), then by path.
func (v *cgroupView) compare(a, b int) int {
	ga, gb := &v.groups[a], &v.groups[b]
	var d int
	if v.sort == cgSortName {
		d = strings.Compare(displayName(ga), displayName(gb))
	} else {
		x, y := v.sortValue(ga), v.sortValue(gb)
		switch xn, yn := x != x, y != y; {
		case xn && yn:
		case xn:
			return 1
		case yn:
			return -1
		default:
			d = cmp.Compare(x, y)
		}
	}
	if v.desc {
		d = -d
	}
	if d != 0 {
		return d
	}
	if d := cmp.Compare(ga.Path, gb.Path); d != 0 {
		return d
	}
	return cmp.Compare(gb.Version, ga.Version)
}

func cgKey(g *collector.Cgroup) cgroupID {
	return cgroupID{g.Version, path.Clean("/" + g.Path)}
}

// reorder sorts groups into order: as a tree (each group under its
// nearest listed ancestor in its own hierarchy, siblings sorted) or flat.
func (v *cgroupView) reorder() {
	n := len(v.groups)
	v.order, v.depth = v.order[:0], v.depth[:0]
	v.mixed = false
	for i := range v.groups {
		if v.groups[i].Version != v.groups[0].Version {
			v.mixed = true
			break
		}
	}
	if v.flat {
		for i := range n {
			v.order = append(v.order, i)
			v.depth = append(v.depth, 0)
		}
		slices.SortStableFunc(v.order, v.compare)
	} else {
		index := make(map[cgroupID]int, n)
		for i := range v.groups {
			if _, dup := index[cgKey(&v.groups[i])]; !dup {
				index[cgKey(&v.groups[i])] = i
			}
		}
		children := make(map[int][]int, n) // -1: the roots
		for i := range v.groups {
			id := cgKey(&v.groups[i])
			parent := -1
			if index[id] == i { // a repeated path is listed at the top
				for p := id.path; p != "/"; {
					p = path.Dir(p)
					if j, ok := index[cgroupID{id.version, p}]; ok && j != i {
						parent = j
						break
					}
				}
			}
			children[parent] = append(children[parent], i)
		}
		for _, c := range children {
			slices.SortStableFunc(c, v.compare)
		}
		// The unified hierarchy first, then a hybrid host's v1 groups.
		slices.SortStableFunc(children[-1], func(a, b int) int {
			return cmp.Compare(v.groups[b].Version, v.groups[a].Version)
		})
		// Depth-first without recursion: paths can be deep.
		type item struct{ idx, depth int }
		stack := make([]item, 0, n)
		for _, c := range slices.Backward(children[-1]) {
			stack = append(stack, item{c, 0})
		}
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			v.order = append(v.order, it.idx)
			v.depth = append(v.depth, it.depth)
			for _, c := range slices.Backward(children[it.idx]) {
				stack = append(stack, item{c, it.depth + 1})
			}
		}
	}
	// Keep the selected group selected.
	v.cursor = 0
	for i, idx := range v.order {
		if cgKey(&v.groups[idx]) == v.sel {
			v.cursor = i
			break
		}
	}
	v.clampOffset()
	v.remember()
}

func (v *cgroupView) remember() {
	if v.cursor < len(v.order) {
		v.sel = cgKey(&v.groups[v.order[v.cursor]])
	}
}

func (v *cgroupView) move(d int) {
	v.cursor += d
	v.clampOffset()
	v.remember()
}

func (v *cgroupView) setSort(s cgroupSort, desc bool) {
	v.sort, v.desc = s, desc
	v.reorder()
}

// Update handles the view's keys; Enter gives a cgroupFilterMsg command.
func (v *cgroupView) Update(msg tea.Msg) (*cgroupView, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return v, nil
	}
	page := max(v.rowsShown()-1, 1)
	switch k := v.keys; {
	case key.Matches(km, k.Up):
		v.move(-1)
	case key.Matches(km, k.Down):
		v.move(1)
	case key.Matches(km, k.PgUp):
		v.move(-page)
	case key.Matches(km, k.PgDown):
		v.move(page)
	case key.Matches(km, k.Home):
		v.move(-len(v.order))
	case key.Matches(km, k.End):
		v.move(len(v.order))
	case key.Matches(km, k.SortNext):
		s := (v.sort + 1) % numCgroupSorts
		v.setSort(s, s != cgSortName)
	case key.Matches(km, k.SortPrev):
		s := (v.sort + numCgroupSorts - 1) % numCgroupSorts
		v.setSort(s, s != cgSortName)
	case key.Matches(km, k.Invert):
		v.setSort(v.sort, !v.desc)
	case key.Matches(km, k.SortCPU):
		v.setSort(cgSortCPU, true)
	case key.Matches(km, k.SortMem):
		v.setSort(cgSortMem, true)
	case key.Matches(km, k.Tree):
		v.flat = !v.flat
		v.reorder()
	case key.Matches(km, k.Processes):
		if v.cursor < len(v.order) {
			g := v.groups[v.order[v.cursor]]
			m := cgroupFilterMsg{Path: g.Path, Version: g.Version}
			return v, func() tea.Msg { return m }
		}
	}
	return v, nil
}

// emptyReason says in one line why there is no cgroup to list.
func (v *cgroupView) emptyReason() string {
	snap := v.c.snap
	switch {
	case snap == nil:
		return "waiting for data…"
	case v.c.frame != nil:
		return "cgroups not recorded at this moment"
	case snap.Errors[sourceCgroups] != "":
		return "cgroups: " + oneLine(snap.Errors[sourceCgroups])
	case snap.Host.OS != "" && snap.Host.OS != "linux":
		return "cgroups need Linux"
	case snap.Cgroups == nil && v.fresh < 2:
		return "waiting for the first cgroup sample…"
	default:
		return "no cgroups on this system"
	}
}

// cgroupCol is one column of the view: its header, width and the order in
// which it is dropped on a narrow terminal (kept lowest first).
type cgroupCol struct {
	title string
	w     int
	keep  int
	sort  cgroupSort
	right bool
}

var cgroupCols = []cgroupCol{
	{"KIND", 9, 3, numCgroupSorts, false},
	{"PROCS", 5, 2, cgSortProcs, true},
	{"CPU%", 6, 0, cgSortCPU, true},
	{"MEM", 6, 1, cgSortMem, true},
	{"MEM%", 5, 4, cgSortMemPct, true},
	{"IO R/s", 8, 5, cgSortIORead, true},
	{"IO W/s", 8, 6, cgSortIOWrite, true},
	{"PSIcpu", 6, 7, cgSortPSICPU, true},
	{"PSImem", 6, 8, cgSortPSIMem, true},
	{"PSIio", 6, 9, cgSortPSIIO, true},
}

// minCgroupName is the NAME column's least width before columns go.
const minCgroupName = 16

// cgroupColumnsFor picks the columns that fit in w cells beside the name;
// mixed (v1 and v2 groups listed) widens KIND for the version.
func cgroupColumnsFor(w int, mixed bool) (cols []cgroupCol, shown []bool, nameW int) {
	cols = cgroupCols
	if mixed {
		cols = slices.Clone(cgroupCols)
		cols[0].w = len("container v2")
	}
	shown = make([]bool, len(cols))
	used := 0
	for keep := range len(cols) {
		for i, c := range cols {
			if c.keep == keep && w-used-(c.w+1) >= minCgroupName {
				shown[i] = true
				used += c.w + 1
			}
		}
	}
	return cols, shown, max(w-used, 0)
}

// View draws the view in its w x h box.
func (v *cgroupView) View() string {
	return strings.Join(v.lines(), "\n")
}

func (v *cgroupView) lines() []string {
	s := v.c.styles
	iw, ih := v.w-2, v.h-2
	title := " " + s.PanelTitle.Render("Cgroups") + " "
	if len(v.order) == 0 {
		return frame(heavyBorder, s.BorderFocus, title, []string{s.Dim.Render(v.emptyReason())}, v.w, v.h)
	}
	dir := "▲"
	if v.desc {
		dir = "▼"
	}
	info := strconv.Itoa(len(v.order)) + " groups · sort " + cgroupSortName(v.sort) + dir
	if v.flat {
		info += " · flat"
	}
	title = " " + s.PanelTitle.Render("Cgroups") + s.Dim.Render(" · "+info) + " "
	if iw <= 0 || ih <= 0 {
		return frame(heavyBorder, s.BorderFocus, title, nil, v.w, v.h)
	}
	cols, shown, nameW := cgroupColumnsFor(iw, v.mixed)
	// No wider than the longest name: the numbers stay near their names.
	longest := len("NAME ")
	for i, idx := range v.order {
		longest = max(longest, min(v.depth[i], 8)*2+width(displayName(&v.groups[idx]))+1)
	}
	nameW = min(nameW, max(longest, minCgroupName))
	rows := v.rowsShown()
	out := make([]string, 0, ih)
	// Header.
	var b strings.Builder
	nameT := "NAME"
	if v.sort == cgSortName {
		nameT += dir
	}
	b.WriteString(padRight(nameT, nameW))
	for i, c := range cols {
		if !shown[i] {
			continue
		}
		t := c.title
		if c.sort == v.sort {
			t += dir
		}
		b.WriteByte(' ')
		if c.right {
			b.WriteString(padLeft(t, c.w))
		} else {
			b.WriteString(padRight(t, c.w))
		}
	}
	out = append(out, s.TableHeader.Render(fit(b.String(), iw)))
	// Rows: offset as Update left it, clamped here without storing.
	off := clamp(v.offset, 0, max(len(v.order)-rows, 0))
	for r := off; r < len(v.order) && r < off+rows; r++ {
		g := &v.groups[v.order[r]]
		line := v.row(g, v.depth[r], cols, shown, nameW)
		if r == v.cursor {
			line = s.Selected.Render(fit(line, iw))
		}
		out = append(out, line)
	}
	if ih >= 5 && v.cursor < len(v.order) {
		for len(out) < ih-1 {
			out = append(out, "")
		}
		g := &v.groups[v.order[v.cursor]]
		foot := clean(cgKey(g).path)
		if v.mixed || g.Version == 1 {
			foot += " · cgroup v" + strconv.Itoa(g.Version)
		}
		foot += " · enter: its processes"
		out = append(out, s.Dim.Render(clipText(foot, iw)))
	}
	return frame(heavyBorder, s.BorderFocus, title, out, v.w, v.h)
}

// row is one group's line, unstyled but for its CPU and memory levels.
func (v *cgroupView) row(g *collector.Cgroup, depth int, cols []cgroupCol, shown []bool, nameW int) string {
	s := v.c.styles
	indent := min(depth, 8) * 2
	name := strings.Repeat(" ", min(indent, max(nameW-4, 0))) + displayName(g)
	var b strings.Builder
	b.WriteString(clipText(name, nameW))
	for i, c := range cols {
		if !shown[i] {
			continue
		}
		b.WriteByte(' ')
		var t string
		st := style{}
		switch c.sort {
		case numCgroupSorts: // KIND
			t = g.Kind
			if t == "" {
				t = "cgroup"
			}
			if v.mixed {
				t += " v" + strconv.Itoa(g.Version)
			}
		case cgSortProcs:
			t = strconv.Itoa(g.Procs)
		case cgSortCPU:
			t = num1(g.CPUPct)
			st = s.barStyle(g.CPUPct)
		case cgSortMem:
			t = humanBytes(float64(g.MemBytes))
		case cgSortMemPct:
			if p := memPctOf(g); p >= 0 {
				t = num1(p)
				st = s.barStyle(p)
			} else {
				t = "-"
			}
		case cgSortIORead:
			t = humanRate(g.IOReadBps)
		case cgSortIOWrite:
			t = humanRate(g.IOWriteBps)
		case cgSortPSICPU, cgSortPSIMem, cgSortPSIIO:
			if p := psiOf(g, int(c.sort-cgSortPSICPU)); p >= 0 {
				t = num1(p)
			} else {
				t = "-"
			}
		}
		t = clean(t)
		if c.right && width(t) <= c.w {
			t = padLeft(t, c.w)
		} else {
			t = clipText(t, c.w)
		}
		b.WriteString(st.Render(t))
	}
	return b.String()
}

// displayName is the group's short name: Name, else the last element of
// its path, "/" at the root.
func displayName(g *collector.Cgroup) string {
	if g.Name != "" {
		return clean(g.Name)
	}
	p := path.Clean("/" + g.Path)
	if p == "/" {
		return "/"
	}
	return clean(path.Base(p))
}

// num1 is a number with one decimal, "-" when it is not one.
func num1(f float64) string {
	if f != f || f > 1e15 || f < -1e15 {
		return "-"
	}
	return strconv.FormatFloat(f, 'f', 1, 64)
}

func cgroupSortName(s cgroupSort) string {
	switch s {
	case cgSortName:
		return "NAME"
	case cgSortProcs:
		return "PROCS"
	}
	for _, c := range cgroupCols {
		if c.sort == s {
			return c.title
		}
	}
	return "?"
}
