package check

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
)

// runProcess watches processes from the latest sample. details select them:
// name (exact process name), cmdline (regular expression on the command
// line) and pidfile (a file holding a pid); when several are given a
// process must match all. Metrics, summed over the matches:
//
//	count      uint32  processes matching
//	cpu_pct    double  percent (100 = one core)
//	rss_bytes  gauge   bytes
//	threads    uint32
//	open_fds   uint32  entries in /proc/PID/fd; omitted when any match's
//	                   directory cannot be read (other users' processes
//	                   without privileges, or no /proc)
//	uptime_s   uint64  seconds since the oldest match started
//
// As pgrep, the process running the check (the agent, or `virgo-top
// check`, whose own command line holds the cmdline pattern) is never a
// match, and no other process is left out: not its parent, children or
// other virgo-top processes. The one exception is a pidfile that names
// this process: asked for by pid, it is counted, so the daemon can watch
// itself through its own pidfile.
//
// When nothing matches (or the pidfile does not exist) the result is still
// available with count 0 and a status saying so, so criteria such as
// `if (metric['count'] == 0) { return new AlarmStatus(CRITICAL); }` can
// alarm on a dead process. Bad details make the result unavailable.
func runProcess(ctx context.Context, rc runCtx) Result {
	name, hasName := detailString(rc.def.Details, "name")
	pattern, hasCmd := detailString(rc.def.Details, "cmdline")
	pidfile, hasPidfile := detailString(rc.def.Details, "pidfile")
	if !hasName && !hasCmd && !hasPidfile {
		return ErrorResult(rc.def, rc.start, "Missing name, cmdline or pidfile parameter")
	}
	var re *regexp.Regexp
	if hasCmd {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Invalid cmdline regular expression: %v", err))
		}
	}
	wantPID := int32(-1)
	if hasPidfile {
		b, err := os.ReadFile(pidfile)
		switch {
		case os.IsNotExist(err):
			r := NewResult(rc.def, rc.start)
			r.AddUint("count", TypeUint32, 0, "processes")
			r.SetStatus("No pidfile " + pidfile)
			return r
		case err != nil:
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Reading pidfile: %v", err))
		}
		pid, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 32)
		if err != nil || pid <= 0 {
			return ErrorResult(rc.def, rc.start, fmt.Sprintf("Pidfile %s does not hold a pid", pidfile))
		}
		wantPID = int32(pid)
	}
	snap, fail := latest(rc)
	if fail != nil {
		return *fail
	}
	if fail := sourceError(rc, snap, collector.SourceProcesses); fail != nil {
		return *fail
	}
	self := int32(os.Getpid())
	var matches []*collector.Process
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if p.Thread { // a thread's row (the console's H): not a process
			continue
		}
		if p.PID == self && wantPID != self ||
			hasName && p.Name != name || wantPID >= 0 && p.PID != wantPID || re != nil && !re.MatchString(p.Cmdline) {
			continue
		}
		matches = append(matches, p)
	}
	r := NewResult(rc.def, rc.start)
	r.AddUint("count", TypeUint32, uint64(len(matches)), "processes")
	if len(matches) == 0 {
		r.SetStatus("No process matches")
		return r
	}
	var cpu float64
	var rss, threads, fds uint64
	fdsOK := true
	oldest := time.Time{}
	for _, p := range matches {
		cpu += p.CPUPct
		rss += p.RSSBytes
		threads += uint64(max(p.Threads, 0))
		if fdsOK && ctx.Err() == nil {
			n, err := countOpenFDs(rc.opts.procRoot, p.PID)
			if err != nil {
				fdsOK = false
			}
			fds += uint64(n)
		}
		if !p.StartTime.IsZero() && (oldest.IsZero() || p.StartTime.Before(oldest)) {
			oldest = p.StartTime
		}
	}
	r.AddDouble("cpu_pct", cpu, unitPercent)
	r.AddUint("rss_bytes", TypeGauge, rss, unitBytes)
	r.AddUint("threads", TypeUint32, threads, "threads")
	if fdsOK && ctx.Err() == nil {
		r.AddUint("open_fds", TypeUint32, fds, "fds")
	}
	if !oldest.IsZero() {
		up := max(rc.start.Sub(oldest), 0)
		r.AddUint("uptime_s", TypeUint64, uint64(up/time.Second), unitSeconds)
	}
	r.SetStatus(fmt.Sprintf("%d matching processes", len(matches)))
	return r
}

// countOpenFDs counts the entries of <procRoot>/PID/fd.
func countOpenFDs(procRoot string, pid int32) (int, error) {
	if procRoot == "" {
		procRoot = "/proc"
	}
	dir := filepath.Join(procRoot, strconv.Itoa(int(pid)), "fd")
	f, err := os.Open(dir)
	if err != nil {
		return 0, fmt.Errorf("count fds: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return 0, fmt.Errorf("count fds in %s: %w", dir, err)
	}
	return len(names), nil
}
