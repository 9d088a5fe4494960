package main

import (
	"context"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
	tuifleet "github.com/virgo-top/virgo-top/tui/fleet"
)

// runFleetConsole runs the fleet console until q or a signal.
func runFleetConsole(ctx context.Context, f *fleet.Fleet, refresh time.Duration) error {
	return tuifleet.Run(ctx, tuifleet.Options{Source: f, Engine: f.Client().String(), Refresh: refresh})
}
