package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneRuntime(t *testing.T) {
	procs0, gc0, rate0 := runtime.GOMAXPROCS(0), debug.SetGCPercent(100), runtime.MemProfileRate
	defer func() { runtime.GOMAXPROCS(procs0); debug.SetGCPercent(gc0); runtime.MemProfileRate = rate0 }()
	tests := []struct {
		name       string
		env        map[string]string
		daemon     bool
		memProfile bool
		procs, gc  int
		rate       int
	}{
		{"console defaults", nil, false, false, 1, 100, 0},
		{"daemon defaults", nil, true, false, 1, daemonGCPercent, 0},
		{"--memprofile keeps heap profiling", nil, false, true, 1, 100, 512 * 1024},
		{"GOMAXPROCS set wins", map[string]string{"GOMAXPROCS": "3"}, true, false, 3, daemonGCPercent, 0},
		{"GOGC set wins", map[string]string{"GOGC": "100"}, true, false, 1, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The runtime reads the variables at start-up; stand in for it.
			runtime.GOMAXPROCS(3)
			debug.SetGCPercent(100)
			runtime.MemProfileRate = 512 * 1024
			tuneRuntime(func(k string) string { return tt.env[k] }, tt.daemon, tt.memProfile)
			if got := runtime.GOMAXPROCS(0); got != tt.procs {
				t.Errorf("GOMAXPROCS = %d, want %d", got, tt.procs)
			}
			if got := debug.SetGCPercent(100); got != tt.gc {
				t.Errorf("GC percent = %d, want %d", got, tt.gc)
			}
			if runtime.MemProfileRate != tt.rate {
				t.Errorf("MemProfileRate = %d, want %d", runtime.MemProfileRate, tt.rate)
			}
		})
	}
}
