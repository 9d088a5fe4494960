package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestTuneRuntime(t *testing.T) {
	procs0, gc0 := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	defer func() { runtime.GOMAXPROCS(procs0); debug.SetGCPercent(gc0) }()
	tests := []struct {
		name      string
		env       map[string]string
		daemon    bool
		procs, gc int
	}{
		{"console defaults", nil, false, 1, 100},
		{"daemon defaults", nil, true, 1, daemonGCPercent},
		{"GOMAXPROCS set wins", map[string]string{"GOMAXPROCS": "3"}, true, 3, daemonGCPercent},
		{"GOGC set wins", map[string]string{"GOGC": "100"}, true, 1, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The runtime reads the variables at start-up; stand in for it.
			runtime.GOMAXPROCS(3)
			debug.SetGCPercent(100)
			tuneRuntime(func(k string) string { return tt.env[k] }, tt.daemon)
			if got := runtime.GOMAXPROCS(0); got != tt.procs {
				t.Errorf("GOMAXPROCS = %d, want %d", got, tt.procs)
			}
			if got := debug.SetGCPercent(100); got != tt.gc {
				t.Errorf("GC percent = %d, want %d", got, tt.gc)
			}
		})
	}
}
