package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
)

// pidStat is what we use from /proc/PID/stat. comm aliases the read
// buffer; copy (intern) it before the buffer is reused.
type pidStat struct {
	pid       int32
	comm      []byte
	state     byte
	ppid      int32
	utime     uint64 // clock ticks
	stime     uint64
	nice      int32
	threads   int32
	starttime uint64 // clock ticks after boot
	vsize     uint64 // bytes
	rss       uint64 // pages
}

var errShortStat = errors.New("pid stat: too few fields")

// parsePidStat parses /proc/PID/stat without allocating. comm is found
// between the first '(' and the last ')', since it may itself hold spaces
// and parentheses.
func parsePidStat(data []byte, st *pidStat) error {
	open := bytes.IndexByte(data, '(')
	closeP := bytes.LastIndexByte(data, ')')
	if open < 0 || closeP < open {
		return errors.New("pid stat: no (comm)")
	}
	pid, ok := parseInt(bytes.TrimSpace(data[:open]))
	if !ok || pid < 0 || pid > math.MaxInt32 {
		return errors.New("pid stat: bad pid")
	}
	st.pid = int32(pid)
	st.comm = data[open+1 : closeP]
	rest := data[closeP+1:]
	// Field numbers as in proc(5); field 3 (state) is the first after comm.
	for field := 3; field <= 24; field++ {
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
		}
		end := bytes.IndexAny(rest, " \n")
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		rest = rest[end:]
		if len(tok) == 0 {
			return errShortStat
		}
		switch field {
		case 3:
			st.state = tok[0]
		case 4, 19, 20: // ppid, nice, num_threads: signed
			v, ok := parseInt(tok)
			if !ok || v < math.MinInt32 || v > math.MaxInt32 {
				return fmt.Errorf("pid stat: field %d: bad number", field)
			}
			switch field {
			case 4:
				st.ppid = int32(v)
			case 19:
				st.nice = int32(v)
			default:
				st.threads = int32(v)
			}
		case 14, 15, 22, 23:
			v, ok := parseUint(tok)
			if !ok {
				return fmt.Errorf("pid stat: field %d: bad number", field)
			}
			switch field {
			case 14:
				st.utime = v
			case 15:
				st.stime = v
			case 22:
				st.starttime = v
			default:
				st.vsize = v
			}
		case 24: // rss is a signed long; negative only transiently
			v, ok := parseInt(tok)
			if !ok {
				return fmt.Errorf("pid stat: field %d: bad number", field)
			}
			st.rss = uint64(max(v, 0))
		}
	}
	return nil
}

// nextField returns the first whitespace-separated field of b and the rest.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], b[j:]
}

func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	if !ok || u > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

// parseStatusUID returns the effective uid (second field of "Uid:") from
// /proc/PID/status, the user ps and top show.
func parseStatusUID(data []byte) (uint32, error) {
	i := bytes.Index(data, []byte("\nUid:"))
	if i < 0 {
		if !bytes.HasPrefix(data, []byte("Uid:")) {
			return 0, errors.New("status: no Uid line")
		}
		i = -1
	}
	line, _ := nextLine(data[i+1+len("Uid:"):])
	// Fields without bytes.Fields, which would allocate per process.
	_, rest := nextField(line)
	euid, _ := nextField(rest)
	if len(euid) == 0 {
		return 0, errors.New("status: short Uid line")
	}
	v, ok := parseUint(euid)
	if !ok || v > math.MaxUint32 {
		return 0, errors.New("status: bad Uid")
	}
	return uint32(v), nil
}

// parsePasswd maps uid to user name from passwd(5); the first entry for a
// uid wins, as getpwuid does.
func parsePasswd(data []byte) map[uint32]string {
	users := make(map[uint32]string)
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.SplitN(line, []byte(":"), 4)
		if len(f) < 4 || len(f[0]) == 0 {
			continue
		}
		uid, ok := parseUint(f[2])
		if !ok || uid > math.MaxUint32 {
			continue
		}
		if _, dup := users[uint32(uid)]; !dup {
			users[uint32(uid)] = string(f[0])
		}
	}
	return users
}

// cmdlineMax bounds how much of /proc/PID/cmdline we keep; the kernel
// serves arbitrary lengths and a table has no room for more.
const cmdlineMax = 4096

// formatCmdline turns the NUL-separated argv into one line.
func formatCmdline(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	out := make([]byte, len(b))
	for i, c := range b {
		if c == 0 {
			c = ' '
		}
		out[i] = c
	}
	return string(out)
}

// stateStrings interns the one-letter process states.
var stateStrings = func() (t [256]string) {
	for c := 0; c < 256; c++ {
		t[c] = string(rune(c))
	}
	return t
}()

// procReader reads per-process files with as few allocations as the
// platform allows (procfs_linux.go uses raw syscalls and reused buffers).
type procReader interface {
	// pids appends the numeric entries of the proc root to dst.
	pids(dst []int32) ([]int32, error)
	// read reads the file of pid into buf[:0], growing it as needed,
	// stopping after limit bytes when limit > 0.
	read(pid int32, file string, buf []byte, limit int) ([]byte, error)
	// tasks appends the thread ids of pid (its task directory) to dst.
	tasks(pid int32, dst []int32) ([]int32, error)
	// readTask reads the file of thread tid of pid, as read does.
	readTask(pid, tid int32, file string, buf []byte) ([]byte, error)
}

// procEntry is what the scanner remembers about one live process (or
// thread, keyed by its tid).
type procEntry struct {
	start   uint64 // starttime: tells a reused pid from the same process
	ticks   uint64 // utime+stime at the last scan
	comm    string // interned comm at the last cmdline read
	cmdline string
	haveCmd bool
	gen     uint32 // scan generation that last saw it
	uid     uint32 // effective uid from status, refreshed every uidEvery scans
	haveUID bool
	cg      *cgInfo // its cgroup, refreshed with the uid; nil: none known
	haveCg  bool
	ioRead  uint64 // read_bytes, write_bytes of /proc/PID/io at scan ioGen
	ioWrite uint64
	ioGen   uint32 // 0: not read at the last scan
}

// cgInfo is an interned cgroup path and its short name (Process.Cgroup,
// Process.Container).
type cgInfo struct{ path, container string }

// uidEvery is how many scans a process's uid (from /proc/PID/status) and
// cgroup (/proc/PID/cgroup) are kept before they are read again. A
// process changes its uid and cgroup at exec (comm changes, which also
// re-reads them), or by setuid() after a fork (a worker dropping
// privileges) or by being moved (echo PID > cgroup.procs), which this
// catches within uidEvery scans. Reads are staggered by pid so each tick
// reads about 1/uidEvery of them.
const uidEvery = 10

// processSource is the lean Linux process scanner: one small read per
// process per tick (stat), status every uidEvery scans, cmdline once per
// process lifetime.
type processSource struct {
	opts Options
	sys  system
	r    procReader

	users    map[uint32]string // lazily from EtcRoot/passwd
	names    map[string]string // interned comm values
	cgroups  map[string]*cgInfo
	entries  map[int32]*procEntry
	gen      uint32
	btime    uint64
	prevTime time.Time

	pidBuf  []int32
	tidBuf  []int32
	statBuf []byte
	statusB []byte
	cmdBuf  []byte
	smallB  []byte // cgroup and io files

	fallback *processFallback // off Linux without a ProcRoot

	// countOnly: list the /proc directory and count, read nothing else
	// (Sampler.SetProcessList).
	countOnly atomic.Bool
	// every (ns), while countOnly: list in full anyway once every this
	// long, keeping the per-process state in between so CPU % covers the
	// whole stretch since the last list (Sampler.SetProcessEvery).
	every atomic.Int64
	// ioOn: read ProcRoot/PID/io for I/O rates (Sampler.SetProcessIO).
	ioOn atomic.Bool
	// threadsOn: add a row per thread (Sampler.SetThreads).
	threadsOn atomic.Bool
}

func newProcessSource(opts Options, sys system) *processSource {
	return &processSource{
		opts:    opts,
		sys:     sys,
		r:       newProcReader(opts.procRoot()),
		names:   make(map[string]string),
		cgroups: make(map[string]*cgInfo),
		entries: make(map[int32]*procEntry),
		statBuf: make([]byte, 0, 1024),
		statusB: make([]byte, 0, 4096),
		cmdBuf:  make([]byte, 0, 1024),
		smallB:  make([]byte, 0, 1024),
	}
}

func (*processSource) Name() string { return SourceProcesses }

func (p *processSource) Collect(ctx context.Context, s *Snapshot) error {
	if !p.opts.procFS() {
		if p.fallback == nil {
			p.fallback = newProcessFallback()
		}
		procs, err := p.fallback.collect(ctx, s.Time)
		if err != nil {
			return err
		}
		s.Processes, s.ProcessCount = procs, len(procs)
		return nil
	}
	if p.countOnly.Load() && !p.periodicDue(s.Time) {
		pids, err := p.r.pids(p.pidBuf[:0])
		if err != nil {
			return err
		}
		p.pidBuf = pids
		s.ProcessCount = len(pids)
		if p.every.Load() == 0 {
			// Forget the per-process state: a later full scan starts
			// afresh instead of measuring CPU over the whole count-only
			// stretch.
			clear(p.entries)
			p.prevTime = time.Time{}
		}
		return nil
	}
	procs, n, err := p.scan(ctx, s.Time, s.Memory.TotalBytes)
	if err != nil {
		return err
	}
	s.Processes, s.ProcessCount = procs, n
	return nil
}

// periodicDue reports whether a periodic full list (SetProcessEvery) is
// due at now: its period has passed since the last one, less a tenth for
// the jitter of the sampling ticker.
func (p *processSource) periodicDue(now time.Time) bool {
	every := time.Duration(p.every.Load())
	return every > 0 && (p.prevTime.IsZero() || now.Sub(p.prevTime) >= every-every/10)
}

// scan reads every process (and, with threadsOn, every thread) and
// returns them with the number of processes. memTotal is MemTotal in
// bytes, read here when the memory source did not run (0).
func (p *processSource) scan(ctx context.Context, now time.Time, memTotal uint64) ([]Process, int, error) {
	root := p.opts.procRoot()
	if memTotal == 0 {
		// Without MemTotal only mem % is lost (left 0): not worth failing
		// the whole process list over.
		if data, err := readFile(root, "meminfo"); err == nil {
			if mi, err := parseMeminfo(data); err == nil {
				memTotal = mi.total
			}
		}
	}
	if p.btime == 0 {
		data, err := readFile(root, "stat")
		if err != nil {
			return nil, 0, err
		}
		ps, err := parseProcStat(data)
		if err != nil {
			return nil, 0, fmt.Errorf("parse %s/stat: %w", root, err)
		}
		if ps.btime == 0 {
			return nil, 0, fmt.Errorf("%s/stat: no btime", root)
		}
		p.btime = ps.btime
	}
	if p.users == nil {
		p.users = map[uint32]string{}
		if data, err := readFile(p.opts.etcRoot(), "passwd"); err == nil {
			p.users = parsePasswd(data)
		}
	}
	if len(p.names) > 8192 { // bound the intern table on hosts with many unique comms
		clear(p.names)
	}
	if len(p.cgroups) > 8192 {
		clear(p.cgroups)
	}
	ioOn, threadsOn := p.ioOn.Load(), p.threadsOn.Load()

	pids, err := p.r.pids(p.pidBuf[:0])
	if err != nil {
		return nil, 0, err
	}
	p.pidBuf = pids
	elapsed := elapsedSince(p.prevTime, now)
	firstScan := p.prevTime.IsZero()
	p.gen++
	boot := time.Unix(int64(p.btime), 0).UTC()

	out := make([]Process, 0, len(pids))
	var st pidStat
	nprocs := 0
	for i, pid := range pids {
		if i&255 == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		// A process that exits between listing and reading is skipped.
		data, err := p.r.read(pid, "stat", p.statBuf, 0)
		p.statBuf = data[:0]
		if err != nil || parsePidStat(data, &st) != nil {
			continue
		}
		name := p.intern(st.comm)
		ticks := st.utime + st.stime
		e, cpuTicks, fresh := p.entry(pid, &st, ticks, firstScan)
		turn := (p.gen+uint32(pid))%uidEvery == 0
		if !e.haveCg || e.comm != name || turn {
			cg, err := p.r.read(pid, "cgroup", p.smallB, 0)
			p.smallB = cg[:0]
			// Unreadable (a process gone, a kernel without cgroups): none,
			// tried again at its next turn.
			e.cg, e.haveCg = nil, true
			if err == nil {
				e.cg = p.cgroupOf(parseProcCgroup(cg))
			}
		}
		if !e.haveUID || e.comm != name || turn {
			status, err := p.r.read(pid, "status", p.statusB, 0)
			p.statusB = status[:0]
			if err != nil {
				continue
			}
			uid, err := parseStatusUID(status)
			if err != nil {
				continue
			}
			e.uid, e.haveUID = uid, true
		}
		// exec keeps pid and starttime but changes comm: re-read cmdline
		// then, so a fork caught before its exec is not cached forever.
		if !e.haveCmd || e.comm != name {
			cmd, err := p.r.read(pid, "cmdline", p.cmdBuf, cmdlineMax)
			p.cmdBuf = cmd[:0]
			if err != nil {
				continue
			}
			e.cmdline, e.comm, e.haveCmd = formatCmdline(cmd), name, true
		}
		e.ticks, e.gen = ticks, p.gen

		proc := p.process(&st, name, e, ticks, cpuTicks, boot, elapsed, memTotal)
		if ioOn {
			p.readIO(pid, e, &proc, fresh && !firstScan, elapsed)
		}
		out = append(out, proc)
		nprocs++
		if threadsOn && st.threads > 1 {
			out = p.threads(out, &proc, boot, elapsed, memTotal, firstScan)
		}
	}
	for pid, e := range p.entries {
		if e.gen != p.gen {
			delete(p.entries, pid)
		}
	}
	sortByPID(out)
	p.prevTime = now
	return out, nprocs, nil
}

// intern returns comm as an interned string.
func (p *processSource) intern(comm []byte) string {
	name, ok := p.names[string(comm)]
	if !ok {
		name = string(comm)
		p.names[name] = name
	}
	return name
}

// cgroupOf interns a cgroup path with its short name; nil for none.
func (p *processSource) cgroupOf(path []byte) *cgInfo {
	if path == nil {
		return nil
	}
	cg, ok := p.cgroups[string(path)]
	if !ok {
		s := string(path)
		cg = &cgInfo{path: s, container: containerOf(s)}
		p.cgroups[s] = cg
	}
	return cg
}

// entry returns the scanner's entry for pid (or tid) as of st, with the
// CPU ticks it used since the last scan; fresh says it started since then
// (or its pid was reused), so everything it counted falls in the interval.
func (p *processSource) entry(pid int32, st *pidStat, ticks uint64, firstScan bool) (e *procEntry, cpuTicks uint64, fresh bool) {
	e = p.entries[pid]
	switch {
	case e != nil && e.start == st.starttime:
		cpuTicks = delta(ticks, e.ticks)
	case !firstScan:
		// Started since the last scan (as top counts it): all its
		// CPU time falls in this interval.
		cpuTicks = ticks
	}
	if e == nil || e.start != st.starttime {
		if e == nil {
			e = &procEntry{}
			p.entries[pid] = e
		}
		*e = procEntry{start: st.starttime}
		fresh = true
	}
	return e, cpuTicks, fresh
}

// process builds the row of a process (or thread) from its stat.
func (p *processSource) process(st *pidStat, name string, e *procEntry, ticks, cpuTicks uint64, boot time.Time, elapsed time.Duration, memTotal uint64) Process {
	clk := float64(p.sys.clkTck)
	proc := Process{
		PID:       st.pid,
		PPID:      st.ppid,
		Name:      name,
		User:      p.userName(e.uid),
		UID:       e.uid,
		State:     stateStrings[st.state],
		Threads:   st.threads,
		CPUTimeS:  float64(ticks) / clk,
		RSSBytes:  st.rss * p.sys.pageSize,
		VMSBytes:  st.vsize,
		StartTime: boot.Add(time.Duration(st.starttime) * time.Second / time.Duration(p.sys.clkTck)),
		Nice:      st.nice,
		Cmdline:   e.cmdline,
	}
	if e.cg != nil {
		proc.Cgroup, proc.Container = e.cg.path, e.cg.container
	}
	if elapsed > 0 {
		proc.CPUPct = float64(cpuTicks) * 100 / clk / elapsed.Seconds()
	}
	if memTotal > 0 {
		proc.MemPct = float64(proc.RSSBytes) * 100 / float64(memTotal)
	}
	return proc
}

// readIO reads ProcRoot/PID/io into proc's I/O rates: the change in
// read_bytes and write_bytes since the previous scan, or since the
// process started when it started after that scan (all of its I/O falls
// in the interval). Unreadable (another user's process without
// CAP_SYS_PTRACE) or read for the first time: IOKnown stays false.
func (p *processSource) readIO(pid int32, e *procEntry, proc *Process, fresh bool, elapsed time.Duration) {
	data, err := p.r.read(pid, "io", p.smallB, 0)
	p.smallB = data[:0]
	prevGen := e.ioGen
	e.ioGen = 0
	if err != nil {
		return
	}
	_, _, rd, wr, err := parsePidIO(data)
	if err != nil {
		return
	}
	switch {
	case elapsed <= 0:
	case prevGen != 0 && prevGen == p.gen-1:
		proc.IOReadBps, proc.IOWriteBps, proc.IOKnown = rate(rd, e.ioRead, elapsed), rate(wr, e.ioWrite, elapsed), true
	case fresh:
		proc.IOReadBps, proc.IOWriteBps, proc.IOKnown = rate(rd, 0, elapsed), rate(wr, 0, elapsed), true
	}
	e.ioRead, e.ioWrite, e.ioGen = rd, wr, p.gen
}

// threads appends a row for each thread of proc other than its main
// thread (ProcRoot/PID/task/TID/stat): its own name, state and CPU, the
// process's user, command line and cgroup, PPID the process.
func (p *processSource) threads(out []Process, proc *Process, boot time.Time, elapsed time.Duration, memTotal uint64, firstScan bool) []Process {
	pid := proc.PID
	tids, err := p.r.tasks(pid, p.tidBuf[:0])
	p.tidBuf = tids
	if err != nil {
		return out
	}
	var st pidStat
	for _, tid := range tids {
		if tid == pid {
			continue
		}
		data, err := p.r.readTask(pid, tid, "stat", p.statBuf)
		p.statBuf = data[:0]
		if err != nil || parsePidStat(data, &st) != nil {
			continue
		}
		ticks := st.utime + st.stime
		e, cpuTicks, _ := p.entry(tid, &st, ticks, firstScan)
		e.ticks, e.gen = ticks, p.gen
		e.uid, e.cmdline = proc.UID, proc.Cmdline
		st.ppid = pid
		t := p.process(&st, p.intern(st.comm), e, ticks, cpuTicks, boot, elapsed, memTotal)
		t.User, t.Cgroup, t.Container, t.Thread = proc.User, proc.Cgroup, proc.Container, true
		out = append(out, t)
	}
	return out
}

func (p *processSource) userName(uid uint32) string {
	if name, ok := p.users[uid]; ok {
		return name
	}
	name := strconv.FormatUint(uint64(uid), 10)
	p.users[uid] = name
	return name
}

// sortByPID orders processes by PID. sort.Slice, not slices.SortFunc: each
// struct shape slices sorts adds its own ~20 KB pdqsort to the binary
// (bench/size.sh); one reflect-swapped sort serves every type.
func sortByPID(ps []Process) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].PID < ps[j].PID })
}
