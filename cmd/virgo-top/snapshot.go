package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

const snapshotUsage = `Usage: virgo-top snapshot [--json] [--interval 1s] [--all-filesystems]

Take two samples one interval apart and print one Snapshot: rates (CPU %,
disk and network per second, process CPU %) come from the difference.`

func runSnapshot(args []string, stdout, _ io.Writer) error {
	fs := newFlagSet("snapshot", snapshotUsage, stdout)
	asJSON := fs.Bool("json", false, "print the Snapshot as JSON")
	interval := fs.Duration("interval", time.Second, "time between the two samples")
	allFS := fs.Bool("all-filesystems", false, "include pseudo filesystems (proc, tmpfs, overlay, ...)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *interval <= 0 || *interval > time.Hour {
		return fmt.Errorf("%w: snapshot: --interval must be between 1ns and 1h, got %s", errUsage, *interval)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	s := collector.NewSampler(collector.Options{AllFilesystems: *allFS})
	// One shot: every field, the per-process I/O rates and the cgroups
	// that a long-running agent reads only while a view shows them.
	s.SetProcessIO(true)
	s.SetCgroups(true)
	s.Sample(ctx)
	select {
	case <-time.After(*interval):
	case <-ctx.Done():
		return ctx.Err()
	}
	snap := s.Sample(ctx)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(snap)
	}
	return writeSummary(stdout, snap)
}
