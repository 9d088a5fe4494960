package collector

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/shirou/gopsutil/v3/process"
)

// KV is one "Key: value" line of /proc/PID/status, in file order.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ProcDetail is the process detail view: the table's fields plus what is
// too costly to read for every process every tick. Fields that could not
// be read (permissions, a process of another user) are zero and named in
// Unreadable with the reason.
type ProcDetail struct {
	Process
	// Cmdline here is the full command line (the table's is capped).
	Exe     string `json:"exe,omitempty"`
	Cwd     string `json:"cwd,omitempty"`
	OpenFDs int    `json:"open_fds"` // -1 when unreadable
	// OpenFiles is what the first MaxOpenFiles descriptors point at (by
	// descriptor number): a path, "socket:[12345]", "pipe:[678]",
	// "anon_inode:[eventfd]"...
	OpenFiles []OpenFile `json:"open_files,omitempty"`
	// IOReadBytes/IOWriteBytes are bytes the process caused to be fetched
	// from / sent to storage (read_bytes/write_bytes of /proc/PID/io).
	IOReadBytes  uint64 `json:"io_read_bytes"`
	IOWriteBytes uint64 `json:"io_write_bytes"`
	// IORChar/IOWChar count all read()/write() bytes, cache hits included.
	IORChar    uint64 `json:"io_rchar"`
	IOWChar    uint64 `json:"io_wchar"`
	IOReadable bool   `json:"io_readable"`
	// Status is every line of /proc/PID/status (Linux only).
	Status     []KV              `json:"status,omitempty"`
	Unreadable map[string]string `json:"unreadable,omitempty"`
}

// OpenFile is one open descriptor of a process.
type OpenFile struct {
	FD     int    `json:"fd"`
	Target string `json:"target"`
}

// MaxOpenFiles bounds ProcDetail.OpenFiles: a server with 100,000 sockets
// is listed by count, and its first descriptors by name.
const MaxOpenFiles = 512

// readOpenFiles resolves the descriptors named in names (entries of
// dir/fd), the lowest MaxOpenFiles, in order. A descriptor closed meanwhile
// is skipped.
func readOpenFiles(dir string, names []string) []OpenFile {
	fds := make([]int, 0, len(names))
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil && fd >= 0 {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	if len(fds) > MaxOpenFiles {
		fds = fds[:MaxOpenFiles]
	}
	out := make([]OpenFile, 0, len(fds))
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(dir, "fd", strconv.Itoa(fd)))
		if err != nil {
			continue
		}
		out = append(out, OpenFile{FD: fd, Target: target})
	}
	return out
}

func (d *ProcDetail) unreadable(field string, err error) {
	if d.Unreadable == nil {
		d.Unreadable = map[string]string{}
	}
	d.Unreadable[field] = err.Error()
}

// parseStatusKV splits /proc/PID/status into its lines.
func parseStatusKV(data []byte) []KV {
	var out []KV
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		out = append(out, KV{Key: string(k), Value: string(bytes.TrimSpace(v))})
	}
	return out
}

// parsePidIO parses /proc/PID/io ("rchar: 123" lines).
func parsePidIO(data []byte) (rchar, wchar, readBytes, writeBytes uint64, err error) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(k) {
		case "rchar":
			dst = &rchar
		case "wchar":
			dst = &wchar
		case "read_bytes":
			dst = &readBytes
		case "write_bytes":
			dst = &writeBytes
		default:
			continue
		}
		n, ok := parseUint(bytes.TrimSpace(v))
		if !ok {
			return 0, 0, 0, 0, fmt.Errorf("io %s: bad number", k)
		}
		*dst = n
	}
	return rchar, wchar, readBytes, writeBytes, nil
}

// ProcessDetail reads everything the detail view shows about pid. It
// fails only when the process does not exist (or its stat is unreadable);
// other unreadable parts are listed in ProcDetail.Unreadable. CPUPct is 0:
// a rate needs the Sampler.
func ProcessDetail(ctx context.Context, opts Options, pid int32) (ProcDetail, error) {
	if !opts.procFS() {
		return processDetailFallback(opts.withEnv(ctx), pid)
	}
	root := opts.procRoot()
	dir := filepath.Join(root, strconv.Itoa(int(pid)))
	sys := liveSystem()

	data, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return ProcDetail{}, fmt.Errorf("process %d: %w", pid, err)
	}
	var st pidStat
	if err := parsePidStat(data, &st); err != nil {
		return ProcDetail{}, fmt.Errorf("process %d: %w", pid, err)
	}
	d := ProcDetail{OpenFDs: -1}
	d.PID, d.PPID, d.Name = st.pid, st.ppid, string(st.comm)
	d.State, d.Threads, d.Nice = stateStrings[st.state], st.threads, st.nice
	d.CPUTimeS = float64(st.utime+st.stime) / float64(sys.clkTck)
	d.RSSBytes, d.VMSBytes = st.rss*sys.pageSize, st.vsize
	if ps, err := readFile(root, "stat"); err == nil {
		if stat, err := parseProcStat(ps); err == nil && stat.btime > 0 {
			d.StartTime = time.Unix(int64(stat.btime), 0).UTC().Add(time.Duration(st.starttime) * time.Second / time.Duration(sys.clkTck))
		}
	}
	if mi, err := readFile(root, "meminfo"); err == nil {
		if m, err := parseMeminfo(mi); err == nil && m.total > 0 {
			d.MemPct = float64(d.RSSBytes) * 100 / float64(m.total)
		}
	}
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		d.Status = parseStatusKV(status)
		if uid, err := parseStatusUID(status); err == nil {
			d.UID = uid
			d.User = strconv.FormatUint(uint64(uid), 10)
			if pw, err := readFile(opts.etcRoot(), "passwd"); err == nil {
				if name, ok := parsePasswd(pw)[uid]; ok {
					d.User = name
				}
			}
		}
	} else {
		d.unreadable("status", err)
	}
	if cmd, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		d.Cmdline = formatCmdline(cmd)
	} else {
		d.unreadable("cmdline", err)
	}
	if exe, err := os.Readlink(filepath.Join(dir, "exe")); err == nil {
		d.Exe = exe
	} else {
		d.unreadable("exe", err)
	}
	if cwd, err := os.Readlink(filepath.Join(dir, "cwd")); err == nil {
		d.Cwd = cwd
	} else {
		d.unreadable("cwd", err)
	}
	if f, err := os.Open(filepath.Join(dir, "fd")); err == nil {
		names, err := f.Readdirnames(-1)
		f.Close()
		if err == nil {
			d.OpenFDs = len(names)
			d.OpenFiles = readOpenFiles(dir, names)
		} else {
			d.unreadable("fd", err)
		}
	} else {
		d.unreadable("fd", err)
	}
	if io, err := os.ReadFile(filepath.Join(dir, "io")); err == nil {
		if d.IORChar, d.IOWChar, d.IOReadBytes, d.IOWriteBytes, err = parsePidIO(io); err == nil {
			d.IOReadable = true
		} else {
			d.unreadable("io", err)
		}
	} else {
		d.unreadable("io", err)
	}
	return d, ctx.Err()
}

func processDetailFallback(ctx context.Context, pid int32) (ProcDetail, error) {
	p, err := process.NewProcessWithContext(ctx, pid)
	if err != nil {
		return ProcDetail{}, fmt.Errorf("process %d: %w", pid, err)
	}
	d := ProcDetail{OpenFDs: -1}
	d.PID = pid
	if d.Name, err = p.NameWithContext(ctx); err != nil {
		return ProcDetail{}, fmt.Errorf("process %d: %w", pid, err)
	}
	d.PPID, _ = p.PpidWithContext(ctx)
	if st, err := p.StatusWithContext(ctx); err == nil && len(st) > 0 {
		d.State = st[0]
	}
	d.Threads, _ = p.NumThreadsWithContext(ctx)
	d.Nice, _ = p.NiceWithContext(ctx)
	if u, err := p.UsernameWithContext(ctx); err == nil {
		d.User = u
	}
	if mi, err := p.MemoryInfoWithContext(ctx); err == nil {
		d.RSSBytes, d.VMSBytes = mi.RSS, mi.VMS
	}
	if t, err := p.TimesWithContext(ctx); err == nil {
		d.CPUTimeS = t.User + t.System
	}
	if ms, err := p.CreateTimeWithContext(ctx); err == nil {
		d.StartTime = time.UnixMilli(ms).UTC()
	}
	if d.Cmdline, err = p.CmdlineWithContext(ctx); err != nil {
		d.unreadable("cmdline", err)
	}
	if d.Exe, err = p.ExeWithContext(ctx); err != nil {
		d.unreadable("exe", err)
	}
	if d.Cwd, err = p.CwdWithContext(ctx); err != nil {
		d.unreadable("cwd", err)
	}
	if n, err := p.NumFDsWithContext(ctx); err == nil {
		d.OpenFDs = int(n)
	} else {
		d.unreadable("fd", err)
	}
	if io, err := p.IOCountersWithContext(ctx); err == nil {
		d.IOReadBytes, d.IOWriteBytes, d.IOReadable = io.ReadBytes, io.WriteBytes, true
	} else {
		d.unreadable("io", err)
	}
	return d, nil
}
