package tui

import (
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/collector"
)

// tableBodyRows counts the process rows drawn on screen: lines of the
// table's frame (┃) after its column header.
func tableBodyRows(m Model) int {
	n, in := 0, false
	for _, l := range strings.Split(screen(m), "\n") {
		switch {
		case strings.Contains(l, "PID") && strings.Contains(l, "COMMAND"):
			in = true
		case in && strings.HasPrefix(l, "┃") && strings.TrimSpace(strings.Trim(l, "┃")) != "":
			n++
		case in:
			return n
		}
	}
	return n
}

func TestProcessRowsPerSize(t *testing.T) {
	for _, tt := range []struct {
		w, h, min int
	}{{80, 24, 10}, {100, 30, 15}, {120, 40, 20}, {200, 50, 25}, {300, 100, 50}} {
		m := newTestModel(t, tt.w, tt.h, 200)
		if got := tableBodyRows(m); got < tt.min || got != m.procs.tableRows() {
			t.Errorf("%dx%d: %d rows drawn (table says %d), want >= %d", tt.w, tt.h, got, m.procs.tableRows(), tt.min)
		}
		// The checks panel keeps its place; trends where there is room.
		if !m.layout.shown[panelChecks] {
			t.Errorf("%dx%d: no checks panel", tt.w, tt.h)
		}
		if wantTrends := tt.h >= 50; m.layout.shown[panelCPU] != wantTrends {
			t.Errorf("%dx%d: cpu trends shown %v, want %v", tt.w, tt.h, m.layout.shown[panelCPU], wantTrends)
		}
	}
}

func TestLayoutPresets(t *testing.T) {
	m := step(newTestModel(t, 200, 50, 200), ChecksMsg{Rows: criticalChecks()})
	overview := m.procs.tableRows()
	m = press(m, "v")
	if m.preset != presetProcesses || m.layout.shown[panelChecks] || m.layout.shown[panelCPU] || m.procs.tableRows() <= overview {
		t.Errorf("processes preset: %d rows (overview %d), checks shown %v", m.procs.tableRows(), overview, m.layout.shown[panelChecks])
	}
	if !strings.Contains(screen(m), "layout processes") {
		t.Error("the header does not name the layout")
	}
	m = press(m, "v")
	if m.preset != presetChecks || m.focus != panelChecks || m.checks.h-3 < len(criticalChecks()) {
		t.Errorf("checks preset: focus %d, checks height %d", m.focus, m.checks.h)
	}
	if m = press(m, "v"); m.preset != presetOverview || m.focus != panelProcs {
		t.Errorf("v did not come back to the overview: %d", m.preset)
	}
}

func TestHeaderCountsChecksWhenPanelHidden(t *testing.T) {
	m := step(press(newTestModel(t, 80, 24, 20), "5"), ChecksMsg{Rows: criticalChecks()})
	if m.layout.shown[panelChecks] {
		t.Fatal("5 did not hide the checks")
	}
	if l := strings.Split(screen(m), "\n")[1]; !strings.HasPrefix(l, "3/4 checks not OK: 1 CRITICAL 1 WARNING 1 UNKNOWN") {
		t.Errorf("header line: %q", l)
	}
	m = step(m, ChecksMsg{Rows: testChecks()[:1]})
	if l := strings.Split(screen(m), "\n")[1]; !strings.HasPrefix(l, "checks: all 1 OK") {
		t.Errorf("all OK header: %q", l)
	}
}

// prefsCmds runs the commands of one Update and returns any prefs change.
func prefsChange(cmd tea.Cmd) (viewPrefs, bool) {
	if cmd == nil {
		return viewPrefs{}, false
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			if p, ok := prefsChange(c); ok {
				return p, true
			}
		}
		return viewPrefs{}, false
	}
	p, ok := msg.(prefsChangedMsg)
	return p.prefs, ok
}

func TestPrefsRoundTrip(t *testing.T) {
	m := smallModel(t)
	if p := m.prefs(); p.Layout != "overview" || p.SortKey != "cpu" || !p.SortDesc || p.Tree ||
		!slices.Equal(p.Columns, []string{"pid", "user", "state", "threads", "nice", "cpu", "mem", "rss", "time", "command"}) {
		t.Fatalf("defaults: %+v", m.prefs())
	}
	// Each change of the arrangement is announced, and nothing else is.
	for _, tt := range []struct {
		key     string
		changed bool
	}{{"M", true}, {"down", false}, {"t", true}, {"v", true}, {"3", true}, {"p", false}, {"I", true}} {
		next, cmd := m.Update(keyMsg(tt.key))
		m = next.(Model)
		got, ok := prefsChange(cmd)
		if ok != tt.changed || ok && !got.equal(m.prefs()) {
			t.Errorf("%s: changed %v (%+v), want %v", tt.key, ok, got, tt.changed)
		}
	}
	m = press(m, "f2", "end", " ", "esc") // show the last column (NAME, hidden by default)
	want := m.prefs()
	if want.Layout != "processes" || want.SortKey != "mem" || want.SortDesc || !want.Tree ||
		!slices.Equal(want.Hidden, []string{"disk"}) || !slices.Contains(want.Columns, "name") {
		t.Fatalf("changed prefs: %+v", want)
	}
	// A new console given them is arranged the same.
	fresh := smallModel(t)
	fresh.applyPrefs(want)
	if got := fresh.prefs(); !got.equal(want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if !fresh.hidden[panelDisk] || fresh.preset != presetProcesses || fresh.procs.key != colMem {
		t.Errorf("applied: hidden %v preset %d key %d", fresh.hidden, fresh.preset, fresh.procs.key)
	}
	// Unknown names are skipped, an empty list keeps the columns.
	fresh.applyPrefs(viewPrefs{Layout: "nope", SortKey: "nope", Columns: []string{"nope"}})
	if fresh.preset != presetOverview && fresh.procs.key != colMem || len(fresh.procs.cols) == 0 {
		t.Errorf("bad names: preset %d key %d cols %v", fresh.preset, fresh.procs.key, fresh.procs.cols)
	}
}

// samplerLog records what the sampler was asked for.
type samplerLog struct{ io, threads []bool }

func samplerModel(t *testing.T, log *samplerLog) Model {
	t.Helper()
	m := New(Options{History: fakeHistory{}, NoColor: true, Now: fixedNow,
		SetProcessIO: func(on bool) { log.io = append(log.io, on) },
		SetThreads:   func(on bool) { log.threads = append(log.threads, on) }})
	m = step(m, sizeMsg(120, 40))
	snap := testSnapshot(0)
	snap.Processes = smallProcs()
	return step(m, SnapshotMsg{Snap: snap})
}

// runKeys applies keys and runs every command they return (the sampler
// toggles are commands, never called from View or Update).
func runKeys(m Model, keys ...string) Model {
	for _, k := range keys {
		next, cmd := m.Update(keyMsg(k))
		m = next.(Model)
		runAll(cmd)
	}
	return m
}

func runAll(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	if b, ok := cmd().(tea.BatchMsg); ok {
		for _, c := range b {
			runAll(c)
		}
	}
}

func TestIOColumnAsksSampler(t *testing.T) {
	var log samplerLog
	m := samplerModel(t, &log)
	io := slices.Index(setupList(m.procs.cols), colIORead)
	keys := []string{"f2"}
	for range io {
		keys = append(keys, "down")
	}
	m = runKeys(m, append(keys, " ")...)
	if !slices.Contains(m.procs.cols, colIORead) || !slices.Equal(log.io, []bool{true}) {
		t.Fatalf("IO_READ shown: cols %v, sampler asked %v", m.procs.cols, log.io)
	}
	m = runKeys(m, " ") // hidden again
	if !slices.Equal(log.io, []bool{true, false}) {
		t.Errorf("IO_READ hidden: sampler asked %v", log.io)
	}
	// Sorting on an I/O column needs the rates too.
	m = runKeys(m, "esc", "f6")
	for m.menuCols[m.menu.cursor] != colIOWrite {
		m = runKeys(m, "down")
	}
	m = runKeys(m, "enter")
	if m.procs.key != colIOWrite || !slices.Equal(log.io, []bool{true, false, true}) {
		t.Errorf("sort on IO_WRITE: key %d, sampler asked %v", m.procs.key, log.io)
	}
	m = runKeys(m, "P")
	if !slices.Equal(log.io, []bool{true, false, true, false}) {
		t.Errorf("sort on cpu: sampler asked %v", log.io)
	}
	// Applied prefs are asked for by Init.
	log = samplerLog{}
	m = samplerModel(t, &log)
	m.applyPrefs(viewPrefs{Columns: []string{"pid", "io_write", "command"}})
	runAll(m.Init())
	if !slices.Equal(log.io, []bool{true}) {
		t.Errorf("Init: sampler asked %v", log.io)
	}
}

func TestColumnCells(t *testing.T) {
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.Local)
	pr := collector.Process{PID: 7, IOReadBps: 0, IOWriteBps: 1 << 20, IOKnown: true,
		StartTime: at.Add(-time.Hour), Cgroup: "/system.slice/nginx.service", Container: "nginx.service"}
	for _, tt := range []struct {
		id   colID
		pr   collector.Process
		want string
	}{
		{colIORead, pr, "0B/s"},
		{colIOWrite, pr, "1.0M/s"},
		{colIORead, collector.Process{}, "-"}, // unread is "-", never 0
		{colIOWrite, collector.Process{IOWriteBps: 5}, "-"},
		{colStart, pr, at.Add(-time.Hour).Format("15:04")},
		{colStart, collector.Process{StartTime: at.AddDate(0, -2, 0)}, at.AddDate(0, -2, 0).Format("Jan02")},
		{colStart, collector.Process{StartTime: at.AddDate(-2, 0, 0)}, at.AddDate(-2, 0, 0).Format("2006")},
		{colStart, collector.Process{}, "-"},
		{colCgroup, pr, "/system.slice/nginx.service"},
		{colContainer, pr, "nginx.service"},
		{colContainer, collector.Process{}, "-"},
	} {
		if got := cell(tt.id, &tt.pr, at); got != tt.want {
			t.Errorf("%s: %q, want %q", columnDefs[tt.id].name, got, tt.want)
		}
	}
	// Unreadable rates sort below every readable one.
	a, b := collector.Process{}, collector.Process{IOKnown: true}
	if compareProc(&a, &b, colIORead) >= 0 {
		t.Error("an unreadable rate sorts above 0")
	}
}

func TestLayoutColumns(t *testing.T) {
	names := func(sp []colSpan) (out []string) {
		for _, s := range sp {
			out = append(out, columnDefs[s.id].name)
		}
		return out
	}
	for _, tt := range []struct {
		w    int
		want []string
		cmd  int
	}{
		{198, []string{"pid", "user", "state", "threads", "nice", "cpu", "mem", "rss", "time", "command"}, 136},
		{118, []string{"pid", "user", "state", "threads", "nice", "cpu", "mem", "rss", "time", "command"}, 56},
		{78, []string{"pid", "user", "nice", "cpu", "mem", "rss", "time", "command"}, 23},
		{40, []string{"pid", "user", "cpu", "mem", "rss", "command"}, 0},
	} {
		sp := layoutColumns(defaultColumns, tt.w)
		if got := names(sp); !slices.Equal(got, tt.want) || sp[len(sp)-1].w != tt.cmd && tt.cmd > 0 {
			t.Errorf("w=%d: %v (command %d), want %v (%d)", tt.w, got, sp[len(sp)-1].w, tt.want, tt.cmd)
		}
		total := 0
		for _, s := range sp {
			total += s.w + 1
		}
		if tt.cmd > 0 && total != tt.w {
			t.Errorf("w=%d: the row is %d cells", tt.w, total)
		}
	}
}

func TestSetupScreen(t *testing.T) {
	m := press(smallModel(t), "f2")
	if m.mode != modeSetup || !strings.Contains(screen(m), "Setup: process columns") {
		t.Fatal("F2 did not open the setup screen")
	}
	m = press(m, "down", "f8") // USER moves right of S
	if got := m.procs.cols[:3]; !slices.Equal(got, []colID{colPID, colState, colUser}) {
		t.Errorf("F8: %v", got)
	}
	m = press(m, "f7", "f7") // and back, then to the front
	if got := m.procs.cols[:2]; !slices.Equal(got, []colID{colUser, colPID}) {
		t.Errorf("F7: %v", got)
	}
	m = press(m, " ") // hide USER
	if slices.Contains(m.procs.cols, colUser) {
		t.Error("space did not hide USER")
	}
	if m = press(m, " "); m.procs.cols[len(m.procs.cols)-2] != colUser {
		t.Errorf("a shown column goes before COMMAND: %v", m.procs.cols)
	}
	if m = press(m, "f2"); m.mode != modeNormal {
		t.Error("F2 did not close the setup screen")
	}
	// The last column stays.
	if got := toggleColumn([]colID{colPID}, colPID); !slices.Equal(got, []colID{colPID}) {
		t.Errorf("the last column was hidden: %v", got)
	}
}

func TestSearchIsNotFilter(t *testing.T) {
	m := press(smallModel(t), "f3")
	if m.mode != modeSearch {
		t.Fatal("F3 did not open the search")
	}
	m = typeText(m, "work") // 42 Worker, 43 worker: both kept, 42 selected
	if got := pids(m); len(got) != 5 || m.procs.selPID != 42 {
		t.Errorf("search hid rows or did not move: %v, selected %d", got, m.procs.selPID)
	}
	m = press(m, "enter", "n")
	if m.procs.selPID != 43 || m.mode != modeNormal {
		t.Errorf("n: selected %d", m.procs.selPID)
	}
	if m = press(m, "n"); m.procs.selPID != 42 {
		t.Errorf("n wraps: selected %d", m.procs.selPID)
	}
	if !strings.Contains(screen(m), `search "work"`) {
		t.Error("the title does not show the search")
	}
	m = typeText(press(m, "/"), "zz")
	if !strings.Contains(screen(m), "no match") {
		t.Error("no match not said")
	}
	m = press(m, "esc", "n")
	if m.procs.search != "" || !strings.Contains(m.status, "nothing searched") {
		t.Errorf("esc: search %q status %q", m.procs.search, m.status)
	}
}

func TestUserMenu(t *testing.T) {
	m := press(smallModel(t), "u")
	if m.mode != modeUser || !slices.Equal(m.menu.items, []string{"all users", "alice (1)", "bob (1)", "root (1)", "www (2)"}) {
		t.Fatalf("user menu: %q", m.menu.items)
	}
	m = press(m, "end", "enter")
	if got := pids(m); !slices.Equal(got, []int32{42, 10}) || m.procs.user != "www" {
		t.Errorf("www: %v (user %q)", got, m.procs.user)
	}
	if !strings.Contains(screen(m), "user www") {
		t.Error("title does not say the user")
	}
	if m = press(m, "u", "home", "up"); m.menu.cursor != 4 {
		t.Errorf("up from the top does not wrap: %d", m.menu.cursor)
	}
	m = press(m, "home", "enter")
	if len(pids(m)) != 5 {
		t.Errorf("all users: %v", pids(m))
	}
	if m = press(m, "u", "esc"); m.mode != modeNormal {
		t.Error("esc did not close the user menu")
	}
}

func threadProcs() []collector.Process {
	p := smallProcs()
	p[0].Threads = 3
	return append(p,
		collector.Process{PID: 10, PPID: 10, Name: "nginx", User: "www", Thread: true}, // its main thread
		collector.Process{PID: 11, PPID: 10, Name: "nginx-io", User: "www", Thread: true, CPUPct: 99},
		collector.Process{PID: 12, PPID: 10, Name: "nginx-log", User: "www", Thread: true},
	)
}

func TestThreads(t *testing.T) {
	var log samplerLog
	m := samplerModel(t, &log)
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: threadProcs()}})
	if len(pids(m)) != 5 {
		t.Fatalf("threads shown before H: %v", pids(m))
	}
	m = runKeys(m, "H", "t")
	if !slices.Equal(log.threads, []bool{true}) {
		t.Errorf("H asked the sampler %v", log.threads)
	}
	// Under their process, never the main thread twice.
	if got, want := pids(m), []int32{1, 10, 11, 42, 43, 12, 7}; !slices.Equal(got, want) {
		t.Errorf("tree with threads: %v, want %v", got, want)
	}
	if !strings.Contains(screen(m), "└─ nginx-log") {
		t.Errorf("thread not drawn under its process:\n%s", screen(m))
	}
	if m = runKeys(m, "H"); !slices.Equal(log.threads, []bool{true, false}) || len(pids(m)) != 5 {
		t.Errorf("H again: asked %v, rows %v", log.threads, pids(m))
	}
	// Without a sampler that lists threads, H says so.
	if m := press(smallModel(t), "H"); m.procs.threads || !strings.Contains(m.status, "not listed") {
		t.Errorf("H without SetThreads: %v %q", m.procs.threads, m.status)
	}
}

func TestTreeFolding(t *testing.T) {
	m := press(smallModel(t), "t", "down") // 1 10 42 43 7: on 10
	m = press(m, "-")
	if got := pids(m); !slices.Equal(got, []int32{1, 10, 7}) || !strings.Contains(screen(m), "├─ + nginx") {
		t.Errorf("collapse 10: %v\n%s", got, screen(m))
	}
	m = press(m, "+")
	if got := pids(m); len(got) != 5 {
		t.Errorf("expand: %v", got)
	}
	m = press(m, "down", "-") // on 42, a leaf: its parent folds and is selected
	if got := pids(m); !slices.Equal(got, []int32{1, 10, 7}) || m.procs.selPID != 10 {
		t.Errorf("collapse from a leaf: %v selected %d", got, m.procs.selPID)
	}
	m = press(m, "home", "-")
	if got := pids(m); !slices.Equal(got, []int32{1}) {
		t.Errorf("collapse the root: %v", got)
	}
	if m = press(m, "*"); len(pids(m)) != 5 {
		t.Errorf("* did not expand all: %v", pids(m))
	}
	if m := press(smallModel(t), "-"); !strings.Contains(m.status, "tree view") {
		t.Errorf("- outside the tree: %q", m.status)
	}
}

func TestCommandScroll(t *testing.T) {
	m := smallModel(t)
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: []collector.Process{
		{PID: 5, Name: "java", User: "app", Cmdline: "/usr/bin/java -Xmx4g -jar /opt/app/server.jar --config /etc/app/server.yaml --verbose"},
	}}})
	m = press(m, "right", "right")
	if m.procs.hscroll != 16 || !strings.Contains(screen(m), "…mx4g -jar /opt/app/server.jar") || !strings.Contains(screen(m), "command →16") {
		t.Errorf("scrolled %d:\n%s", m.procs.hscroll, screen(m))
	}
	if m = press(m, "left", "left", "left"); m.procs.hscroll != 0 {
		t.Errorf("scrolled back to %d", m.procs.hscroll)
	}
	// Only with the table focused.
	if m = press(m, "tab", "right"); m.procs.hscroll != 0 {
		t.Errorf("right scrolled an unfocused table: %d", m.procs.hscroll)
	}
}

// reniceLog records setPriority calls and fails with err.
func reniceModel(t *testing.T, err error, calls *[][2]int) Model {
	m := smallModel(t) // 42 Worker (nice 0) on top
	m.setPriority = func(pid int32, nice int) error {
		*calls = append(*calls, [2]int{int(pid), nice})
		return err
	}
	return m
}

func TestRenice(t *testing.T) {
	var calls [][2]int
	m := reniceModel(t, nil, &calls)
	for _, k := range []string{"f8", "f7"} {
		next, cmd := m.Update(keyMsg(k))
		m = step(next.(Model), cmd())
	}
	if !slices.Equal(calls, [][2]int{{42, 1}, {42, -1}}) || !strings.Contains(m.status, "nice of 42 is now -1") {
		t.Errorf("F8/F7: calls %v status %q", calls, m.status)
	}
	// The prompt takes a value.
	m = press(m, "r")
	if m.mode != modeRenice || !strings.Contains(screen(m), "Nice of 42 (Worker): 0") {
		t.Fatalf("r prompt:\n%s", screen(m))
	}
	m = press(m, "backspace", "x", "1", "2")
	next, cmd := m.Update(keyMsg("enter"))
	m = step(next.(Model), cmd())
	if calls[len(calls)-1] != [2]int{42, 12} {
		t.Errorf("prompt set %v", calls[len(calls)-1])
	}
	for _, v := range []string{"20", "-21", "-"} {
		m = typeText(press(m, "r", "backspace", "backspace", "backspace"), v)
		if _, cmd := m.Update(keyMsg("enter")); cmd != nil && cmd() != nil {
			t.Errorf("%q was sent", v)
		}
	}
	if m = press(m, "r", "esc"); m.mode != modeNormal || m.status != "renice cancelled" {
		t.Errorf("esc: mode %d status %q", m.mode, m.status)
	}
}

func TestReniceErrors(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{syscall.EACCES, "only root may lower a nice value"},
		{syscall.EPERM, "not your process"},
		{errors.New("boom"), "renice 42 to -1 failed: boom"},
	} {
		var calls [][2]int
		next, cmd := reniceModel(t, tt.err, &calls).Update(keyMsg("f7"))
		m := step(next.(Model), cmd())
		if !m.statusErr || !strings.Contains(m.status, tt.want) || !strings.Contains(screen(m), tt.want) {
			t.Errorf("%v: status %q", tt.err, m.status)
		}
	}
	// Not in a replay, not past the bounds.
	var calls [][2]int
	m := reniceModel(t, nil, &calls)
	m.procs.procs[2].Nice = 19 // 42
	if _, cmd := m.Update(keyMsg("f8")); cmd != nil && cmd() != nil || len(calls) > 0 {
		t.Errorf("nice 20 was asked: %v", calls)
	}
}

func TestSignalMenu(t *testing.T) {
	m := press(smallModel(t), "k")
	if m.mode != modeKill || signalChoices[m.menu.cursor].Name != "TERM" {
		t.Fatalf("k: mode %d on %s", m.mode, signalChoices[m.menu.cursor].Name)
	}
	s := screen(m)
	for _, want := range []string{"Send signal", "Send signal to 42 (Worker): SIGTERM", "↑/↓ or a number choose · enter send · esc cancel"} {
		if !strings.Contains(s, want) {
			t.Errorf("menu lacks %q:\n%s", want, s)
		}
	}
	if len(signalChoices) < 2 {
		return // Windows: KILL only
	}
	for i := 1; i < len(signalChoices); i++ {
		if signalChoices[i].Sig <= signalChoices[i-1].Sig {
			t.Errorf("signals not in number order: %v", signalChoices)
		}
	}
	for _, tt := range []struct {
		keys []string
		want string
	}{
		{[]string{"9"}, "KILL"}, {[]string{"1", "9"}, "STOP"}, {[]string{"1", "9", "2"}, "INT"},
		{[]string{"9", "down"}, "USR1"}, {[]string{"home"}, "HUP"}, {[]string{"up"}, "ALRM"}, {[]string{"end"}, signalChoices[len(signalChoices)-1].Name},
	} {
		m := press(press(smallModel(t), "k"), tt.keys...)
		if got := signalChoices[m.menu.cursor].Name; got != tt.want && !(tt.want == "STOP" && got != "") {
			t.Errorf("%v: %s, want %s", tt.keys, got, tt.want)
		}
	}
}

func TestEllipsis(t *testing.T) {
	for _, tt := range []struct {
		in   string
		w    int
		want string
	}{
		{"disk almost full", 10, "disk almo…"},
		{"disk", 10, "disk      "},
		{"padded      ", 8, "padded  "}, // only padding lost: no ellipsis
		{"\x1b[1mbold text\x1b[0m", 5, "\x1b[1mbold…\x1b[0m"},
		{"日本語テキスト", 5, "日本…"},
		{"abc", 1, "…"},
	} {
		if got := fit(tt.in, tt.w); got != tt.want {
			t.Errorf("fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
	if got := padLeft("1234567", 4); got != "123…" {
		t.Errorf("padLeft = %q", got)
	}
	// A long command line ends in an ellipsis in the table.
	m := smallModel(t)
	if !strings.Contains(screen(step(m, sizeMsg(60, 24))), "…") {
		t.Error("no ellipsis at 60 columns")
	}
}

// NO_COLOR: no colour at all, but the selected row stays reversed.
func TestNoColorKeepsSelection(t *testing.T) {
	m := New(Options{NoColor: true, Now: fixedNow, History: fakeHistory{}})
	m = step(m, sizeMsg(120, 40))
	snap := testSnapshot(0)
	snap.Processes = smallProcs()
	m = step(m, SnapshotMsg{Snap: snap})
	v := m.View()
	if fgCode.MatchString(v) {
		t.Error("NO_COLOR view has colour codes")
	}
	found := false
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "Worker") && strings.Contains(l, "\x1b[7m") {
			found = true
		}
	}
	if !found {
		t.Errorf("the selected row is not in reverse video:\n%q", v)
	}
}

// A menu's title is never cut: the panel is as wide as its title.
func TestMenuTitleFits(t *testing.T) {
	m := press(smallModel(t), "u")
	if s := screen(m); !strings.Contains(s, "╭─ Show processes of ─") {
		t.Errorf("user menu title cut:\n%s", s)
	}
}

// A row cut before the start of its dimmed arguments stays valid UTF-8.
func TestCutRowStaysValid(t *testing.T) {
	m := newModel(Options{History: fakeHistory{}, Now: fixedNow}, colourRenderer(termenv.ANSI256))
	m = step(m, sizeMsg(60, 24))
	m.procs.setColumns([]colID{colCommand})
	// COMMAND is 57 cells (58 inside the frame, less the marker): a
	// 57-byte argv[0] is cut one cell short, and the dimmed arguments
	// would start inside the ellipsis.
	argv0 := "/" + strings.Repeat("a", 56)
	m = step(m, SnapshotMsg{Snap: &collector.Snapshot{Processes: []collector.Process{
		{PID: 3, Name: "aaaa", User: "u", Cmdline: argv0 + " --flag"},
		{PID: 4, Name: "x", User: "u", Cmdline: "x --y", CPUPct: 1},
	}}})
	for i, l := range strings.Split(m.View(), "\n") {
		if !utf8.ValidString(l) {
			t.Errorf("line %d is not UTF-8: %q", i, l)
		}
	}
}
