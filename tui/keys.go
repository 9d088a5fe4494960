package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key binding of the console; panels match with key.Matches.
type keyMap struct {
	Quit      key.Binding
	Help      key.Binding
	Search    key.Binding // find a process: moves the selection, hides nothing
	NextMatch key.Binding
	Filter    key.Binding // hide what does not match
	Users     key.Binding // show one user's processes
	SortMenu  key.Binding
	Setup     key.Binding // choose and order the process table's columns
	Kill      key.Binding
	Tree      key.Binding
	Expand    key.Binding // tree: show the selected subtree
	Collapse  key.Binding
	ExpandAll key.Binding
	Threads   key.Binding
	NiceDown  key.Binding // nice -1: more CPU for the process
	NiceUp    key.Binding // nice +1
	Renice    key.Binding // a prompt for the nice value
	Layout    key.Binding // cycle the layout presets
	Cgroups   key.Binding // the cgroup view
	Theme     key.Binding // setup: the next colour theme
	ScrollCmd key.Binding // help text only: ←/→ scroll COMMAND
	Follow    key.Binding
	Detail    key.Binding
	FocusNext key.Binding
	FocusPrev key.Binding
	Pause     key.Binding
	Window    key.Binding
	Panels    key.Binding // help text only: "1-6"
	Scroll    key.Binding // help text only: up/down in a list panel
	Toggle    [numPanels]key.Binding

	// Time travel (a recording is needed; see Options.Timeline).
	StepBack   key.Binding // one sample back
	StepFwd    key.Binding // one sample forward
	MinuteBack key.Binding
	MinuteFwd  key.Binding
	GoTo       key.Binding // prompt for a time
	PrevAlarm  key.Binding // the previous alarm transition
	Live       key.Binding // back to live
	TimeTravel key.Binding // help text only: the time keys in the live key bar
	replayBar  []key.Binding

	Up     key.Binding
	Down   key.Binding
	PgUp   key.Binding
	PgDown key.Binding
	Home   key.Binding
	End    key.Binding

	SortCPU    key.Binding
	SortMem    key.Binding
	SortPID    key.Binding
	SortTime   key.Binding
	SortInvert key.Binding

	// Prompt keys (filter, search, menus, setup, detail).
	Accept  key.Binding
	Cancel  key.Binding
	Close   key.Binding // help screen, detail view
	Send    key.Binding // the signal menu: send the chosen signal
	Left    key.Binding
	Right   key.Binding
	Toggle1 key.Binding // setup: show or hide the column under the cursor
	ColUp   key.Binding // setup: move the column up (left in the table)
	ColDown key.Binding
}

func newKeyMap() *keyMap {
	k := &keyMap{
		Quit:      bind("q/F10", "quit", "q", "f10", "ctrl+c"),
		Help:      bind("?/F1", "help", "?", "f1"),
		Search:    bind("/", "search", "/", "f3"),
		NextMatch: bind("n", "next match", "n"),
		Filter:    bind("\\", "filter", "\\", "f4"),
		Users:     bind("u", "user", "u"),
		SortMenu:  bind("F6", "sort by", "f6", ">"),
		Setup:     bind("F2", "columns", "f2"),
		Kill:      bind("k/F9", "signal", "k", "f9"),
		Tree:      bind("t/F5", "tree", "t", "f5"),
		Expand:    bind("+", "expand", "+", "="),
		Collapse:  bind("-", "collapse", "-"),
		ExpandAll: bind("*", "expand all", "*"),
		Threads:   bind("H", "threads", "H"),
		NiceDown:  bind("F7", "nice -1", "f7"),
		NiceUp:    bind("F8", "nice +1", "f8"),
		Renice:    bind("r", "set nice", "r"),
		Cgroups:   bind("c", "cgroups", "c"),
		Theme:     bind("t", "theme", "t"),
		Layout:    bind("v", "layout", "v"),
		ScrollCmd: bind("←/→", "scroll command", "left", "right"),
		Follow:    bind("F", "follow", "F"),
		Detail:    bind("enter", "details", "enter"),
		FocusNext: bind("tab", "next panel", "tab"),
		FocusPrev: bind("shift+tab", "prev panel", "shift+tab"),
		Pause:     bind("p", "pause", "p"),
		Window:    bind("w", "trend window", "w"),
		Panels:    bind("1-6", "toggle panels", "1", "2", "3", "4", "5", "6"),
		Scroll:    bind("↑/↓", "scroll", "up", "down"),

		// F7/F8 stay free for renice; + - * H u \ n are the next keys of
		// the process table.
		StepBack:   bind("[", "sample back", "["),
		StepFwd:    bind("]", "sample forward", "]"),
		MinuteBack: bind("{", "minute back", "{"),
		MinuteFwd:  bind("}", "minute forward", "}"),
		GoTo:       bind("g", "go to time", "g"),
		PrevAlarm:  bind("!", "previous alarm change", "!"),
		Live:       bind("L/esc", "back to live", "L"),
		TimeTravel: bind("[/g/!", "time travel", "[", "g", "!"),

		Up:     bind("↑", "up", "up"),
		Down:   bind("↓", "down", "down"),
		PgUp:   bind("pgup", "page up", "pgup"),
		PgDown: bind("pgdn", "page down", "pgdown"),
		Home:   bind("home", "first", "home"),
		End:    bind("end", "last", "end"),

		SortCPU:    bind("P", "sort cpu", "P"),
		SortMem:    bind("M", "sort mem", "M"),
		SortPID:    bind("N", "sort pid", "N"),
		SortTime:   bind("T", "sort time", "T"),
		SortInvert: bind("I", "invert sort", "I"),

		Accept:  bind("enter", "accept", "enter"),
		Cancel:  bind("esc", "cancel", "esc"),
		Close:   bind("esc", "close", "esc"),
		Send:    bind("enter", "send", "enter"),
		Left:    bind("←", "previous", "left", "shift+tab"),
		Right:   bind("→", "next", "right", "tab"),
		Toggle1: bind("space", "show/hide", " ", "enter"),
		ColUp:   bind("F7", "move up", "f7", "shift+up"),
		ColDown: bind("F8", "move down", "f8", "shift+down"),
	}
	k.replayBar = []key.Binding{
		bind("[/]", "sample", "[", "]"),
		bind("{/}", "minute", "{", "}"),
		k.GoTo,
		bind("!", "alarm", "!"),
		bind("L", "live", "L"),
	}
	for i := range k.Toggle {
		d := string(rune('1' + i))
		k.Toggle[i] = key.NewBinding(key.WithKeys(d), key.WithHelp(d, "toggle "+panelNames[i]))
	}
	return k
}

// timeBar is how much of time travel the key bar offers.
type timeBar int

const (
	timeNone   timeBar = iota // no recording: not advertised
	timeLive                  // live, with a recording: one hint
	timeReplay                // replaying: the time keys first
)

// shortHelp is the bottom bar: global keys plus the focused panel's; in
// replay the time keys come first.
func (k *keyMap) shortHelp(focus panelID, tb timeBar) []key.Binding {
	b := []key.Binding{k.Help, k.Quit}
	if tb == timeReplay {
		b = append(b, k.replayBar...)
	}
	switch focus {
	case panelProcs:
		b = append(b, k.Search, k.Filter, k.SortMenu, k.Setup, k.Tree, k.Kill, k.Detail, k.Users, k.Threads, k.Follow)
	case panelChecks:
		b = append(b, k.Scroll, k.Detail)
	case panelDisk, panelNet:
		b = append(b, k.Scroll)
	}
	b = append(b, k.Cgroups, k.Layout, k.FocusNext, k.Pause, k.Window, k.Panels)
	if tb == timeLive {
		b = append(b, k.TimeTravel)
	}
	return b
}

// fullHelp is the help screen, one column per group.
func (k *keyMap) fullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Help, k.Quit, k.Layout, k.Cgroups, k.FocusNext, k.FocusPrev, k.Pause, k.Window, k.Panels},
		{k.Up, k.Down, k.PgUp, k.PgDown, k.Home, k.End, k.ScrollCmd},
		{k.Search, k.NextMatch, k.Filter, k.Users, k.Setup, k.SortMenu, k.SortCPU, k.SortMem, k.SortPID, k.SortTime, k.SortInvert},
		{k.Tree, k.Expand, k.Collapse, k.ExpandAll, k.Threads, k.Follow, k.Detail},
		{k.Kill, k.NiceDown, k.NiceUp, k.Renice},
		{k.StepBack, k.StepFwd, k.MinuteBack, k.MinuteFwd, k.GoTo, k.PrevAlarm, k.Live},
	}
}

// helpKeys adapts a binding list to help.KeyMap.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

// bind is key.NewBinding with keys and help. Not inlined: newKeyMap's
// sixty bindings each inlined NewBinding and its option closures, 25 KB of
// code run once (bench/size.sh).
//
//go:noinline
func bind(helpKey, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, desc))
}
