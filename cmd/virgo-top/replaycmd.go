package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/virgo-top/virgo-top/internal/when"
	"github.com/virgo-top/virgo-top/tui"
)

const replayUsage = `Usage: virgo-top replay [--state-dir DIR | --record PATH] [--at TIME | --since DURATION]
                        [--config FILE] [--no-color]

Open the console on a recording, with no live sampling and no agent: the
daemon's (state_dir/record), the console's own, or one copied from another
host (--record: its directory or one segment file), for a post-mortem.

It opens at --at, or --since before the recording's end, else at its end.
A time is ` + when.Forms + `,
in local time unless it carries an offset; --since is a duration such as
90s, 10m, 2h, 1d or 1h30m.

Keys: [ ] one sample back or forward, { } one minute, g go to a time,
! the previous alarm change (again: the one before), L the recording's end,
? all keys, q quit. The process table sorts, filters and shows its tree as
it does live.`

// runReplay is `virgo-top replay`: the console on a recording.
func runReplay(args []string, stdout, stderr io.Writer) error {
	opts, err := replayOptions(args, stdout, time.Now())
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return tui.Run(ctx, opts)
}

// replayOptions parses replay's flags, opens the recording and says where
// the console opens on it; now is the clock for --at.
func replayOptions(args []string, stdout io.Writer, now time.Time) (tui.Options, error) {
	fs := newFlagSet("replay", replayUsage, stdout)
	rf := addRecordingFlags(fs)
	at := fs.String("at", "", "open at the moment `TIME` (at or before it)")
	since := fs.String("since", "", "open `DURATION` before the recording's end (90s, 10m, 2h, 1d)")
	var root rootFlags
	fs.BoolVar(&root.noColor, "no-color", false, "no colours (also NO_COLOR)")
	if err := parseFlags(fs, args); err != nil {
		return tui.Options{}, err
	}
	if *at != "" && *since != "" {
		return tui.Options{}, fmt.Errorf("%w: replay: give --at or --since, not both", errUsage)
	}
	var target time.Time
	if *at != "" {
		t, err := when.Parse(*at, now, nil)
		if err != nil {
			return tui.Options{}, fmt.Errorf("%w: replay: --at: %v", errUsage, err)
		}
		target = t
	}
	var back time.Duration
	if *since != "" {
		d, err := replaySince(*since)
		if err != nil {
			return tui.Options{}, err
		}
		back = d
	}
	r, path, err := rf.open("replay")
	if err != nil {
		return tui.Options{}, err
	}
	_, to, err := r.Span()
	if err != nil {
		return tui.Options{}, recordingError("replay", path, err)
	}
	switch {
	case *at != "":
		// Outside the recording the console lands on its nearest end and
		// says so.
	case *since != "":
		target = to.Add(-back)
	default:
		target = to
	}
	return tui.Options{Timeline: r, ReplayAt: target, NoColor: noColor(&root), Settings: tui.LoadSettings(tui.DefaultSettingsPath())}, nil
}

// replaySince reads --since as when.Parse reads "N[smhd] ago": a positive
// duration.
func replaySince(s string) (time.Duration, error) {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	v, _ := strings.CutSuffix(strings.TrimSpace(s), "ago")
	t, err := when.Parse(strings.TrimSpace(v)+" ago", ref, time.UTC)
	if err != nil || !t.Before(ref) {
		return 0, fmt.Errorf("%w: replay: --since %q: want a positive duration such as 90s, 10m, 2h, 1d or 1h30m", errUsage, s)
	}
	return ref.Sub(t), nil
}
