// Command recgen synthesises a realistic recording for the record
// package's benchmarks and for work on the console's time travel, fast:
// a host of about 300 processes that come and go, with their I/O rates
// and cgroups, 28 cgroups (systemd services, docker containers, a user
// session) with PSI, the host's PSI, temperatures, checks every 30 s whose
// alarms follow the CPU and memory, an endpoint link that drops now and
// then, and a CPU burner episode (stress-ng) that sends the CPU alarm to
// CRITICAL and back. --version1-data leaves out what format version 1 did
// not record.
//
//	go run ./bench/recgen --dir /tmp/rec --days 7
//	RECORD_BENCH_DIR=/tmp/rec go test ./record -run '^$' -bench 7d
//	virgo-top replay --record /tmp/rec
//
// The recording ends now (or at --end), so "the last hour" is the last
// hour of it. It is not part of the virgo-top binary.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/virgo-top/virgo-top/record"
	"github.com/virgo-top/virgo-top/record/recordtest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "recgen:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("dir", "", "directory of the recording (created; must hold no recording)")
	days := flag.Float64("days", 7, "length of the recording in days")
	interval := flag.Duration("interval", 5*time.Second, "time between samples")
	procs := flag.Int("procs", 300, "steady number of processes")
	cores := flag.Int("cores", 4, "CPU cores")
	seed := flag.Uint64("seed", 1, "random seed")
	endFlag := flag.String("end", "", "end of the recording, RFC 3339 (default: now)")
	burnAgo := flag.Duration("burn-ago", 3*time.Hour+12*time.Minute, "the CPU burner starts this long before the end (0: none)")
	burnFor := flag.Duration("burn-for", 10*time.Minute, "how long the CPU burner runs")
	v1 := flag.Bool("version1-data", false, "no pressure, cgroups, sensors, per-process I/O or cgroups (what format version 1 recorded)")
	flag.Parse()
	if *dir == "" {
		return errors.New("--dir is required")
	}
	if _, err := record.Open(*dir); err == nil {
		return fmt.Errorf("%s already holds a recording", *dir)
	}
	end := time.Now()
	if *endFlag != "" {
		t, err := time.Parse(time.RFC3339, *endFlag)
		if err != nil {
			return fmt.Errorf("--end: %w", err)
		}
		end = t
	}
	span := time.Duration(*days * float64(24*time.Hour))
	start := end.Add(-span).Truncate(*interval)
	cfg := recordtest.Config{Start: start, Interval: *interval, Processes: *procs, Cores: *cores, Seed: *seed, Version1: *v1}
	if *burnAgo > 0 {
		cfg.BurnAt, cfg.BurnFor = span-*burnAgo, *burnFor
	}
	w, err := record.OpenWriter(record.Options{Dir: *dir, NoSync: true, MaxAge: span + 24*time.Hour, MaxBytes: 1 << 40})
	if err != nil {
		return err
	}
	began := time.Now()
	n, err := recordtest.Write(w, recordtest.New(cfg), end)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	st := w.Stats()
	if drops := st.DroppedSamples + st.DroppedChecks + st.DroppedAlarms + st.DroppedLinks; drops > 0 {
		return fmt.Errorf("%d records dropped: %+v", drops, st)
	}
	perSample := float64(st.Bytes) / float64(n)
	fmt.Printf("%s: %d samples from %s to %s, %.1f MB in %d segments: %.0f bytes/sample, %.1f MB/day; %d alarm transitions; %.1f s\n",
		*dir, n, start.Format(time.RFC3339), end.Format(time.RFC3339), float64(st.Bytes)/1e6, st.Segments,
		perSample, perSample*float64(24*time.Hour / *interval)/1e6, st.Alarms, time.Since(began).Seconds())
	return nil
}
