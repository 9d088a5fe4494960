// Package agent is the hub that wires the parts together: it runs the one
// collector Sampler, feeds history, the check scheduler, alarms and
// notifications, and hands check results to the protocol client. The TUI
// and the daemon are two faces of the same agent.
package agent
