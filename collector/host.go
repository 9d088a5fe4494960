package collector

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v3/host"
)

// osRelease is what we use from os-release(5).
type osRelease struct {
	id, versionID string
}

// parseOSRelease parses os-release: KEY=value lines, values optionally
// quoted.
func parseOSRelease(data []byte) osRelease {
	var r osRelease
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		k, v, ok := bytes.Cut(bytes.TrimSpace(line), []byte("="))
		if !ok {
			continue
		}
		val := string(v)
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && val[len(val)-1] == val[0] {
			val = val[1 : len(val)-1]
		}
		switch string(k) {
		case "ID":
			r.id = val
		case "VERSION_ID":
			r.versionID = val
		}
	}
	return r
}

// parseUptime returns the first field of /proc/uptime in whole seconds.
func parseUptime(s string) (uint64, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, fmt.Errorf("uptime %q: empty", s)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || v < 0 || v != v || v > 1e15 {
		return 0, fmt.Errorf("uptime %q: not a number of seconds", f[0])
	}
	return uint64(v), nil
}

type hostSource struct {
	opts Options
	sys  system

	// static caches what changes rarely or never (names, kernel, boot
	// time; /proc/stat is the cpu source's big read): refreshed every
	// staticEvery collections, while uptime is read every time.
	static      Host
	staticTicks int

	virtDone       bool
	virt, virtRole string
}

func newHostSource(opts Options, sys system) *hostSource {
	return &hostSource{opts: opts, sys: sys}
}

func (*hostSource) Name() string { return SourceHost }

func (h *hostSource) Collect(ctx context.Context, s *Snapshot) error {
	var out Host
	var err error
	if h.opts.procFS() {
		out, err = h.readProc()
	} else {
		out, err = hostFallback(ctx)
	}
	if err != nil {
		return err
	}
	// Virtualization needs several files and does not change: once.
	if !h.virtDone {
		h.virt, h.virtRole, _ = h.sys.virtualization(ctx)
		h.virtDone = true
	}
	out.Virtualization, out.VirtRole = h.virt, h.virtRole
	s.Host = out
	return nil
}

// staticEvery is how many collections the cached host facts serve before
// they are read again (a minute at the default interval).
const staticEvery = 60

func (h *hostSource) readProc() (Host, error) {
	if h.staticTicks == 0 {
		st, err := h.readStatic()
		if err != nil {
			return Host{}, err
		}
		h.static = st
	}
	h.staticTicks = (h.staticTicks + 1) % staticEvery
	out := h.static
	proc := h.opts.procRoot()
	up, err := readFile(proc, "uptime")
	if err != nil {
		h.staticTicks = 0
		return Host{}, err
	}
	if out.UptimeS, err = parseUptime(string(up)); err != nil {
		h.staticTicks = 0
		return Host{}, fmt.Errorf("parse %s/uptime: %w", proc, err)
	}
	return out, nil
}

// readStatic reads the host facts that change rarely: names, kernel,
// platform and boot time.
func (h *hostSource) readStatic() (Host, error) {
	proc := h.opts.procRoot()
	out := Host{OS: runtime.GOOS}
	name, err := readFile(proc, "sys", "kernel", "hostname")
	if err != nil {
		return Host{}, err
	}
	out.Hostname = string(bytes.TrimSpace(name))
	kernel, err := readFile(proc, "sys", "kernel", "osrelease")
	if err != nil {
		return Host{}, err
	}
	out.Kernel = string(bytes.TrimSpace(kernel))
	// /proc/sys/kernel/arch exists since Linux 6.1; uname's machine before.
	out.Arch = runtime.GOARCH
	if arch, err := readFile(proc, "sys", "kernel", "arch"); err == nil {
		out.Arch = string(bytes.TrimSpace(arch))
	}
	if rel, err := readFile(h.opts.etcRoot(), "os-release"); err == nil {
		r := parseOSRelease(rel)
		out.Platform, out.PlatformVersion = r.id, r.versionID
	}
	st, err := readFile(proc, "stat")
	if err != nil {
		return Host{}, err
	}
	ps, err := parseProcStat(st)
	if err != nil {
		return Host{}, fmt.Errorf("parse %s/stat: %w", proc, err)
	}
	if ps.btime > 0 {
		out.BootTime = time.Unix(int64(ps.btime), 0).UTC()
	}
	return out, nil
}

func hostVirtualization(ctx context.Context) (string, string, error) {
	return host.VirtualizationWithContext(ctx)
}
