package metrics

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// selfFamilies are the agent's own Go runtime and process families, under
// the names and meanings of client_golang's Go and process collectors
// (a subset: the ones worth watching on an agent).
type selfFamilies struct {
	goroutines, threads, heapAlloc, heapInuse, gcDuration *family

	cpuSeconds, rss, vsize, openFDs, maxFDs, startTime *family
}

func newSelfFamilies() *selfFamilies {
	f := &selfFamilies{
		goroutines: gauge("go_goroutines", "Number of goroutines that currently exist."),
		threads:    gauge("go_threads", "Number of OS threads created."),
		heapAlloc: gauge("go_memstats_alloc_bytes",
			"Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes."),
		heapInuse: gauge("go_memstats_heap_inuse_bytes",
			"Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes"),
		gcDuration: summary("go_gc_duration_seconds",
			"A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles."),

		cpuSeconds: counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."),
		rss:        gauge("process_resident_memory_bytes", "Resident memory size in bytes."),
		vsize:      gauge("process_virtual_memory_bytes", "Virtual memory size in bytes."),
		openFDs:    gauge("process_open_fds", "Number of open file descriptors."),
		maxFDs:     gauge("process_max_fds", "Maximum number of open file descriptors."),
		startTime:  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds."),
	}
	withHost(f.all()...)
	return f
}

// all lists the families.
func (f *selfFamilies) all() []*family {
	return []*family{f.goroutines, f.threads, f.heapAlloc, f.heapInuse, f.gcDuration,
		f.cpuSeconds, f.rss, f.vsize, f.openFDs, f.maxFDs, f.startTime}
}

// runtimeSamples are the runtime/metrics the Go families read.
var runtimeSamples = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
}

// collectGo adds the Go runtime families.
func (f *selfFamilies) collectGo(e *emitter) {
	e.emit(f.goroutines, float64(runtime.NumGoroutine()))
	threads, _ := runtime.ThreadCreateProfile(nil)
	e.emit(f.threads, float64(threads))

	ss := make([]metrics.Sample, len(runtimeSamples))
	for i, name := range runtimeSamples {
		ss[i].Name = name
	}
	metrics.Read(ss)
	if ss[0].Value.Kind() == metrics.KindUint64 && ss[1].Value.Kind() == metrics.KindUint64 {
		objects, unused := ss[0].Value.Uint64(), ss[1].Value.Uint64()
		e.emit(f.heapAlloc, float64(objects))
		e.emit(f.heapInuse, float64(objects+unused))
	}

	// As client_golang: the quantiles of the recent pauses, the total
	// pause time and the number of cycles.
	var st debug.GCStats
	st.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&st)
	qs := [][2]float64{{0}, {0.25}, {0.5}, {0.75}, {1}}
	for i := range qs {
		qs[i][1] = st.PauseQuantiles[i].Seconds()
	}
	e.emitSummary(f.gcDuration, summaryValue{quantiles: qs, sum: st.PauseTotal.Seconds(), count: uint64(st.NumGC)})
}

// collectProcess adds the process families from /proc/self; a family
// whose file cannot be read or parsed is omitted.
func (f *selfFamilies) collectProcess(e *emitter) {
	if st, ok := readSelfStat(); ok {
		e.emit(f.cpuSeconds, float64(st.utime+st.stime)/userHZ)
		e.emit(f.vsize, float64(st.vsize))
		e.emit(f.rss, float64(st.rss*int64(os.Getpagesize())))
		if boot, ok := bootTime(); ok {
			e.emit(f.startTime, float64(boot)+float64(st.starttime)/userHZ)
		}
	}
	if d, err := os.Open("/proc/self/fd"); err == nil {
		names, err := d.Readdirnames(-1)
		d.Close()
		if err == nil {
			// Less the descriptor of the directory being read.
			e.emit(f.openFDs, float64(len(names)-1))
		}
	}
	if n, ok := maxOpenFiles(); ok {
		e.emit(f.maxFDs, float64(n))
	}
}

// userHZ is the unit of /proc's clock-tick fields; 100 on every Linux
// platform Go supports (as procfs assumes too).
const userHZ = 100

type selfStat struct {
	utime, stime, starttime uint64
	vsize                   uint64
	rss                     int64
}

// readSelfStat parses /proc/self/stat: the fields after the command name
// (which may contain spaces and parentheses, so it ends at the last ')').
func readSelfStat() (selfStat, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return selfStat{}, false
	}
	return parseStat(b)
}

func parseStat(b []byte) (selfStat, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return selfStat{}, false
	}
	// fields[0] is field 3 (state) of proc(5).
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 22 {
		return selfStat{}, false
	}
	var st selfStat
	var errs [5]error
	st.utime, errs[0] = strconv.ParseUint(fields[11], 10, 64)
	st.stime, errs[1] = strconv.ParseUint(fields[12], 10, 64)
	st.starttime, errs[2] = strconv.ParseUint(fields[19], 10, 64)
	st.vsize, errs[3] = strconv.ParseUint(fields[20], 10, 64)
	st.rss, errs[4] = strconv.ParseInt(fields[21], 10, 64)
	for _, err := range errs {
		if err != nil {
			return selfStat{}, false
		}
	}
	return st, true
}

// bootTime is btime from /proc/stat, in seconds since the epoch.
func bootTime() (int64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
