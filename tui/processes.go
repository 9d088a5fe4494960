package tui

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/virgo-top/virgo-top/collector"
)

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
	cols   []colID  // shown columns, in order
	key    colID    // sort column
	desc   bool
	tree   bool
	filter string // lower case; hides what does not match
	user   string // only this user's processes ("" all)
	cgroup string // only the processes of this cgroup and its children ("" all)
	// search is the lower-case text of the last search (/): matching rows
	// are highlighted and n moves to the next one; nothing is hidden.
	search  string
	threads bool // show thread rows (the sampler lists them while on)
	// collapsed pids hide their subtree in tree view (- and +, * clears).
	collapsed map[int32]bool
	hscroll   int // cells of COMMAND scrolled off to the left
	follow    bool

	cursor int   // index into order
	offset int   // first visible row
	selPID int32 // the selection is a pid, so it survives re-sorting
	// chosen is set once the user picks a row; until then the cursor
	// stays on the top row instead of trailing the first pid it saw.
	chosen bool
}

func newProcPanel(c *common) *procPanel {
	return &procPanel{c: c, key: colCPU, desc: true, cols: slices.Clone(defaultColumns)}
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

// shown reports whether a process passes the thread, user and text
// filters. A thread's row for its main thread (tid = pid) is the process's
// own row: never shown twice.
func (p *procPanel) shown(pr *collector.Process) bool {
	if pr.Thread && (!p.threads || pr.PID == pr.PPID) {
		return false
	}
	if p.user != "" && pr.User != p.user {
		return false
	}
	if p.cgroup != "" && !inCgroup(pr.Cgroup, p.cgroup) {
		return false
	}
	return p.filter == "" || matches(pr, p.filter)
}

// rebuild filters, sorts and tree-orders; keepPID keeps the cursor on the
// selected pid, otherwise the cursor goes to the top.
func (p *procPanel) rebuild(keepPID bool) {
	p.order = p.order[:0]
	for i := range p.procs {
		if p.shown(&p.procs[i]) {
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
		p.order, p.prefix = treeOrder(procs, p.order, p.prefix, p.collapsed)
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

// matches reports whether the lower-case needle is in a process's name,
// command line or user, or is its pid: the filter's and the search's test.
func matches(pr *collector.Process, needle string) bool {
	return containsFold(pr.Name, needle) || containsFold(pr.Cmdline, needle) ||
		containsFold(pr.User, needle) || strconv.Itoa(int(pr.PID)) == needle
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

// treeOrder arranges the sorted indices as a forest by PPID: children
// follow their parent in sort order, with ├─/└─ branch prefixes. Processes
// whose parent is filtered out (or in a PPID cycle) become roots. The
// children of a collapsed pid are left out and its branch ends in "+ ".
func treeOrder(procs []collector.Process, order []int, prefix []string, collapsed map[int32]bool) ([]int, []string) {
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
		kids := children[pid]
		if collapsed[pid] && len(kids) > 0 {
			prefix = append(prefix, branch+"+ ")
			markVisited(procs, children, kids, visited)
			return
		}
		prefix = append(prefix, branch)
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

// markVisited marks a collapsed subtree as placed, so none of it shows up
// again as a cycle member.
func markVisited(procs []collector.Process, children map[int32][]int, kids []int, visited map[int32]bool) {
	for _, c := range kids {
		pid := procs[c].PID
		if visited[pid] {
			continue
		}
		visited[pid] = true
		markVisited(procs, children, children[pid], visited)
	}
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

// setSort changes the order; choosing the current column again inverts
// it. Following keeps the selection on its pid, otherwise the cursor goes
// top.
func (p *procPanel) setSort(k colID) {
	if k == p.key {
		p.desc = !p.desc
	} else {
		p.key, p.desc = k, columnDefs[k].desc
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

// setCgroup shows the processes of one cgroup and its children ("" all).
func (p *procPanel) setCgroup(path string) {
	if path == "/" {
		path = ""
	}
	p.cgroup = path
	p.rebuild(true)
}

// inCgroup reports whether a process's cgroup path is group or below it.
func inCgroup(path, group string) bool {
	return path == group || strings.HasPrefix(path, strings.TrimSuffix(group, "/")+"/")
}

// setUser shows one user's processes ("" all of them).
func (p *procPanel) setUser(u string) {
	p.user = u
	p.rebuild(true)
}

// users lists the users owning a process of the table, sorted, with their
// process counts (threads not counted).
func (p *procPanel) users() (names []string, counts map[string]int) {
	counts = map[string]int{}
	for i := range p.procs {
		if pr := &p.procs[i]; !pr.Thread {
			if counts[pr.User] == 0 {
				names = append(names, pr.User)
			}
			counts[pr.User]++
		}
	}
	slices.Sort(names)
	return names, counts
}

// setThreads shows or hides thread rows.
func (p *procPanel) setThreads(on bool) {
	p.threads = on
	p.rebuild(true)
}

// setColumns installs the shown columns; none at all keeps the defaults.
func (p *procPanel) setColumns(cols []colID) {
	if len(cols) == 0 {
		cols = defaultColumns
	}
	p.cols = slices.Clone(cols)
}

// setSearch sets the search text and moves to the first match at or after
// the cursor (from: the row the search started on); it reports whether
// anything matches.
func (p *procPanel) setSearch(text string, from int) bool {
	p.search = strings.ToLower(strings.TrimSpace(text))
	if p.search == "" {
		return true
	}
	return p.findNext(from)
}

// findNext moves the selection to the first row at or after row from
// (wrapping) that matches the search; false when none does.
func (p *procPanel) findNext(from int) bool {
	n := len(p.order)
	if p.search == "" || n == 0 {
		return false
	}
	from = max(0, min(from, n-1))
	for k := 0; k < n; k++ {
		i := (from + k) % n
		if matches(&p.procs[p.order[i]], p.search) {
			p.moveTo(i)
			return true
		}
	}
	return false
}

// collapse hides the selected process's subtree; on a leaf it collapses
// the parent and moves there (htop's -). expand shows it again (+).
func (p *procPanel) collapse() {
	sel, ok := p.selected()
	if !ok {
		return
	}
	if p.collapsed == nil {
		p.collapsed = map[int32]bool{}
	}
	target := sel.PID
	if !p.hasChildren(sel.PID) {
		target = sel.PPID
		if !p.hasChildren(target) {
			return
		}
		p.selPID = target
	}
	p.collapsed[target] = true
	p.chosen = true
	p.rebuild(true)
}

func (p *procPanel) expand() {
	if sel, ok := p.selected(); ok && p.collapsed[sel.PID] {
		delete(p.collapsed, sel.PID)
		p.rebuild(true)
	}
}

func (p *procPanel) expandAll() {
	if len(p.collapsed) > 0 {
		clear(p.collapsed)
		p.rebuild(true)
	}
}

// hasChildren reports whether any shown process has pid as its parent.
func (p *procPanel) hasChildren(pid int32) bool {
	for i := range p.procs {
		if pr := &p.procs[i]; pr.PPID == pid && pr.PID != pid && p.shown(pr) {
			return true
		}
	}
	return false
}

// scrollCommand moves COMMAND d cells left (d < 0) or right.
func (p *procPanel) scrollCommand(d int) { p.hscroll = clamp(p.hscroll+d, 0, 1<<16) }

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

// header is the column titles, the sort column marked ▲ or ▼.
func (p *procPanel) header(spans []colSpan) string {
	var b strings.Builder
	b.WriteByte(' ')
	arrow := "▲"
	if p.desc {
		arrow = "▼"
	}
	for i, sp := range spans {
		d := columnDefs[sp.id]
		t := d.title
		if sp.id == p.key {
			t += arrow
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		if d.right {
			b.WriteString(padLeft(t, sp.w))
		} else {
			b.WriteString(padRight(t, sp.w))
		}
	}
	return b.String()
}

// row formats one process as plain text; buf is reused between rows. It
// returns where the dimmed part of COMMAND (the arguments) starts, or -1.
func (p *procPanel) row(buf []byte, spans []colSpan, pr *collector.Process, branch string) ([]byte, int) {
	mark := byte(' ')
	if pr.PID == p.selPID {
		mark = '>'
	}
	buf = append(buf, mark)
	at := p.c.at()
	dim := -1
	for i, sp := range spans {
		if sp.w <= 0 {
			continue
		}
		if i > 0 {
			buf = append(buf, ' ')
		}
		d := columnDefs[sp.id]
		if sp.id == colCommand {
			cmd, argv0 := commandText(pr)
			cmd = clean(cmd)
			if p.hscroll > 0 {
				// Scrolled: "…" says the start is off screen.
				cmd, argv0 = ansi.TruncateLeft(cmd, p.hscroll, "…"), 0
			}
			text, pad := cut(branch+cmd, sp.w)
			dim = len(buf) + len(branch) + argv0
			buf = append(buf, text...)
			buf = append(buf, pad...)
		} else if d.right {
			buf = append(buf, padLeft(cell(sp.id, pr, at), sp.w)...)
		} else {
			buf = append(buf, padRight(cell(sp.id, pr, at), sp.w)...)
		}
	}
	return buf, dim
}

func (p *procPanel) title() string {
	t := "Processes " + strconv.Itoa(len(p.order))
	if p.filter != "" || p.user != "" || p.cgroup != "" {
		t += "/" + strconv.Itoa(len(p.procs))
	}
	if p.cgroup != "" {
		t += " · cgroup " + clean(p.cgroup)
	}
	if p.filter != "" {
		t += " · filter \"" + clean(p.filter) + "\""
	}
	if p.user != "" {
		t += " · user " + clean(p.user)
	}
	if p.search != "" {
		t += " · search \"" + clean(p.search) + "\""
	}
	t += " · sort " + columnDefs[p.key].name
	if p.desc {
		t += "▼"
	} else {
		t += "▲"
	}
	if p.tree {
		t += " · tree"
	}
	if p.threads {
		t += " · threads"
	}
	if p.hscroll > 0 {
		t += " · command →" + strconv.Itoa(p.hscroll)
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
		spans := layoutColumns(p.cols, iw)
		lines = make([]string, 0, p.tableRows()+1)
		lines = append(lines, s.TableHeader.Render(fit(p.header(spans), iw)))
		end := min(len(p.order), p.offset+p.tableRows())
		var buf []byte
		for i := p.offset; i < end; i++ {
			branch := ""
			if p.tree && i < len(p.prefix) {
				branch = p.prefix[i]
			}
			pr := &p.procs[p.order[i]]
			var dimAt int
			buf, dimAt = p.row(buf[:0], spans, pr, branch)
			// Cut before styling: fit keeps the leading bytes, so dimAt
			// still marks where the dimmed cmdline starts.
			line := fit(string(buf), iw)
			switch {
			case i == p.cursor && p.follow:
				line = s.Followed.Render(line)
			case i == p.cursor:
				line = s.Selected.Render(line)
			case p.search != "" && matches(pr, p.search):
				line = s.Prompt.Render(line)
			case pr.Thread:
				line = s.Dim.Render(line)
			case dimAt >= 0 && dimAt < len(line) && utf8.RuneStart(line[dimAt]):
				// (Not inside the ellipsis of a row cut before dimAt.)
				line = line[:dimAt] + s.Dim.Render(line[dimAt:])
			}
			lines = append(lines, line)
		}
		if len(p.order) == 0 {
			lines = append(lines, s.Dim.Render("no process matches"))
		}
	}
	return p.c.panelBox(panelProcs, p.title(), lines, p.w, p.h, focused)
}
