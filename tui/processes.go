package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// sortKey is a process table order.
type sortKey int

const (
	sortCPU sortKey = iota
	sortMem
	sortPID
	sortName
	sortUser
	sortTime
	numSortKeys
)

var sortNames = [numSortKeys]string{"cpu", "mem", "pid", "name", "user", "time"}

// defaultDesc: biggest first for amounts, smallest first for identities.
func (k sortKey) defaultDesc() bool { return k == sortCPU || k == sortMem || k == sortTime }

// procPanel is the process table. It keeps the snapshot's processes and a
// slice of indices into them (filtered, sorted, optionally tree-ordered);
// View draws only the visible rows, so 1,000 processes cost no more than 50.
type procPanel struct {
	c      *common
	w, h   int
	x, y   int // screen origin, for mouse clicks
	procs  []collector.Process
	order  []int    // indices into procs, as displayed
	prefix []string // tree branches, parallel to order (tree view only)
	key    sortKey
	desc   bool
	tree   bool
	filter string // lower case
	follow bool

	cursor int   // index into order
	offset int   // first visible row
	selPID int32 // the selection is a pid, so it survives re-sorting
	// chosen is set once the user picks a row; until then the cursor
	// stays on the top row instead of trailing the first pid it saw.
	chosen bool
}

func newProcPanel(c *common) *procPanel {
	return &procPanel{c: c, key: sortCPU, desc: true}
}

func (p *procPanel) SetSize(w, h int) {
	p.w, p.h = w, h
	p.ensureVisible()
}

// setOrigin records where the panel is drawn, for mouse hit tests.
func (p *procPanel) setOrigin(x, y int) { p.x, p.y = x, y }

// tableRows is how many process rows fit.
func (p *procPanel) tableRows() int { return max(0, p.h-3) }

// setProcesses installs a new process list, keeping the selected pid.
func (p *procPanel) setProcesses(procs []collector.Process) {
	p.procs = procs
	p.rebuild(true)
}

// rebuild filters, sorts and tree-orders; keepPID keeps the cursor on the
// selected pid, otherwise the cursor goes to the top.
func (p *procPanel) rebuild(keepPID bool) {
	p.order = p.order[:0]
	for i := range p.procs {
		if p.filter == "" || p.matches(&p.procs[i]) {
			p.order = append(p.order, i)
		}
	}
	procs := p.procs
	key, desc := p.key, p.desc
	slices.SortFunc(p.order, func(a, b int) int {
		c := compareProc(&procs[a], &procs[b], key)
		if desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(procs[a].PID, procs[b].PID)
		}
		return c
	})
	p.prefix = p.prefix[:0]
	if p.tree {
		p.order, p.prefix = treeOrder(procs, p.order, p.prefix)
	}
	if !keepPID || !p.chosen {
		p.cursor, p.offset = 0, 0
		p.selPID = 0
		if len(p.order) > 0 {
			p.selPID = p.procs[p.order[0]].PID
		}
		return
	}
	p.locate()
}

// locate moves the cursor to the selected pid; if it vanished the cursor
// keeps its row (clamped) and selects whatever is there now.
func (p *procPanel) locate() {
	found := false
	if p.selPID != 0 {
		for i, idx := range p.order {
			if p.procs[idx].PID == p.selPID {
				p.cursor, found = i, true
				break
			}
		}
	}
	if !found {
		// A followed process that exited (or was filtered out) ends the follow.
		p.follow = false
		p.cursor = max(0, min(p.cursor, len(p.order)-1))
		p.selPID = 0
		if len(p.order) > 0 {
			p.selPID = p.procs[p.order[p.cursor]].PID
		}
	}
	p.ensureVisible()
}

func (p *procPanel) ensureVisible() {
	rows := p.tableRows()
	if rows <= 0 {
		p.offset = 0
		return
	}
	if p.follow {
		// Keep the followed process in the middle third of the table.
		if p.cursor < p.offset || p.cursor >= p.offset+rows {
			p.offset = p.cursor - rows/3
		}
	}
	if p.cursor < p.offset {
		p.offset = p.cursor
	}
	if p.cursor >= p.offset+rows {
		p.offset = p.cursor - rows + 1
	}
	p.offset = max(0, min(p.offset, len(p.order)-rows))
}

func (p *procPanel) matches(pr *collector.Process) bool {
	return containsFold(pr.Name, p.filter) || containsFold(pr.Cmdline, p.filter) ||
		containsFold(pr.User, p.filter) || strconv.Itoa(int(pr.PID)) == p.filter
}

// containsFold reports whether s contains the lower-case needle, ignoring
// ASCII case without allocating.
func containsFold(s, needle string) bool {
	n := len(needle)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func compareProc(a, b *collector.Process, k sortKey) int {
	switch k {
	case sortMem:
		return cmp.Compare(a.RSSBytes, b.RSSBytes)
	case sortPID:
		return cmp.Compare(a.PID, b.PID)
	case sortName:
		return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	case sortUser:
		return cmp.Compare(a.User, b.User)
	case sortTime:
		return cmp.Compare(a.CPUTimeS, b.CPUTimeS)
	default:
		return cmp.Compare(a.CPUPct, b.CPUPct)
	}
}

// treeOrder arranges the sorted indices as a forest by PPID: children
// follow their parent in sort order, with ├─/└─ branch prefixes. Processes
// whose parent is filtered out (or in a PPID cycle) become roots.
func treeOrder(procs []collector.Process, order []int, prefix []string) ([]int, []string) {
	pos := make(map[int32]bool, len(order))
	for _, i := range order {
		pos[procs[i].PID] = true
	}
	children := make(map[int32][]int, len(order))
	var roots []int
	for _, i := range order {
		pr := &procs[i]
		if pr.PPID != pr.PID && pos[pr.PPID] {
			children[pr.PPID] = append(children[pr.PPID], i)
		} else {
			roots = append(roots, i)
		}
	}
	out := make([]int, 0, len(order))
	visited := make(map[int32]bool, len(order))
	var walk func(i int, branch, indent string)
	walk = func(i int, branch, indent string) {
		pid := procs[i].PID
		if visited[pid] {
			return
		}
		visited[pid] = true
		out = append(out, i)
		prefix = append(prefix, branch)
		kids := children[pid]
		for k, c := range kids {
			if k == len(kids)-1 {
				walk(c, indent+"└─ ", indent+"   ")
			} else {
				walk(c, indent+"├─ ", indent+"│  ")
			}
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	// Members of a PPID cycle have no root; show them flat rather than lose them.
	for _, i := range order {
		if !visited[procs[i].PID] {
			walk(i, "", "")
		}
	}
	return out, prefix
}

// selected is the process under the cursor, if any.
func (p *procPanel) selected() (collector.Process, bool) {
	if p.cursor < 0 || p.cursor >= len(p.order) {
		return collector.Process{}, false
	}
	return p.procs[p.order[p.cursor]], true
}

func (p *procPanel) moveTo(i int) {
	p.chosen = true
	if len(p.order) == 0 {
		p.cursor, p.selPID = 0, 0
		return
	}
	p.cursor = max(0, min(i, len(p.order)-1))
	p.selPID = p.procs[p.order[p.cursor]].PID
	p.ensureVisible()
}

func (p *procPanel) move(d int) { p.moveTo(p.cursor + d) }
func (p *procPanel) page(d int) { p.moveTo(p.cursor + d*max(1, p.tableRows()-1)) }

// setSort changes the order; choosing the current key again inverts it.
// Following keeps the selection on its pid, otherwise the cursor goes top.
func (p *procPanel) setSort(k sortKey) {
	if k == p.key {
		p.desc = !p.desc
	} else {
		p.key, p.desc = k, k.defaultDesc()
	}
	p.rebuild(p.follow)
}

func (p *procPanel) invertSort() {
	p.desc = !p.desc
	p.rebuild(p.follow)
}

func (p *procPanel) toggleTree() {
	p.tree = !p.tree
	p.rebuild(true)
}

func (p *procPanel) toggleFollow() {
	p.follow = !p.follow
	p.chosen = true
	p.ensureVisible()
}

// setFilter narrows the list incrementally; the selection stays if it
// still matches.
func (p *procPanel) setFilter(f string) {
	p.filter = strings.ToLower(strings.TrimSpace(f))
	p.rebuild(true)
}

// clickRow selects the row at screen line y (mouse); it reports whether y
// was on a row.
func (p *procPanel) clickRow(x, y int) bool {
	if x < p.x || x >= p.x+p.w {
		return false
	}
	r := y - p.y - 2 // border and column header
	if r < 0 || r >= p.tableRows() || p.offset+r >= len(p.order) {
		return false
	}
	p.moveTo(p.offset + r)
	return true
}

// commandText is what the COMMAND column shows and how many bytes of it
// are the program (drawn bright; the arguments are dimmed): the command
// line when its argv[0] is the process name, else "name cmdline"; kernel
// threads without a command line show [name].
func commandText(pr *collector.Process) (string, int) {
	if pr.Cmdline == "" {
		if pr.PPID == 2 || pr.PID == 2 {
			return "[" + pr.Name + "]", len(pr.Name) + 2
		}
		return pr.Name, len(pr.Name)
	}
	argv0 := pr.Cmdline
	if i := strings.IndexByte(argv0, ' '); i >= 0 {
		argv0 = argv0[:i]
	}
	base := argv0
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	// The kernel's comm is capped at 15 bytes: compare prefixes.
	if pr.Name != "" && strings.HasPrefix(base, pr.Name) {
		return pr.Cmdline, len(argv0)
	}
	return pr.Name + " " + pr.Cmdline, len(pr.Name)
}

// procCols are the process table column widths for one panel width.
type procCols struct{ pid, user, state, thr, nice, cpu, mem, rss, time, cmd int }

func procColumns(w int) procCols {
	c := procCols{pid: 7, user: 9, state: 1, thr: 4, nice: 3, cpu: 6, mem: 5, rss: 7, time: 10}
	if w < 90 {
		c.state, c.thr, c.nice, c.user = 0, 0, 0, 8
	}
	used := 1 // selection marker
	for _, v := range []int{c.pid, c.user, c.state, c.thr, c.nice, c.cpu, c.mem, c.rss, c.time} {
		if v > 0 {
			used += v + 1
		}
	}
	c.cmd = max(0, w-used)
	return c
}

func (p *procPanel) header(cols procCols) string {
	var b strings.Builder
	b.WriteByte(' ')
	arrow := "▲"
	if p.desc {
		arrow = "▼"
	}
	col := func(t string, w int, k sortKey, right bool) {
		if w <= 0 {
			return
		}
		if k == p.key && k < numSortKeys {
			t += arrow
		}
		if right {
			b.WriteString(padLeft(t, w))
		} else {
			b.WriteString(padRight(t, w))
		}
		b.WriteByte(' ')
	}
	col("PID", cols.pid, sortPID, true)
	col("USER", cols.user, sortUser, false)
	col("S", cols.state, numSortKeys, false)
	col("THR", cols.thr, numSortKeys, true)
	col("NI", cols.nice, numSortKeys, true)
	col("CPU%", cols.cpu, sortCPU, true)
	col("MEM%", cols.mem, sortMem, true)
	col("RSS", cols.rss, sortMem, true)
	col("TIME+", cols.time, sortTime, true)
	col("COMMAND", cols.cmd, sortName, false)
	return b.String()
}

// row formats one process as plain text; buf is reused between rows.
func (p *procPanel) row(buf []byte, cols procCols, pr *collector.Process, branch string) ([]byte, int) {
	mark := byte(' ')
	if pr.PID == p.selPID {
		mark = '>'
	}
	buf = append(buf, mark)
	num := func(s string, w int) {
		if w > 0 {
			buf = append(buf, padLeft(s, w)...)
			buf = append(buf, ' ')
		}
	}
	str := func(s string, w int) {
		if w > 0 {
			buf = append(buf, padRight(s, w)...)
			buf = append(buf, ' ')
		}
	}
	num(strconv.Itoa(int(pr.PID)), cols.pid)
	str(clean(pr.User), cols.user)
	str(pr.State, cols.state)
	num(strconv.Itoa(int(pr.Threads)), cols.thr)
	num(strconv.Itoa(int(pr.Nice)), cols.nice)
	num(strconv.FormatFloat(pr.CPUPct, 'f', 1, 64), cols.cpu)
	num(strconv.FormatFloat(pr.MemPct, 'f', 1, 64), cols.mem)
	num(humanBytes(float64(pr.RSSBytes)), cols.rss)
	num(cpuTime(pr.CPUTimeS), cols.time)
	buf = append(buf, branch...)
	cmd, argv0 := commandText(pr)
	start := len(buf)
	buf = append(buf, clean(cmd)...)
	return buf, start + argv0
}

func (p *procPanel) title() string {
	t := "Processes " + strconv.Itoa(len(p.order))
	if p.filter != "" {
		t += "/" + strconv.Itoa(len(p.procs)) + " · filter \"" + p.filter + "\""
	}
	t += " · sort " + sortNames[p.key]
	if p.desc {
		t += "▼"
	} else {
		t += "▲"
	}
	if p.tree {
		t += " · tree"
	}
	if p.follow {
		t += " · following " + strconv.Itoa(int(p.selPID))
	}
	// In replay the table is the latest recorded at or before the moment
	// (tables are recorded less often than samples): say how much older.
	if f := p.c.frame; f != nil && !f.ProcessTime.IsZero() {
		if age := f.Time().Sub(f.ProcessTime); age >= time.Second {
			t += " · table " + agoText(age) + " older"
		}
	}
	return t
}

func (p *procPanel) view(focused bool) []string {
	s := p.c.styles
	iw := p.w - 2
	var lines []string
	switch {
	case p.c.snap == nil:
		lines = []string{s.Dim.Render("waiting for data…")}
	case p.c.frame != nil && p.c.frame.ProcessTime.IsZero():
		lines = []string{s.Dim.Render("no process table recorded at or before this moment")}
	case p.c.sourceErr(collector.SourceProcesses) != "" && len(p.procs) == 0:
		lines = []string{s.Error.Render(collector.SourceProcesses + ": " + clean(p.c.sourceErr(collector.SourceProcesses)))}
	case iw > 0:
		cols := procColumns(iw)
		lines = make([]string, 0, p.tableRows()+1)
		lines = append(lines, s.TableHeader.Render(fit(p.header(cols), iw)))
		end := min(len(p.order), p.offset+p.tableRows())
		var buf []byte
		for i := p.offset; i < end; i++ {
			branch := ""
			if p.tree && i < len(p.prefix) {
				branch = p.prefix[i]
			}
			var nameEnd int
			buf, nameEnd = p.row(buf[:0], cols, &p.procs[p.order[i]], branch)
			// Cut before styling: fit keeps the leading bytes, so nameEnd
			// still marks where the dimmed cmdline starts.
			line := fit(string(buf), iw)
			switch {
			case i == p.cursor && p.follow:
				line = s.Followed.Render(line)
			case i == p.cursor:
				line = s.Selected.Render(line)
			case nameEnd < len(line):
				line = line[:nameEnd] + s.Dim.Render(line[nameEnd:])
			}
			lines = append(lines, line)
		}
		if len(p.order) == 0 {
			lines = append(lines, s.Dim.Render("no process matches"))
		}
	}
	return p.c.panelBox(panelProcs, p.title(), lines, p.w, p.h, focused)
}
