// Package tui is the live bubbletea console: a root Model composing one
// sub-model per panel (header, cpu, memory, disk, network, checks,
// processes), each sized by the root's layout and sharing one common value
// (styles, key map, clock, trend window, history, latest snapshot).
//
// It only reads and asks. Samples, check states and the endpoint link
// arrive as typed messages (SnapshotMsg, ChecksMsg, ConnMsg) on
// Options.Feed; trends come from a HistoryReader; sending a signal and
// reading a process's details go through Options.Signal and Options.Detail,
// run as commands outside View. Nothing here collects host data, and View
// does no I/O: it draws only the visible rows, every line cut to the
// terminal width.
//
// Run shows the console on the terminal; New gives the tea.Model for tests
// and embedding.
package tui
