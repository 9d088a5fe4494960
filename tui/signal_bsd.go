//go:build !windows && !linux

package tui

// platformSignals: macOS and the BSDs get the signals every Unix has.
var platformSignals []signalChoice
