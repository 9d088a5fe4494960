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
	t.Setenv("PATH", "/usr/local/bin:/usr/bin:/bin") // inherited, short enough for the status
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
			status:  "id=chPlug period=30 type=agent.plugin foo=bar arg1=one arg2=two words path=/usr/local/bin:/usr/bin:/bin",
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

// TestPluginEnvironmentRunsEnv runs a plugin that prints its environment
// with env: it has the agent's (as Virgo's _childEnv) with the RAX_*
// variables, and none of the agent's secrets.
func TestPluginEnvironmentRunsEnv(t *testing.T) {
	secrets := map[string]string{
		"VIRGO_TOP_MONITORING_TOKEN":      "tok-0123456789abcdef.7777",
		"VIRGO_TOP_MONITORING_TOKEN_FILE": "/etc/virgo-top.token",
		"VIRGO_TOP_NOTIFY_WEBHOOK_SECRET": "hook-secret-value",
		"VIRGO_TOP_NOTIFY_SMTP_PASSWORD":  "smtp-secret-value",
		"VIRGO_TOP_NOTIFY_WEBHOOK_URL":    "https://hooks.example.com/T0/B0/url-secret-value",
		"VIRGO_TOP_MONITORING_PROXY_URL":  "http://user:proxy-secret-value@proxy.example:3128",
		"CREDENTIALS_DIRECTORY":           "/run/credentials/virgo-top.service",
		"NOTIFY_SOCKET":                   "/run/systemd/notify",
	}
	kept := map[string]string{
		"VIRGO_TEST_KEPT": "a value with spaces",
		"HTTP_PROXY":      "http://proxy.example:3128",
		"LANG":            "C.UTF-8",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	for k, v := range kept {
		t.Setenv(k, v)
	}
	t.Setenv("RAX_CHECK_ID", "inherited-and-replaced")

	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "env.out")
	writePlugin(t, dir, "env.sh", "env > \"$1\"\necho 'status env written'\n")
	r := runPluginDef(t, dir, map[string]any{"file": "env.sh", "args": []any{out}, "db_host": "db1"})
	assertResult(t, r, true, "env written", nil)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = append(env[k], v)
	}
	for k, v := range secrets {
		if _, ok := env[k]; ok {
			t.Errorf("plugin got %s", k)
		}
		if strings.Contains(string(b), v) {
			t.Errorf("plugin's environment holds the value of %s", k)
		}
	}
	want := map[string]string{
		"PATH":                os.Getenv("PATH"),
		"HOME":                os.Getenv("HOME"),
		"RAX_CHECK_ID":        "chPlug",
		"RAX_CHECK_PERIOD":    "30",
		"RAX_CHECK_TYPE":      TypePlugin,
		"RAX_DETAILS_FILE":    "env.sh",
		"RAX_DETAILS_DB_HOST": "db1",
	}
	for k, v := range kept {
		want[k] = v
	}
	for k, v := range want {
		if got := env[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want exactly [%q]", k, got, v)
		}
	}
	if got := env[pluginRunVar]; len(got) != 1 || got[0] == "" {
		t.Errorf("%s = %q, want the run marker", pluginRunVar, got)
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

// TestPluginPathComponents: every component from "/" to the plugin file
// is checked, not only the plugin directory and the file.
func TestPluginPathComponents(t *testing.T) {
	type tree struct {
		root, plugins string
	}
	mkdir := func(t *testing.T, p string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	symlink := func(t *testing.T, target, p string) {
		t.Helper()
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		root     bool // needs root (chown)
		setup    func(t *testing.T, tr tree) (dir, file string)
		want     string // status; "" means the plugin ran
		contains bool   // want is a substring
	}{
		{name: "group-writable parent of the plugin directory", setup: func(t *testing.T, tr tree) (string, string) {
			dir := filepath.Join(tr.root, "shared", "plugins")
			mkdir(t, dir, 0o755)
			writePlugin(t, dir, "good.sh", "echo 'status fine'\n")
			mkdir(t, filepath.Join(tr.root, "shared"), 0o775)
			return dir, "good.sh"
		}, want: "unsafe plugin path: directory {root}/shared is writable by group or others (mode -rwxrwxr-x)"},
		{name: "sticky world-writable parent (like /tmp) is allowed", setup: func(t *testing.T, tr tree) (string, string) {
			dir := filepath.Join(tr.root, "tmp", "plugins")
			mkdir(t, dir, 0o755)
			writePlugin(t, dir, "good.sh", "echo 'status fine'\n")
			mkdir(t, filepath.Join(tr.root, "tmp"), 0o777|os.ModeSticky)
			return dir, "good.sh"
		}},
		{name: "group-writable subdirectory", setup: func(t *testing.T, tr tree) (string, string) {
			mkdir(t, filepath.Join(tr.plugins, "sub"), 0o775)
			writePlugin(t, filepath.Join(tr.plugins, "sub"), "good.sh", "echo 'status fine'\n")
			return tr.plugins, "sub/good.sh"
		}, want: "unsafe plugin path: directory {plugins}/sub is writable by group or others (mode -rwxrwxr-x)"},
		{name: "sticky subdirectory is not enough inside the plugin directory", setup: func(t *testing.T, tr tree) (string, string) {
			mkdir(t, filepath.Join(tr.plugins, "sub"), 0o777|os.ModeSticky)
			writePlugin(t, filepath.Join(tr.plugins, "sub"), "good.sh", "echo 'status fine'\n")
			return tr.plugins, "sub/good.sh"
		}, want: "unsafe plugin path: directory {plugins}/sub is writable by group or others (mode -rwxrwxrwx)"},
		{name: "trusted subdirectory", setup: func(t *testing.T, tr tree) (string, string) {
			mkdir(t, filepath.Join(tr.plugins, "sub"), 0o755)
			writePlugin(t, filepath.Join(tr.plugins, "sub"), "good.sh", "echo 'status fine'\n")
			return tr.plugins, "sub/./good.sh"
		}},
		{name: "plugin directory reached through a symlink", setup: func(t *testing.T, tr tree) (string, string) {
			writePlugin(t, tr.plugins, "good.sh", "echo 'status fine'\n")
			symlink(t, "plugins", filepath.Join(tr.root, "link"))
			return filepath.Join(tr.root, "link"), "good.sh"
		}},
		{name: "symlinked subdirectory to a group-writable directory", setup: func(t *testing.T, tr tree) (string, string) {
			mkdir(t, filepath.Join(tr.plugins, "gw"), 0o775)
			writePlugin(t, filepath.Join(tr.plugins, "gw"), "good.sh", "echo 'status fine'\n")
			symlink(t, "gw", filepath.Join(tr.plugins, "sub"))
			return tr.plugins, "sub/good.sh"
		}, want: "unsafe plugin path: directory {plugins}/gw is writable by group or others (mode -rwxrwxr-x)"},
		{name: "symlinked subdirectory leading outside", setup: func(t *testing.T, tr tree) (string, string) {
			mkdir(t, filepath.Join(tr.root, "elsewhere"), 0o755)
			writePlugin(t, filepath.Join(tr.root, "elsewhere"), "good.sh", "echo 'status fine'\n")
			symlink(t, filepath.Join(tr.root, "elsewhere"), filepath.Join(tr.plugins, "sub"))
			return tr.plugins, "sub/good.sh"
		}, want: `unsafe plugin path: "sub/good.sh" resolves to {root}/elsewhere/good.sh, outside {plugins}`},
		{name: "symlink out and back in", setup: func(t *testing.T, tr tree) (string, string) {
			writePlugin(t, tr.plugins, "good.sh", "echo 'status fine'\n")
			symlink(t, "../plugins/./good.sh", filepath.Join(tr.plugins, "alias.sh"))
			return tr.plugins, "alias.sh"
		}},
		{name: "symlink loop", setup: func(t *testing.T, tr tree) (string, string) {
			symlink(t, "loop", filepath.Join(tr.plugins, "loop"))
			return tr.plugins, "loop"
		}, want: "too many levels of symbolic links", contains: true},
		{name: "file in place of a directory", setup: func(t *testing.T, tr tree) (string, string) {
			writePlugin(t, tr.plugins, "good.sh", "echo 'status fine'\n")
			return tr.plugins, "good.sh/x"
		}, want: "plugin good.sh/x: open {plugins}/good.sh: not a directory"},
		{name: "plugin directory is a file", setup: func(t *testing.T, tr tree) (string, string) {
			writePlugin(t, tr.plugins, "good.sh", "echo 'status fine'\n")
			return filepath.Join(tr.plugins, "good.sh"), "x.sh"
		}, want: "plugin directory: open {plugins}/good.sh: not a directory"},
		{name: "fifo", setup: func(t *testing.T, tr tree) (string, string) {
			if err := syscall.Mkfifo(filepath.Join(tr.plugins, "fifo.sh"), 0o755); err != nil {
				t.Fatal(err)
			}
			return tr.plugins, "fifo.sh"
		}, want: "unsafe plugin path: {plugins}/fifo.sh is not a regular file"},
		{name: "symlink to a device", setup: func(t *testing.T, tr tree) (string, string) {
			symlink(t, "/dev/null", filepath.Join(tr.plugins, "null.sh"))
			return tr.plugins, "null.sh"
		}, want: `unsafe plugin path: "null.sh" resolves to /dev/null, outside {plugins}`},
		{name: "the plugin directory itself", setup: func(t *testing.T, tr tree) (string, string) {
			return tr.plugins, "."
		}, want: "unsafe plugin path: {plugins} is not a regular file"},
		{name: "subdirectory owned by another user", root: true, setup: func(t *testing.T, tr tree) (string, string) {
			mkdir(t, filepath.Join(tr.plugins, "sub"), 0o755)
			writePlugin(t, filepath.Join(tr.plugins, "sub"), "good.sh", "echo 'status fine'\n")
			if err := os.Chown(filepath.Join(tr.plugins, "sub"), 65534, 65534); err != nil {
				t.Skip(err)
			}
			return tr.plugins, "sub/good.sh"
		}, want: "unsafe plugin path: directory {plugins}/sub is owned by uid 65534, not root or this user"},
		{name: "parent owned by another user", root: true, setup: func(t *testing.T, tr tree) (string, string) {
			dir := filepath.Join(tr.root, "theirs", "plugins")
			mkdir(t, dir, 0o755)
			writePlugin(t, dir, "good.sh", "echo 'status fine'\n")
			if err := os.Chown(filepath.Join(tr.root, "theirs"), 65534, 65534); err != nil {
				t.Skip(err)
			}
			return dir, "good.sh"
		}, want: "unsafe plugin path: directory {root}/theirs is owned by uid 65534, not root or this user"},
		{name: "symlink owned by another user", root: true, setup: func(t *testing.T, tr tree) (string, string) {
			writePlugin(t, tr.plugins, "good.sh", "echo 'status fine'\n")
			symlink(t, "good.sh", filepath.Join(tr.plugins, "alias.sh"))
			if err := os.Lchown(filepath.Join(tr.plugins, "alias.sh"), 65534, 65534); err != nil {
				t.Skip(err)
			}
			return tr.plugins, "alias.sh"
		}, want: "unsafe plugin path: symlink {plugins}/alias.sh is owned by uid 65534, not root or this user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.root && os.Geteuid() != 0 {
				t.Skip("needs root to chown")
			}
			root := mustReal(t, t.TempDir())
			tr := tree{root: root, plugins: filepath.Join(root, "plugins")}
			if err := os.Mkdir(tr.plugins, 0o755); err != nil {
				t.Fatal(err)
			}
			dir, file := tc.setup(t, tr)
			r := runPluginDef(t, dir, map[string]any{"file": file})
			if tc.want == "" {
				assertResult(t, r, true, "fine", nil)
				return
			}
			want := strings.NewReplacer("{root}", tr.root, "{plugins}", tr.plugins).Replace(tc.want)
			if r.Available || !tc.contains && r.Status != want || tc.contains && !strings.Contains(r.Status, want) {
				t.Errorf("available=%v status %q, want %q", r.Available, r.Status, want)
			}
		})
	}
}

// TestPluginStatusBidi: a plugin's status cannot carry a right-to-left
// override into logs and notifications.
func TestPluginStatusBidi(t *testing.T) {
	dir := t.TempDir()
	writePlugin(t, dir, "rlo.sh", "printf 'status backup of \\342\\200\\256gpj.exe\\342\\200\\254 failed\\n'\n")
	r := runPluginDef(t, dir, map[string]any{"file": "rlo.sh"})
	assertResult(t, r, true, "backup of gpj.exe failed", nil)
}

// FuzzOpenPlugin: whatever details.file says (it comes from the endpoint),
// openPlugin never panics and accepts only a regular file inside the
// plugin directory.
func FuzzOpenPlugin(f *testing.F) {
	root := f.TempDir()
	dir := filepath.Join(root, "plugins")
	for _, d := range []string{dir, filepath.Join(dir, "sub"), filepath.Join(root, "out")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(dir, "good.sh"), filepath.Join(dir, "sub", "x.sh"), filepath.Join(root, "out", "o.sh")} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			f.Fatal(err)
		}
	}
	for target, link := range map[string]string{"good.sh": "alias.sh", "../out": "sub/out", "loop": "loop", "/": "rootlink", "sub/..": "up"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			f.Fatal(err)
		}
	}
	for _, s := range []string{"good.sh", "alias.sh", "sub/x.sh", "sub/out/o.sh", "loop", "rootlink/etc/passwd", "up/good.sh",
		"../plugins/good.sh", "sub/../good.sh", "./good.sh/", "a\x00b", "", ".", "sub//x.sh"} {
		f.Add(s)
	}
	realDir := mustRealF(f, dir)
	f.Fuzz(func(t *testing.T, file string) {
		exe, err := openPlugin(dir, file)
		if err != nil {
			return
		}
		defer exe.close()
		if !strings.HasPrefix(exe.path, realDir+"/") {
			t.Fatalf("%q resolved to %s, outside %s", file, exe.path, realDir)
		}
		if st, err := os.Lstat(exe.path); err != nil || !st.Mode().IsRegular() {
			t.Fatalf("%q resolved to %s: %v", file, exe.path, err)
		}
	})
}

func mustRealF(f *testing.F, p string) string {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		f.Fatal(err)
	}
	return r
}

// BenchmarkPluginRun runs a one-line shell plugin: path checks, start,
// wait and the kill of whatever it left. Where cgroups are usable the
// "cgroup" run uses them; "no-cgroup" is the reaper's path when the
// benchmark runs with VIRGO_TOP_BENCH_REAPER=1 (go test -run '^$' -bench
// PluginRun: the reaper owns every wait of its process), else the marker
// sweep's.
func BenchmarkPluginRun(b *testing.B) {
	if os.Getenv("VIRGO_TOP_BENCH_REAPER") != "" {
		if err := EnableReaper(); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ok.sh"), []byte("#!/bin/sh\necho 'status fine'\n"), 0o755); err != nil {
		b.Fatal(err)
	}
	def := Def{ID: "chBench", Type: TypePlugin, Period: 30 * time.Second, Details: map[string]any{"file": "ok.sh"}}
	opts := SchedulerOptions{PluginDir: dir, Clock: fixedClock{t0}}
	run := func(b *testing.B) {
		for b.Loop() {
			if r := RunOnce(context.Background(), &fakeEnv{}, def, opts); r.Status != "fine" {
				b.Fatal(r.Status)
			}
		}
	}
	b.Run("default", run)
	if setCgroupsOff(true) {
		defer setCgroupsOff(false)
		b.Run("no-cgroup", run)
	}
}
