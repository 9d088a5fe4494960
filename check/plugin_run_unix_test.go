//go:build unix

package check

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writePlugin writes an executable /bin/sh script into dir.
func writePlugin(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func runPluginDef(t *testing.T, dir string, details map[string]any) Result {
	t.Helper()
	def := Def{ID: "chPlug", Type: TypePlugin, Period: 30 * time.Second, Details: details}
	return RunOnce(context.Background(), &fakeEnv{}, def, SchedulerOptions{PluginDir: dir, Clock: fixedClock{t0}})
}

func TestPluginRun(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "ok.sh", `echo "status id=$RAX_CHECK_ID period=$RAX_CHECK_PERIOD type=$RAX_CHECK_TYPE foo=$RAX_DETAILS_FOO arg1=$1 arg2=$2 path=$PATH"
echo "metric users int 7"
echo "metric db.conns gauge 12 connections"
echo "metric note string a b  c"
echo "timestamp 1700000000000"
echo "ignored by the parser" >&2
`)
	writePlugin(t, dir, "exit3.sh", "echo boom >&2\nexit 3\n")
	writePlugin(t, dir, "exit3status.sh", "echo 'status disk is gone'\necho 'metric a int 1'\nexit 3\n")
	writePlugin(t, dir, "nothing.sh", "exit 0\n")
	writePlugin(t, dir, "binary.sh", `printf '\177ELF\002\001\001\000\000\377\376\n'`+"\n")
	writePlugin(t, dir, "flood.sh", "yes | head -c 10000000\n")
	writePlugin(t, dir, "endless.sh", "yes\n")
	writePlugin(t, dir, "errflood.sh", "head -c 10000000 /dev/zero >&2\necho 'status quiet'\n")
	writePlugin(t, dir, "unavailable.sh", "echo 'state unavailable'\necho 'status backend down'\necho 'metric a int 1'\n")
	if err := os.WriteFile(filepath.Join(dir, "noexec.sh"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		details map[string]any
		avail   bool
		status  string
		metrics []Metric
		time    time.Time
	}{
		{
			name:    "normal output, env and args",
			details: map[string]any{"file": "ok.sh", "args": []any{"one", "two words"}, "foo": "bar"},
			avail:   true,
			status:  "id=chPlug period=30 type=agent.plugin foo=bar arg1=one arg2=two words path=" + pluginPATH,
			metrics: []Metric{
				m("users", "int64", "7", ""),
				{Dimension: "db", Name: "conns", Type: "gauge", Value: "12", Unit: "connections"},
				m("note", "string", "a b c", ""),
			},
			time: time.UnixMilli(1700000000000).UTC(),
		},
		{name: "exit 3 with stderr", details: map[string]any{"file": "exit3.sh"},
			status: "Plugin exited with non-zero status code (code=3): boom"},
		{name: "exit 3 after a status line", details: map[string]any{"file": "exit3status.sh"}, status: "disk is gone"},
		{name: "exits at once with nothing", details: map[string]any{"file": "nothing.sh"}, avail: true, status: "success"},
		{name: "binary output", details: map[string]any{"file": "binary.sh"},
			status: "Unrecognized line \"\uFFFDELF\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\""},
		{name: "flood", details: map[string]any{"file": "flood.sh"}, status: "Plugin output truncated at 65536 bytes"},
		{name: "endless flood is killed", details: map[string]any{"file": "endless.sh"}, status: "Plugin output truncated at 65536 bytes"},
		{name: "stderr flood is drained", details: map[string]any{"file": "errflood.sh"}, avail: true, status: "quiet"},
		{name: "state unavailable keeps metrics", details: map[string]any{"file": "unavailable.sh"}, status: "backend down",
			metrics: []Metric{m("a", "int64", "1", "")}},
		{name: "missing file parameter", details: nil, status: "Missing file parameter"},
		{name: "bad args", details: map[string]any{"file": "ok.sh", "args": map[string]any{"a": 1}}, status: "details.args: map[a:1] is not a list of strings"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runPluginDef(t, dir, tc.details)
			assertResult(t, r, tc.avail, tc.status, tc.metrics)
			want := tc.time
			if want.IsZero() {
				want = t0
			}
			if !r.Time.Equal(want) {
				t.Errorf("time = %v, want %v", r.Time, want)
			}
		})
	}

	r := runPluginDef(t, dir, map[string]any{"file": "noexec.sh"})
	if r.Available || !strings.HasPrefix(r.Status, "Plugin failed to start: ") {
		t.Errorf("non-executable: %v %q", r.Available, r.Status)
	}
}

func TestPluginPathSafety(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "plugins")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePlugin(t, dir, "good.sh", "echo 'status fine'\n")
	writePlugin(t, root, "outside.sh", "echo 'status escaped'\n")
	if err := os.Symlink(filepath.Join(root, "outside.sh"), filepath.Join(dir, "escape.sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("good.sh", filepath.Join(dir, "alias.sh")); err != nil {
		t.Fatal(err)
	}
	writePlugin(t, dir, "loose.sh", "echo hi\n")
	if err := os.Chmod(filepath.Join(dir, "loose.sh"), 0o775); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}

	for _, file := range []string{"good.sh", "alias.sh"} {
		r := runPluginDef(t, dir, map[string]any{"file": file})
		assertResult(t, r, true, "fine", nil)
	}
	cases := map[string]string{
		"/bin/sh":              `unsafe plugin path: "/bin/sh" must be a relative path inside the plugin directory`,
		"../outside.sh":        `unsafe plugin path: "../outside.sh" must be a relative path inside the plugin directory`,
		"sub/../../outside.sh": `unsafe plugin path: "sub/../../outside.sh" must be a relative path inside the plugin directory`,
		"escape.sh":            `unsafe plugin path: "escape.sh" resolves to ` + filepath.Join(mustReal(t, root), "outside.sh") + ", outside " + mustReal(t, dir),
		"loose.sh":             "unsafe plugin path: " + filepath.Join(mustReal(t, dir), "loose.sh") + " is writable by group or others (mode -rwxrwxr-x)",
		"sub":                  "unsafe plugin path: " + filepath.Join(mustReal(t, dir), "sub") + " is not a regular file",
	}
	for file, want := range cases {
		r := runPluginDef(t, dir, map[string]any{"file": file})
		if r.Available || r.Status != want {
			t.Errorf("%s: available=%v status %q, want %q", file, r.Available, r.Status, want)
		}
	}
	r := runPluginDef(t, dir, map[string]any{"file": "missing.sh"})
	if r.Available || !strings.Contains(r.Status, "no such file or directory") {
		t.Errorf("missing: %q", r.Status)
	}

	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	r = runPluginDef(t, dir, map[string]any{"file": "good.sh"})
	want := "unsafe plugin path: plugin directory " + mustReal(t, dir) + " is writable by group or others (mode -rwxrwxrwx)"
	if r.Available || r.Status != want {
		t.Errorf("writable dir: %q, want %q", r.Status, want)
	}
}

func mustReal(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestPluginTimeoutKillsGroup runs a plugin that forks a child and then
// both hang: at the 1 s timeout the whole group must die.
func TestPluginTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	writePlugin(t, dir, "hang.sh", "sleep 60 &\necho $! > \"$RAX_DETAILS_PIDFILE\"\necho 'status started'\nsleep 60\n")
	r := runPluginDef(t, dir, map[string]any{"file": "hang.sh", "timeout": 1000, "pidfile": pidFile})
	assertResult(t, r, false, "Plugin didn't finish in 1 seconds", nil)

	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	// SIGKILL delivery is asynchronous; the orphan is reaped by init.
	deadline := time.Now().Add(10 * time.Second)
	for processAlive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("forked child %d still alive after the plugin was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processAlive reports whether pid exists and is not a zombie.
func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	if _, err := os.Stat("/proc/self"); err != nil {
		return true // no procfs (darwin): kill(0) succeeding means alive
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// TestPluginCancelled: a run whose context ends early (check removed,
// shutdown) kills the plugin and says so.
func TestPluginCancelled(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "hang.sh", "sleep 60\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	def := Def{ID: "p", Type: TypePlugin, Period: 30 * time.Second, Details: map[string]any{"file": "hang.sh"}}
	r := RunOnce(ctx, &fakeEnv{}, def, SchedulerOptions{PluginDir: dir, Clock: fixedClock{t0}})
	assertResult(t, r, false, "Plugin run cancelled", nil)
}

func TestPluginForeignOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	writePlugin(t, dir, "theirs.sh", "echo 'status x'\n")
	if err := os.Chown(filepath.Join(dir, "theirs.sh"), 65534, 65534); err != nil {
		t.Skip(err)
	}
	r := runPluginDef(t, dir, map[string]any{"file": "theirs.sh"})
	want := "unsafe plugin path: " + filepath.Join(mustReal(t, dir), "theirs.sh") + " is owned by uid 65534, not root or this user"
	assertResult(t, r, false, want, nil)
}
