// Package fleet is the console of `virgo-top fleet`: a host table (one row
// per host of the fleet, sorted and filtered in the engine, paged to what
// the screen shows), the fleet's alarms list, and a host's drill-down
// (CPU, memory, disk and network graphs over 1 h, 24 h or 7 d from range
// queries, its checks and alarms).
//
// It reads package fleet (the engine's queries) through the small Source
// interface, only in tea.Cmds: View does no I/O. Each component (hostTable,
// alarmList, hostDetail) has its Model, KeyMap and SetSize; the root routes
// keys to the view shown and owns refreshing: a tick every refresh
// interval fetches what is shown, never a second fetch of the same kind
// while one is running, so a slow engine never piles up queries. An engine
// that is down, slow or answering errors leaves the last good data on the
// screen with its age and the error on the status line.
//
// Styles, the panel frame and the trend graphs are the local console's
// (package tui's exports), so both consoles look the same.
package fleet
