package collector

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"time"
)

// Bounds of the cgroup walk. A real host has a few dozen groups at most
// five levels deep (user.slice/user-1000.slice/user@1000.service/
// app.slice/x.scope); the bounds keep a host with thousands of
// containers, or a forged tree, from costing more than a few ms a walk.
const (
	// maxCgroupDepth: groups deeper than this below a hierarchy's root
	// are not listed. Their usage still counts in their listed ancestors,
	// whose figures include their descendants'.
	maxCgroupDepth = 6
	// maxCgroups: at most this many groups are listed, found breadth
	// first, so a cut drops the deepest ones.
	maxCgroups = 512
)

// Roles of a cgroup hierarchy: what the walk reads from it. The order is
// the preference for a group's process count (and for Process.Cgroup on a
// hybrid host): the first hierarchy in this order that has the group
// counts its processes.
const (
	roleMemory  = iota // v1 memory
	roleCPU            // v1 cpuacct (alone or as "cpu,cpuacct")
	roleBlkio          // v1 blkio
	roleV2             // the unified hierarchy (cgroup2)
	roleSystemd        // v1 name=systemd: membership only
	nRoles
)

// cgHier is one mounted cgroup hierarchy.
type cgHier struct {
	dir   string // where it is mounted here, SysRoot or RootFS applied
	root  string // the hierarchy's path at the mount ("/" unless a namespace shows a subtree)
	roles uint8  // 1<<role for each role it serves
	rank  int    // its first role: the walk order
}

// findHierarchies picks the first mount of each cgroup hierarchy from
// mountinfo: the unified one (cgroup2) and the v1 controllers this source
// reads. A hierarchy mounted under /sys is looked for under sysRoot, any
// other under rootFS.
func findHierarchies(mounts []mountEntry, sysRoot, rootFS string) []cgHier {
	var out []cgHier
	var have uint8
	for _, m := range mounts {
		var roles uint8
		switch m.fstype {
		case "cgroup2":
			roles = 1 << roleV2
		case "cgroup":
			for _, c := range strings.Split(m.super, ",") {
				switch c {
				case "memory":
					roles |= 1 << roleMemory
				case "cpuacct":
					roles |= 1 << roleCPU
				case "blkio":
					roles |= 1 << roleBlkio
				case "name=systemd":
					roles |= 1 << roleSystemd
				}
			}
		}
		roles &^= have
		if roles == 0 {
			continue
		}
		have |= roles
		dir := m.mount
		if rest, ok := strings.CutPrefix(dir, "/sys"); ok && (rest == "" || rest[0] == '/') {
			dir = filepath.Join(sysRoot, rest)
		} else {
			dir = filepath.Join(rootFS, dir)
		}
		root := m.root
		if root == "" {
			root = "/"
		}
		h := cgHier{dir: dir, root: root, roles: roles}
		for r := 0; r < nRoles; r++ {
			if roles&(1<<r) != 0 {
				h.rank = r
				break
			}
		}
		out = append(out, h)
	}
	// The unified hierarchy and name=systemd hold the same tree on a
	// hybrid host: walk name=systemd only without a unified one.
	if have&(1<<roleV2) != 0 {
		out = slices.DeleteFunc(out, func(h cgHier) bool {
			h.roles &^= 1 << roleSystemd
			return h.roles == 0
		})
	}
	// sort.SliceStable, not slices.SortStableFunc: one generic instance per
	// struct shape costs the binary ~10 KB (bench/size.sh).
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out
}

// cgAcc gathers one group's figures from the hierarchies that have it.
type cgAcc struct {
	path       string
	v1         bool // a figure came from a v1 controller
	procs      int
	haveProcs  bool
	cpuNS      uint64 // cumulative CPU time
	cpuSrc     uint8  // 1 cpuacct, 2 cpu.stat: rates only between the same source
	mem, limit uint64
	haveMem    bool
	rd, wr     uint64 // cumulative bytes read and written
	ioSrc      uint8  // 1 blkio, 2 io.stat
	psi        *Pressure
}

// cgPrev is what a rate needs from the previous walk.
type cgPrev struct {
	cpuNS, rd, wr uint64
	cpuSrc, ioSrc uint8
	gen           uint32
}

// cgroupSource lists the control groups: systemd slices, services and
// scopes, containers, with CPU %, memory, I/O rates and PSI. It walks
// only while asked (Sampler.SetCgroups, or once every SetCgroupsEvery).
type cgroupSource struct {
	opts  Options
	on    atomic.Bool
	every atomic.Int64 // ns

	prevTime time.Time
	prev     map[string]cgPrev
	gen      uint32

	// The hierarchies, from mountinfo at hiersTime (re-read every
	// hiersEvery: cgroup file systems are mounted at boot).
	hiers     []cgHier
	hiersTime time.Time

	buf    []byte
	dirBuf []byte
	accs   map[string]*cgAcc
}

func newCgroupSource(opts Options) *cgroupSource {
	return &cgroupSource{opts: opts, prev: map[string]cgPrev{}, accs: map[string]*cgAcc{},
		buf: make([]byte, 0, 4096), dirBuf: make([]byte, 16<<10)}
}

func (*cgroupSource) Name() string { return SourceCgroups }

// due reports whether this sample walks the groups: always while on,
// otherwise once every `every` (less a tenth for the ticker's jitter).
func (c *cgroupSource) due(now time.Time) bool {
	if c.on.Load() {
		return true
	}
	every := time.Duration(c.every.Load())
	return every > 0 && (c.prevTime.IsZero() || now.Sub(c.prevTime) >= every-every/10)
}

func (c *cgroupSource) Collect(ctx context.Context, s *Snapshot) error {
	if !c.due(s.Time) {
		if c.every.Load() == 0 && !c.prevTime.IsZero() {
			// Off: the next walk starts afresh, without a CPU % over the
			// whole time it was off.
			clear(c.prev)
			c.prevTime = time.Time{}
		}
		return nil
	}
	if !c.opts.procFS() {
		return nil // no cgroups off Linux
	}
	if c.hiersTime.IsZero() || s.Time.Sub(c.hiersTime) >= hiersEvery || s.Time.Before(c.hiersTime) {
		hs, err := c.hierarchies()
		if err != nil {
			return err
		}
		c.hiers, c.hiersTime = hs, s.Time
	}
	if len(c.hiers) == 0 {
		return nil
	}
	clear(c.accs)
	for _, h := range c.hiers {
		if err := c.walk(ctx, h); err != nil {
			return err
		}
	}
	s.Cgroups = c.finish(s)
	return nil
}

// hiersEvery is how long the cgroup hierarchies found in mountinfo are
// kept before it is read again.
const hiersEvery = time.Minute

// hierarchies reads ProcRoot/self/mountinfo for the cgroup hierarchies;
// none (and no error) where there is no mountinfo.
func (c *cgroupSource) hierarchies() ([]cgHier, error) {
	root := c.opts.procRoot()
	data, err := readFile(root, "self", "mountinfo")
	if err != nil {
		if absent(err) {
			return nil, nil
		}
		return nil, err
	}
	mounts, err := parseMountinfo(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s/self/mountinfo: %w", root, err)
	}
	return findHierarchies(mounts, c.opts.sysRoot(), c.opts.rootFS()), nil
}

// walk visits the groups of h breadth first, within the bounds, adding
// what h knows of each to c.accs.
func (c *cgroupSource) walk(ctx context.Context, h cgHier) error {
	type node struct {
		rel   string // path below h.dir: "/" or "/a/b"
		depth int
	}
	queue := []node{{"/", 0}}
	for n := 0; len(queue) > 0; n++ {
		if n&63 == 63 && ctx.Err() != nil {
			return ctx.Err()
		}
		nd := queue[0]
		queue = queue[1:]
		dir := h.dir
		if nd.rel != "/" {
			dir += nd.rel
		}
		path := nd.rel
		if h.root != "/" {
			path = strings.TrimSuffix(h.root, "/")
			if nd.rel != "/" {
				path += nd.rel
			}
		}
		acc := c.accs[path]
		if acc == nil {
			if len(c.accs) >= maxCgroups {
				continue
			}
			acc = &cgAcc{path: path}
			c.accs[path] = acc
		}
		if !c.readGroup(h, dir, acc) && nd.rel == "/" {
			// The hierarchy's root cannot be read (not mounted in this
			// tree): nothing below it either.
			if !acc.haveProcs && acc.cpuSrc == 0 && !acc.haveMem && acc.ioSrc == 0 && acc.psi == nil {
				delete(c.accs, path)
			}
			return nil
		}
		if nd.depth >= maxCgroupDepth {
			continue
		}
		var names []string
		names, c.dirBuf = listDirs(dir, c.dirBuf, names)
		slices.Sort(names)
		for _, name := range names {
			rel := "/" + name
			if nd.rel != "/" {
				rel = nd.rel + rel
			}
			queue = append(queue, node{rel, nd.depth + 1})
		}
	}
	return nil
}

// readGroup reads the figures of one group in hierarchy h that no
// hierarchy walked before has given. It reports whether the group's
// directory could be read at all (its process list, or any figure).
func (c *cgroupSource) readGroup(h cgHier, dir string, acc *cgAcc) bool {
	ok := false
	read := func(name string) ([]byte, bool) {
		data, err := readInto(dir+"/"+name, c.buf)
		c.buf = data[:0]
		if err == nil {
			ok = true
		}
		return data, err == nil
	}
	if !acc.haveProcs {
		if data, found := read("cgroup.procs"); found {
			acc.procs, acc.haveProcs = countLines(data), true
		}
	}
	if h.roles&(1<<roleCPU) != 0 && acc.cpuSrc == 0 {
		if data, found := read("cpuacct.usage"); found {
			if v, good := parseSingleUint(data); good {
				acc.cpuNS, acc.cpuSrc, acc.v1 = v, 1, true
			}
		}
	}
	if h.roles&(1<<roleMemory) != 0 && !acc.haveMem {
		if data, found := read("memory.usage_in_bytes"); found {
			if v, good := parseSingleUint(data); good {
				acc.mem, acc.haveMem, acc.v1 = v, true, true
				if data, found := read("memory.stat"); found {
					if in, good := parseKeyedUint(data, "total_inactive_file"); good {
						acc.mem -= min(in, acc.mem)
					}
				}
				if data, found := read("memory.limit_in_bytes"); found {
					acc.limit = memLimit(data)
				}
			}
		}
	}
	if h.roles&(1<<roleBlkio) != 0 && acc.ioSrc == 0 {
		for _, name := range [...]string{"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_service_bytes", "blkio.io_service_bytes_recursive"} {
			data, found := read(name)
			if !found {
				continue
			}
			if r, w, good := parseBlkio(data); good {
				acc.rd, acc.wr, acc.ioSrc, acc.v1 = r, w, 1, true
				break
			}
		}
	}
	if h.roles&(1<<roleV2) != 0 {
		if acc.cpuSrc == 0 {
			if data, found := read("cpu.stat"); found {
				if us, good := parseKeyedUint(data, "usage_usec"); good && us <= math.MaxUint64/1000 {
					acc.cpuNS, acc.cpuSrc = us*1000, 2
				}
			}
		}
		if !acc.haveMem {
			if data, found := read("memory.current"); found {
				if v, good := parseSingleUint(data); good {
					acc.mem, acc.haveMem = v, true
					if data, found := read("memory.stat"); found {
						if in, good := parseKeyedUint(data, "inactive_file"); good {
							acc.mem -= min(in, acc.mem)
						}
					}
					if data, found := read("memory.max"); found {
						acc.limit = memLimit(data)
					}
				}
			}
		}
		if acc.ioSrc == 0 {
			if data, found := read("io.stat"); found {
				if r, w, good := parseIOStat(data); good {
					acc.rd, acc.wr, acc.ioSrc = r, w, 2
				}
			}
		}
		if acc.psi == nil {
			var paths [3]string
			for i, r := range psiResources {
				paths[i] = dir + "/" + r + ".pressure"
			}
			pr, buf, err := readPressure(paths, c.buf)
			c.buf = buf
			if err == nil && pr != nil {
				acc.psi, ok = pr, true
			}
		}
	}
	return ok
}

// finish turns the gathered groups into the snapshot's list, sorted by
// path, with rates from the previous walk.
func (c *cgroupSource) finish(s *Snapshot) []Cgroup {
	elapsed := elapsedSince(c.prevTime, s.Time)
	c.prevTime = s.Time
	c.gen++
	if len(c.accs) == 0 {
		return nil
	}
	out := make([]Cgroup, 0, len(c.accs))
	for path, a := range c.accs {
		name, kind := cgroupName(path)
		g := Cgroup{Path: path, Name: name, Kind: kind, Version: 2, Procs: a.procs, MemBytes: a.mem, MemLimit: a.limit, Pressure: a.psi}
		if a.v1 {
			g.Version = 1
		}
		if path == "/" && !a.haveMem && s.Memory.TotalBytes > 0 {
			// cgroup v2 has no memory.current at the root: the host's.
			g.MemBytes = s.Memory.UsedBytes
		}
		p, seen := c.prev[path]
		if seen && elapsed > 0 {
			if a.cpuSrc != 0 && a.cpuSrc == p.cpuSrc {
				g.CPUPct = float64(delta(a.cpuNS, p.cpuNS)) * 100 / float64(elapsed)
			}
			if a.ioSrc != 0 && a.ioSrc == p.ioSrc {
				g.IOReadBps = rate(a.rd, p.rd, elapsed)
				g.IOWriteBps = rate(a.wr, p.wr, elapsed)
			}
		}
		c.prev[path] = cgPrev{cpuNS: a.cpuNS, rd: a.rd, wr: a.wr, cpuSrc: a.cpuSrc, ioSrc: a.ioSrc, gen: c.gen}
		out = append(out, g)
	}
	for path, p := range c.prev {
		if p.gen != c.gen {
			delete(c.prev, path)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path }) // not slices.SortFunc: see cgHierarchies
	return out
}

// countLines counts the non-empty lines of data (cgroup.procs: one pid a
// line).
func countLines(data []byte) int {
	n := 0
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}
	return n
}

// parseSingleUint parses a file holding one number ("123\n").
func parseSingleUint(data []byte) (uint64, bool) {
	return parseUint(bytes.TrimSpace(data))
}

// unlimited is the threshold above which a memory limit means none: v1
// reports "no limit" as the page-rounded largest long (9223372036854771712).
const unlimited = 1 << 62

// memLimit reads memory.max ("max" or bytes) or memory.limit_in_bytes; 0
// means no limit.
func memLimit(data []byte) uint64 {
	v, ok := parseSingleUint(data)
	if !ok || v >= unlimited {
		return 0
	}
	return v
}

// parseKeyedUint finds "key value" in a flat keyed file (cpu.stat,
// memory.stat).
func parseKeyedUint(data []byte, key string) (uint64, bool) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		k, rest := nextField(line)
		if string(k) != key {
			continue
		}
		v, _ := nextField(rest)
		return parseUint(v)
	}
	return 0, false
}

// parseIOStat sums rbytes and wbytes over the devices of a cgroup v2
// io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0").
// Sums that overflow, or a malformed value, fail it.
func parseIOStat(data []byte) (rd, wr uint64, ok bool) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		_, rest := nextField(line) // the device
		for len(rest) > 0 {
			var kv []byte
			kv, rest = nextField(rest)
			if len(kv) == 0 {
				break
			}
			k, v, found := bytes.Cut(kv, []byte("="))
			if !found {
				return 0, 0, false
			}
			var dst *uint64
			switch string(k) {
			case "rbytes":
				dst = &rd
			case "wbytes":
				dst = &wr
			default:
				continue
			}
			n, good := parseUint(v)
			if !good || *dst > math.MaxUint64-n {
				return 0, 0, false
			}
			*dst += n
		}
	}
	return rd, wr, true
}

// parseBlkio sums the Read and Write lines of a cgroup v1
// blkio.*io_service_bytes* file ("8:0 Read 4096", "Total 8192").
func parseBlkio(data []byte) (rd, wr uint64, ok bool) {
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		_, rest := nextField(line) // the device, or "Total"
		f2, rest := nextField(rest)
		f3, _ := nextField(rest)
		if len(f3) == 0 {
			continue // "Total N", or an empty line
		}
		var dst *uint64
		switch string(f2) {
		case "Read":
			dst = &rd
		case "Write":
			dst = &wr
		default:
			continue
		}
		n, good := parseUint(f3)
		if !good || *dst > math.MaxUint64-n {
			return 0, 0, false
		}
		*dst += n
	}
	return rd, wr, true
}

// parseProcCgroup picks a process's cgroup path from /proc/PID/cgroup
// ("hierarchy-ID:controllers:path" lines). On a unified host that is the
// "0::" line; where v1 controllers are mounted (hybrid or legacy hosts),
// the first path other than "/" of, in order, the memory controller, the
// cpuacct controller, the unified line and name=systemd: the order in
// which a group's process count is taken. Every path "/": "/". No line:
// nil. The result aliases data.
func parseProcCgroup(data []byte) []byte {
	var paths [nRoles][]byte
	found := false
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		_, rest, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		ctrls, path, ok := bytes.Cut(rest, []byte(":"))
		if !ok || len(path) == 0 || path[0] != '/' {
			continue
		}
		found = true
		if len(ctrls) == 0 {
			paths[roleV2] = path
			continue
		}
		for len(ctrls) > 0 {
			var c []byte
			c, ctrls, _ = bytes.Cut(ctrls, []byte(","))
			role := -1
			switch string(c) {
			case "memory":
				role = roleMemory
			case "cpuacct":
				role = roleCPU
			case "name=systemd":
				role = roleSystemd
			}
			if role >= 0 {
				paths[role] = path
			}
		}
	}
	if !found {
		return nil
	}
	for _, r := range [...]int{roleMemory, roleCPU, roleV2, roleSystemd} {
		if p := paths[r]; len(p) > 1 {
			return p
		}
	}
	return []byte("/")
}

// cgroupName is the short name and kind of the group at path, from its
// last component: a container's id (its first 12 hex digits), a systemd
// unit (slice, service, scope), a Kubernetes pod ("pod" and the first 8
// characters of its uid), a long hexadecimal id (12 digits), or the
// component itself ("cgroup"). The root is "/".
func cgroupName(path string) (name, kind string) {
	base := path[strings.LastIndexByte(path, '/')+1:]
	if base == "" {
		return "/", "cgroup"
	}
	if id := containerID(base); id != "" {
		return id[:12], "container"
	}
	kind = "cgroup"
	switch {
	case strings.HasSuffix(base, ".slice"):
		kind = "slice"
	case strings.HasSuffix(base, ".service"):
		kind = "service"
	case strings.HasSuffix(base, ".scope"):
		kind = "scope"
	}
	if pod := podName(base); pod != "" {
		return pod, kind
	}
	if len(base) >= 32 && isHex(base) {
		return base[:12], kind
	}
	return base, kind
}

// containerID returns the 64-hex-digit container id that base names:
// docker-ID.scope (docker with systemd), cri-containerd-ID.scope,
// crio-ID.scope, libpod-ID.scope (podman), or a bare ID (docker's and the
// kubelet's cgroupfs driver: /docker/ID, /kubepods/burstable/podUID/ID);
// "" otherwise. The runtimes' monitors (crio-conmon-ID.scope) are not
// containers.
func containerID(base string) string {
	b := strings.TrimSuffix(base, ".scope")
	for _, pre := range [...]string{"docker-", "cri-containerd-", "crio-", "libpod-", ""} {
		if id, ok := strings.CutPrefix(b, pre); ok && len(id) == 64 && isHex(id) {
			return id
		}
	}
	return ""
}

// podName is the short name of a Kubernetes pod's group:
// kubepods-burstable-pod<uid>.slice (systemd driver, uid with '_') or
// pod<uid> (cgroupfs driver); "" for anything else.
func podName(base string) string {
	b := strings.TrimSuffix(base, ".slice")
	i := strings.LastIndex(b, "pod")
	if i < 0 || (i > 0 && b[i-1] != '-') {
		return ""
	}
	uid := b[i+3:]
	if len(uid) != 36 {
		return ""
	}
	for j := 0; j < len(uid); j++ {
		if c := uid[j]; !(c == '-' || c == '_' || isHexDigit(c)) {
			return ""
		}
	}
	return "pod" + uid[:8]
}

// containerOf is a process's short group name (Process.Container): the
// innermost container id on its path; else its innermost systemd service
// or scope; else the short name of its group; "" at the root.
func containerOf(path string) string {
	if path == "" || path == "/" {
		return ""
	}
	unit := ""
	for rest := path; rest != ""; {
		i := strings.LastIndexByte(rest, '/')
		base := rest[i+1:]
		rest = rest[:max(i, 0)]
		if id := containerID(base); id != "" {
			return id[:12]
		}
		if unit == "" && (strings.HasSuffix(base, ".service") || strings.HasSuffix(base, ".scope")) {
			unit = base
		}
	}
	if unit != "" {
		return unit
	}
	name, _ := cgroupName(path)
	return name
}

func isHexDigit(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
