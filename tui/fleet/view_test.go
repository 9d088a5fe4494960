package fleet

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/virgo-top/virgo-top/fleet"
	"github.com/virgo-top/virgo-top/fleet/fleettest"
	"github.com/virgo-top/virgo-top/tui"
)

var update = flag.Bool("update", false, "rewrite tui/fleet/testdata/*.golden")

var now = time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

func cannedHosts() []fleettest.Host {
	F := fleettest.F
	return []fleettest.Host{
		{Name: "web1.example.com", CPU: F(12.5), Mem: F(40), Load: F(0.25), Disk: F(61), RX: F(2048), TX: F(1 << 20), WorstAlarm: F(0), Link: F(1),
			LastSample: now.Add(-2 * time.Second), Seen: now.Add(-2 * time.Second),
			Checks: map[string]float64{"cpu-default": 0, "memory-default": 0}, Alarms: map[[2]string]float64{{"cpu-default", "cpu-usage"}: 0}},
		{Name: "db1.example.com", CPU: F(97), Mem: F(91.5), Load: F(3.2), Disk: F(97.4), RX: F(10), TX: F(20), WorstAlarm: F(2), NotOK: F(2), Link: F(0),
			LastSample: now.Add(-1 * time.Second), Seen: now.Add(-1 * time.Second),
			Checks: map[string]float64{"cpu-default": 2, "filesystem-root": 1, "memory-default": 0},
			Alarms: map[[2]string]float64{{"cpu-default", "cpu-usage"}: 2, {"filesystem-root", "fs-usage"}: 1, {"memory-default", "mem"}: 0},
			LastOK: map[[2]string]time.Time{{"cpu-default", "cpu-usage"}: now.Add(-10 * time.Minute)}},
		{Name: "node9", CPU: F(5), Mem: F(20), Load: F(0.1), Disk: F(30), RX: F(0), TX: F(0),
			LastSample: now.Add(-3 * time.Second), Seen: now.Add(-3 * time.Second)},
		{Name: "half", CPU: F(50), LastSample: now.Add(-4 * time.Second), Seen: now.Add(-4 * time.Second)},
		{Name: "gone", CPU: F(1), Seen: now.Add(-(3*time.Hour + 12*time.Minute))},
		{Name: "app2", CPU: F(30), Mem: F(50), Load: F(0.5), Disk: F(44), WorstAlarm: F(1), NotOK: F(1), LastSample: now, Seen: now,
			Alarms: map[[2]string]float64{{"http-x", "slow"}: 1}, LastOK: map[[2]string]time.Time{{"http-x", "slow"}: now.Add(-time.Hour)}},
	}
}

// harness runs a model with the fake engine, executing commands at once
// (the tick never fires).
type harness struct {
	t     *testing.T
	clock time.Time
	m     Model
	e     *fleettest.Engine
}

func newHarness(t *testing.T, w, h int) *harness {
	e := fleettest.New(cannedHosts())
	t.Cleanup(e.Close)
	c, err := fleet.New(fleet.Config{URL: e.URL})
	if err != nil {
		t.Fatal(err)
	}
	f, err := fleet.NewFleet(c, fleet.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	hs := &harness{t: t, e: e, clock: now.Add(3 * time.Second)}
	hs.m = New(Options{Source: f, Engine: "http://127.0.0.1:9090", Refresh: 15 * time.Second,
		Now:  func() time.Time { return hs.clock },
		Tick: func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }}, r)
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(hs.m.Init())
	return hs
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			h.run(c)
		}
		return
	}
	if msg != nil {
		h.send(msg)
	}
}

func (h *harness) send(msg tea.Msg) {
	m, cmd := h.m.Update(msg)
	h.m = m.(Model)
	h.run(cmd)
}

func (h *harness) keys(ks ...string) {
	for _, k := range ks {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		h.send(msg)
	}
}

func (h *harness) screen() string {
	v := ansi.Strip(h.m.View())
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != h.m.w {
			h.t.Errorf("line %d is %d cells wide, want %d: %q", i, w, h.m.w, l)
		}
	}
	if len(lines) != h.m.h {
		h.t.Errorf("%d lines, want %d", len(lines), h.m.h)
	}
	return v
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update to accept):\n%s", path, got)
	}
}

func TestGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {200, 50}} {
		suffix := "_" + itoa(sz[0]) + "x" + itoa(sz[1])
		h := newHarness(t, sz[0], sz[1])
		golden(t, "table"+suffix, h.screen())
		h.keys("a")
		golden(t, "alarms"+suffix, h.screen())
		h.keys("esc", "enter") // the first host: db1, CRITICAL
		golden(t, "detail"+suffix, h.screen())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestTableOrderAndMarks(t *testing.T) {
	h := newHarness(t, 120, 30)
	s := h.screen()
	lines := strings.Split(s, "\n")
	var order []string
	for _, l := range lines[3:] {
		f := strings.Fields(strings.Trim(l, "┃ "))
		if len(f) > 0 && strings.Contains(l, "┃") && !strings.HasPrefix(f[0], "HOST") {
			order = append(order, f[0])
		}
	}
	want := "db1.example.com gone app2 web1.example.com half node9"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %q, want %q\n%s", got, want, s)
	}
	if !strings.Contains(s, "DOWN") || !strings.Contains(s, "3h12m") {
		t.Errorf("DOWN host not marked with its age:\n%s", s)
	}
}

func TestFilterAndSortFetch(t *testing.T) {
	h := newHarness(t, 120, 30)
	h.keys("/", "d", "b")
	if s := h.screen(); !strings.Contains(s, "filter: db") || strings.Contains(s, "web1") || !strings.Contains(s, "db1.example.com") {
		t.Errorf("filter:\n%s", s)
	}
	h.keys("enter", "P")
	qs := h.e.Queries()
	last := qs[len(qs)-1]
	found := false
	for _, q := range qs {
		if strings.HasPrefix(q, "topk(") && strings.Contains(q, "virgo_cpu_usage_percent") && strings.Contains(q, `(?i).*db.*`) {
			found = true
		}
	}
	if !found {
		t.Errorf("sort by cpu with the filter was not asked of the engine; last query %.100s", last)
	}
	h.keys("/", "esc")
	if s := h.screen(); !strings.Contains(s, "web1") {
		t.Errorf("esc does not clear the filter:\n%s", s)
	}
}

// An engine that fails keeps the last good data on the screen, with the
// error and the data's age on the status line; no fetch is doubled.
func TestEngineErrorKeepsData(t *testing.T) {
	h := newHarness(t, 120, 30)
	h.e.SetFail("query timed out in expression evaluation")
	h.clock = h.clock.Add(3 * time.Second)
	h.send(tickMsg(now))
	s := h.screen()
	if !strings.Contains(s, "engine error: ") || !strings.Contains(s, "query timed out") || !strings.Contains(s, "showing data from 3s ago") {
		t.Errorf("status line:\n%s", s)
	}
	if !strings.Contains(s, "db1.example.com") {
		t.Errorf("last good data gone:\n%s", s)
	}
	h.e.SetFail("")
	h.send(tickMsg(now))
	if s := h.screen(); strings.Contains(s, "engine error") {
		t.Errorf("error stays after recovery:\n%s", s)
	}
}

func TestNoDoubleFetch(t *testing.T) {
	calls := 0
	src := &countingSource{calls: &calls}
	r := lipgloss.NewRenderer(io.Discard)
	m := New(Options{Source: src, Tick: func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }}, r)
	cmd1 := m.fetchTable()
	cmd2 := m.fetchTable()
	if cmd1 == nil || cmd2 != nil || !m.tableAgain {
		t.Fatalf("second fetch while one runs: %v %v", cmd1 != nil, cmd2 != nil)
	}
	mm, cmd := m.Update(cmd1())
	if cmd == nil || !mm.(Model).tableBusy {
		t.Error("the fetch asked meanwhile is not run after the first one")
	}
	if !strings.Contains(ansi.Strip(mm.(Model).View()), "engine error: down") {
		t.Error("error not shown")
	}
	// An engine without buildinfo is named so, and still queried.
	mm, _ = mm.Update(versionMsg{err: errors.New("engine: HTTP 404: 404 page not found")})
	if !strings.Contains(ansi.Strip(mm.(Model).View()), "version unknown (engine: HTTP 404") {
		t.Errorf("unknown version not shown:\n%s", ansi.Strip(mm.(Model).View()))
	}
}

type countingSource struct{ calls *int }

func (c *countingSource) Table(context.Context, fleet.Request) (*fleet.Table, error) {
	*c.calls++
	return nil, errors.New("down")
}
func (c *countingSource) Alarms(context.Context, time.Time) ([]fleet.Alarm, error) {
	return nil, errors.New("down")
}
func (c *countingSource) EngineVersion(context.Context) (string, error) {
	return "", errors.New("engine: HTTP 404: 404 page not found")
}
func (c *countingSource) HostDetail(context.Context, string, time.Duration, time.Time, int) (*fleet.Detail, error) {
	return nil, errors.New("down")
}

func TestDetailWindow(t *testing.T) {
	h := newHarness(t, 120, 40)
	h.keys("enter")
	if s := h.screen(); !strings.Contains(s, "last hour") || !strings.Contains(s, "cpu-default") {
		t.Errorf("detail:\n%s", s)
	}
	h.keys("w")
	if s := h.screen(); !strings.Contains(s, "last 24 h") {
		t.Errorf("w:\n%s", s)
	}
	h.keys("esc")
	if s := h.screen(); !strings.Contains(s, "hosts 1-6 of 6") {
		t.Errorf("esc:\n%s", s)
	}
}

// A page with a CRITICAL host gets the red border, as the local checks
// panel; an all-OK page the focus colour.
func TestTableBorderColour(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	st := tui.NewStyles(r)
	keys := newKeyMap()
	tb := newHostTable(st, keys)
	tb.SetSize(80, 10)
	tb.setTable(&fleet.Table{Hosts: []fleet.Host{{Host: "a", Status: fleet.StatusUp, Alarm: "CRITICAL"}}, Total: 1})
	if top := tb.View(true)[0]; !strings.HasPrefix(top, st.BorderCrit.Render("┏━")) {
		t.Errorf("CRITICAL page border %q", top)
	}
	tb.setTable(&fleet.Table{Hosts: []fleet.Host{{Host: "a", Status: fleet.StatusUp, Alarm: "OK"}}, Total: 1})
	if top := tb.View(true)[0]; !strings.HasPrefix(top, st.BorderFocus.Render("┏━")) {
		t.Errorf("OK page border %q", top)
	}
}

// Paging asks the engine for the next page (offset and limit), never for
// the whole fleet.
func TestPaging(t *testing.T) {
	h := newHarness(t, 120, 8) // 3 rows
	if s := h.screen(); !strings.Contains(s, "hosts 1-3 of 6") || strings.Contains(s, "web1") {
		t.Fatalf("first page:\n%s", s)
	}
	h.send(tea.KeyMsg{Type: tea.KeyPgDown})
	s := h.screen()
	if !strings.Contains(s, "hosts 4-6 of 6") || !strings.Contains(s, "web1.example.com") || strings.Contains(s, "db1") {
		t.Errorf("second page:\n%s", s)
	}
	qs := h.e.Queries()
	var last string
	for _, q := range qs {
		if strings.HasPrefix(q, "topk(") {
			last = q
		}
	}
	if !strings.HasPrefix(last, "topk(6, ") {
		t.Errorf("page query %.40s", last)
	}
	h.send(tea.KeyMsg{Type: tea.KeyPgUp})
	if s := h.screen(); !strings.Contains(s, "hosts 1-3 of 6") {
		t.Errorf("back:\n%s", s)
	}
}

// scriptSource answers the table and fails the alarms and the drill-down.
type scriptSource struct{}

func (scriptSource) Table(context.Context, fleet.Request) (*fleet.Table, error) {
	return &fleet.Table{Hosts: []fleet.Host{{Host: "a", Status: fleet.StatusUp}}, Total: 1}, nil
}
func (scriptSource) Alarms(context.Context, time.Time) ([]fleet.Alarm, error) {
	return nil, errors.New("alarms: query processing would load too many samples")
}
func (scriptSource) HostDetail(context.Context, string, time.Duration, time.Time, int) (*fleet.Detail, error) {
	return nil, errors.New("cpu: range too long")
}

// A view whose fetch failed says so, even after another view's fetch
// succeeded: the alarms list never claims that every alarm is OK when it
// could not ask, and the drill-down does not stay "loading" silently.
func TestFailedViewShowsItsError(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	hs := &harness{t: t, clock: now}
	hs.m = New(Options{Source: scriptSource{}, Now: func() time.Time { return hs.clock },
		Tick: func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }}, r)
	hs.send(tea.WindowSizeMsg{Width: 100, Height: 30})
	hs.run(hs.m.Init())
	hs.keys("a")
	hs.send(tickMsg(now)) // the table succeeds after the alarms failed
	s := hs.screen()
	if strings.Contains(s, "every alarm of the fleet is OK") {
		t.Errorf("alarms list claims all OK though it could not be fetched:\n%s", s)
	}
	if !strings.Contains(s, "too many samples") {
		t.Errorf("alarms error not shown:\n%s", s)
	}
	hs.keys("esc", "enter")
	hs.send(tickMsg(now))
	if s := hs.screen(); !strings.Contains(s, "range too long") {
		t.Errorf("drill-down error not shown:\n%s", s)
	}
	hs.keys("esc")
	if s := hs.screen(); strings.Contains(s, "engine error") {
		t.Errorf("the table, fetched fine, shows another view's error:\n%s", s)
	}
}
func (scriptSource) EngineVersion(context.Context) (string, error) { return "3.0", nil }

// Label values come from the hosts (through the engine): control
// characters in a host, check or alarm name never reach the terminal.
func TestLabelsCannotRewriteTerminal(t *testing.T) {
	evil := "evil\x1b]0;pwned\x07\x1b[2J"
	F := fleettest.F
	e := fleettest.New([]fleettest.Host{{Name: evil, CPU: F(1), WorstAlarm: F(2), NotOK: F(1), LastSample: now, Seen: now,
		Checks: map[string]float64{"c\x1b[31m": 2}, Alarms: map[[2]string]float64{{"c\x1b[31m", "x\x9b2J"}: 2}}})
	t.Cleanup(e.Close)
	c, _ := fleet.New(fleet.Config{URL: e.URL})
	f, _ := fleet.NewFleet(c, fleet.Options{Now: func() time.Time { return now }})
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	hs := &harness{t: t, e: e, clock: now}
	hs.m = New(Options{Source: f, Now: func() time.Time { return hs.clock },
		Tick: func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }}, r)
	hs.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	hs.run(hs.m.Init())
	for _, step := range []string{"table", "a", "enter"} {
		if step != "table" {
			hs.keys(step)
		}
		v := hs.m.View()
		if !strings.Contains(v, "evil") {
			t.Errorf("%s: host not shown:\n%s", step, v)
		}
		if strings.ContainsAny(v, "\x1b\x07\u009b") {
			t.Errorf("%s: a label's control characters reach the terminal: %q", step, v)
		}
	}
	if cells := strings.Join(fleet.Cells(fleet.Host{Host: evil}), " "); strings.ContainsAny(cells, "\x1b\x07") {
		t.Errorf("Cells (the --once table) keeps control characters: %q", cells)
	}
}

// Tiny terminals (down to nothing) never panic, in any view, and the
// screen is exactly the terminal's size.
func TestTinyTerminals(t *testing.T) {
	h := newHarness(t, 80, 24)
	for _, view := range [][]string{nil, {"a"}, {"a", "esc", "enter"}, {"a", "esc", "enter", "w"}, {"esc", "?"}, {"esc", "esc", "/", "d"}} {
		h.keys("esc", "esc", "esc")
		h.keys(view...)
		for w := 0; w <= 24; w++ {
			for ht := 0; ht <= 8; ht++ {
				h.send(tea.WindowSizeMsg{Width: w, Height: ht})
				v := ansi.Strip(h.m.View())
				lines := strings.Split(v, "\n")
				if ht > 0 && len(lines) != ht {
					t.Errorf("%v at %dx%d: %d lines", view, w, ht, len(lines))
				}
				for _, l := range lines {
					if ansi.StringWidth(l) != w {
						t.Errorf("%v at %dx%d: line %q is %d wide", view, w, ht, l, ansi.StringWidth(l))
						break
					}
				}
			}
		}
	}
}

// The fleet's alarms (every non-OK alarm and two subqueries over the
// lookback: they grow with the fleet) are asked only while the alarms
// list is shown, not on every refresh of the host table.
func TestAlarmsFetchedOnlyWhenShown(t *testing.T) {
	h := newHarness(t, 120, 30)
	alarmQueries := func() int {
		n := 0
		for _, q := range h.e.Queries() {
			if fleettest.Classify(q) == "alarms" {
				n++
			}
		}
		return n
	}
	before := alarmQueries()
	for range 3 {
		h.send(tickMsg(now))
	}
	if n := alarmQueries() - before; n != 0 {
		t.Errorf("the table's refreshes asked the alarms %d times", n)
	}
	h.keys("a")
	if s := h.screen(); !strings.Contains(s, "fleet alarms not OK: 3") {
		t.Errorf("alarms list:\n%s", s)
	}
	before = alarmQueries()
	h.send(tickMsg(now))
	if n := alarmQueries() - before; n != 1 {
		t.Errorf("a refresh of the alarms list asked the alarms %d times", n)
	}
}

// When the fleet shrinks under the page shown (hosts past the lookback
// leave), the table goes back to the last page that has hosts instead of
// an empty one.
func TestPageBeyondShrunkFleet(t *testing.T) {
	h := newHarness(t, 120, 8) // 3 rows
	h.send(tea.KeyMsg{Type: tea.KeyPgDown})
	if s := h.screen(); !strings.Contains(s, "hosts 4-6 of 6") {
		t.Fatalf("second page:\n%s", s)
	}
	h.e.SetHosts(cannedHosts()[:2])
	h.send(tickMsg(now))
	if s := h.screen(); !strings.Contains(s, "hosts 1-2 of 2") || !strings.Contains(s, "db1.example.com") {
		t.Errorf("after the fleet shrank:\n%s", s)
	}
}

// Partial data (the engine's warnings, e.g. a Thanos store down) is said
// on the status line, once, and goes when the engine stops warning.
func TestEngineWarningShown(t *testing.T) {
	h := newHarness(t, 160, 30)
	h.e.SetWarning("partial response: store 10.0.0.7:10901 unreachable")
	h.send(tickMsg(now))
	s := h.screen()
	if !strings.Contains(s, "store 10.0.0.7:10901 unreachable") || strings.Count(s, "unreachable") != 1 {
		t.Errorf("warning not shown once:\n%s", s)
	}
	if !strings.Contains(s, "db1.example.com") {
		t.Errorf("data gone:\n%s", s)
	}
	h.e.SetWarning("")
	h.send(tickMsg(now))
	if s := h.screen(); strings.Contains(s, "unreachable") {
		t.Errorf("warning stays:\n%s", s)
	}
}

// ctrl+c quits even while the filter is being typed.
func TestCtrlCWhileFiltering(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("/", "x")
	_, cmd := h.m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd == nil {
		t.Fatal("ctrl+c while filtering does nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("ctrl+c while filtering does not quit")
	}
}

// A paste into the filter is capped like typing (64 bytes).
func TestFilterPasteCapped(t *testing.T) {
	h := newHarness(t, 80, 24)
	h.keys("/")
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(strings.Repeat("é", 5000)), Paste: true})
	if n := len(h.m.table.filter); n > 64 {
		t.Errorf("filter is %d bytes after a paste", n)
	}
}
