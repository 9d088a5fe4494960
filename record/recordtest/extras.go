package recordtest

import (
	"math"
	"slices"
	"strings"

	"github.com/virgo-top/virgo-top/collector"
)

// The synthetic host's cgroups: a systemd host (unified hierarchy) with a
// few docker containers and a user session, 28 groups.
const (
	dockerApp   = "3f6c2a9b8e1d4c7a0b5e2f8d9c1a6b3e4f7d0c2a5b8e1f4a7d0c3b6e9f2a5d8c"
	dockerWeb   = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d"
	dockerRedis = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	session     = "/user.slice/user-1000.slice/session-3.scope"
)

var services = []string{"containerd", "cron", "dbus", "docker", "getty@tty1", "nginx", "polkit", "postgresql@16-main",
	"redis-server", "rsyslog", "ssh", "systemd-journald", "systemd-resolved", "systemd-timesyncd", "systemd-udevd",
	"unattended-upgrades", "app-worker", "virgo-top"}

// unitOf is the group of each program of the synthetic host.
var unitOf = map[string]string{
	"systemd": "/init.scope", "systemd-journal": "systemd-journald", "systemd-udevd": "systemd-udevd",
	"systemd-resolve": "systemd-resolved", "systemd-timesyn": "systemd-timesyncd", "cron": "cron", "dbus-daemon": "dbus",
	"rsyslogd": "rsyslog", "sshd": "ssh", "nginx": "nginx", "postgres": "postgresql@16-main", "pg_dump": "postgresql@16-main",
	"redis-server": "docker:" + dockerRedis, "java": "docker:" + dockerApp, "node": "docker:" + dockerWeb,
	"python3": "app-worker", "containerd": "containerd", "dockerd": "docker", "virgo-top": "virgo-top",
	"bash": session, "tmux: server": session, "vim": session, "git": session, "grep": session, "sleep": session, "burn": session,
	"agetty": "getty@tty1", "polkitd": "polkit", "unattended-upgr": "unattended-upgrades",
	"sh": "cron", "logrotate": "cron", "gzip": "cron", "find": "cron", "curl": "app-worker", "psql": "app-worker",
}

// groupOf is a process's cgroup path and short name.
func groupOf(p *proc) (path, container string) {
	if p.kthread {
		return "/", ""
	}
	u, ok := unitOf[p.p.Name]
	switch {
	case !ok:
		u = "cron"
	case strings.HasPrefix(u, "docker:"):
		id := strings.TrimPrefix(u, "docker:")
		return "/system.slice/docker-" + id + ".scope", id[:12]
	case strings.HasPrefix(u, "/"):
		return u, u[strings.LastIndexByte(u, '/')+1:]
	}
	return "/system.slice/" + u + ".service", u + ".service"
}

// cgroupPaths lists the host's groups, sorted.
func cgroupPaths() []string {
	paths := []string{"/", "/init.scope", "/system.slice", "/user.slice", "/user.slice/user-1000.slice", session,
		"/user.slice/user-1000.slice/user@1000.service"}
	for _, s := range services {
		paths = append(paths, "/system.slice/"+s+".service")
	}
	for _, id := range []string{dockerApp, dockerWeb, dockerRedis} {
		paths = append(paths, "/system.slice/docker-"+id+".scope")
	}
	slices.Sort(paths)
	return paths
}

func nameOf(path string) (name, kind string) {
	if path == "/" {
		return "/", "cgroup"
	}
	base := path[strings.LastIndexByte(path, '/')+1:]
	if id, ok := strings.CutPrefix(base, "docker-"); ok {
		return id[:12], "container"
	}
	return base, base[strings.LastIndexByte(base, '.')+1:]
}

// extras is the state of what format version 2 added.
type extras struct {
	paths          []string
	psi            [3][3]float64 // cpu, memory, io "some" avg10/60/300
	coreTemp, nvme float64
}

// psiStep moves a pressure's averages toward now, as the kernel's
// exponential averages do.
func psiStep(avg *[3]float64, now float64) {
	for i, k := range [3]float64{0.4, 0.08, 0.016} {
		avg[i] = math.Round((avg[i]*(1-k)+now*k)*100) / 100
	}
}

// addExtras gives s what format version 2 records: pressure, a few dozen
// cgroups summing the processes' figures, I/O rates, sensors.
func (h *Host) addExtras(s *collector.Snapshot) {
	x := &h.x
	r := h.rng2
	if x.paths == nil {
		x.paths = cgroupPaths()
		x.coreTemp, x.nvme = 45, 38
	}
	secs := h.cfg.Interval.Seconds()
	// Per-process I/O: busy processes read and write now and then.
	for i := range s.Processes {
		p := &s.Processes[i]
		p.IOKnown = true
		if p.CPUPct > 1 && r.IntN(3) == 0 {
			p.IOReadBps = math.Round(float64(4096*r.IntN(256)) / secs)
			p.IOWriteBps = math.Round(float64(4096*r.IntN(64)) / secs)
		}
	}
	type sum struct {
		cpu          float64
		mem          uint64
		rd, wr       float64
		ownProcesses int
	}
	sums := make(map[string]*sum, len(x.paths))
	for _, path := range x.paths {
		sums[path] = &sum{}
	}
	for i := range s.Processes {
		p := &s.Processes[i]
		if g := sums[p.Cgroup]; g != nil {
			g.ownProcesses++
		}
		for path := p.Cgroup; ; {
			if g := sums[path]; g != nil {
				g.cpu += p.CPUPct
				g.mem += p.RSSBytes
				g.rd += p.IOReadBps
				g.wr += p.IOWriteBps
			}
			if path == "/" || path == "" {
				break
			}
			path = path[:strings.LastIndexByte(path, '/')]
			if path == "" {
				path = "/"
			}
		}
	}
	cpuSome := math.Max(0, h.cpu-60) / 2
	psiStep(&x.psi[0], cpuSome+r.Float64())
	psiStep(&x.psi[1], 0)
	psiStep(&x.psi[2], float64(r.IntN(3)))
	pr := func(a [3]float64, full float64) collector.PSI {
		return collector.PSI{SomeAvg10: a[0], SomeAvg60: a[1], SomeAvg300: a[2],
			FullAvg10: math.Round(a[0]*full*100) / 100, FullAvg60: math.Round(a[1]*full*100) / 100, FullAvg300: math.Round(a[2]*full*100) / 100, HasFull: true}
	}
	s.Pressure = &collector.Pressure{CPU: pr(x.psi[0], 0), Memory: pr(x.psi[1], 0.5), IO: pr(x.psi[2], 0.5)}
	s.Cgroups = make([]collector.Cgroup, 0, len(x.paths))
	for _, path := range x.paths {
		g := sums[path]
		name, kind := nameOf(path)
		c := collector.Cgroup{Path: path, Name: name, Kind: kind, Version: 2, Procs: g.ownProcesses, CPUPct: math.Round(g.cpu*100) / 100,
			MemBytes: g.mem, IOReadBps: g.rd, IOWriteBps: g.wr}
		if kind == "container" {
			c.MemLimit = 2 << 30
		}
		// Pressure where the kernel keeps it per group: the busy ones
		// stall now and then, the rest read zero.
		var p [3]float64
		if g.cpu > 20 {
			p[0] = math.Round(r.Float64()*g.cpu/10*100) / 100
		}
		c.Pressure = &collector.Pressure{CPU: pr([3]float64{p[0], p[0] / 2, p[0] / 4}, 0.5), Memory: pr([3]float64{}, 0), IO: pr([3]float64{}, 0)}
		s.Cgroups = append(s.Cgroups, c)
	}
	x.coreTemp += (40 + h.cpu/3 - x.coreTemp) / 4
	x.nvme += (36 + float64(r.IntN(4)) - x.nvme) / 8
	s.Sensors = []collector.Sensor{{Chip: "coretemp", Label: "Package id 0", TempC: math.Round(x.coreTemp), HighC: 84, CritC: 100}}
	for i := 0; i < h.cfg.Cores && i < 4; i++ {
		s.Sensors = append(s.Sensors, collector.Sensor{Chip: "coretemp", Label: "Core " + string(rune('0'+i)),
			TempC: math.Round(x.coreTemp - 2 + float64(r.IntN(4))), HighC: 84, CritC: 100})
	}
	s.Sensors = append(s.Sensors, collector.Sensor{Chip: "nvme", Label: "Composite", TempC: math.Round(x.nvme*100) / 100, HighC: 82.85, CritC: 84.85})
	s.Durations[collector.SourcePressure] = 40e3
	s.Durations[collector.SourceCgroups] = 400e3
	s.Durations[collector.SourceSensors] = 1e3
}
