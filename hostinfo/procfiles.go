package hostinfo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/protocol"
)

// Bounds of the walks over /proc/PID.
const (
	maxPIDs     = 8192
	maxFDs      = 4096 // per process
	lsofCmdLim  = 9    // lsof prints COMMAND in 9 columns
	netstatProg = 19   // netstat's PID/Program name: PROGNAME_WIDTH-1
)

// pids lists ProcRoot's numeric entries, ascending, at most maxPIDs.
func (s *Source) pids() ([]int, error) {
	ents, err := os.ReadDir(s.opts.procRoot())
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err == nil && n > 0 && len(out) < maxPIDs {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}

// deletedMaps returns the distinct paths of a /proc/PID/maps whose file
// was deleted (the kernel's " (deleted)" suffix: what lsof prints as FD
// "DEL"), in map order.
func deletedMaps(b []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		p, ok := strings.CutSuffix(line, " (deleted)")
		if !ok {
			continue
		}
		f := strings.Fields(p)
		if len(f) < 6 {
			continue
		}
		// The path is everything after the fifth field (it may hold spaces).
		path := p
		for i := 0; i < 5; i++ {
			path = strings.TrimLeft(path, " \t")
			path = path[strings.IndexAny(path, " \t")+1:]
		}
		path = strings.TrimSpace(path)
		if path == "" || seen[path] {
			continue
		}
		seen[path] = true
		out = append(out, path)
	}
	return out
}

// buildDeletedLibs is hostinfo/deleted_libs.lua:46-64: the processes that
// map a deleted file (COMMAND and NAME of `lsof -nnP`'s DEL lines, read
// here from /proc/PID/comm and maps), by pid; none at all is the
// original's sentence as the metrics. Processes whose maps cannot be read
// (another user's, without root) are left out, as lsof leaves them out.
func buildDeletedLibs(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	pids, err := s.pids()
	if err != nil {
		return nil, err
	}
	var rows []protocol.HostInfoDeletedLib
	for _, pid := range pids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir := filepath.Join(s.opts.procRoot(), strconv.Itoa(pid))
		maps, err := readFile(dir, "maps")
		if err != nil {
			continue
		}
		paths := deletedMaps(maps)
		if len(paths) == 0 {
			continue
		}
		comm, _ := readFile(dir, "comm")
		cmd := truncate(firstLine(comm), lsofCmdLim)
		for _, p := range paths {
			if len(rows) < maxRows {
				rows = append(rows, protocol.HostInfoDeletedLib{UsedByProcess: cmd, DeletedLibName: p})
			}
		}
	}
	if len(rows) == 0 {
		return protocol.HostInfoDeletedLibsNone, nil
	}
	return protocol.HostInfoRows(rows), nil
}

var socketLink = regexp.MustCompile(`^socket:\[(\d+)\]$`)

// socketOwners maps the inodes in want to netstat -p's "PID/Program name"
// (argv[0]'s base name, cut at 19 characters), walking /proc/PID/fd until
// every inode is found.
func (s *Source) socketOwners(ctx context.Context, want map[string]bool) map[string]string {
	out := map[string]string{}
	pids, err := s.pids()
	if err != nil || len(want) == 0 {
		return out
	}
	for _, pid := range pids {
		if len(out) == len(want) || ctx.Err() != nil {
			break
		}
		dir := filepath.Join(s.opts.procRoot(), strconv.Itoa(pid))
		fdDir, err := os.Open(filepath.Join(dir, "fd"))
		if err != nil {
			continue
		}
		fds, _ := fdDir.Readdirnames(maxFDs)
		fdDir.Close()
		for _, fd := range fds {
			l, err := os.Readlink(filepath.Join(dir, "fd", fd))
			m := socketLink.FindStringSubmatch(l)
			if err != nil || m == nil || !want[m[1]] || out[m[1]] != "" {
				continue
			}
			cmdline, _ := readFile(dir, "cmdline")
			name, _, _ := strings.Cut(string(cmdline), "\x00")
			if i := strings.LastIndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
			if name == "" {
				comm, _ := readFile(dir, "comm")
				name = firstLine(comm)
			}
			out[m[1]] = truncate(fmt.Sprintf("%d/%s", pid, name), netstatProg)
		}
	}
	return out
}

// netstatAddr is an address as netstat -n prints it: port 0 is "*".
func netstatAddr(hexAddrPort string) (string, bool) {
	h, p, ok := strings.Cut(hexAddrPort, ":")
	if !ok {
		return "", false
	}
	a, ok := hexAddr(h)
	port, err := strconv.ParseUint(p, 16, 16)
	if !ok || err != nil {
		return "", false
	}
	if port == 0 {
		return a + ":*", true
	}
	return a + ":" + strconv.FormatUint(port, 10), true
}

// listeners returns the listening sockets of a /proc/net/tcp{,6} file as
// netstat -tlen prints them (pid and program still empty).
func listeners(b []byte, proto string) []protocol.HostInfoRemoteService {
	var out []protocol.HostInfoRemoteService
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 10 || f[3] != "0A" {
			continue
		}
		local, ok1 := netstatAddr(f[1])
		foreign, ok2 := netstatAddr(f[2])
		tx, rx, ok3 := strings.Cut(f[4], ":")
		txn, e1 := strconv.ParseUint(tx, 16, 64)
		rxn, e2 := strconv.ParseUint(rx, 16, 64)
		if !ok1 || !ok2 || !ok3 || e1 != nil || e2 != nil {
			continue
		}
		out = append(out, protocol.HostInfoRemoteService{
			Protocol: proto, RecvQ: strconv.FormatUint(rxn, 10), SendQ: strconv.FormatUint(txn, 10),
			LocalAddr: local, ForeignAddr: foreign, State: "LISTEN", User: f[7], Inode: f[9],
		})
	}
	return out
}

// buildRemoteServices is hostinfo/remote_services.lua:58-73 and its
// Reader (lines 29-54): the listening TCP sockets of `netstat -tlpen`,
// read from /proc/net/tcp and tcp6 and the owners' /proc/PID/fd, with
// pid and program "-" where the owner cannot be seen (netstat without
// root).
func buildRemoteServices(ctx context.Context, s *Source, _ *collector.Snapshot) (any, error) {
	var rows []protocol.HostInfoRemoteService
	var errs []string
	for _, p := range []struct{ file, proto string }{{"net/tcp", "tcp"}, {"net/tcp6", "tcp6"}} {
		b, err := readFile(s.opts.procRoot(), p.file)
		if err != nil {
			if !os.IsNotExist(err) || p.proto == "tcp" {
				errs = append(errs, err.Error())
			}
			continue
		}
		rows = append(rows, listeners(b, p.proto)...)
	}
	if len(rows) > maxRows {
		rows = rows[:maxRows]
	}
	want := map[string]bool{}
	for _, r := range rows {
		want[r.Inode] = true
	}
	owners := s.socketOwners(ctx, want)
	for i := range rows {
		rows[i].PID, rows[i].Process = "-", "-"
		if o := owners[rows[i].Inode]; o != "" {
			pid, name, _ := strings.Cut(o, "/")
			name, _, _ = strings.Cut(name, " ") // the Reader's next word
			rows[i].PID, rows[i].Process = pid, name
		}
	}
	return partial{metrics: protocol.HostInfoRows(rows), errs: errs}, nil
}

// aptUnattended finds APT::Periodic::Unattended-Upgrade as apt-config
// dump would print it (the flat form; apt keys ignore case).
var aptUnattended = regexp.MustCompile(`(?i)(^|[\s;])APT::Periodic::Unattended-Upgrade\s`)

// yumCronService is the command autoupdates.lua runs on the Red Hat family.
const yumCronService = "/usr/sbin/service"

// buildAutoupdates is hostinfo/autoupdates.lua:59-100. On Debian and
// Ubuntu the original runs `apt-config dump` and calls updates enabled
// when APT::Periodic::Unattended-Upgrade is set at all (its test compares
// the string value to the number 0, which never holds); this reads the
// files apt-config reads, /etc/apt/apt.conf and apt.conf.d. On the Red
// Hat family it runs `/usr/sbin/service yum-cron status` as the original
// does: any output is "enabled". Enabled is one object; disabled a list
// of one (the original's two paths).
func buildAutoupdates(ctx context.Context, s *Source, snap *collector.Snapshot) (any, error) {
	v := s.vendor(snap)
	var method string
	var enabled bool
	var errs []string
	switch {
	case isDebian(v):
		method = "unattended_upgrades"
		dir := filepath.Join(s.opts.etcRoot(), "apt")
		if _, err := os.Stat(dir); err != nil {
			return partial{errs: []string{err.Error()}}, nil
		}
		files := []string{filepath.Join(dir, "apt.conf")}
		names, _ := readDirNames(filepath.Join(dir, "apt.conf.d"))
		for _, n := range names {
			files = append(files, filepath.Join(dir, "apt.conf.d", n))
		}
		for _, f := range files {
			b, err := readFile(f, "")
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(b), "\n") {
				line, _, _ = strings.Cut(line, "//")
				if !strings.HasPrefix(strings.TrimSpace(line), "#") && aptUnattended.MatchString(line) {
					enabled = true
				}
			}
		}
	case isRedHat(v):
		method = "yum_cron"
		out, err := s.run(ctx, yumCronService, "yum-cron", "status")
		if err != nil {
			errs = append(errs, err.Error())
		}
		enabled = strings.TrimSpace(string(out)) != ""
	default:
		return undeciphered("AUTOUPDATES"), nil
	}
	if enabled {
		return partial{metrics: protocol.HostInfoAutoupdates{UpdateMethod: method, Status: "enabled"}, errs: errs}, nil
	}
	if len(errs) > 0 {
		return partial{errs: errs}, nil
	}
	return []protocol.HostInfoAutoupdates{{UpdateMethod: method, Status: "disabled"}}, nil
}
