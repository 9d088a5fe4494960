package tui

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/internal/when"
	"github.com/virgo-top/virgo-top/record"
)

// frameIndex is the index of the shown frame in the fake, -1 when live.
func frameIndex(t *testing.T, m Model) int {
	t.Helper()
	if !m.tt.active {
		return -1
	}
	if m.c.frame != m.tt.frame || m.c.snap != m.tt.frame.Snapshot {
		t.Fatal("the panels do not show the cursor's frame")
	}
	return int(m.tt.frame.Time().Sub(fakeStart) / (5 * time.Second))
}

// TestPrevAlarm: ! lands on the sample where the alarm changed, and each
// press goes one transition further back, from a replay or from live.
func TestPrevAlarm(t *testing.T) {
	for _, live := range []bool{false, true} {
		ft := newFakeTimeline()
		var m Model
		if live {
			m = newTravelModel(t, 120, 40, ft, true, time.Time{})
		} else {
			m = newTravelModel(t, 120, 40, ft, false, fakeTime(fakeFrames-1))
		}
		for _, want := range []int{okFrame, critFrame, warnFrame, 0} {
			m = pressDrive(m, "!")
			if got := frameIndex(t, m); got != want {
				t.Fatalf("live %v: ! landed on frame %d, want %d (status %q)", live, got, want, m.status)
			}
			if tr := m.tt.frame.Transitions; len(tr) != 1 || tr[0].CheckID != "chCPU" {
				t.Fatalf("frame %d holds no alarm change: %+v", want, tr)
			}
			if !strings.Contains(m.status, "chCPU/alCPU") {
				t.Errorf("status %q does not name the alarm", m.status)
			}
		}
		m = pressDrive(m, "!")
		if got := frameIndex(t, m); got != 0 || !strings.Contains(m.status, "no alarm changed before") {
			t.Errorf("! before the first change: frame %d, status %q", got, m.status)
		}
	}
}

// TestStepKeys: [ and ] move one sample, { and } one minute, and the ends
// of the recording say so (or return to live past its end).
func TestStepKeys(t *testing.T) {
	tests := []struct {
		name   string
		start  int
		keys   []string
		want   int // -1: live
		status string
	}{
		{"back", 100, []string{"["}, 99, ""},
		{"back and forth", 100, []string{"[", "[", "]"}, 99, ""},
		{"minute back", 100, []string{"{"}, 88, ""},
		{"minute back and forth", 100, []string{"{", "{", "}"}, 88, ""},
		{"first sample", 0, []string{"["}, 0, "the recording starts at 11:00:00"},
		{"minute before the start", 5, []string{"{"}, 0, "the recording starts at 11:00:00"},
		{"last sample", fakeFrames - 1, []string{"]"}, fakeFrames - 1, "the recording ends at 11:59:55"},
		{"minute past the end", fakeFrames - 3, []string{"}"}, fakeFrames - 1, "the recording ends at 11:59:55"},
		{"L goes to the end without live", 10, []string{"L"}, fakeFrames - 1, "the end of the recording (a replay has no live feed; q quits)"},
		{"esc stays without live", 10, []string{"esc"}, 10, "a replay has no live feed: L goes to the end of the recording, q quits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTravelModel(t, 120, 40, newFakeTimeline(), false, fakeTime(tt.start))
			if got := frameIndex(t, m); got != tt.start {
				t.Fatalf("opened at frame %d, want %d", got, tt.start)
			}
			m = pressDrive(m, tt.keys...)
			if got := frameIndex(t, m); got != tt.want {
				t.Errorf("%v from %d: frame %d, want %d (status %q)", tt.keys, tt.start, got, tt.want, m.status)
			}
			if tt.status != "" && m.status != tt.status {
				t.Errorf("status %q, want %q", m.status, tt.status)
			}
		})
	}
}

// TestStepFromLive: [ from live shows the last recorded sample before the
// live one; ] past the recording's end returns to live; ] and } when live
// say there is nothing after now.
func TestStepFromLive(t *testing.T) {
	m := newTravelModel(t, 120, 40, newFakeTimeline(), true, time.Time{})
	if m = pressDrive(m, "]"); m.tt.active || !strings.Contains(m.status, "live: nothing after now") {
		t.Fatalf("] when live: active %v status %q", m.tt.active, m.status)
	}
	m = pressDrive(m, "[")
	if got := frameIndex(t, m); got != fakeFrames-1 {
		t.Fatalf("[ from live: frame %d, want the last, %d", got, fakeFrames-1)
	}
	m = pressDrive(m, "[", "]", "]")
	if m.tt.active || m.c.frame != nil || m.c.snap != m.liveSnap {
		t.Fatalf("] past the end did not return to live (status %q)", m.status)
	}
	if !strings.Contains(m.status, "back to live") {
		t.Errorf("status %q", m.status)
	}
}

// TestKeysWhileReading: moves pressed while a read is in flight add up and
// run from where it lands; L drops a read in flight.
func TestKeysWhileReading(t *testing.T) {
	m := newTravelModel(t, 120, 40, newFakeTimeline(), false, fakeTime(300))
	next, cmd := m.Update(keyMsg("["))
	m = next.(Model)
	for range 4 {
		var c tea.Cmd
		next, c = m.Update(keyMsg("["))
		m = next.(Model)
		if c != nil {
			t.Fatal("a second read started while one was in flight")
		}
	}
	m = drive(m, runCmd(cmd)...)
	if got := frameIndex(t, m); got != 295 {
		t.Errorf("5 x [ while reading: frame %d, want 295", got)
	}

	live := newTravelModel(t, 120, 40, newFakeTimeline(), true, time.Time{})
	next, cmd = live.Update(keyMsg("["))
	live = pressDrive(next.(Model), "L")
	live = drive(live, runCmd(cmd)...)
	if live.tt.active {
		t.Error("a read that landed after L moved the console off live")
	}
}

// TestEscAndL: Esc closes the innermost prompt or view first and returns
// to live only when none is open; L returns at once; the live feed keeps
// arriving during a replay without moving the cursor.
func TestEscAndL(t *testing.T) {
	base := func() Model {
		m := newTravelModel(t, 120, 40, newFakeTimeline(), true, time.Time{})
		return pressDrive(m, "!", "!") // the CRITICAL change
	}
	for _, open := range [][]string{{"/", "b"}, {"f6"}, {"enter"}, {"?"}, {"g", "1"}} {
		m := pressDrive(base(), open...)
		if m.mode == modeNormal {
			t.Fatalf("%v opened nothing", open)
		}
		m = pressDrive(m, "esc")
		if m.mode != modeNormal || !m.tt.active {
			t.Errorf("%v then esc: mode %d, replaying %v; want the prompt closed and still replaying", open, m.mode, m.tt.active)
		}
		if m = pressDrive(m, "esc"); m.tt.active {
			t.Errorf("%v, esc, esc: still replaying", open)
		}
	}

	m := base()
	at := m.tt.frame
	snap := testSnapshot(3)
	snap.Time = testNow
	m = drive(m, SnapshotMsg{Snap: snap}, ChecksMsg{Rows: criticalChecks()})
	if m.tt.frame != at || m.c.snap != at.Snapshot || len(m.checks.rows) != 2 {
		t.Fatal("a live sample moved the replay")
	}
	if m = pressDrive(m, "k"); m.mode != modeNormal || !m.statusErr {
		t.Errorf("k in replay: mode %d, status %q; want a refusal", m.mode, m.status)
	}
	m = pressDrive(m, "p", "L")
	if m.tt.active || m.paused || m.c.snap != snap || len(m.procs.procs) != 3 || len(m.checks.rows) != 4 {
		t.Errorf("L: active %v paused %v, %d processes, %d checks; want the newest live sample",
			m.tt.active, m.paused, len(m.procs.procs), len(m.checks.rows))
	}
}

// TestGoto: g parses with when.Parse; a bad entry says why and keeps the
// prompt; times before the recording land on its start; now is live.
func TestGoto(t *testing.T) {
	tests := []struct {
		entry  string
		want   int // frame; -1 live; -2 the prompt stays open
		status string
	}{
		{"11:33:20", burnFrame, ""},
		{"2026-11-24 11:33:22", burnFrame, ""},
		{"10m ago", 600, ""},
		{"2026-11-24T11:50:00Z", 600, ""},
		{"2026-11-24 10:00", 0, "the recording starts at 11:00:00"},
		{"now", -1, "back to live"},
		{"25:99", -2, ""},
		{"yesterday-ish", -2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.entry, func(t *testing.T) {
			m := newTravelModel(t, 120, 40, newFakeTimeline(), true, time.Time{})
			m = pressDrive(m, "g")
			if m.mode != modeGoto {
				t.Fatal("g did not open the prompt")
			}
			m = drive(typeText(m, tt.entry), keyMsg("enter"))
			switch tt.want {
			case -2:
				if m.mode != modeGoto || !strings.Contains(m.tt.promptErr, "not a time") || !strings.Contains(m.tt.promptErr, when.Forms) {
					t.Fatalf("bad entry: mode %d, error %q", m.mode, m.tt.promptErr)
				}
				if !strings.Contains(screen(m), "not a time") {
					t.Error("the error is not on the screen")
				}
				if m = pressDrive(m, "backspace"); m.tt.promptErr != "" {
					t.Error("editing the entry kept the error")
				}
			case -1:
				if m.tt.active || !strings.Contains(m.status, tt.status) {
					t.Errorf("%q: replaying %v, status %q", tt.entry, m.tt.active, m.status)
				}
			default:
				if got := frameIndex(t, m); got != tt.want || m.mode != modeNormal {
					t.Errorf("%q: frame %d mode %d, want %d", tt.entry, got, m.mode, tt.want)
				}
				if m.status != tt.status {
					t.Errorf("status %q, want %q", m.status, tt.status)
				}
			}
		})
	}
}

// TestNoRecording: without a Timeline every time key answers in one line.
func TestNoRecording(t *testing.T) {
	for _, k := range []string{"[", "]", "{", "}", "g", "!"} {
		m := press(newTestModel(t, 120, 40, 20), k)
		if m.mode != modeNormal || m.status != "no recording: "+noRecording {
			t.Errorf("%s: mode %d status %q", k, m.mode, m.status)
		}
	}
	m := New(Options{NoColor: true, Now: fixedNow, NoTimeline: "recording is off (--no-record)"})
	if m = press(m, "["); m.status != "no recording: recording is off (--no-record)" {
		t.Errorf("status %q", m.status)
	}
	if m = press(newTestModel(t, 120, 40, 20), "L"); m.status != "" {
		t.Errorf("L when live without a recording: %q", m.status)
	}
}

// TestReplayedMoment: at a recorded moment the checks are built from its
// results and alarm states, the process table is the recorded one (its age
// in the title when older than the moment), sortable and filterable.
func TestReplayedMoment(t *testing.T) {
	m := newTravelModel(t, 200, 50, newFakeTimeline(), false, fakeTime(critFrame+1))
	rows := m.checks.rows
	if len(rows) != 2 || rows[0].ID != "chCPU" || rows[0].State != StateCritical || !strings.HasPrefix(rows[0].Alarm, "CPU usage 97") ||
		rows[1].ID != "chMem" || rows[1].State != StateOK || rows[1].KeyMetrics != "actual_used=3.0GiB" {
		t.Fatalf("checks at the CRITICAL moment: %+v", rows)
	}
	if !rows[0].LastRun.Equal(fakeTime(critFrame - critFrame%6)) {
		t.Errorf("chCPU last run %v", rows[0].LastRun)
	}
	if got := pids(m); len(got) != 61 || got[0] != burnerPID {
		t.Fatalf("process table: %d rows, first %v", len(got), got[:1])
	}
	if title := m.procs.title(); !strings.Contains(title, "table 5s older") {
		t.Errorf("title %q does not say the table's age", title)
	}
	if m = pressDrive(m, "["); strings.Contains(m.procs.title(), "older") {
		t.Errorf("a table of the moment itself says its age: %q", m.procs.title())
	}
	m = pressDrive(m, "N")
	if got := pids(m); got[0] != 1 || got[len(got)-1] != burnerPID {
		t.Errorf("sort by pid in replay: %v...", got[:3])
	}
	m = drive(typeText(pressDrive(m, "\\"), "stress"), keyMsg("enter"))
	if got := pids(m); !slices.Equal(got, []int32{burnerPID}) {
		t.Errorf("filter in replay: %v", got)
	}
	m = pressDrive(m, "t")
	if !m.procs.tree {
		t.Error("no tree in replay")
	}
	s := screen(m)
	for _, want := range []string{"REPLAY 11:34:20 (25m 40s ago)", "CRITICAL", "stress-ng", "● connected to ep.example.com:443"} {
		if !strings.Contains(s, want) {
			t.Errorf("screen lacks %q:\n%s", want, s)
		}
	}
	// Details of a recorded process are the recorded ones: /proc has
	// today's processes, maybe another one under the same pid.
	read := 0
	m.opts.Detail = func(int32) (string, error) { read++; return "live details", nil }
	m = pressDrive(m, "enter")
	if s := screen(m); read != 0 || m.mode != modeDetail || !strings.Contains(s, "as recorded at 11:34:20") || !strings.Contains(s, "stress-ng --cpu 4") {
		t.Errorf("detail in replay: %d reads of /proc, mode %d:\n%s", read, m.mode, s)
	}
}

// TestReplayHeaderDate: a moment of another day carries its date.
func TestReplayHeaderDate(t *testing.T) {
	if got := stampAt(testNow.Add(-30*time.Hour), testNow, time.UTC); got != "2026-11-23 06:00:00" {
		t.Errorf("stamp %q", got)
	}
	for d, want := range map[time.Duration]string{0: "now", 40 * time.Second: "40s", 5*time.Hour + 48*time.Minute: "5h 48m",
		26*time.Hour + 59*time.Minute: "1d 2h", 12*time.Minute + 5*time.Second: "12m 5s"} {
		if got := agoText(d); got != want {
			t.Errorf("agoText(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestReplayTrends: the graphs show the window that ends at the cursor,
// read from the recording (recent frames for the live window, rollups for
// the hour), and mark the cursor's column.
func TestReplayTrends(t *testing.T) {
	ft := newFakeTimeline()
	m := newTravelModel(t, 200, 50, ft, true, time.Time{})
	m = pressDrive(m, "!", "!")
	at := ft.frames[critFrame]
	if n := len(m.cpu.trend); n != 91 || m.cpu.trend[n-1] != at.Snapshot.CPU.UsagePct || m.cpu.trend[n-2] != ft.frames[critFrame-1].Snapshot.CPU.UsagePct {
		t.Fatalf("live window at the cursor: %d values ending %v", n, m.cpu.trend[max(0, n-2):])
	}
	if m.c.trendsLoading {
		t.Error("still loading")
	}
	if s := screen(m); !strings.Contains(s, string(cursorMark)) || !strings.Contains(s, "CPU · samples to 11:34:20") {
		t.Errorf("no cursor mark or window title:\n%s", s)
	}
	m = pressDrive(m, "w")
	// 11:34:20 is in the minute 11:34; the hour window ends with it.
	if n := len(m.cpu.trend); n != 35 || m.cpu.trend[n-1] < 90 {
		t.Errorf("hour window at the cursor: %d values, last %v", n, m.cpu.trend[max(0, n-1):])
	}
	m = pressDrive(m, "w")
	if n := len(m.cpu.trend); n != 1 {
		t.Errorf("day window: %d values, want 1 (one hour recorded)", n)
	}
}

// TestViewAndUpdateDoNotRead: the recording is read only in commands.
func TestViewAndUpdateDoNotRead(t *testing.T) {
	ft := newFakeTimeline()
	m := newTravelModel(t, 200, 50, ft, true, time.Time{})
	m = pressDrive(m, "!")
	before := ft.calls.Load()
	for range 5 {
		_ = m.View()
	}
	snap := testSnapshot(10)
	next, _ := m.Update(SnapshotMsg{Snap: snap})
	next, _ = next.(Model).Update(keyMsg("["))
	_ = next.View()
	if got := ft.calls.Load(); got != before {
		t.Errorf("View and Update read the recording %d times", got-before)
	}
}

// TestKeyMetrics: the recorded rows read like the live ones (the same
// names per type, bytes in IEC units, doubles to one decimal).
func TestKeyMetrics(t *testing.T) {
	ms := []check.Metric{
		{Name: "usage_average", Type: "double", Value: "42.54", Unit: "percent"},
		{Name: "actual_used", Type: "uint64", Value: "3221225472", Unit: "bytes"},
		{Name: "total", Type: "uint64", Value: "512", Unit: "bytes"},
		{Name: "code", Type: "string", Value: "200"},
		{Name: "free", Type: "uint64", Value: "1536", Unit: "kilobytes"},
	}
	for _, tt := range []struct{ typ, want string }{
		{check.TypeCPU, "usage_average=42.5%"},
		{check.TypeMemory, "actual_used=3.0GiB total=512B"},
		{check.TypeHTTP, "code=200"},
		{"agent.plugin", "usage_average=42.5% actual_used=3.0GiB total=512B"},
	} {
		if got := KeyMetrics(tt.typ, ms); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.typ, got, tt.want)
		}
	}
	if got := metricText(ms[4]); got != "1.5MiB" {
		t.Errorf("kilobytes: %q", got)
	}
}

// TestCheckRowsAt: the state is the worst of the check's alarms (UNKNOWN <
// OK < WARNING < CRITICAL), with that alarm's message; a removed alarm
// is gone; an alarm without a result still shows.
func TestCheckRowsAt(t *testing.T) {
	f := &record.Frame{
		Checks: []record.CheckResult{{CheckID: "a", Type: "agent.cpu", Available: true, Status: "ok"}, {CheckID: "b", Status: "down"}},
		Alarms: []record.AlarmTransition{
			{CheckID: "a", Alarm: "1", To: "OK", Message: "fine"},
			{CheckID: "a", Alarm: "2", To: "warning", Message: "hot"},
			{CheckID: "a", Alarm: "3", To: "UNKNOWN", Message: "?"},
			{CheckID: "b", Alarm: "1", To: "", Message: "removed"},
			{CheckID: "c", Alarm: "1", To: "CRITICAL", Message: "no result"},
		},
	}
	got := checkRowsAt(f)
	if len(got) != 3 || got[0].State != StateWarning || got[0].Alarm != "hot" || got[1].State != StateUnknown ||
		got[1].Alarm != "no alarm state recorded · down" ||
		got[2].ID != "c" || got[2].State != StateCritical {
		t.Errorf("rows: %+v", got)
	}
}

// TestGoldenTimeTravel: a replayed moment (the CPU alarm's CRITICAL
// change: the burner on top, the check CRITICAL, the REPLAY header, the
// cursor on the graphs), the g prompt, a bad entry, and the status of a
// time key without a recording.
func TestGoldenTimeTravel(t *testing.T) {
	replay := func(w, h int) Model {
		return newTravelModel(t, w, h, newFakeTimeline(), false, fakeTime(fakeFrames-1))
	}
	tests := []struct {
		name string
		m    func(w, h int) Model
	}{
		{"replay_moment", func(w, h int) Model { return pressDrive(replay(w, h), "!", "!") }},
		{"replay_hour_window", func(w, h int) Model {
			m := newTravelModel(t, w, h, newFakeTimeline(), true, time.Time{})
			return pressDrive(m, "!", "!", "]", "w")
		}},
		{"goto_prompt", func(w, h int) Model { return typeText(pressDrive(replay(w, h), "!", "!", "g"), "11:3") }},
		{"goto_error", func(w, h int) Model {
			return drive(typeText(pressDrive(replay(w, h), "!", "!", "g"), "25:99"), keyMsg("enter"))
		}},
		{"no_recording", func(w, h int) Model { return press(newTestModel(t, w, h, 200), "[") }},
	}
	for _, tt := range tests {
		for _, sz := range [][2]int{{200, 50}, {80, 24}} {
			name := tt.name + "_" + strconv.Itoa(sz[0]) + "x" + strconv.Itoa(sz[1])
			t.Run(name, func(t *testing.T) {
				m := tt.m(sz[0], sz[1])
				checkFits(t, name, m, sz[0], sz[1])
				checkGolden(t, name, screen(m))
			})
		}
	}
}

// TestKeyTable: the normal-mode keys of the one key table do not clash,
// every one is on the help screen, and the keys the next console issue
// takes (renice F7/F8, tree + - *, H, u, \, n) stay free.
func TestKeyTable(t *testing.T) {
	k := newKeyMap()
	normal := map[string]key.Binding{
		"Quit": k.Quit, "Help": k.Help, "Filter": k.Filter, "SortMenu": k.SortMenu, "Kill": k.Kill, "Tree": k.Tree,
		"Search": k.Search, "NextMatch": k.NextMatch, "Users": k.Users, "Setup": k.Setup, "Expand": k.Expand,
		"Collapse": k.Collapse, "ExpandAll": k.ExpandAll, "Threads": k.Threads, "NiceDown": k.NiceDown,
		"NiceUp": k.NiceUp, "Renice": k.Renice, "Layout": k.Layout,
		"Follow": k.Follow, "Detail": k.Detail, "FocusNext": k.FocusNext, "FocusPrev": k.FocusPrev, "Pause": k.Pause,
		"Window": k.Window, "Up": k.Up, "Down": k.Down, "PgUp": k.PgUp, "PgDown": k.PgDown, "Home": k.Home, "End": k.End,
		"SortCPU": k.SortCPU, "SortMem": k.SortMem, "SortPID": k.SortPID, "SortTime": k.SortTime, "SortInvert": k.SortInvert,
		"StepBack": k.StepBack, "StepFwd": k.StepFwd, "MinuteBack": k.MinuteBack, "MinuteFwd": k.MinuteFwd,
		"GoTo": k.GoTo, "PrevAlarm": k.PrevAlarm, "Live": k.Live, "Esc": k.Cancel,
	}
	for i, b := range k.Toggle {
		normal["Toggle"+strconv.Itoa(i)] = b
	}
	owner := map[string]string{}
	for name, b := range normal {
		for _, s := range b.Keys() {
			if o, ok := owner[s]; ok {
				t.Errorf("key %q is bound to %s and %s", s, o, name)
			}
			owner[s] = name
		}
	}
	// htop's keys do what they do in htop; [ ] stay time travel.
	for s, want := range map[string]string{
		"/": "Search", "f3": "Search", "n": "NextMatch", "\\": "Filter", "f4": "Filter", "f2": "Setup",
		"u": "Users", "H": "Threads", "+": "Expand", "-": "Collapse", "*": "ExpandAll", "f7": "NiceDown",
		"f8": "NiceUp", "k": "Kill", "f9": "Kill", "f6": "SortMenu", "[": "StepBack", "]": "StepFwd",
	} {
		if owner[s] != want {
			t.Errorf("key %q is bound to %q, want %s", s, owner[s], want)
		}
	}
	help := map[string]bool{}
	for _, col := range k.fullHelp() {
		for _, b := range col {
			for _, s := range b.Keys() {
				help[s] = true
			}
		}
	}
	for _, s := range []string{"[", "]", "{", "}", "g", "!", "L"} {
		if !help[s] {
			t.Errorf("time key %q is not on the help screen", s)
		}
	}
}

// TestReplayFitsEverySize: a replayed moment, the g prompt and its error
// fit every terminal size.
func TestReplayFitsEverySize(t *testing.T) {
	ft := newFakeTimeline()
	for _, sz := range [][2]int{{1, 1}, {10, 5}, {59, 15}, {60, 15}, {61, 16}, {100, 30}, {300, 100}} {
		for name, keys := range map[string][]string{"moment": {"!"}, "prompt": {"!", "g", "1"}, "help": {"!", "?"}, "detail": {"!", "enter"}} {
			m := newTravelModel(t, sz[0], sz[1], ft, false, fakeTime(fakeFrames-1))
			m = pressDrive(m, keys...)
			checkFits(t, name, m, sz[0], sz[1])
			if name == "prompt" {
				m = drive(typeText(m, "x"), keyMsg("enter"))
				checkFits(t, "prompt error", m, sz[0], sz[1])
			}
		}
	}
}
