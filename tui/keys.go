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
		Quit:      key.NewBinding(key.WithKeys("q", "f10", "ctrl+c"), key.WithHelp("q/F10", "quit")),
		Help:      key.NewBinding(key.WithKeys("?", "f1"), key.WithHelp("?/F1", "help")),
		Search:    key.NewBinding(key.WithKeys("/", "f3"), key.WithHelp("/", "search")),
		NextMatch: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next match")),
		Filter:    key.NewBinding(key.WithKeys("\\", "f4"), key.WithHelp("\\", "filter")),
		Users:     key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "user")),
		SortMenu:  key.NewBinding(key.WithKeys("f6", ">"), key.WithHelp("F6", "sort by")),
		Setup:     key.NewBinding(key.WithKeys("f2"), key.WithHelp("F2", "columns")),
		Kill:      key.NewBinding(key.WithKeys("k", "f9"), key.WithHelp("k/F9", "signal")),
		Tree:      key.NewBinding(key.WithKeys("t", "f5"), key.WithHelp("t/F5", "tree")),
		Expand:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "expand")),
		Collapse:  key.NewBinding(key.WithKeys("-"), key.WithHelp("-", "collapse")),
		ExpandAll: key.NewBinding(key.WithKeys("*"), key.WithHelp("*", "expand all")),
		Threads:   key.NewBinding(key.WithKeys("H"), key.WithHelp("H", "threads")),
		NiceDown:  key.NewBinding(key.WithKeys("f7"), key.WithHelp("F7", "nice -1")),
		NiceUp:    key.NewBinding(key.WithKeys("f8"), key.WithHelp("F8", "nice +1")),
		Renice:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "set nice")),
		Cgroups:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "cgroups")),
		Theme:     key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "theme")),
		Layout:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "layout")),
		ScrollCmd: key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "scroll command")),
		Follow:    key.NewBinding(key.WithKeys("F"), key.WithHelp("F", "follow")),
		Detail:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "details")),
		FocusNext: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next panel")),
		FocusPrev: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "prev panel")),
		Pause:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Window:    key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "trend window")),
		Panels:    key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6"), key.WithHelp("1-6", "toggle panels")),
		Scroll:    key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "scroll")),

		// F7/F8 stay free for renice; + - * H u \ n are the next keys of
		// the process table.
		StepBack:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "sample back")),
		StepFwd:    key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "sample forward")),
		MinuteBack: key.NewBinding(key.WithKeys("{"), key.WithHelp("{", "minute back")),
		MinuteFwd:  key.NewBinding(key.WithKeys("}"), key.WithHelp("}", "minute forward")),
		GoTo:       key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "go to time")),
		PrevAlarm:  key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "previous alarm change")),
		Live:       key.NewBinding(key.WithKeys("L"), key.WithHelp("L/esc", "back to live")),
		TimeTravel: key.NewBinding(key.WithKeys("[", "g", "!"), key.WithHelp("[/g/!", "time travel")),

		Up:     key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up")),
		Down:   key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down")),
		PgUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PgDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Home:   key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		End:    key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),

		SortCPU:    key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "sort cpu")),
		SortMem:    key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "sort mem")),
		SortPID:    key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "sort pid")),
		SortTime:   key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "sort time")),
		SortInvert: key.NewBinding(key.WithKeys("I"), key.WithHelp("I", "invert sort")),

		Accept:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "accept")),
		Cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Close:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
		Send:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "send")),
		Left:    key.NewBinding(key.WithKeys("left", "shift+tab"), key.WithHelp("←", "previous")),
		Right:   key.NewBinding(key.WithKeys("right", "tab"), key.WithHelp("→", "next")),
		Toggle1: key.NewBinding(key.WithKeys(" ", "enter"), key.WithHelp("space", "show/hide")),
		ColUp:   key.NewBinding(key.WithKeys("f7", "shift+up"), key.WithHelp("F7", "move up")),
		ColDown: key.NewBinding(key.WithKeys("f8", "shift+down"), key.WithHelp("F8", "move down")),
	}
	k.replayBar = []key.Binding{
		key.NewBinding(key.WithKeys("[", "]"), key.WithHelp("[/]", "sample")),
		key.NewBinding(key.WithKeys("{", "}"), key.WithHelp("{/}", "minute")),
		k.GoTo,
		key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "alarm")),
		key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "live")),
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
