package collector

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// parseLoadavg parses /proc/loadavg ("0.36 0.45 0.22 3/99 23261").
// Cores is left for the caller.
func parseLoadavg(s string) (Load, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return Load{}, fmt.Errorf("loadavg %q: want 3 averages", s)
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i], 64)
		if err != nil || x < 0 || x != x || x > 1e9 {
			return Load{}, fmt.Errorf("loadavg field %d %q: not a load average", i+1, f[i])
		}
		v[i] = x
	}
	return Load{Load1: v[0], Load5: v[1], Load15: v[2]}, nil
}

// loadSource reads /proc/loadavg itself: gopsutil's load.Avg silently
// falls back to the live host when the file is missing.
type loadSource struct{ opts Options }

func newLoadSource(opts Options) *loadSource { return &loadSource{opts: opts} }

func (*loadSource) Name() string { return SourceLoad }

func (l *loadSource) Collect(ctx context.Context, s *Snapshot) error {
	var ld Load
	if l.opts.procFS() {
		data, err := readFile(l.opts.procRoot(), "loadavg")
		if err != nil {
			return err
		}
		if ld, err = parseLoadavg(string(data)); err != nil {
			return fmt.Errorf("parse %s/loadavg: %w", l.opts.procRoot(), err)
		}
	} else {
		var err error
		if ld, err = loadFallback(ctx); err != nil {
			return err
		}
	}
	ld.Cores = s.CPU.Cores
	if ld.Cores == 0 {
		n, err := countCores(ctx, l.opts)
		if err != nil {
			return err
		}
		ld.Cores = n
	}
	s.Load = ld
	return nil
}

// countCores counts the online logical CPUs, for when the cpu source did
// not run before load.
func countCores(ctx context.Context, opts Options) (int, error) {
	if !opts.procFS() {
		ps, err := cpuTimesFallback(ctx)
		return len(ps.cores), err
	}
	data, err := readFile(opts.procRoot(), "stat")
	if err != nil {
		return 0, err
	}
	ps, err := parseProcStat(data)
	if err != nil {
		return 0, fmt.Errorf("parse %s/stat: %w", opts.procRoot(), err)
	}
	return len(ps.cores), nil
}
