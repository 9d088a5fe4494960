// Package tui is the live bubbletea console: a root Model composing one
// sub-model per panel (header, cpu, memory, disk, network, checks,
// processes), each sized by the root's layout and sharing one common value
// (styles, key map, clock, trend window, history, the snapshot shown).
//
// It only reads and asks. Samples, check states and the endpoint link
// arrive as typed messages (SnapshotMsg, ChecksMsg, ConnMsg) on
// Options.Feed; trends come from a HistoryReader; sending a signal and
// reading a process's details go through Options.Signal and Options.Detail,
// run as commands outside View. Nothing here collects host data, and View
// does no I/O: it draws only the visible rows, every line cut to the
// terminal width.
//
// # Time travel
//
// With Options.Timeline (the host's recording, a *record.Reader) a time
// cursor moves over the recording: [ and ] one sample, { and } one minute,
// g a time (internal/when), ! the previous alarm transition, L (or Esc with
// no prompt open) back to live. Each panel renders a moment, live or
// recorded: a recorded frame holds the same *collector.Snapshot a live one
// does, so replay is the panels fed an older frame (its process table,
// check rows built from its results and alarm states, its link), and the
// graphs a trend window read from the recording that ends at the cursor
// (recent frames for the live window, per-minute rollups for the hour and
// day) with the cursor's column marked. Reads of the recording run in
// commands, one seek and one trend read at a time; keys pressed meanwhile
// add up and run from where the read lands. The live feed keeps arriving
// during a replay (kept, not shown). Options.ReplayAt opens the console
// on the recording (virgo-top replay, with no Feed: L goes to the end).
//
// # Layout and the process table
//
// Below the two status lines, one-line meters (cpu, memory, swap, load,
// disk, network) and the count of checks not OK are always shown. The
// layout presets (v: overview, processes, checks) place the panels; in the
// overview the process table is guaranteed 10 rows on a 24-line terminal
// and half the height from 30 lines up, and checks, trends and lists take
// what is left where they fit. The table's columns are chosen and ordered
// on a setup screen (F2) and sorted on any of them (F6); search (/ F3, n)
// moves the selection, filter (\ F4) and the user menu (u) hide rows.
// Threads (H) and per-process I/O columns ask the sampler for their data
// through Options.SetThreads and Options.SetProcessIO, in commands, only
// while shown. Renice (F7 F8 r) and the signal menu (k) act on the selected
// process in commands. The arrangement (viewPrefs: layout, hidden panels,
// sort, tree, columns) is announced by a prefsChangedMsg from Update
// whenever a key changes it, for the settings file.
//
// Run shows the console on the terminal; New gives the tea.Model for tests
// and embedding.
package tui
