package hostinfo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// maxProcs bounds the PROCS list.
const maxProcs = 1 << 16

// pidStat holds the fields of /proc/PID/stat that sigar reports.
type pidStat struct {
	comm                         string
	ppid, priority, nice, thread int64
	minflt, majflt               uint64
	utime, stime, start, vsize   uint64
}

// parsePidStat parses /proc/PID/stat; comm may hold spaces and
// parentheses, so the fields start after the last ')'.
func parsePidStat(b []byte) (pidStat, error) {
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return pidStat{}, errors.New("stat: no command")
	}
	f := strings.Fields(s[close+1:])
	if len(f) < 21 {
		return pidStat{}, fmt.Errorf("stat: %d fields", len(f))
	}
	// f[0] is field 3 (state) of proc(5).
	u := func(n int) uint64 { v, _ := strconv.ParseUint(f[n-3], 10, 64); return v }
	i := func(n int) int64 { v, _ := strconv.ParseInt(f[n-3], 10, 64); return v }
	return pidStat{
		comm: s[open+1 : close], ppid: i(4), minflt: u(10), majflt: u(12), utime: u(14), stime: u(15),
		priority: i(18), nice: i(19), thread: i(20), start: u(22), vsize: u(23),
	}, nil
}

// parseBtime returns btime (seconds since the epoch) from /proc/stat.
func parseBtime(b []byte) uint64 {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// proc builds one PROCS entry as procs.lua does: each of sigar's groups
// only when it could be read.
func (s *Source) proc(pid int64, btime uint64, pageSize uint64) protocol.HostInfoProcess {
	out := protocol.HostInfoProcess{PID: pid}
	dir := filepath.Join(s.opts.procRoot(), strconv.FormatInt(pid, 10))
	// sigar_proc_exe_get: cwd, exe, root, all or nothing.
	cwd, e1 := os.Readlink(filepath.Join(dir, "cwd"))
	exe, e2 := os.Readlink(filepath.Join(dir, "exe"))
	root, e3 := os.Readlink(filepath.Join(dir, "root"))
	if e1 == nil && e2 == nil && e3 == nil {
		out.ProcExe = &protocol.ProcExe{ExeName: exe, ExeCwd: cwd, ExeRoot: root}
	}
	b, err := readFile(dir, "stat")
	if err != nil {
		return out
	}
	st, err := parsePidStat(b)
	if err != nil {
		return out
	}
	user, sys := st.utime*msPerTick, st.stime*msPerTick
	out.ProcTime = &protocol.ProcTime{StartTime: btime*1000 + st.start*msPerTick, User: user, Sys: sys, Total: user + sys}
	out.ProcState = &protocol.ProcState{Name: st.comm, PPID: st.ppid, Priority: st.priority, Nice: st.nice, Threads: st.thread}
	if mb, err := readFile(dir, "statm"); err == nil {
		f := strings.Fields(string(mb))
		if len(f) >= 3 {
			res, _ := strconv.ParseUint(f[1], 10, 64)
			share, _ := strconv.ParseUint(f[2], 10, 64)
			out.ProcMem = &protocol.ProcMem{
				Size: st.vsize, Resident: res * pageSize, Share: share * pageSize,
				MajorFaults: st.majflt, MinorFaults: st.minflt, PageFaults: st.majflt + st.minflt,
			}
		}
	}
	return out
}

// buildProcs is hostinfo/procs.lua:25-92: every process of ProcRoot.
func buildProcs(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	st, err := readFile(s.opts.procRoot(), "stat")
	if err != nil {
		return nil, fmt.Errorf("procs: %w", err)
	}
	btime := parseBtime(st)
	ents, err := os.ReadDir(s.opts.procRoot())
	if err != nil {
		return nil, fmt.Errorf("procs: %w", err)
	}
	var pids []int64
	for _, e := range ents {
		if pid, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
	if len(pids) > maxProcs {
		pids = pids[:maxProcs]
	}
	pageSize := uint64(os.Getpagesize())
	out := make([]protocol.HostInfoProcess, 0, len(pids))
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, s.proc(pid, btime, pageSize))
	}
	return out, nil
}
