//go:build unix

package chaos

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/virgo-top/virgo-top/internal/fulldisk"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/virgo-top/virgo-top/protocol"
)

// stateTmpfsSize is the size of the tmpfs the spool scenario mounts as the
// daemon's state dir: room for the spool file (compacted past 1024 dead
// lines) and its rewrite, small enough to fill in a moment.
const stateTmpfsSize = "2m"

// Daemon log messages the spool scenario waits for (protocol.FileStore).
const (
	logSpoolWriteFailed = `msg="spool file: write failed`
	logSpoolRecovered   = `msg="spool file: writes work again`
)

// spoolScenario: the poisoned check chPOISON is refused by the endpoint,
// one incarnation after the other, each followed by a clean one: with type
// "unavailable" (the post is retried in place and never counted, holding
// back the whole spool; it is delivered, never dead), with 400 (counted;
// the connection stays; the clean endpoint gets what waits for a retry
// after newer results of its check) and with 500 (counted; the connection
// is dropped each time; until a post is dead). Then an endpoint
// outage during which the state dir's tmpfs fills up and frees again, and
// the daemon is SIGKILLed once its spool is back on disk and restarted: the
// results produced on the full disk must be delivered. During one of the
// refusing phases a second daemon is started on the same state dir: it must
// exit 2 naming the first one's pid, and disturb nothing. Results refused
// spool_max_attempts times are in spool.dead; all others are delivered.
//
// Without root (or where mount(2) is refused) the disk is not filled: the
// outage and the kill still happen.
func (h *harness) spoolScenario(m mode) summary {
	h.poisoned = map[string]bool{poisonCheck.ID: true}
	h.maxAttempts = m.spoolMaxAttempts
	if h.maxAttempts > 0 {
		h.config += fmt.Sprintf("spool_max_attempts %d\n", h.maxAttempts)
	}
	diskOK := true
	if unmount, err := fulldisk.Mount(h.stateDir, stateTmpfsSize); err != nil {
		diskOK = false
		h.t.Logf("the full-disk part of the spool scenario is skipped: %v; the rest runs", err)
	} else {
		h.t.Cleanup(func() {
			if err := unmount(); err != nil {
				h.t.Errorf("unmount %s: %v", h.stateDir, err)
			}
		})
	}
	a := h.addEndpoint("A", 0, 0)
	h.start = h.startDaemon()
	refuse := func(codeType string) []string { return []string{"--refuse-check", poisonCheck.ID + "=" + codeType} }
	for range m.spoolRounds {
		h.sleep(m.between(h.rng, m.faultPause))
		second := h.rng.IntN(3) // the refusing phase the second daemon comes in
		deadBefore := h.deadLetters()

		// "unavailable": the post is retried in place, the spool waits
		// behind it. Then a clean endpoint until what was refused so is
		// delivered, before anything counts against it.
		h.refusingPhase(a, refuse("503:"+protocol.ErrorTypeUnavailable), m.between(h.rng, m.unavailableTime), second == 0)
		h.waitFor("two unavailable refusals of "+poisonCheck.ID, 30*time.Second, func() bool {
			b, err := os.ReadFile(a.rec)
			return err == nil && bytes.Count(b, []byte(`"type":"`+protocol.ErrorTypeUnavailable+`"`)) >= 2
		})
		h.switchEndpoint(a, nil)
		// The agent retries an "unavailable" post after a backoff that
		// grows while the replies last, up to protocol.DefaultBackoffMax.
		h.waitFor("the posts refused as unavailable delivered", protocol.DefaultBackoffMax+30*time.Second, h.refusedDelivered)

		// 400: counted, the connection stays, the posts behind go on.
		// Then a clean endpoint: the newest results of the poisoned
		// check go at once, those refused before when their retry comes.
		h.refusingPhase(a, refuse("400"), m.between(h.rng, m.refuseTime), second == 1)
		h.switchEndpoint(a, nil)
		h.sleep(m.between(h.rng, m.cleanTime))

		// 500: counted, and the connection dropped each time; until a
		// post is refused to death (the reconnect backoff grows while no
		// post is acknowledged). Then a clean endpoint.
		h.refusingPhase(a, refuse("500"), m.between(h.rng, m.refuseTime), second == 2)
		h.waitFor("a dead letter", 2*protocol.DefaultBackoffMax, func() bool { return h.deadLetters() > deadBefore })
		h.switchEndpoint(a, nil)
		h.sleep(m.between(h.rng, m.cleanTime))

		// An outage: results pile up in the spool, on a full disk if we
		// can; then the daemon is killed and restarted.
		h.killEndpoint(a, syscall.SIGKILL)
		h.logIncarnation(a)
		if diskOK {
			h.fullDisk(m)
		} else {
			h.sleep(m.between(h.rng, outage))
		}
		killed, _ := h.killDaemon()
		h.restartEndpoint(a)
		h.sleep(m.between(h.rng, m.downtime))
		h.restartDaemon(killed)
	}
	h.sleep(m.between(h.rng, m.pause))
	return h.finish(h.drain())
}

func stamp() string { return time.Now().UTC().Format("15:04:05.000") }

// refusingPhase restarts e with faults for d, and starts a second daemon
// halfway through if second.
func (h *harness) refusingPhase(e *endpoint, faults []string, d time.Duration, second bool) {
	h.t.Helper()
	h.switchEndpoint(e, faults)
	h.refusalPhases++
	if second {
		h.sleep(d / 2)
		h.secondDaemon()
		d -= d / 2
	}
	h.sleep(d)
}

// waitFor polls cond (sampling the spool meanwhile) until it holds, for at
// most timeout; it fails the test if it never does.
func (h *harness) waitFor(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Errorf("%s: not within %v", what, timeout)
			return
		}
		h.sleep(100 * time.Millisecond)
	}
}

// deadLetters counts the lines of the daemon's dead letter file.
func (h *harness) deadLetters() int {
	b, err := os.ReadFile(filepath.Join(h.stateDir, protocol.DeadLetterFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// countLog returns how many lines of the log at path contain substr.
func countLog(h *harness, path, substr string) int {
	h.t.Helper()
	times, _, err := scanLog(path, substr)
	if err != nil {
		h.t.Fatal(err)
	}
	return len(times)
}

// fullDisk fills the state dir's tmpfs with a ballast file during an
// endpoint outage until the daemon's spool writes fail, keeps it full for
// a while, frees it, and waits until the daemon wrote what it kept in
// memory and every check has a result from after the disk was freed in the
// spool file. It records the window in h.diskFull: every result produced
// in it must reach the spool file and be delivered, although the daemon is
// killed next.
func (h *harness) fullDisk(m mode) {
	h.t.Helper()
	logPath := h.daemonLog()
	failedBefore := countLog(h, logPath, logSpoolWriteFailed)
	recoveredBefore := countLog(h, logPath, logSpoolRecovered)
	ballast := filepath.Join(h.stateDir, "ballast")
	fillFile(h, ballast)
	from := time.Now()
	h.t.Logf("%s state dir full", stamp())
	h.waitFor("the daemon logs a failed spool write on the full disk", 30*time.Second, func() bool {
		return countLog(h, logPath, logSpoolWriteFailed) > failedBefore
	})
	h.sleep(m.between(h.rng, m.diskFullTime))
	if err := os.Remove(ballast); err != nil {
		h.t.Fatal(err)
	}
	to := time.Now()
	h.diskFull = append(h.diskFull, window{From: from, To: to})
	h.t.Logf("%s state dir freed", stamp())
	h.waitFor("the daemon's spool writes work again", 30*time.Second, func() bool {
		return countLog(h, logPath, logSpoolRecovered) > recoveredBefore
	})
	// A result of every check after the window in the spool file: a
	// result of the window lost now would leave a gap before the kill.
	h.waitFor("a result of every check from after the disk was freed, in the spool file", 30*time.Second, func() bool {
		produced, _, _, _ := h.spool.snapshot()
		after := map[string]bool{}
		for k := range produced {
			if fromMS(k.TS).After(to) {
				after[k.Check] = true
			}
		}
		return len(after) == len(h.checks)
	})
}

// fillFile writes path until the file system is full.
func fillFile(h *harness, path string) {
	h.t.Helper()
	f, err := os.Create(path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			h.t.Fatal(err)
		}
	}
}

// secondDaemon starts a second daemon on the state dir the running one
// holds: it must exit 2 at once, naming the holder's pid, and leave the
// first one and its lock alone.
func (h *harness) secondDaemon() {
	h.t.Helper()
	h.secondDaemons++
	tag := fmt.Sprintf("second-%d", h.secondDaemons)
	logPath := filepath.Join(h.dir, "daemon-"+tag+".log")
	outPath := filepath.Join(h.dir, "daemon-"+tag+".out")
	h.daemonLogs = append(h.daemonLogs, logPath, outPath)
	h.outputs = append(h.outputs, outPath)
	holder := h.daemon.cmd.Process.Pid
	p, err := startProc(h.t, "daemon "+tag, h.bin, h.daemonArgs(logPath), outPath)
	if err != nil {
		h.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.stop(syscall.SIGKILL, 10*time.Second)
		h.t.Errorf("a second daemon on the state dir in use still ran after 30 s")
		return
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err != nil {
		h.t.Fatalf("second daemon: %v", p.err)
	}
	out, err := os.ReadFile(outPath)
	if err != nil {
		h.t.Fatal(err)
	}
	want := fmt.Sprintf("state dir %s is in use by pid %d", h.stateDir, holder)
	if code != 2 || !strings.Contains(string(out), want) {
		h.t.Errorf("second daemon on the state dir in use: exit %d, output %q; want exit 2 and %q", code, out, want)
	}
	if h.daemon.exited() {
		h.t.Errorf("the first daemon exited (%v) when a second one started on its state dir", h.daemon.err)
	}
	lock, err := os.ReadFile(filepath.Join(h.stateDir, "lock"))
	if err != nil || strings.TrimSpace(string(lock)) != strconv.Itoa(holder) {
		h.t.Errorf("the state dir's lock file says %q (%v) after a second daemon, want the holder's pid %d", lock, err, holder)
	}
	if n := countLog(h, logPath, "msg=connected"); n > 0 {
		h.t.Errorf("the second daemon connected to an endpoint %d times", n)
	}
	line := string(out)
	if i := strings.Index(line, "state dir "); i >= 0 {
		line, _, _ = strings.Cut(line[i:], "\n")
	}
	h.t.Logf("%s a second daemon on the state dir exited %d: %s", stamp(), code, line)
}

// refusedDelivered reports whether every result an endpoint refused so far
// was delivered since (or is in the dead letter file).
func (h *harness) refusedDelivered() bool {
	h.t.Helper()
	delivered := map[resultKey]bool{}
	if f, err := os.Open(filepath.Join(h.stateDir, protocol.DeadLetterFile)); err == nil {
		dead, _, err := parseDeadLetters(f, protocol.DeadLetterFile)
		f.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		for _, d := range dead {
			delivered[d.Key] = true
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		h.t.Fatal(err)
	}
	var refused []refusal
	for _, path := range h.records {
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			h.t.Fatal(err)
		}
		ds, rs, _, err := parseRecords(f, filepath.Base(path))
		f.Close()
		if err != nil {
			h.t.Fatal(err)
		}
		for _, d := range ds {
			delivered[d.Key] = true
		}
		refused = append(refused, rs...)
	}
	for _, r := range refused {
		if !delivered[r.Key] {
			return false
		}
	}
	return true
}

// switchEndpoint kills e, logs what that incarnation got, and restarts it
// with faults.
func (h *harness) switchEndpoint(e *endpoint, faults []string) {
	h.t.Helper()
	h.killEndpoint(e, syscall.SIGKILL)
	h.logIncarnation(e)
	e.faults = faults
	h.restartEndpoint(e)
	h.t.Logf("%s endpoint %s restarted with %v", stamp(), e.name, e.faults)
}

// logIncarnation logs what e's last incarnation got: posts accepted and
// refused, and connections (hellos).
func (h *harness) logIncarnation(e *endpoint) {
	h.t.Helper()
	f, err := os.Open(e.rec)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	ds, rs, sum, err := parseRecords(f, filepath.Base(e.rec))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Logf("%s endpoint %s with %v got %d posts accepted, %d refused, on %d connections", filepath.Base(e.rec), e.name, e.faults, len(ds), len(rs), sum.Hellos)
}
