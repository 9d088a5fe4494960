//go:build unix

package chaos

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds ./cmd/virgo-top from the module root into dir, with
// the race detector when VIRGO_CHAOS_RACE=1 (the processes then report
// data races on their standard error, which the test checks).
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build virgo-top: %v", err)
	}
	out, err := exec.Command(goBin, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		t.Fatalf("not in a module (go env GOMOD = %q)", mod)
	}
	bin := filepath.Join(dir, "virgo-top")
	args, cgo := []string{"build", "-o", bin}, "CGO_ENABLED=0"
	if os.Getenv("VIRGO_CHAOS_RACE") == "1" {
		args, cgo = append(args, "-race"), "CGO_ENABLED=1"
	}
	cmd := exec.Command(goBin, append(args, "./cmd/virgo-top")...)
	cmd.Dir = filepath.Dir(mod)
	cmd.Env = append(os.Environ(), cgo)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/virgo-top: %v\n%s", err, out)
	}
	return bin
}

// childEnv is the environment without VIRGO_TOP_* overrides, so the
// host's settings cannot change the daemon under test.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIRGO_TOP_") {
			env = append(env, kv)
		}
	}
	return env
}

// proc is one child process in its own process group.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's error, once done is closed
}

// startProc starts bin with args in a new process group, output appended
// to outPath. Cleanup kills the group if it still runs.
func startProc(t *testing.T, name, bin string, args []string, outPath string) (*proc, error) {
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.signal(syscall.SIGKILL)
		<-p.done
	})
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process group, unless the process was reaped
// (its group id may be reused then).
func (p *proc) signal(sig syscall.Signal) {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

// stop sends sig and waits up to grace for the exit, then kills the group.
// It returns Wait's error.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) error {
	p.signal(sig)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.signal(syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("%s did not stop within %v of %v", p.name, grace, sig)
	}
	return p.err
}

// logTime matches the time of a slog text line.
var logTime = regexp.MustCompile(`^time=(\S+) `)

// scanLog returns the log lines containing substr, with their times.
func scanLog(path, substr string) ([]time.Time, []string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var times []time.Time
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, substr) {
			continue
		}
		m := logTime.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			return nil, nil, fmt.Errorf("%s: bad time in %q: %w", path, line, err)
		}
		times = append(times, at)
		lines = append(lines, line)
	}
	return times, lines, sc.Err()
}

// waitLog waits until path has a line containing substr and returns its
// time. It gives up when p exits or timeout passes.
func waitLog(p *proc, path, substr string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		times, _, err := scanLog(path, substr)
		if err != nil {
			return time.Time{}, err
		}
		if len(times) > 0 {
			return times[0], nil
		}
		if p.exited() {
			return time.Time{}, fmt.Errorf("%s exited (%v) before logging %q", p.name, p.err, substr)
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s logged no %q within %v", p.name, substr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// spoolTail follows the daemon's spool file as it grows, is compacted
// (rewritten under the same name) and is reopened by a restarted daemon,
// holding the old file open until it is read to the end.
type spoolTail struct {
	path string

	mu       sync.Mutex
	sf       *spoolFile
	f        *os.File
	rest     []byte
	maxDepth int
}

func newSpoolTail(path string) *spoolTail { return &spoolTail{path: path, sf: newSpoolFile()} }

// poll reads what was written since the last poll and returns the depth.
func (s *spoolTail) poll() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range 3 { // at most a switch to a new file, twice
		if s.f == nil {
			f, err := os.Open(s.path)
			if errors.Is(err, os.ErrNotExist) {
				return len(s.sf.live), nil
			}
			if err != nil {
				return 0, err
			}
			s.f, s.rest = f, nil
			s.sf.reset()
		}
		// Is the name still this file? Check before reading, so that
		// what the old file got before the switch is read below.
		cur, serr := os.Stat(s.path)
		mine, ferr := s.f.Stat()
		if err := s.readToEnd(); err != nil {
			return 0, err
		}
		if serr == nil && ferr == nil && os.SameFile(cur, mine) {
			break
		}
		s.f.Close()
		s.f = nil
	}
	d := len(s.sf.live)
	s.maxDepth = max(s.maxDepth, d)
	return d, nil
}

func (s *spoolTail) readToEnd() error {
	buf := make([]byte, 256<<10)
	for {
		n, err := s.f.Read(buf)
		if n > 0 {
			s.rest = s.sf.addAll(append(s.rest, buf[:n]...))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read spool: %w", err)
		}
	}
}

// snapshot returns the spooled results seen so far and those still live.
func (s *spoolTail) snapshot() (produced, live map[resultKey]bool, maxDepth, bad int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	produced = make(map[resultKey]bool, len(s.sf.produced))
	for k := range s.sf.produced {
		produced[k] = true
	}
	return produced, s.sf.liveKeys(), s.maxDepth, s.sf.bad
}

// entries returns the results seen under more than one spool entry.
func (s *spoolTail) entries() map[resultKey]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sf.entries()
}

func (s *spoolTail) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}
