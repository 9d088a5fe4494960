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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
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

var scheduleTypes = map[string]string{"chMEM": "agent.memory", "chLOAD": "agent.load_average", "chCPU": "agent.cpu"}

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
}

func (m mode) between(rng *rand.Rand, r [2]time.Duration) time.Duration {
	return r[0] + time.Duration(rng.Int64N(int64(r[1]-r[0])+1))
}

var (
	shortMode = mode{name: "short", endpointRestarts: 3, daemonKills: 1, stalls: 1, faultRounds: len(endpointFaults),
		faultTime: [2]time.Duration{1500 * time.Millisecond, 2500 * time.Millisecond}, faultPause: [2]time.Duration{500 * time.Millisecond, time.Second},
		pause: [2]time.Duration{1500 * time.Millisecond, 3 * time.Second}, downtime: [2]time.Duration{300 * time.Millisecond, 1500 * time.Millisecond}}
	longMode = mode{name: "long", endpointRestarts: 20, daemonKills: 8, stalls: 5, faultRounds: 3 * len(endpointFaults),
		faultTime: [2]time.Duration{2 * time.Second, 6 * time.Second}, faultPause: [2]time.Duration{time.Second, 4 * time.Second},
		pause: [2]time.Duration{2 * time.Second, 7 * time.Second}, downtime: [2]time.Duration{300 * time.Millisecond, 3 * time.Second}}
)

// TestChaos runs the real binaries through endpoint and daemon kills and
// checks that no metric is lost. VIRGO_CHAOS=long runs the long version;
// VIRGO_CHAOS_SEED=N replays a run's random choices.
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test runs real processes for ~25 s; skipped under -short")
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
		name string
		run  func(h *harness, m mode) summary
	}{
		{"endpoints", (*harness).endpointScenario},
		{"daemon", (*harness).daemonScenario},
		{"stall", (*harness).stallScenario},
		{"faults", (*harness).faultScenario},
	}
	// t.Run from goroutines: the scenarios run at once whatever -parallel
	// says (they wait on processes, not on the CPU).
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(sc.name, func(t *testing.T) {
				h := newHarness(t, bin, rand.New(rand.NewPCG(seed, uint64(i+1))))
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
	t.Logf("chaos: also %d endpoint freezes (SIGSTOP/SIGCONT) and %d endpoint incarnations with a protocol fault", total.stalls, total.faults)
}

// summary is the one line a run reports.
type summary struct {
	produced, delivered, lost, duplicated, reconnects int
	maxSpoolDepth, endpointRestarts, daemonKills      int
	stalls                                            int // not in the line: endpoint freezes
	faults                                            int // not in the line: faulty endpoint incarnations
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
	s.stalls += o.stalls
	s.faults += o.faults
}

func (s summary) String() string {
	return fmt.Sprintf("produced=%d delivered=%d lost=%d duplicated=%d reconnects=%d max_spool_depth=%d endpoint_restarts=%d daemon_kills=%d",
		s.produced, s.delivered, s.lost, s.duplicated, s.reconnects, s.maxSpoolDepth, s.endpointRestarts, s.daemonKills)
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
	gen    int // incarnations started
	p      *proc
}

func (e *endpoint) up() bool { return e.p != nil && !e.p.exited() }

// harness runs one scenario's processes in its own temporary directory.
type harness struct {
	t        *testing.T
	bin, dir string
	rng      *rand.Rand
	tlsDir   string
	ca       string // the CA the daemon trusts (copied once)
	sched    string
	stateDir string
	spool    *spoolTail

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
}

func newHarness(t *testing.T, bin string, rng *rand.Rand) *harness {
	dir := t.TempDir()
	h := &harness{
		t: t, bin: bin, dir: dir, rng: rng,
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
	var checks []wireCheck
	for _, c := range schedule {
		checks = append(checks, wireCheck{c.ID, scheduleTypes[c.ID], int(c.Period / time.Second), 1})
	}
	b, err := json.Marshal(checks)
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

// startDaemon starts the daemon on the shared state dir and waits until it
// has the endpoint's schedule; it returns when the schedule arrived.
func (h *harness) startDaemon() time.Time {
	h.t.Helper()
	h.daemonGen++
	logPath := filepath.Join(h.dir, fmt.Sprintf("daemon-%d.log", h.daemonGen))
	cfg := filepath.Join(h.dir, "virgo-top.cfg")
	if err := os.WriteFile(cfg, []byte("# chaos test: everything comes from flags\n"), 0o600); err != nil {
		h.t.Fatal(err)
	}
	var addrs []string
	for _, e := range h.endpoints {
		addrs = append(addrs, e.addr)
	}
	args := []string{"--daemon", "--config", cfg, "--endpoint", strings.Join(addrs, ","), "--ca-file", h.ca,
		"--agent-id", "chaos", "--token", chaosToken, "--state-dir", h.stateDir, "--interval", daemonInterval.String(),
		"--confd", filepath.Join(h.dir, "confd"), "--plugin-dir", filepath.Join(h.dir, "plugins"), "--log-file", logPath}
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
	facts.Checks, facts.Start, facts.End, facts.Down = schedule, h.start, end, h.down
	facts.Warmup = daemonInterval
	var rs recordSummary
	for _, path := range h.records {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // an incarnation that never got to open it
		}
		if err != nil {
			t.Fatal(err)
		}
		ds, sum, err := parseRecords(f, filepath.Base(path))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		facts.Deliveries = append(facts.Deliveries, ds...)
		rs.Hellos += sum.Hellos
		rs.Schedules += sum.Schedules
		rs.Ignored += sum.Ignored
		rs.Rejected += sum.Rejected
		rs.Truncated += sum.Truncated
	}
	spooled, live, maxDepth, bad := h.spool.snapshot()
	facts.Spooled, facts.PendingEnd = spooled, live
	if bad > 0 {
		t.Errorf("spool file had %d unreadable lines", bad)
	}
	r := analyze(facts)

	reconnects := 0
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

	t.Logf("daemon warnings and errors: %v", levels)
	t.Logf("records: %d accepted posts, %d hellos, %d schedule fetches, %d posts unanswered on dropped connections (resent), %d rejected, %d truncated lines",
		r.Receipts, rs.Hellos, rs.Schedules, rs.Ignored, rs.Rejected, rs.Truncated)
	t.Logf("daemon kills excused %d gaps: %v", len(r.Excused), r.Excused)
	t.Logf("widest spacing between results elsewhere: %.2f periods (a gap is over %.2f)", maxSpacing(facts), gapFactor)
	if len(r.Duplicates) > 0 {
		t.Logf("duplicates (resends of delivered results): %v", r.Duplicates)
	}
	delivered := 0
	for k := range h.pendingAtKill {
		if _, ok := firstDelivered(facts.Deliveries, k); ok || live[k] {
			delivered++
		} else {
			t.Errorf("%s was in the spool when the daemon was killed and never delivered", k)
		}
	}
	t.Logf("persisted spool: %d results pending at daemon kills, %d delivered after the restart; %d pending at the end", len(h.pendingAtKill), delivered, r.PendingEnd)
	if rs.Rejected > 0 {
		t.Errorf("%d posts rejected by an endpoint that injects no errors", rs.Rejected)
	}
	for _, g := range r.Gaps {
		t.Errorf("gap: %v", g)
	}
	for _, k := range r.Undelivered {
		t.Errorf("lost: %s was spooled and never delivered", k)
	}
	for _, k := range r.Unspooled {
		t.Errorf("%s delivered but never seen in the spool file", k)
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
		endpointRestarts: h.endpointRestarts, daemonKills: h.daemonKills, stalls: h.stalls, faults: h.faults,
	}
}

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
