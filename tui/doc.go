// Package tui is the live bubbletea console: a root model composing one
// sub-model per panel (header, cpu, memory, disk, network, processes,
// checks). It only reads agent state and sends intents; it never collects.
package tui
