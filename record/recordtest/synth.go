// Package recordtest synthesises realistic recordings for the record
// package's tests and benchmarks and for bench/recgen: a host with a few
// hundred processes that come and go, a CPU burner episode, checks whose
// alarms change state, and an endpoint link that drops now and then. It is
// never part of the virgo-top binary.
package recordtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/record"
)

// Config shapes a synthetic host.
type Config struct {
	Start     time.Time
	Interval  time.Duration // between samples; default 5 s
	Processes int           // steady number of processes; default 300, at least 50
	Cores     int           // default 4
	Seed      uint64
	// BurnAt starts a CPU burner this long after Start, for BurnFor
	// (defaults: none). The cpu check's alarm goes WARNING then CRITICAL
	// while it runs, and back to OK.
	BurnAt, BurnFor time.Duration
	// CheckEvery is the period of the synthetic checks; default 30 s.
	CheckEvery time.Duration
	// Version1 leaves out what format version 1 did not record: pressure,
	// cgroups, sensors, and the processes' I/O rates and cgroups. The rest
	// is the same host, value for value.
	Version1 bool
}

// Step is what one sample interval produced.
type Step struct {
	Snapshot *collector.Snapshot
	Checks   []record.CheckResult
	Alarms   []record.AlarmTransition
	Links    []record.LinkEvent
}

// Host is a synthetic host.
type Host struct {
	cfg   Config
	rng   *rand.Rand
	rng2  *rand.Rand // for what version 1 did not record, so the rest stays as it was
	now   time.Time
	n     int
	procs []*proc
	pid   int32

	cpu      float64
	mem      uint64
	swap     uint64
	load     [3]float64
	disks    []diskState
	nets     []netState
	fsUsed   []uint64
	burner   *proc
	alarm    string // the cpu alarm's state
	memAlarm string
	webAlarm string
	backup   *proc // the nightly backup, while it runs
	link     string
	nextChk  time.Time
	x        extras
}

type proc struct {
	p       collector.Process
	active  float64 // mean CPU % when active
	ends    time.Time
	kthread bool
}

type diskState struct {
	name             string
	part             bool
	reads, writes    uint64
	rbytes, wbytes   uint64
	rtime, wtime     uint64
	iotime, weighted uint64
}

type netState struct {
	name                 string
	rx, tx, rxp, txp, re uint64
}

var daemons = []struct{ name, user, cmd string }{
	{"systemd", "root", "/sbin/init splash"},
	{"systemd-journal", "root", "/lib/systemd/systemd-journald"},
	{"systemd-udevd", "root", "/lib/systemd/systemd-udevd"},
	{"systemd-resolve", "systemd-resolve", "/lib/systemd/systemd-resolved"},
	{"systemd-timesyn", "systemd-timesync", "/lib/systemd/systemd-timesyncd"},
	{"cron", "root", "/usr/sbin/cron -f -P"},
	{"dbus-daemon", "messagebus", "@dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only"},
	{"rsyslogd", "syslog", "/usr/sbin/rsyslogd -n -iNONE"},
	{"sshd", "root", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"},
	{"nginx", "root", "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;"},
	{"nginx", "www-data", "nginx: worker process"},
	{"postgres", "postgres", "/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main -c config_file=/etc/postgresql/16/main/postgresql.conf"},
	{"postgres", "postgres", "postgres: 16/main: checkpointer"},
	{"postgres", "postgres", "postgres: 16/main: background writer"},
	{"postgres", "postgres", "postgres: 16/main: walwriter"},
	{"postgres", "postgres", "postgres: 16/main: app appdb 10.0.0.12(52814) idle"},
	{"redis-server", "redis", "/usr/bin/redis-server 127.0.0.1:6379"},
	{"java", "app", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java -Xms512m -Xmx2g -XX:+UseG1GC -Djava.security.egd=file:/dev/./urandom -Dspring.profiles.active=prod -cp /opt/app/lib/app.jar:/opt/app/lib/spring-core-6.1.2.jar:/opt/app/lib/spring-web-6.1.2.jar:/opt/app/lib/jackson-databind-2.16.0.jar com.example.app.Main --server.port=8080 --db.password=hunter2hunter2"},
	{"python3", "app", "/usr/bin/python3 /opt/worker/worker.py --queue default --concurrency 4"},
	{"node", "app", "node /srv/web/server.js --port 3000"},
	{"containerd", "root", "/usr/bin/containerd"},
	{"dockerd", "root", "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock"},
	{"virgo-top", "virgo", "/usr/bin/virgo-top --daemon --state-dir /var/lib/virgo-top --token 1a2b3c4d5e6f7a8b9c0d"},
	{"bash", "alice", "-bash"},
	{"tmux: server", "alice", "tmux new -s work"},
	{"vim", "alice", "vim /home/alice/notes.md"},
	{"agetty", "root", "/sbin/agetty -o -p -- \\u --noclear tty1 linux"},
	{"polkitd", "polkitd", "/usr/libexec/polkitd --no-debug"},
	{"unattended-upgr", "root", "/usr/bin/python3 /usr/share/unattended-upgrades/unattended-upgrade-shutdown --wait-for-signal"},
}

var kthreads = []string{"kworker/%d:1-events", "ksoftirqd/%d", "migration/%d", "cpuhp/%d", "kworker/%d:0H-kblockd", "rcu_preempt", "kthreadd", "jbd2/sda1-8", "kcompactd0", "khugepaged", "kswapd0", "writeback", "kauditd", "oom_reaper", "watchdogd"}

var jobs = []struct{ name, user, cmd string }{
	{"sh", "root", "/bin/sh -c run-parts --report /etc/cron.hourly"},
	{"curl", "app", "curl -s -H Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0 https://api.example.com/v1/health"},
	{"psql", "app", "psql postgres://app:s3cretpass@db.internal:5432/appdb -c select 1"},
	{"logrotate", "root", "/usr/sbin/logrotate /etc/logrotate.conf"},
	{"git", "alice", "git fetch origin"},
	{"grep", "alice", "grep -rn TODO src/"},
	{"sleep", "root", "sleep 60"},
	{"python3", "app", "/usr/bin/python3 /opt/worker/task.py --id 8812"},
	{"gzip", "root", "gzip -9 /var/log/syslog.1"},
	{"find", "root", "find /tmp -mtime +7 -delete"},
}

// New returns a synthetic host at cfg.Start.
func New(cfg Config) *Host {
	if cfg.Interval <= 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Processes <= 0 {
		cfg.Processes = 300
	}
	// The synthetic process tree hangs workers and the burner off fixed
	// positions (up to the 41st process).
	cfg.Processes = max(cfg.Processes, 50)
	if cfg.Cores <= 0 {
		cfg.Cores = 4
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = 30 * time.Second
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	}
	h := &Host{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), rng2: rand.New(rand.NewPCG(cfg.Seed, 0xe2)), now: cfg.Start, pid: 1,
		mem: 3 << 30, swap: 100 << 20, load: [3]float64{0.4, 0.5, 0.5}, alarm: "OK", memAlarm: "OK", webAlarm: "OK", link: "connected",
		nextChk: cfg.Start}
	h.disks = []diskState{{name: "sda"}, {name: "sda1", part: true}, {name: "sda2", part: true}, {name: "nvme0n1"}}
	h.nets = []netState{{name: "lo"}, {name: "eth0"}}
	h.fsUsed = []uint64{12 << 30, 300 << 20, 40 << 30}
	boot := cfg.Start.Add(-36 * time.Hour)
	// Kernel threads, then daemons, then short jobs to fill.
	for i := 0; i < cfg.Processes*2/5; i++ {
		name := kthreads[i%len(kthreads)]
		if strings.Contains(name, "%d") {
			name = fmt.Sprintf(name, i/len(kthreads))
		}
		h.add(&proc{kthread: true, p: collector.Process{PPID: 2, Name: trim(name, 15), User: "root", State: "I", Threads: 1,
			StartTime: boot.Add(time.Duration(i) * time.Millisecond)}})
	}
	for len(h.procs) < cfg.Processes {
		d := daemons[h.rng.IntN(len(daemons))]
		p := &proc{p: collector.Process{PPID: 1, Name: trim(d.name, 15), User: d.user, State: "S", Threads: int32(1 + h.rng.IntN(30)),
			RSSBytes: uint64(2+h.rng.IntN(400)) << 20, StartTime: boot.Add(time.Duration(h.rng.IntN(3600)) * time.Second), Cmdline: d.cmd}}
		p.p.VMSBytes = p.p.RSSBytes*3 + 100<<20
		if h.rng.IntN(8) == 0 {
			p.active = 0.1 + h.rng.Float64()*4
		}
		h.add(p)
	}
	return h
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (h *Host) add(p *proc) {
	h.pid += int32(1 + h.rng.IntN(40))
	p.p.PID = h.pid
	if p.p.UID == 0 && p.p.User != "root" {
		p.p.UID = 1000 + uint32(len(p.p.User))
	}
	if !h.cfg.Version1 {
		p.p.Cgroup, p.p.Container = groupOf(p)
	}
	h.procs = append(h.procs, p)
}

// Now is the time of the next step.
func (h *Host) Now() time.Time { return h.now }

// Next returns the next interval's sample and events.
func (h *Host) Next() Step {
	cfg := h.cfg
	h.now = h.now.Add(cfg.Interval)
	el := cfg.Interval + time.Duration(h.rng.IntN(2000)-1000)*time.Microsecond
	since := h.now.Sub(cfg.Start)
	var st Step
	// Process churn: short jobs start and end.
	alive := h.procs[:0]
	for _, p := range h.procs {
		if !p.ends.IsZero() && !h.now.Before(p.ends) {
			continue
		}
		alive = append(alive, p)
	}
	h.procs = alive
	for i := 0; i < 2 && len(h.procs) < cfg.Processes+20; i++ {
		if h.rng.IntN(3) == 0 {
			continue
		}
		j := jobs[h.rng.IntN(len(jobs))]
		p := &proc{p: collector.Process{PPID: h.procs[20+h.rng.IntN(20)].p.PID, Name: j.name, User: j.user, State: "R", Threads: 1,
			RSSBytes: uint64(1+h.rng.IntN(30)) << 20, StartTime: h.now.Add(-time.Duration(h.rng.IntN(int(cfg.Interval)))), Cmdline: j.cmd},
			active: 1 + h.rng.Float64()*20, ends: h.now.Add(time.Duration(1+h.rng.IntN(20)) * time.Second)}
		p.p.VMSBytes = p.p.RSSBytes * 4
		h.add(p)
	}
	burning := cfg.BurnFor > 0 && since >= cfg.BurnAt && since < cfg.BurnAt+cfg.BurnFor
	if burning && h.burner == nil {
		h.burner = &proc{p: collector.Process{PPID: h.procs[40].p.PID, Name: "burn", User: "alice", State: "R", Threads: int32(cfg.Cores),
			RSSBytes: 3 << 20, VMSBytes: 12 << 20, StartTime: h.now, Cmdline: "stress-ng --cpu " + strconv.Itoa(cfg.Cores) + " --timeout 600"},
			active: 100 * float64(cfg.Cores)}
		h.add(h.burner)
	} else if !burning && h.burner != nil {
		h.burner.ends = h.now
		h.burner = nil
	}
	// A nightly backup from 02:00 UTC for a quarter of an hour, busy
	// enough for a CPU warning.
	if night := h.now.UTC(); night.Hour() == 2 && night.Minute() < 15 {
		if h.backup == nil {
			h.backup = &proc{p: collector.Process{PPID: h.procs[5].p.PID, Name: "pg_dump", User: "postgres", State: "R", Threads: 1,
				RSSBytes: 90 << 20, VMSBytes: 300 << 20, StartTime: h.now, Cmdline: "pg_dump --format=custom --file=/backup/appdb.dump appdb"},
				active: 75 * float64(cfg.Cores)}
			h.add(h.backup)
		}
	} else if h.backup != nil {
		h.backup.ends = h.now
		h.backup = nil
	}
	// Per-process figures.
	var total float64
	procs := make([]collector.Process, 0, len(h.procs))
	for _, p := range h.procs {
		q := &p.p
		switch {
		case p.kthread:
			q.CPUPct = 0
			if h.rng.IntN(50) == 0 {
				q.CPUPct = 0.2
			}
		case p.active > 0:
			q.CPUPct = math.Max(0, p.active*(0.6+0.8*h.rng.Float64()))
			if h.rng.IntN(3) == 0 {
				q.RSSBytes += uint64(h.rng.IntN(64)) * 4096
				q.RSSBytes -= uint64(h.rng.IntN(64)) * 4096
			}
			if h.rng.IntN(2) == 0 {
				q.State = "R"
			} else {
				q.State = "S"
			}
		default:
			q.CPUPct = 0
			if h.rng.IntN(20) == 0 {
				q.CPUPct = 0.2 * float64(1+h.rng.IntN(5))
				q.RSSBytes += 4096 * uint64(h.rng.IntN(4))
			}
		}
		if p == h.burner {
			q.CPUPct = 100*float64(cfg.Cores) - h.rng.Float64()
		}
		q.CPUTimeS += q.CPUPct / 100 * cfg.Interval.Seconds()
		q.MemPct = float64(q.RSSBytes) / float64(8<<30) * 100
		total += q.CPUPct
		procs = append(procs, *q)
	}
	// Host figures.
	h.cpu = math.Min(100, total/float64(cfg.Cores)+1+h.rng.Float64())
	h.load[0] = h.load[0]*0.92 + 0.08*(h.cpu/100*float64(cfg.Cores))
	h.load[1] = h.load[1]*0.98 + 0.02*h.load[0]
	h.load[2] = h.load[2]*0.995 + 0.005*h.load[0]
	h.mem = uint64(int64(h.mem) + int64(h.rng.IntN(8<<20)) - 4<<20)
	s := &collector.Snapshot{Time: h.now, Elapsed: el, ProcessCount: len(procs), Processes: procs}
	s.Host = collector.Host{Hostname: "web-01", OS: "linux", Platform: "ubuntu", PlatformVersion: "24.04", Kernel: "6.8.0-45-generic",
		Arch: "x86_64", UptimeS: uint64(h.now.Sub(cfg.Start.Add(-36 * time.Hour)).Seconds()), BootTime: cfg.Start.Add(-36 * time.Hour), Virtualization: "kvm", VirtRole: "guest"}
	s.CPU.Cores = cfg.Cores
	s.CPU.CPUTimes = h.split(h.cpu)
	for i := 0; i < cfg.Cores; i++ {
		s.CPU.PerCore = append(s.CPU.PerCore, h.split(math.Min(100, h.cpu*(0.5+h.rng.Float64()))))
	}
	const memTotal = 8 << 30
	s.Memory = collector.Memory{TotalBytes: memTotal, UsedBytes: h.mem, FreeBytes: memTotal - h.mem - 2<<30, AvailableBytes: memTotal - h.mem,
		CachedBytes: 1800 << 20, BuffersBytes: 200 << 20, UsedPct: float64(h.mem) / memTotal * 100, SwapTotalBytes: 2 << 30,
		SwapUsedBytes: h.swap, SwapFreeBytes: 2<<30 - h.swap, SwapInBytes: 5 << 20, SwapOutBytes: 9 << 20}
	s.Load = collector.Load{Load1: h.load[0], Load5: h.load[1], Load15: h.load[2], Cores: cfg.Cores}
	for i, m := range []string{"/", "/boot", "/var/lib/postgresql"} {
		total := []uint64{50 << 30, 1 << 30, 200 << 30}[i]
		// Files come and go (logs rotated, a kernel installed): usage
		// wanders but stays between 10 % and 90 % of the filesystem.
		h.fsUsed[i] += uint64(h.rng.IntN(64 << 10))
		if h.fsUsed[i] > total/10*9 {
			h.fsUsed[i] = total / 10
		}
		s.Filesystems = append(s.Filesystems, collector.Filesystem{Mount: m, Device: []string{"/dev/sda2", "/dev/sda1", "/dev/nvme0n1"}[i],
			Disk: []string{"sda2", "sda1", "nvme0n1"}[i], FSType: "ext4", Options: "rw,relatime", TotalBytes: total, UsedBytes: h.fsUsed[i],
			FreeBytes: total - h.fsUsed[i], AvailBytes: total - h.fsUsed[i] - total/20, UsedPct: float64(h.fsUsed[i]) / float64(total) * 100,
			InodesTotal: total >> 14, InodesFree: total>>14 - 200000, InodesUsedPct: 200000 / float64(total>>14) * 100})
	}
	secs := el.Seconds()
	for i := range h.disks {
		d := &h.disks[i]
		r, w := uint64(h.rng.IntN(20)), uint64(h.rng.IntN(60))
		rb, wb := r*uint64(4096*(1+h.rng.IntN(16))), w*uint64(4096*(1+h.rng.IntN(8)))
		d.reads, d.writes, d.rbytes, d.wbytes = d.reads+r, d.writes+w, d.rbytes+rb, d.wbytes+wb
		d.rtime, d.wtime = d.rtime+r*2, d.wtime+w*3
		d.iotime, d.weighted = d.iotime+(r+w)*2, d.weighted+(r+w)*3
		s.Disks = append(s.Disks, collector.Disk{Name: d.name, Partition: d.part, ReadBps: float64(rb) / secs, WriteBps: float64(wb) / secs,
			ReadIOPS: float64(r) / secs, WriteIOPS: float64(w) / secs, BusyPct: math.Min(100, float64((r+w)*2)/10/secs),
			Reads: d.reads, Writes: d.writes, ReadBytes: d.rbytes, WriteBytes: d.wbytes, ReadTimeMs: d.rtime, WriteTimeMs: d.wtime,
			IOTimeMs: d.iotime, WeightedMs: d.weighted})
	}
	for i := range h.nets {
		n := &h.nets[i]
		rp, tp := uint64(h.rng.IntN(400)), uint64(h.rng.IntN(300))
		rb, tb := rp*uint64(200+h.rng.IntN(1200)), tp*uint64(100+h.rng.IntN(1400))
		n.rx, n.tx, n.rxp, n.txp = n.rx+rb, n.tx+tb, n.rxp+rp, n.txp+tp
		if h.rng.IntN(500) == 0 {
			n.re++
		}
		s.Network = append(s.Network, collector.NetIf{Name: n.name, RxBps: float64(rb) / secs, TxBps: float64(tb) / secs,
			RxPps: float64(rp) / secs, TxPps: float64(tp) / secs, RxBytes: n.rx, TxBytes: n.tx, RxPackets: n.rxp, TxPackets: n.txp,
			RxDropped: n.re, LinkState: "up"})
	}
	s.Durations = map[string]time.Duration{}
	for i, src := range v1Sources {
		s.Durations[src] = time.Duration(50+i*40+h.rng.IntN(200)) * time.Microsecond
	}
	if !cfg.Version1 {
		h.addExtras(s)
	}
	st.Snapshot = s

	// Checks every CheckEvery; alarms follow the CPU and memory.
	if !h.now.Before(h.nextChk) {
		h.nextChk = h.now.Add(cfg.CheckEvery)
		st.Checks = append(st.Checks,
			record.CheckResult{Time: h.now, CheckID: "chCPU", Type: "agent.cpu", Label: "CPU", Available: true, Status: "success",
				Metrics: []record.Metric{{Name: "usage_average", Type: "double", Value: strconv.FormatFloat(h.cpu, 'f', 2, 64), Unit: "percent"},
					{Name: "max_cpu_usage", Type: "double", Value: strconv.FormatFloat(math.Min(100, h.cpu*1.5), 'f', 2, 64), Unit: "percent"}}},
			record.CheckResult{Time: h.now, CheckID: "chMem", Type: "agent.memory", Label: "Memory", Available: true, Status: "success",
				Metrics: []record.Metric{{Name: "actual_used", Type: "uint64", Value: strconv.FormatUint(h.mem, 10), Unit: "bytes"},
					{Name: "total", Type: "uint64", Value: strconv.FormatUint(memTotal, 10), Unit: "bytes"}}},
			record.CheckResult{Time: h.now, CheckID: "chHTTP", Type: "remote.http", Label: "site", Available: h.rng.IntN(400) != 0, Status: "success",
				Metrics: []record.Metric{{Name: "duration", Type: "uint32", Value: strconv.Itoa(20 + h.rng.IntN(80)), Unit: "milliseconds"},
					{Name: "code", Type: "string", Value: "200"}}},
		)
		want := "OK"
		switch {
		case h.cpu >= 90:
			want = "CRITICAL"
		case h.cpu >= 70:
			want = "WARNING"
		}
		if want != h.alarm {
			st.Alarms = append(st.Alarms, record.AlarmTransition{Time: h.now, CheckID: "chCPU", Alarm: "alCPU", From: h.alarm, To: want,
				Message: fmt.Sprintf("CPU usage is %.1f%%", h.cpu)})
			h.alarm = want
		}
		wantWeb := "OK"
		if !st.Checks[2].Available {
			wantWeb = "CRITICAL"
		}
		if wantWeb != h.webAlarm {
			st.Alarms = append(st.Alarms, record.AlarmTransition{Time: h.now, CheckID: "chHTTP", Alarm: "alSite", From: h.webAlarm, To: wantWeb,
				Message: "site availability: " + strings.ToLower(wantWeb)})
			h.webAlarm = wantWeb
		}
		wantMem := "OK"
		if h.mem > 6<<30 {
			wantMem = "WARNING"
		}
		if wantMem != h.memAlarm {
			st.Alarms = append(st.Alarms, record.AlarmTransition{Time: h.now, CheckID: "chMem", Alarm: "alMem", From: h.memAlarm, To: wantMem,
				Message: "memory used " + strconv.FormatUint(h.mem>>20, 10) + " MiB"})
			h.memAlarm = wantMem
		}
	}
	// The endpoint link drops about twice a day for a minute.
	switch {
	case h.link == "connected" && h.rng.IntN(int(12*time.Hour/cfg.Interval)) == 0:
		h.link = "disconnected"
		st.Links = append(st.Links, record.LinkEvent{Time: h.now, Endpoint: "agent-endpoint-ord.monitoring.api.rackspacecloud.com:443", State: h.link, Error: "read tcp: connection reset by peer"})
	case h.link == "disconnected" && h.rng.IntN(int(time.Minute/cfg.Interval)+1) == 0:
		h.link = "connected"
		st.Links = append(st.Links, record.LinkEvent{Time: h.now, Endpoint: "agent-endpoint-ord.monitoring.api.rackspacecloud.com:443", State: h.link})
	}
	h.n++
	return st
}

// v1Sources are the collector's sources of format version 1's time (the
// durations a sample has; addExtras adds the later ones).
var v1Sources = []string{collector.SourceHost, collector.SourceCPU, collector.SourceMemory, collector.SourceLoad,
	collector.SourceFilesystems, collector.SourceDisks, collector.SourceNetwork, collector.SourceProcesses}

func (h *Host) split(usage float64) collector.CPUTimes {
	user := usage * 0.7
	sys := usage * 0.25
	io := usage * 0.04
	irq := usage * 0.01
	return collector.CPUTimes{UsagePct: usage, UserPct: user, SystemPct: sys, IdlePct: 100 - usage, IOWaitPct: io, IRQPct: irq}
}

// Write feeds w the steps of h up to until and returns the number of
// samples. It calls Flush every 30 samples so the queue never overflows
// (at 1 s and 5 s samples with the default 10 s FlushInterval, that ends
// no block earlier than the writer would).
func Write(w *record.Writer, h *Host, until time.Time) (int, error) {
	n := 0
	for h.now.Add(h.cfg.Interval).Before(until) || h.now.Add(h.cfg.Interval).Equal(until) {
		st := h.Next()
		w.Sample(st.Snapshot)
		for _, c := range st.Checks {
			w.Check(c)
		}
		for _, a := range st.Alarms {
			w.Alarm(a)
		}
		for _, l := range st.Links {
			w.Link(l)
		}
		n++
		if n%30 == 0 {
			if err := w.Flush(); err != nil {
				return n, err
			}
		}
	}
	return n, w.Flush()
}
