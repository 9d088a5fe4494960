//go:build unix

package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// The monitoring token the daemon is given; it must never show in a log or
// a record.
const chaosToken = "chaos-token-1234"

// daemonInterval is the daemon's sampling interval (--interval); its
// checks start after its second sample, one interval after it starts.
const daemonInterval = time.Second

// schedule is what the endpoints serve: fast checks, so a run produces many
// results quickly. Periods are in seconds on the wire.
var schedule = []checkSpec{
	{"chMEM", time.Second},
	{"chLOAD", time.Second},
	{"chCPU", 2 * time.Second},
}

// poisonCheck is the spool scenario's extra check, whose posts its endpoint
// refuses for a while.
var poisonCheck = checkSpec{"chPOISON", 2 * time.Second}

var scheduleTypes = map[string]string{"chMEM": "agent.memory", "chLOAD": "agent.load_average", "chCPU": "agent.cpu", "chPOISON": "agent.memory"}

// mode sizes a run.
type mode struct {
	name             string
	endpointRestarts int              // endpoint scenario: SIGKILL + restart of the primary
	daemonKills      int              // daemon scenario: SIGKILL + restart of the daemon
	stalls           int              // stall scenario: SIGSTOP + SIGCONT of the endpoint
	faultRounds      int              // fault scenario: endpoint incarnations with a fault switched on
	faultTime        [2]time.Duration // how long each fault is on
	faultPause       [2]time.Duration // clean endpoint between faults
	pause            [2]time.Duration // between faults
	downtime         [2]time.Duration // how long a killed process stays dead
	// spool scenario: rounds of chPOISON refused as "unavailable", with
	// 400, with 500, each followed by a clean endpoint, then an outage with
	// the state dir's disk full and a daemon kill
	spoolRounds      int
	refuseTime       [2]time.Duration // each of the 400 and 500 phases
	unavailableTime  [2]time.Duration // at least: it lasts until 2 posts were refused as unavailable
	cleanTime        [2]time.Duration // a clean endpoint after the 400 and 500 phases
	diskFullTime     [2]time.Duration // how long the disk stays full once the daemon noticed
	spoolMaxAttempts int              // the daemon's spool_max_attempts (0: its default)
}

func (m mode) between(rng *rand.Rand, r [2]time.Duration) time.Duration {
	return r[0] + time.Duration(rng.Int64N(int64(r[1]-r[0])+1))
}

var (
	shortMode = mode{name: "short", endpointRestarts: 3, daemonKills: 1, stalls: 1, faultRounds: len(endpointFaults),
		faultTime: [2]time.Duration{1500 * time.Millisecond, 2500 * time.Millisecond}, faultPause: [2]time.Duration{500 * time.Millisecond, time.Second},
		pause: [2]time.Duration{1500 * time.Millisecond, 3 * time.Second}, downtime: [2]time.Duration{300 * time.Millisecond, 1500 * time.Millisecond},
		// 3 attempts: a poisoned post is dead 1+2 s after its first
		// refusal, so the short run stays short.
		spoolRounds: 1, refuseTime: [2]time.Duration{2500 * time.Millisecond, 3500 * time.Millisecond}, unavailableTime: [2]time.Duration{time.Second, 1500 * time.Millisecond},
		cleanTime: [2]time.Duration{2 * time.Second, 3 * time.Second}, diskFullTime: [2]time.Duration{1500 * time.Millisecond, 2500 * time.Millisecond}, spoolMaxAttempts: 3}
	longMode = mode{name: "long", endpointRestarts: 20, daemonKills: 8, stalls: 5, faultRounds: 3 * len(endpointFaults),
		faultTime: [2]time.Duration{2 * time.Second, 6 * time.Second}, faultPause: [2]time.Duration{time.Second, 4 * time.Second},
		pause: [2]time.Duration{2 * time.Second, 7 * time.Second}, downtime: [2]time.Duration{300 * time.Millisecond, 3 * time.Second},
		// The default 5 attempts: dead 1+2+4+8 s after the first refusal.
		spoolRounds: 3, refuseTime: [2]time.Duration{8 * time.Second, 12 * time.Second}, unavailableTime: [2]time.Duration{3 * time.Second, 6 * time.Second},
		cleanTime: [2]time.Duration{8 * time.Second, 12 * time.Second}, diskFullTime: [2]time.Duration{2 * time.Second, 6 * time.Second}}
)

// TestChaos runs the real binaries through endpoint and daemon kills and
// checks that no metric is lost. VIRGO_CHAOS=long runs the long version;
// VIRGO_CHAOS_SEED=N replays a run's random choices.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test runs real processes for ~30 s; skipped under -short")
	}
	t.Parallel() // beside TestNotifyChaos
	m := shortMode
	switch os.Getenv("VIRGO_CHAOS") {
	case "", "short":
	case "long":
		m = longMode
	default:
		t.Fatalf("VIRGO_CHAOS=%q: want short or long", os.Getenv("VIRGO_CHAOS"))
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("VIRGO_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("VIRGO_CHAOS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("chaos: mode=%s seed=%d (VIRGO_CHAOS_SEED=%d replays the fault choices)", m.name, seed, seed)
	bin := buildBinary(t, t.TempDir())

	// The scenarios run side by side, each with its own processes, ports
	// and directory.
	var mu sync.Mutex
	var total summary
	scenarios := []struct {
		name   string
		checks []checkSpec
		run    func(h *harness, m mode) summary
	}{
		{"endpoints", schedule, (*harness).endpointScenario},
		{"daemon", schedule, (*harness).daemonScenario},
		{"stall", schedule, (*harness).stallScenario},
		{"faults", schedule, (*harness).faultScenario},
		{"spool", append(schedule[:len(schedule):len(schedule)], poisonCheck), (*harness).spoolScenario},
	}
	// t.Run from goroutines: the scenarios run at once whatever -parallel
	// says (they wait on processes, not on the CPU).
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(sc.name, func(t *testing.T) {
				h := newHarness(t, bin, rand.New(rand.NewPCG(seed, uint64(i+1))), sc.checks)
				s := sc.run(h, m)
				t.Logf("chaos[%s]: %s", sc.name, s)
				mu.Lock()
				total.add(s)
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	t.Log("chaos: " + total.String())
	t.Logf("chaos: also %d endpoint freezes (SIGSTOP/SIGCONT), %d endpoint incarnations with a protocol fault, "+
		"%d refusing the poisoned check, %d outages on a full disk, %d second daemons turned away; "+
		"the daemon never produced %d results and produced %d twice (see above)",
		total.stalls, total.faults, total.refusalPhases, total.diskFulls, total.secondDaemons, total.notProduced, total.producedTwice)
}

// summary is the one line a run reports.
type summary struct {
	produced, delivered, lost, duplicated, reconnects int
	maxSpoolDepth, endpointRestarts, daemonKills      int
	dead                                              int // results in the dead letter file
	stalls                                            int // not in the line: endpoint freezes
	faults                                            int // not in the line: faulty endpoint incarnations
	refusalPhases                                     int // not in the line: endpoint incarnations refusing chPOISON
	diskFulls                                         int // not in the line: outages on a full disk
	secondDaemons                                     int // not in the line: daemons started on a state dir in use
	notProduced                                       int // not in the line: results the daemon never produced
	producedTwice                                     int // not in the line: results the daemon produced more than once
}

func (s *summary) add(o summary) {
	s.produced += o.produced
	s.delivered += o.delivered
	s.lost += o.lost
	s.duplicated += o.duplicated
	s.reconnects += o.reconnects
	s.maxSpoolDepth = max(s.maxSpoolDepth, o.maxSpoolDepth)
	s.endpointRestarts += o.endpointRestarts
	s.daemonKills += o.daemonKills
	s.dead += o.dead
	s.stalls += o.stalls
	s.faults += o.faults
	s.refusalPhases += o.refusalPhases
	s.diskFulls += o.diskFulls
	s.secondDaemons += o.secondDaemons
	s.notProduced += o.notProduced
	s.producedTwice += o.producedTwice
}

func (s summary) String() string {
	return fmt.Sprintf("produced=%d delivered=%d lost=%d duplicated=%d reconnects=%d max_spool_depth=%d endpoint_restarts=%d daemon_kills=%d dead=%d",
		s.produced, s.delivered, s.lost, s.duplicated, s.reconnects, s.maxSpoolDepth, s.endpointRestarts, s.daemonKills, s.dead)
}

// endpoint is one fixture-server, restarted on the same port and TLS dir.
type endpoint struct {
	name      string
	addr      string
	dropAfter time.Duration
	// pushEvery sends check_schedule.changed this often: the agent
	// fetches the same schedule again and must keep its checks' timing.
	pushEvery time.Duration
	// faults are extra fixture-server flags for the next incarnation.
	faults []string
	gen    int    // incarnations started
	rec    string // the current incarnation's record
	p      *proc
}

func (e *endpoint) up() bool { return e.p != nil && !e.p.exited() }

// harness runs one scenario's processes in its own temporary directory.
type harness struct {
	t        *testing.T
	bin, dir string
	rng      *rand.Rand
	checks   []checkSpec // the schedule the endpoints serve
	tlsDir   string
	ca       string // the CA the daemon trusts (copied once)
	sched    string
	stateDir string
	spool    *spoolTail
	// config is the daemon's config file (the rest comes from flags).
	config string
	// poisoned are the checks an endpoint refuses; maxAttempts is the
	// daemon's spool_max_attempts (0: the default).
	poisoned    map[string]bool
	maxAttempts int
	diskFull    []window // outages with the state dir's disk full

	endpoints  []*endpoint
	daemon     *proc
	daemonGen  int
	records    []string
	daemonLogs []string // the daemons' logs and outputs
	outputs    []string // every process's standard output and error
	down       []downWindow
	start      time.Time
	// pendingAtKill are the results the spool held when the daemon was
	// killed: the restarted daemon must deliver them.
	pendingAtKill    map[resultKey]bool
	endpointRestarts int
	daemonKills      int
	stalls           int
	faults           int
	refusalPhases    int
	secondDaemons    int
}

// newHarness returns a harness in a new temporary directory, or, when
// VIRGO_CHAOS_KEEP names a directory, in a new directory there that is
// kept, to look into a failure.
func newHarness(t *testing.T, bin string, rng *rand.Rand, checks []checkSpec) *harness {
	dir := t.TempDir()
	// Debug level: the analysis reads every check result from the log.
	config := "# chaos test: the rest comes from flags\nlog_level debug\n"
	if keep := os.Getenv("VIRGO_CHAOS_KEEP"); keep != "" {
		d, err := os.MkdirTemp(keep, strings.ReplaceAll(t.Name(), "/", "-")+"-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
		t.Logf("VIRGO_CHAOS_KEEP: the run's files stay in %s", dir)
	}
	h := &harness{
		t: t, bin: bin, dir: dir, rng: rng, checks: checks,
		config:        config,
		tlsDir:        filepath.Join(dir, "tls"),
		ca:            filepath.Join(dir, "ca.pem"),
		sched:         filepath.Join(dir, "schedule.json"),
		stateDir:      filepath.Join(dir, "state"),
		pendingAtKill: map[resultKey]bool{},
	}
	h.spool = newSpoolTail(filepath.Join(h.stateDir, "spool.jsonl"))
	t.Cleanup(h.spool.close)
	type wireCheck struct {
		ID      string `json:"id"`
		Type    string `json:"type"`
		Period  int    `json:"period"`
		Timeout int    `json:"timeout"`
	}
	var wire []wireCheck
	for _, c := range checks {
		wire = append(wire, wireCheck{c.ID, scheduleTypes[c.ID], int(c.Period / time.Second), 1})
	}
	b, err := json.Marshal(wire)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.sched, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (h *harness) addEndpoint(name string, dropAfter, pushEvery time.Duration) *endpoint {
	e := &endpoint{name: name, addr: freePort(h.t), dropAfter: dropAfter, pushEvery: pushEvery}
	h.endpoints = append(h.endpoints, e)
	h.startEndpoint(e)
	return e
}

// startEndpoint starts e's next incarnation on its port and TLS dir, with a
// record of its own, and waits until it listens.
func (h *harness) startEndpoint(e *endpoint) {
	h.t.Helper()
	for attempt := 0; ; attempt++ {
		e.gen++
		tag := fmt.Sprintf("%s.%d", e.name, e.gen)
		rec := filepath.Join(h.dir, "rec-"+tag+".jsonl")
		logPath := filepath.Join(h.dir, "fixture-"+tag+".log")
		args := []string{"fixture-server", "--listen", e.addr, "--tls-dir", h.tlsDir,
			"--ca-out", filepath.Join(h.dir, "ca-"+tag+".pem"), "--record", rec, "--schedule", h.sched}
		if e.dropAfter > 0 {
			args = append(args, "--drop-after", e.dropAfter.String())
		}
		if e.pushEvery > 0 {
			args = append(args, "--push-schedule-changed", e.pushEvery.String())
		}
		args = append(args, e.faults...)
		p, err := startProc(h.t, "fixture "+tag, h.bin, args, logPath)
		if err != nil {
			h.t.Fatal(err)
		}
		h.records = append(h.records, rec)
		e.rec = rec
		h.outputs = append(h.outputs, logPath)
		_, err = waitLog(p, logPath, `msg="fixture endpoint listening"`, 20*time.Second)
		if err == nil {
			e.p = p
			if _, serr := os.Stat(h.ca); errors.Is(serr, os.ErrNotExist) {
				b, rerr := os.ReadFile(filepath.Join(h.dir, "ca-"+tag+".pem"))
				if rerr != nil {
					h.t.Fatal(rerr)
				}
				if werr := os.WriteFile(h.ca, b, 0o600); werr != nil {
					h.t.Fatal(werr)
				}
			}
			return
		}
		out, _ := os.ReadFile(logPath)
		// The port can be taken for a while: ports from :0 are in the
		// ephemeral range, so a loopback connection made while the
		// endpoint was down may have it as its source port. Try again.
		if attempt < 100 && strings.Contains(string(out), "address already in use") {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		h.t.Fatalf("%v\n%s", err, out)
	}
}

// restartEndpoint starts a killed endpoint again.
func (h *harness) restartEndpoint(e *endpoint) {
	h.startEndpoint(e)
	h.endpointRestarts++
}

func (h *harness) killEndpoint(e *endpoint, sig syscall.Signal) {
	if !e.up() {
		return
	}
	_ = e.p.stop(sig, 10*time.Second)
	h.t.Logf("%s endpoint %s (%s)", time.Now().UTC().Format("15:04:05.000"), e.name, sig)
}

// daemonArgs are the daemon's arguments, logging to logPath.
func (h *harness) daemonArgs(logPath string) []string {
	h.t.Helper()
	cfg := filepath.Join(h.dir, "virgo-top.cfg")
	if err := os.WriteFile(cfg, []byte(h.config), 0o600); err != nil {
		h.t.Fatal(err)
	}
	var addrs []string
	for _, e := range h.endpoints {
		addrs = append(addrs, e.addr)
	}
	return []string{"--daemon", "--config", cfg, "--endpoint", strings.Join(addrs, ","), "--ca-file", h.ca,
		"--agent-id", "chaos", "--token", chaosToken, "--state-dir", h.stateDir, "--interval", daemonInterval.String(),
		"--confd", filepath.Join(h.dir, "confd"), "--plugin-dir", filepath.Join(h.dir, "plugins"), "--log-file", logPath}
}

// daemonLog is the current daemon's log file.
func (h *harness) daemonLog() string {
	return filepath.Join(h.dir, fmt.Sprintf("daemon-%d.log", h.daemonGen))
}

// startDaemon starts the daemon on the shared state dir and waits until it
// has the endpoint's schedule; it returns when the schedule arrived.
func (h *harness) startDaemon() time.Time {
	h.t.Helper()
	h.daemonGen++
	logPath := h.daemonLog()
	args := h.daemonArgs(logPath)
	p, err := startProc(h.t, fmt.Sprintf("daemon %d", h.daemonGen), h.bin, args, filepath.Join(h.dir, fmt.Sprintf("daemon-%d.out", h.daemonGen)))
	if err != nil {
		h.t.Fatal(err)
	}
	h.daemon = p
	h.daemonLogs = append(h.daemonLogs, logPath, filepath.Join(h.dir, fmt.Sprintf("daemon-%d.out", h.daemonGen)))
	h.outputs = append(h.outputs, filepath.Join(h.dir, fmt.Sprintf("daemon-%d.out", h.daemonGen)))
	at, err := waitLog(p, logPath, `msg="check schedule"`, 30*time.Second)
	if err != nil {
		out, _ := os.ReadFile(filepath.Join(h.dir, fmt.Sprintf("daemon-%d.out", h.daemonGen)))
		lg, _ := os.ReadFile(logPath)
		h.t.Fatalf("%v\n%s\n%s", err, out, lg)
	}
	return at
}

// killDaemon SIGKILLs the daemon and returns when, and what its spool
// still held.
func (h *harness) killDaemon() (time.Time, map[resultKey]bool) {
	h.t.Helper()
	at := time.Now()
	_ = h.daemon.stop(syscall.SIGKILL, 10*time.Second)
	h.daemonKills++
	if _, err := h.spool.poll(); err != nil {
		h.t.Fatal(err)
	}
	_, live, _, _ := h.spool.snapshot()
	for k := range live {
		h.pendingAtKill[k] = true
	}
	h.t.Logf("%s daemon killed, %d results pending in its spool", at.UTC().Format("15:04:05.000"), len(live))
	return at, live
}

// restartDaemon starts the daemon again after a kill at killedAt.
func (h *harness) restartDaemon(killedAt time.Time) {
	resume := h.startDaemon()
	h.down = append(h.down, downWindow{Kill: killedAt, Resume: resume})
}

// sleep waits d while sampling the spool depth.
func (h *harness) sleep(d time.Duration) {
	end := time.Now().Add(d)
	for {
		if _, err := h.spool.poll(); err != nil {
			h.t.Fatal(err)
		}
		left := time.Until(end)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, 100*time.Millisecond))
	}
}

// drain waits until every endpoint is up and the spool stays empty for a
// moment, then stops the daemon (SIGTERM) and the endpoints.
func (h *harness) drain() time.Time {
	h.t.Helper()
	for _, e := range h.endpoints {
		if !e.up() {
			h.restartEndpoint(e)
		}
	}
	h.sleep(2 * time.Second)
	deadline := time.Now().Add(60 * time.Second)
	for empty := 0; empty < 5; {
		d, err := h.spool.poll()
		if err != nil {
			h.t.Fatal(err)
		}
		if d == 0 {
			empty++
		} else {
			empty = 0
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("spool still holds %d results 60 s after the last fault", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	end := time.Now()
	if err := h.daemon.stop(syscall.SIGTERM, 15*time.Second); err != nil {
		h.t.Errorf("daemon exit on SIGTERM: %v", err)
	}
	if _, err := h.spool.poll(); err != nil {
		h.t.Fatal(err)
	}
	for _, e := range h.endpoints {
		if err := e.p.stop(syscall.SIGTERM, 15*time.Second); err != nil {
			h.t.Errorf("endpoint %s exit on SIGTERM: %v", e.name, err)
		}
	}
	return end
}

// endpointScenario: a primary endpoint SIGKILLed and restarted on its port
// at random, a secondary that drops connections at random and goes down and
// up, sometimes together with the primary (so the spool fills); then the
// primary is killed again right as the agent starts to empty its spool.
// The primary also pushes check_schedule.changed every 1.5 s.
func (h *harness) endpointScenario(m mode) summary {
	a := h.addEndpoint("A", 0, 1500*time.Millisecond)
	b := h.addEndpoint("B", 3*time.Second, 0)
	h.start = h.startDaemon()
	for i := range m.endpointRestarts {
		h.sleep(m.between(h.rng, m.pause))
		// Every other round, the secondary changes state first; in
		// round 1 it goes down with the primary for sure.
		if i == 1 || (i%2 == 1 && h.rng.IntN(2) == 0) {
			if b.up() {
				sig := syscall.SIGKILL
				if h.rng.IntN(2) == 0 {
					sig = syscall.SIGTERM
				}
				h.killEndpoint(b, sig)
			} else {
				h.restartEndpoint(b)
			}
		}
		h.killEndpoint(a, syscall.SIGKILL)
		alone := !b.up()
		if alone {
			h.sleep(m.between(h.rng, outage))
		} else {
			h.sleep(m.between(h.rng, m.downtime))
		}
		h.restartEndpoint(a)
		if alone && (i == 1 || h.rng.IntN(2) == 0) {
			// Both were down: kill the primary again while the spool is
			// being sent to it.
			h.waitFlush()
			h.killEndpoint(a, syscall.SIGKILL)
			h.sleep(m.between(h.rng, m.downtime))
			h.restartEndpoint(a)
		}
		if !b.up() && h.rng.IntN(3) == 0 {
			h.restartEndpoint(b)
		}
	}
	h.sleep(m.between(h.rng, m.pause))
	return h.finish(h.drain())
}

// outage is how long the endpoints stay down so that the spool fills.
var outage = [2]time.Duration{1500 * time.Millisecond, 3500 * time.Millisecond}

// waitFlush waits until the agent starts to send what its spool holds (its
// depth drops), for at most 20 s.
func (h *harness) waitFlush() {
	h.t.Helper()
	d0, err := h.spool.poll()
	if err != nil {
		h.t.Fatal(err)
	}
	if d0 == 0 {
		h.t.Logf("%s spool is empty: nothing to wait for", time.Now().UTC().Format("15:04:05.000"))
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		d, err := h.spool.poll()
		if err != nil {
			h.t.Fatal(err)
		}
		if d < d0 {
			h.t.Logf("%s spool is being sent (%d of %d left)", time.Now().UTC().Format("15:04:05.000"), d, d0)
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
	h.t.Logf("spool of %d did not start to drain within 20 s", d0)
}

// daemonScenario: the daemon SIGKILLed at random and restarted on its state
// dir. Kills cycle through three moments: during an endpoint outage (the
// persisted spool holds results the restarted daemon must deliver), right
// as the spool starts to be sent after an outage, and at a random time.
func (h *harness) daemonScenario(m mode) summary {
	a := h.addEndpoint("A", 4*time.Second, 0)
	h.start = h.startDaemon()
	for i := range m.daemonKills {
		h.sleep(m.between(h.rng, m.pause))
		kind := i % 3
		if kind < 2 {
			h.killEndpoint(a, syscall.SIGKILL)
			h.sleep(m.between(h.rng, outage))
		}
		if kind == 1 {
			h.restartEndpoint(a)
			h.waitFlush()
		}
		killed, pending := h.killDaemon()
		if kind == 0 && len(pending) == 0 {
			h.t.Errorf("daemon killed during an outage with an empty spool: the scenario did not test the persisted spool")
		}
		if !a.up() {
			h.restartEndpoint(a)
		}
		h.sleep(m.between(h.rng, m.downtime))
		h.restartDaemon(killed)
	}
	h.sleep(m.between(h.rng, m.pause))
	return h.finish(h.drain())
}

// stallScenario: the only endpoint is frozen (SIGSTOP) and thawed
// (SIGCONT). It holds its connections without a word: heartbeats and the
// post in flight go unanswered until the agent's heartbeat timeout (10 s)
// drops the connection, and the agent's reconnect stalls in the TLS
// handshake until the endpoint thaws. Thawed, the endpoint reads what the
// dropped connection still held, so a post the agent resent shows up twice:
// a duplicate the analysis must identify as a resend. The first stall
// outlasts the heartbeat timeout; later ones are random.
func (h *harness) stallScenario(m mode) summary {
	a := h.addEndpoint("A", 0, 0)
	h.start = h.startDaemon()
	for i := range m.stalls {
		h.sleep(m.between(h.rng, m.pause))
		d := 13 * time.Second
		if i > 0 {
			d = m.between(h.rng, [2]time.Duration{2 * time.Second, 14 * time.Second})
		}
		a.p.signal(syscall.SIGSTOP)
		h.t.Logf("%s endpoint A frozen for %v", time.Now().UTC().Format("15:04:05.000"), d)
		h.sleep(d)
		a.p.signal(syscall.SIGCONT)
		h.stalls++
	}
	h.sleep(m.between(h.rng, m.pause))
	return h.finish(h.drain())
}

// endpointFaults are the fixture-server fault switches the fault scenario
// turns on, one per endpoint incarnation.
var endpointFaults = [][]string{
	{"--garbage-every", "700ms"},                            // lines that are not JSON
	{"--oversized-every", "1500ms"},                         // 2 MiB lines, over the agent's 1 MiB frame limit
	{"--error", "heartbeat.post=500:0"},                     // every heartbeat answered with an error
	{"--error", "check_schedule.get=503:0"},                 // the schedule refused: the agent keeps its own
	{"--mute"},                                              // requests read and recorded, none answered
	{"--stall-handshake"},                                   // TCP accepted, TLS never completed
	{"--heartbeat-interval", "200ms", "--drop-after", "1s"}, // busy and flaky
}

// faultScenario: the only endpoint restarted again and again with one
// protocol fault switched on (endpointFaults, in turn) for a few seconds,
// then restarted clean for a few seconds so results flow. Every fault
// must end in a reconnect or a resend, never in a lost or reordered result.
func (h *harness) faultScenario(m mode) summary {
	a := h.addEndpoint("A", 0, 0)
	h.start = h.startDaemon()
	for i := range m.faultRounds {
		h.sleep(m.between(h.rng, m.faultPause))
		a.faults = endpointFaults[i%len(endpointFaults)]
		h.killEndpoint(a, syscall.SIGKILL)
		h.restartEndpoint(a)
		h.t.Logf("%s endpoint A restarted with %v", time.Now().UTC().Format("15:04:05.000"), a.faults)
		h.sleep(m.between(h.rng, m.faultTime))
		a.faults = nil
		h.killEndpoint(a, syscall.SIGKILL)
		h.restartEndpoint(a)
		h.faults++
	}
	h.sleep(m.between(h.rng, m.pause))
	return h.finish(h.drain())
}

// finish reads the records, the spool and the logs, logs the verdict and
// fails the test on any loss, unexplained duplicate or reordering.
func (h *harness) finish(end time.Time) summary {
	t := h.t
	t.Helper()
	var facts runFacts
	facts.Checks, facts.Start, facts.End, facts.Down = h.checks, h.start, end, h.down
	facts.Warmup = daemonInterval
	facts.Poisoned, facts.MaxAttempts, facts.DiskFull = h.poisoned, h.maxAttempts, h.diskFull
	var rs recordSummary
	for _, path := range h.records {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // an incarnation that never got to open it
		}
		if err != nil {
			t.Fatal(err)
		}
		ds, refused, sum, err := parseRecords(f, filepath.Base(path))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		facts.Deliveries = append(facts.Deliveries, ds...)
		facts.Refusals = append(facts.Refusals, refused...)
		rs.Hellos += sum.Hellos
		rs.Schedules += sum.Schedules
		rs.Ignored += sum.Ignored
		rs.Rejected += sum.Rejected
		rs.Truncated += sum.Truncated
	}
	spooled, live, maxDepth, bad := h.spool.snapshot()
	facts.Spooled, facts.PendingEnd, facts.Entries = spooled, live, h.spool.entries()
	if bad > 0 {
		t.Errorf("spool file had %d unreadable lines", bad)
	}
	deadPath := filepath.Join(h.stateDir, protocol.DeadLetterFile)
	if f, err := os.Open(deadPath); err == nil {
		dead, badDead, err := parseDeadLetters(f, protocol.DeadLetterFile)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		facts.Dead = dead
		if badDead > 0 {
			t.Logf("dead letter file: %d lines that are not dead letters (a write cut short by a kill)", badDead)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	reconnects := 0
	skips := 0
	runs := map[string][]time.Time{}
	levels := map[string]int{} // "WARN connection dropped" -> count
	for _, path := range h.daemonLogs {
		_, lines, err := scanLog(path, " level=")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range lines {
			if m := logLevelMsg.FindStringSubmatch(l); m != nil && m[1] != "INFO" && m[1] != "DEBUG" {
				levels[m[1]+" "+strings.Trim(m[2], `"`)]++
			}
		}
		times, lines, err := scanLog(path, logCheckResult)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range lines {
			if m := logCheckAttr.FindStringSubmatch(l); m != nil {
				runs[m[1]] = append(runs[m[1]], times[i])
			}
		}
		skips += countLog(h, path, logSkippedRun)
		for _, e := range h.endpoints {
			times, _, err := scanLog(path, "msg=connected endpoint="+e.addr+" ")
			if err != nil {
				t.Fatal(err)
			}
			reconnects += max(0, len(times)-1)
		}
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if strings.Contains(string(b), chaosToken) {
			t.Errorf("%s shows the monitoring token", filepath.Base(path))
		}
	}
	for _, path := range h.outputs {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"WARNING: DATA RACE", "panic: ", "fatal error: "} {
			if i := strings.Index(string(b), bad); i >= 0 {
				t.Errorf("%s: %s", filepath.Base(path), b[i:min(len(b), i+4000)])
			}
		}
	}
	for _, path := range h.records {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), chaosToken) {
			t.Errorf("%s shows the monitoring token", filepath.Base(path))
		}
	}

	facts.Runs = runs
	r := analyze(facts)

	t.Logf("daemon warnings and errors: %v", levels)
	t.Logf("records: %d accepted posts, %d hellos, %d schedule fetches, %d posts unanswered on dropped connections (resent), %d rejected, %d truncated lines",
		r.Receipts, rs.Hellos, rs.Schedules, rs.Ignored, rs.Rejected, rs.Truncated)
	t.Logf("daemon kills excused %d gaps: %v", len(r.Excused), r.Excused)
	notProduced := 0
	for _, g := range r.NotProduced {
		notProduced += g.Missing
	}
	if len(r.NotProduced) > 0 || skips > 0 {
		t.Logf("results never produced (the daemon logged no result there; %d runs logged as skipped): %v", skips, r.NotProduced)
	}
	if len(r.ProducedTwice) > 0 {
		t.Logf("results the daemon produced more than once (two runs stamped with one sample: two spool entries, or one post twice on a connection): %v", r.ProducedTwice)
	}
	t.Logf("widest spacing between results elsewhere: %.2f periods (a gap is over %.2f)", maxSpacing(facts), gapFactor)
	if len(r.Duplicates) > 0 {
		t.Logf("duplicates (resends of delivered results): %v", r.Duplicates)
	}
	deadKeys := map[resultKey]bool{}
	for _, d := range facts.Dead {
		deadKeys[d.Key] = true
	}
	delivered, buried := 0, 0
	for k := range h.pendingAtKill {
		if _, ok := firstDelivered(facts.Deliveries, k); ok || live[k] {
			delivered++
		} else if deadKeys[k] {
			buried++
		} else {
			t.Errorf("%s was in the spool when the daemon was killed and never delivered", k)
		}
	}
	t.Logf("persisted spool: %d results pending at daemon kills, %d delivered after the restart, %d dead-lettered; %d pending at the end",
		len(h.pendingAtKill), delivered, buried, r.PendingEnd)
	if len(r.Unspooled) > 0 {
		t.Logf("%d results delivered before the spool's writer got to them (never written, as designed)", len(r.Unspooled))
	}
	if len(h.poisoned) > 0 {
		attempts := h.maxAttempts
		if attempts <= 0 {
			attempts = protocol.DefaultSpoolMaxAttempts
		}
		t.Logf("poisoned %v: %d refusals of %d results (%d refused only as unavailable), %d delivered after newer results of their check, %d dead letters of %d results (spool_max_attempts %d)",
			keysOf(h.poisoned), rs.Rejected, r.Refused+r.Unavailable, r.Unavailable, r.LateRefused, len(facts.Dead), r.Dead, attempts)
		if r.Dead == 0 {
			t.Errorf("no result of %v in the dead letter file", keysOf(h.poisoned))
		}
		if r.Unavailable == 0 {
			t.Errorf("no result of %v refused only as unavailable (and then delivered)", keysOf(h.poisoned))
		}
	}
	if len(h.diskFull) > 0 {
		t.Logf("disk full: %d outages, %d results produced meanwhile, all in the spool file once space returned and delivered after a daemon kill", len(h.diskFull), r.DiskFull)
	}
	for _, s := range r.RefusalErrors {
		t.Errorf("refusal: %s", s)
	}
	for _, s := range r.DeadErrors {
		t.Errorf("dead letter: %s", s)
	}
	for _, s := range r.DiskFullErrors {
		t.Errorf("disk full: %s", s)
	}
	for _, g := range r.Gaps {
		t.Errorf("gap: %v", g)
	}
	for _, k := range r.Undelivered {
		t.Errorf("lost: %s was spooled and never delivered", k)
	}
	for _, s := range r.BadDuplicates {
		t.Errorf("duplicate that is not a resend: %s", s)
	}
	for _, s := range r.OrderErrors {
		t.Errorf("order: %s", s)
	}
	for _, s := range r.Unknown {
		t.Errorf("post for check %q, which is not scheduled", s)
	}
	if r.Delivered == 0 {
		t.Errorf("nothing delivered")
	}
	if !r.ok() && !t.Failed() {
		t.Errorf("run not ok: %+v", r)
	}
	return summary{
		produced: r.Produced, delivered: r.Delivered, lost: r.Lost, duplicated: r.Duplicated,
		reconnects: reconnects, maxSpoolDepth: maxDepth,
		endpointRestarts: h.endpointRestarts, daemonKills: h.daemonKills, dead: r.Dead, stalls: h.stalls, faults: h.faults,
		refusalPhases: h.refusalPhases, diskFulls: len(h.diskFull), secondDaemons: h.secondDaemons, notProduced: notProduced,
		producedTwice: len(r.ProducedTwice),
	}
}

// keysOf returns the keys of m, sorted.
func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The daemon's log messages for a check result (agent, at debug level:
// the daemons under test log at debug) and for a run it skipped
// (check.Scheduler), and their check attribute.
const (
	logCheckResult = `msg="check result" check=`
	logSkippedRun  = `msg="check still running, skipping this run"`
)

var logCheckAttr = regexp.MustCompile(` check=(\S+)`)

// logLevelMsg matches the level and message of a slog text line.
var logLevelMsg = regexp.MustCompile(` level=(\S+) msg=("(?:[^"\\]|\\.)*"|\S+)`)

func firstDelivered(ds []delivery, k resultKey) (delivery, bool) {
	for _, d := range ds {
		if d.Key == k {
			return d, true
		}
	}
	return delivery{}, false
}
