package fleet

import "github.com/charmbracelet/bubbles/key"

// keyMap is the fleet console's keys, close to the local console's.
type keyMap struct {
	Quit, Help, Up, Down, PgUp, PgDown, Home, End key.Binding
	Enter, Back, Filter, Alarms                   key.Binding
	SortNext, SortPrev, Invert, SortCPU, SortMem  key.Binding
	Window, Refresh                               key.Binding
}

func newKeyMap() *keyMap {
	return &keyMap{
		Quit:     key.NewBinding(key.WithKeys("q", "f10", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:     key.NewBinding(key.WithKeys("?", "f1"), key.WithHelp("?", "help")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓", "down")),
		PgUp:     key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PgDown:   key.NewBinding(key.WithKeys("pgdown", " "), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end", "last")),
		Enter:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "host")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Filter:   key.NewBinding(key.WithKeys("/", "f3", "\\", "f4"), key.WithHelp("/", "filter")),
		Alarms:   key.NewBinding(key.WithKeys("a", "tab"), key.WithHelp("a", "alarms")),
		SortNext: key.NewBinding(key.WithKeys(">", "."), key.WithHelp("<>", "sort column")),
		SortPrev: key.NewBinding(key.WithKeys("<", ",")),
		Invert:   key.NewBinding(key.WithKeys("I"), key.WithHelp("I", "invert")),
		SortCPU:  key.NewBinding(key.WithKeys("P"), key.WithHelp("P/M", "cpu/mem")),
		SortMem:  key.NewBinding(key.WithKeys("M")),
		Window:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "1h/24h/7d")),
		Refresh:  key.NewBinding(key.WithKeys("r", "f5"), key.WithHelp("r", "refresh")),
	}
}
