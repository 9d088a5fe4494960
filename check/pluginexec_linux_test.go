package check

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// nobody is the unprivileged user of the root-only tests.
const nobody = 65534

// chownTree chowns paths to uid/gid or skips the test.
func mustChown(t *testing.T, uid, gid int, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := os.Lchown(p, uid, gid); err != nil {
			t.Skipf("chown %s: %v", p, err)
		}
	}
}

// copyTestBinary copies this test binary to dir, so that another user can
// run it (go test builds in a directory only we can enter).
func copyTestBinary(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "check.test")
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestPluginSwapHelperProcess is the swapper of TestPluginSwapRace: run as
// an unprivileged user, it exchanges two files with renameat2
// (RENAME_EXCHANGE) until it is killed.
func TestPluginSwapHelperProcess(t *testing.T) {
	dir := os.Getenv("VIRGO_TOP_TEST_SWAP_DIR")
	if dir == "" {
		t.Skip("helper process for TestPluginSwapRace")
	}
	a, b := filepath.Join(dir, "good.sh"), filepath.Join(dir, "evil.sh")
	for i := 0; ; i++ {
		if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
			fmt.Printf("swap failed: %v\n", err)
			os.Exit(3)
		}
		if i == 0 {
			fmt.Println("swapping")
		}
	}
}

// TestPluginSwapRace is the reported escalation: a user who can write a
// subdirectory of the plugin directory swaps a good script with an evil one
// (RENAME_EXCHANGE, in a loop) while the agent checks and runs the good
// one. The evil script must never run; each run either runs the good
// script or refuses the path.
func TestPluginSwapRace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the swapper runs as uid 65534 against a root-owned plugin directory")
	}
	for _, tc := range []struct {
		name   string
		setup  func(t *testing.T, sub string)
		refuse string
	}{
		{"subdirectory owned by the user", func(t *testing.T, sub string) {
			mustChown(t, nobody, nobody, sub)
		}, "is owned by uid 65534, not root or this user"},
		{"subdirectory writable by the user's group", func(t *testing.T, sub string) {
			mustChown(t, 0, nobody, sub)
			if err := os.Chmod(sub, 0o775); err != nil {
				t.Fatal(err)
			}
		}, "is writable by group or others (mode -rwxrwxr-x)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, err := os.MkdirTemp("", "virgo-plugin-race-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(root) })
			if err := os.Chmod(root, 0o755); err != nil {
				t.Fatal(err)
			}
			plugins := filepath.Join(root, "plugins")
			sub := filepath.Join(plugins, "sub")
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			pwned := filepath.Join(root, "pwned")
			writePlugin(t, sub, "good.sh", "echo 'status good'\n")
			writePlugin(t, sub, "evil.sh", "touch "+pwned+"\necho 'status evil'\n")
			mustChown(t, nobody, nobody, filepath.Join(sub, "evil.sh"))
			tc.setup(t, sub)

			swapper := exec.Command(copyTestBinary(t, root), "-test.run=^TestPluginSwapHelperProcess$")
			swapper.Dir = root
			swapper.Env = append(os.Environ(), "VIRGO_TOP_TEST_SWAP_DIR="+sub)
			swapper.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
			out, err := swapper.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := swapper.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = swapper.Process.Kill()
				_ = swapper.Wait()
			}()
			line, _ := bufio.NewReader(out).ReadString('\n')
			if strings.TrimSpace(line) != "swapping" {
				t.Fatalf("swapper did not start swapping: %q", line)
			}
			go func() { _, _ = io.Copy(io.Discard, out) }()

			good, refused := 0, 0
			for i := 0; i < 300; i++ {
				r := runPluginDef(t, plugins, map[string]any{"file": "sub/good.sh"})
				switch {
				case r.Available && r.Status == "good":
					good++
				case !r.Available && strings.HasPrefix(r.Status, "unsafe plugin path: ") && strings.Contains(r.Status, tc.refuse):
					refused++
				default:
					t.Fatalf("run %d: available=%v status %q", i, r.Available, r.Status)
				}
			}
			if _, err := os.Stat(pwned); err == nil {
				t.Fatal("the evil script ran")
			}
			t.Logf("good=%d refused=%d", good, refused)
		})
	}
}

// TestPluginExecsCheckedFile: the file that runs is the one that was
// checked, even when its path names another file by the time it starts.
func TestPluginExecsCheckedFile(t *testing.T) {
	dir := t.TempDir()
	pwned := filepath.Join(t.TempDir(), "pwned")
	writePlugin(t, dir, "good.sh", "echo \"status good $0\"\n")
	writePlugin(t, dir, "evil.sh", "touch "+pwned+"\necho 'status evil'\n")
	hook := func(string) {
		if err := os.Rename(filepath.Join(dir, "evil.sh"), filepath.Join(dir, "good.sh")); err != nil {
			t.Error(err)
		}
	}
	testHookPluginOpened.Store(&hook)
	defer testHookPluginOpened.Store(nil)
	r := runPluginDef(t, dir, map[string]any{"file": "good.sh"})
	assertResult(t, r, true, "good "+pluginExecPath, nil)
	if _, err := os.Stat(pwned); err == nil {
		t.Fatal("the swapped-in file ran")
	}
}

// leftovers lists the processes whose command line or environment holds
// mark (a zombie has neither).
func leftovers(mark string) []string {
	pids, _ := allPids()
	var out []string
	for _, pid := range pids {
		if pid == os.Getpid() {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		env, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if bytes.Contains(cmd, []byte(mark)) || bytes.Contains(env, []byte(mark)) {
			out = append(out, fmt.Sprintf("%d %q", pid, bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))
		}
	}
	return out
}

// killLeftovers kills what a failed test left running.
func killLeftovers(mark string) {
	for _, l := range leftovers(mark) {
		pid, _ := strconv.Atoi(strings.Fields(l)[0])
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

// syncBuf is a goroutine-safe log buffer.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// doubleForkCase is a plugin that detaches a long-lived process and
// exits once that process runs in its own session (it writes to the FIFO
// $RAX_DETAILS_SYNC after setsid; exiting earlier would let the group kill
// take it before it detached). wipesEnv detaches one that clears its
// environment: only the cgroup and the subreaper can find that one.
type doubleForkCase struct {
	name     string
	body     string
	wipesEnv bool
}

var doubleForkCases = []doubleForkCase{
	{name: "setsid double fork", body: `(setsid sh -c 'echo up > "$0"; sleep 300' "$RAX_DETAILS_SYNC" &)
read x < "$RAX_DETAILS_SYNC"
echo "status ok"
echo "metric x int32 1"
`},
	{name: "setsid child holding stderr only", body: `setsid sh -c 'echo up > "$0"; sleep 300' "$RAX_DETAILS_SYNC" </dev/null >/dev/null &
read x < "$RAX_DETAILS_SYNC"
echo "status ok"
echo "metric x int32 1"
`},
	{name: "detached child with a cleared environment", wipesEnv: true, body: `(setsid env -i sh -c 'echo up > "$1"; read x < "$2"' "sh-$RAX_DETAILS_MARK" "$RAX_DETAILS_SYNC" "$RAX_DETAILS_BLOCK" &)
read x < "$RAX_DETAILS_SYNC"
echo "status ok"
echo "metric x int32 1"
`},
}

// mkfifo makes a FIFO in a fresh temporary directory.
func mkfifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runDoubleFork runs each case once and checks the result and that
// nothing of the run is left. The plugin's timeout is 45 s: the run must
// end at the plugin's exit, and the log says when it waited for the
// timeout instead.
func runDoubleFork(t *testing.T, withWipedEnv bool) {
	dir := t.TempDir()
	for i, tc := range doubleForkCases {
		if tc.wipesEnv && !withWipedEnv {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("fork%d.sh", i)
			writePlugin(t, dir, name, tc.body)
			mark := fmt.Sprintf("mark-%d-%d-%d", os.Getpid(), i, time.Now().UnixNano())
			t.Cleanup(func() { killLeftovers(mark) })
			var logs syncBuf
			def := Def{ID: "chFork", Type: TypePlugin, Period: time.Minute, Timeout: 50 * time.Second,
				Details: map[string]any{"file": name, "mark": mark, "timeout": 45000, "sync": mkfifo(t), "block": mkfifo(t)}}
			r := RunOnce(context.Background(), &fakeEnv{}, def, SchedulerOptions{PluginDir: dir, Clock: fixedClock{t0},
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			// "status ok ..." is the legacy form: the word becomes legacy_state.
			assertResult(t, r, true, "", []Metric{m("legacy_state", "string", "ok", ""), m("x", "int32", "1", "")})
			if left := leftovers(mark); len(left) > 0 {
				t.Errorf("processes of the run left behind: %v", left)
			}
			if strings.Contains(logs.String(), "kept its output open") {
				t.Errorf("the run waited for its timeout:\n%s", logs.String())
			}
		})
	}
}

// TestPluginDetachedDescendantsCgroup: with a run cgroup, cgroup.kill
// takes every descendant, environment or not.
func TestPluginDetachedDescendantsCgroup(t *testing.T) {
	if _, err := cgroupParentDir(); err != nil {
		t.Skipf("no usable cgroup v2 here (%v): the cgroup path is not tested", err)
	}
	runDoubleFork(t, true)
}

// TestPluginDetachedDescendantsMarker: without a cgroup or a subreaper
// (an embedder that did not call EnableReaper), the marker sweep still
// kills detached descendants that kept their environment.
func TestPluginDetachedDescendantsMarker(t *testing.T) {
	if reaperState.r.Load() != nil {
		t.Skip("the reaper is on in this process")
	}
	pluginCgroups.off.Store(true)
	defer pluginCgroups.off.Store(false)
	runDoubleFork(t, false)
}

// TestPluginReaper runs TestPluginReaperChildProcess in a child process:
// the subreaper owns every wait of its process, so it is only turned on
// in a process that starts no other children.
func TestPluginReaper(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPluginReaperChildProcess$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "VIRGO_TOP_TEST_REAPER_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: TestPluginReaperChildProcess")) {
		t.Fatalf("reaper child: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// TestPluginReaperChildProcess is TestPluginReaper's child: the reaper on,
// cgroups off.
func TestPluginReaperChildProcess(t *testing.T) {
	if os.Getenv("VIRGO_TOP_TEST_REAPER_CHILD") == "" {
		t.Skip("run by TestPluginReaper in a child process")
	}
	if err := EnableReaper(); err != nil {
		t.Fatal(err)
	}
	pluginCgroups.off.Store(true)
	r := reaperState.r.Load()

	t.Run("detached descendants", func(t *testing.T) { runDoubleFork(t, true) })

	t.Run("exit statuses reach their runs", func(t *testing.T) {
		dir := t.TempDir()
		var wg sync.WaitGroup
		for i := range 12 {
			name := fmt.Sprintf("exit%d.sh", i)
			writePlugin(t, dir, name, fmt.Sprintf("(sleep 0.0%d; exit 0) &\necho err%d >&2\nexit %d\n", i%10, i, i+1))
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := runPluginDef(t, dir, map[string]any{"file": name})
				want := fmt.Sprintf("Plugin exited with non-zero status code (code=%d): err%d", i+1, i)
				if res.Available || res.Status != want {
					t.Errorf("%s: %v %q, want %q", name, res.Available, res.Status, want)
				}
			}()
		}
		wg.Wait()
	})

	t.Run("timeout kills a detached child", func(t *testing.T) {
		dir := t.TempDir()
		mark := fmt.Sprintf("mark-timeout-%d", os.Getpid())
		writePlugin(t, dir, "hang.sh", "(setsid sh -c 'echo up > \"$0\"; sleep 300' \"$RAX_DETAILS_SYNC\" &)\nread x < \"$RAX_DETAILS_SYNC\"\nsleep 300\n")
		res := runPluginDef(t, dir, map[string]any{"file": "hang.sh", "timeout": 500, "mark": mark, "sync": mkfifo(t)})
		assertResult(t, res, false, "Plugin didn't finish in 0.5 seconds", nil)
		if left := leftovers(mark); len(left) > 0 {
			t.Errorf("left behind: %v", left)
		}
	})

	t.Run("orphans are reaped", func(t *testing.T) {
		// Every process a sweep killed has exited; one synchronous round
		// reaps them, so none of our children is a zombie.
		r.reap()
		kids, err := selfChildren()
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range kids {
			if st, _, ok := procState(pid); ok && st == 'Z' {
				t.Errorf("zombie child %d", pid)
			}
		}
	})

	t.Run("siginfo pid", func(t *testing.T) {
		// The reaper's gate keeps its goroutine out while we wait here.
		r.gate.Lock()
		defer r.gate.Unlock()
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 7"}, &syscall.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		var info unix.Siginfo
		if err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
			t.Fatal(err)
		}
		if got := siginfoPid(&info); got != pid {
			t.Errorf("siginfoPid = %d, want %d", got, pid)
		}
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil || ws.ExitStatus() != 7 {
			t.Errorf("wait4: %v %v", err, ws)
		}
	})
}

// TestStaleCgroupRemoved: a run cgroup left by a dead agent (SIGKILL
// mid-run) is killed and removed when the next agent first uses cgroups.
func TestStaleCgroupRemoved(t *testing.T) {
	parent, err := cgroupParentDir()
	if err != nil {
		t.Skipf("no usable cgroup v2 here: %v", err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(parent, fmt.Sprintf("%s%d-7", cgroupPrefix, dead.Process.Pid))
	if err := os.Mkdir(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(stale, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sleeper := exec.Command("sleep", "300")
	sleeper.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	err = sleeper.Start()
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	removeStaleCgroups(parent)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale cgroup still there: %v", err)
		_ = sleeper.Process.Kill()
	}
	if err := sleeper.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("sleeper: %v, want killed", err)
	}
}

func TestProcfsParsers(t *testing.T) {
	if got, ok := parseCgroupV2Path([]byte("12:pids:/a\n0::/system.slice/virgo-top.service\n")); !ok || got != "/system.slice/virgo-top.service" {
		t.Errorf("parseCgroupV2Path = %q %v", got, ok)
	}
	if _, ok := parseCgroupV2Path([]byte("4:memory:/x\n1:cpu:/\n")); ok {
		t.Error("v1-only membership parsed as v2")
	}
	if _, ok := parseCgroupV2Path([]byte("0::/gone (deleted)\n")); ok {
		t.Error("deleted cgroup accepted")
	}
	hybrid := "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
		"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
		"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	for _, tc := range []struct{ mountinfo, rel, want string }{
		{hybrid, "/", "/sys/fs/cgroup/unified"},
		{hybrid, "/system.slice/a.service", "/sys/fs/cgroup/unified/system.slice/a.service"},
		{"29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n", "/user.slice", "/sys/fs/cgroup/user.slice"},
		// A bind-mounted subtree (a container seeing part of the host's).
		{"29 23 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", "/docker/abc/sub", "/sys/fs/cgroup/sub"},
		{"29 23 0:26 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n", "/x", "/mnt/cg two/x"},
	} {
		if got, ok := cgroupDir([]byte(tc.mountinfo), tc.rel); !ok || got != tc.want {
			t.Errorf("cgroupDir(%q) = %q %v, want %q", tc.rel, got, ok, tc.want)
		}
	}
	if _, ok := cgroupDir([]byte(hybrid[:strings.Index(hybrid, "40 ")]), "/"); ok {
		t.Error("found a cgroup2 mount in a v1-only mountinfo")
	}
	if st, pp, ok := parseProcStat([]byte("42 (a) b) (c) S 17 42 42 0 -1")); !ok || st != 'S' || pp != 17 {
		t.Errorf("parseProcStat = %c %d %v", st, pp, ok)
	}
	if _, _, ok := parseProcStat([]byte("42 (x")); ok {
		t.Error("truncated stat parsed")
	}
	env := []byte("PATH=/bin\x00" + pluginRunVar + "=12.3\x00X=" + pluginRunVar + "=no\x00")
	if got := parseEnvMarker(env); got != "12.3" {
		t.Errorf("parseEnvMarker = %q", got)
	}
	if got := parseEnvMarker([]byte("X=" + pluginRunVar + "=no")); got != "" {
		t.Errorf("marker inside a value: %q", got)
	}
	if got := parsePids([]byte("12 x 7 -3 \n")); fmt.Sprint(got) != "[12 7]" {
		t.Errorf("parsePids = %v", got)
	}
	if !cgroupPopulated([]byte("populated 1\nfrozen 0\n")) || cgroupPopulated([]byte("populated 0\nfrozen 0\n")) {
		t.Error("cgroupPopulated")
	}
}

func FuzzProcfsParsers(f *testing.F) {
	f.Add([]byte("0::/a\n29 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n1 (x) S 0\x00" + pluginRunVar + "=1\x00populated 1"))
	f.Add([]byte("40 30 0:37 /\\040 /m\\ rw - cgroup2\n) )) 5 (Z 3\x00\x00="))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, ok := parseCgroupV2Path(b); ok && !strings.HasPrefix(p, "/") {
			t.Fatalf("relative cgroup path %q", p)
		}
		if p, ok := parseCgroupV2Path(b); ok {
			_, _ = cgroupDir(b, p)
		}
		_, _ = cgroupDir(b, "/")
		if _, pp, ok := parseProcStat(b); ok && pp < 0 {
			t.Fatalf("negative ppid %d", pp)
		}
		if m := parseEnvMarker(b); strings.IndexByte(m, 0) >= 0 {
			t.Fatalf("marker with a NUL: %q", m)
		}
		for _, pid := range parsePids(b) {
			if pid <= 0 {
				t.Fatalf("pid %d", pid)
			}
		}
		_ = cgroupPopulated(b)
		_ = unescapeMount(string(b))
	})
}

// setCgroupsOff switches run cgroups off or back on; it reports whether
// that changes anything here.
func setCgroupsOff(off bool) bool {
	pluginCgroups.off.Store(off)
	return true
}

// TestPluginWithoutShebang: a script without a "#!" line runs under
// /bin/sh as execvp runs it, from the descriptor that was checked
// (/bin/sh /proc/self/fd/3 ARGS), with or without a run cgroup, and the
// file swapped in under its path after the check does not run.
func TestPluginWithoutShebang(t *testing.T) {
	for _, cgOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("cgroups_off=%v", cgOff), func(t *testing.T) {
			prev := pluginCgroups.off.Load()
			setCgroupsOff(cgOff)
			defer setCgroupsOff(prev)

			dir := t.TempDir()
			pwned := filepath.Join(t.TempDir(), "pwned")
			body := "echo \"status plain $0 $# $1 $2\"\necho 'metric n int 7'\n"
			if err := os.WriteFile(filepath.Join(dir, "plain"), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
			r := runPluginDef(t, dir, map[string]any{"file": "plain", "args": []any{"a b", "c"}})
			assertResult(t, r, true, "plain "+pluginExecPath+" 2 a b c", []Metric{m("n", "int64", "7", "")})

			if err := os.WriteFile(filepath.Join(dir, "evil"), []byte("touch "+pwned+"\necho 'status evil'\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			hook := func(string) {
				if err := os.Rename(filepath.Join(dir, "evil"), filepath.Join(dir, "plain")); err != nil {
					t.Error(err)
				}
			}
			testHookPluginOpened.Store(&hook)
			defer testHookPluginOpened.Store(nil)
			r = runPluginDef(t, dir, map[string]any{"file": "plain"})
			assertResult(t, r, true, "plain "+pluginExecPath+" 0  ", []Metric{m("n", "int64", "7", "")})
			if _, err := os.Stat(pwned); err == nil {
				t.Fatal("the swapped-in file ran")
			}
		})
	}
}
