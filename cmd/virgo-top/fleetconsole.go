package main

import (
	"context"
	"errors"
	"time"

	"github.com/virgo-top/virgo-top/fleet"
)

func runFleetConsole(ctx context.Context, f *fleet.Fleet, refresh time.Duration) error {
	return errors.New("fleet: the console is not built yet; use --once")
}
