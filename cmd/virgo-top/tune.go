package main

import (
	"runtime"
	"runtime/debug"
)

// Runtime defaults for the long-running modes (the console and the
// daemon), each applied only when its environment variable is not set, so
// GOMAXPROCS=4 or GOGC=100 still win. Measured in BENCHMARKS.md.
const (
	// maxProcs: the agent's work is a few milliseconds a second, mostly
	// waiting on /proc reads and the network. With one P the runtime stops
	// waking idle Ps (threads) for every ready goroutine: the console's
	// futex wake-ups fell from 43/s to 15/s and its CPU by about 18 %.
	// node_exporter defaults to GOMAXPROCS=1 for the same reason.
	maxProcs = 1
	// daemonGCPercent: the daemon's live heap is about 1-2 MiB, so at
	// GOGC=100 the runtime's 4 MiB minimum heap target is mostly garbage
	// waiting; at 50 its anonymous memory is about 1.9 MiB lower for no CPU
	// we could measure, as it allocates little. Lower gains nothing more.
	// The console keeps 100: it allocates a frame a second, and 50 cost it
	// about 20 % more CPU for 2 MiB.
	daemonGCPercent = 50
)

// tuneRuntime applies the defaults above; getenv is os.Getenv. Heap
// profiling is switched off unless memProfile (--memprofile) asks for it:
// the runtime samples an allocation every 512 KiB into a 1.4 MiB hash of
// call stacks whose pages each new stack touches at random, so the RSS crept
// up by about 1 MiB an hour in the soak for a profile nobody reads.
func tuneRuntime(getenv func(string) string, daemon, memProfile bool) {
	if !memProfile {
		runtime.MemProfileRate = 0
	}
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(maxProcs)
	}
	if daemon && getenv("GOGC") == "" {
		debug.SetGCPercent(daemonGCPercent)
	}
}
