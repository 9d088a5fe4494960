package tui

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeSettingsFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "virgo-top", "console.yaml")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSettingsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "virgo-top", "console.yaml")
	want := settings{
		Layout: "processes", Hidden: []string{"disk", "network"}, Sort: "mem", SortDesc: false, Tree: true,
		Columns: []string{"pid", "command", "cpu", "io_read"}, Theme: "light", Refresh: 1500 * time.Millisecond,
	}
	if err := saveSettings(path, want); err != nil {
		t.Fatal(err)
	}
	got, warn := loadSettings(path)
	if warn != "" {
		t.Errorf("warning %q", warn)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Change the sort, "quit", "restart": the same sort.
	got.Sort, got.SortDesc = "time", true
	if err := saveSettings(path, got); err != nil {
		t.Fatal(err)
	}
	again, _ := loadSettings(path)
	if again.Sort != "time" || !again.SortDesc || again.Layout != "processes" {
		t.Errorf("after a second save: %+v", again)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
		}
		di, err := os.Stat(filepath.Dir(path))
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %v, want 0700", di.Mode().Perm())
		}
	}
	// No temporary files left behind.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want console.yaml only", names)
	}
}

func TestSettingsDefaultsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.yaml")
	if err := saveSettings(path, defaultSettings()); err != nil {
		t.Fatal(err)
	}
	got, warn := loadSettings(path)
	if warn != "" || !reflect.DeepEqual(got, defaultSettings()) {
		t.Errorf("defaults: got %+v, %q", got, warn)
	}
}

func TestSettingsKeepUnknownKeysAndComments(t *testing.T) {
	path := writeSettingsFile(t, `# my console
layout: checks # I like checks
future_key:
  nested: [1, 2, 3]
# the sort I use
sort: cpu
columns:
  - pid
  - command
another_future: "x"
`)
	s, warn := loadSettings(path)
	if warn != "" {
		t.Fatalf("warning %q", warn)
	}
	if s.Layout != "checks" || !reflect.DeepEqual(s.Columns, []string{"pid", "command"}) {
		t.Fatalf("loaded %+v", s)
	}
	s.Sort = "mem"
	s.Columns = []string{"pid", "user", "command"}
	if err := saveSettings(path, s); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := string(data)
	for _, want := range []string{
		"# my console", "layout: checks # I like checks", "future_key:", "nested: [1, 2, 3]",
		"# the sort I use", "sort: mem", "another_future: \"x\"", "  - user",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("saved file lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "future_key") > strings.Index(out, "sort: mem") {
		t.Errorf("key order changed:\n%s", out)
	}
	again, warn := loadSettings(path)
	if warn != "" || again.Sort != "mem" {
		t.Errorf("reloaded %+v %q", again, warn)
	}
}

func TestLoadSettingsFiles(t *testing.T) {
	def := defaultSettings()
	tests := []struct {
		name    string
		content string
		warn    string // substring; "" = no warning
		check   func(settings) bool
	}{
		{"empty", "", "", nil},
		{"comments only", "# nothing yet\n", "", nil},
		{"null document", "~\n", "", nil},
		{"bad yaml", "layout: [overview\n", "is not valid", nil},
		{"tabs", "layout:\n\t- x\n", "is not valid", nil},
		{"a list at the top", "- overview\n", "expected a mapping", nil},
		{"a scalar at the top", "overview\n", "expected a mapping", nil},
		{"two documents", "layout: checks\n---\nlayout: overview\n", "more than one", nil},
		{"unknown layout", "layout: fancy\n", `layout must be one of overview, processes, checks, not "fancy"`, nil},
		{"layout is a list", "layout: [a]\n", "layout must be one of", nil},
		{"layout is a number", "layout: 3\n", `not "3"`, nil},
		{"unknown theme", "theme: solarized\n", "theme must be one of dark", nil},
		{"sort not a column", "sort: bogus\n", "sort must be a column", nil},
		{"sort_descending not bool", "sort_descending: maybe\n", "sort_descending must be true or false", nil},
		{"tree not bool", "tree: 1\n", "tree must be true or false", nil},
		{"hidden not a list", "hidden_panels: cpu\n", "hidden_panels must be a list", nil},
		{"hidden unknown", "hidden_panels: [cpu, gpu]\n", `has "gpu"`, func(s settings) bool {
			return reflect.DeepEqual(s.Hidden, []string{"cpu"})
		}},
		{"hidden empty", "hidden_panels: []\n", "", func(s settings) bool { return len(s.Hidden) == 0 }},
		{"hidden null", "hidden_panels:\n", "", func(s settings) bool { return len(s.Hidden) == 0 }},
		{"columns repeat", "columns: [pid, pid, command]\n", `repeats "pid"`, func(s settings) bool {
			return reflect.DeepEqual(s.Columns, []string{"pid", "command"})
		}},
		{"columns all unknown", "columns: [a, b]\n", "columns has", func(s settings) bool {
			return reflect.DeepEqual(s.Columns, def.Columns)
		}},
		{"columns empty", "columns: []\n", "", func(s settings) bool { return reflect.DeepEqual(s.Columns, def.Columns) }},
		{"columns a map", "columns: {a: 1}\n", "columns must be a list, not a mapping", nil},
		{"refresh duration", "refresh: 2s\n", "", func(s settings) bool { return s.Refresh == 2*time.Second }},
		{"refresh seconds", "refresh: 1.5\n", "", func(s settings) bool { return s.Refresh == 1500*time.Millisecond }},
		{"refresh zero", "refresh: 0s\n", "", func(s settings) bool { return s.Refresh == 0 }},
		{"refresh too fast", "refresh: 1ms\n", "between 100ms and 1h0m0s", nil},
		{"refresh negative", "refresh: -2\n", "refresh must be a duration", nil},
		{"refresh nan", "refresh: .nan\n", "refresh must be a duration", nil},
		{"refresh huge", "refresh: 1e300\n", "refresh must be a duration", nil},
		{"refresh words", "refresh: soon\n", `not "soon"`, nil},
		{"case and spaces", "layout: ' Processes '\ntheme: MONO\n", "", func(s settings) bool {
			return s.Layout == "processes" && s.Theme == "mono"
		}},
		{"two problems", "layout: x\ntheme: y\nsort: cpu\n", "(and 1 more)", func(s settings) bool { return s.Sort == "cpu" }},
		{"good keys kept beside a bad one", "layout: checks\ntree: sure\n", "line 2: tree", func(s settings) bool {
			return s.Layout == "checks" && !s.Tree
		}},
		{"alias", "x: &a checks\nlayout: *a\n", "", func(s settings) bool { return s.Layout == "checks" }},
		{"control chars in a value", "layout: \"a\\x1b[2Jb\"\n", `"a?[2Jb"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSettingsFile(t, tt.content)
			s, warn := loadSettings(path)
			if tt.warn == "" && warn != "" {
				t.Errorf("unexpected warning %q", warn)
			}
			if tt.warn != "" && !strings.Contains(warn, tt.warn) {
				t.Errorf("warning %q, want it to contain %q", warn, tt.warn)
			}
			if strings.ContainsAny(warn, "\n\r\x1b") {
				t.Errorf("warning is not one clean line: %q", warn)
			}
			if tt.check == nil {
				tt.check = func(s settings) bool { return reflect.DeepEqual(s, def) }
			}
			if !tt.check(s) {
				t.Errorf("settings %+v", s)
			}
		})
	}
}

func TestLoadSettingsUnreadable(t *testing.T) {
	dir := t.TempDir()
	if s, warn := loadSettings(filepath.Join(dir, "missing", "console.yaml")); warn != "" || !reflect.DeepEqual(s, defaultSettings()) {
		t.Errorf("missing file: %+v %q", s, warn)
	}
	if s, warn := loadSettings(""); warn != "" || !reflect.DeepEqual(s, defaultSettings()) {
		t.Errorf("no path: %+v %q", s, warn)
	}
	if _, warn := loadSettings(dir); !strings.Contains(warn, "not a regular file") {
		t.Errorf("a directory: %q", warn)
	}
	big := writeSettingsFile(t, "x: "+strings.Repeat("a", maxSettingsSize)+"\n")
	if _, warn := loadSettings(big); !strings.Contains(warn, "larger than") {
		t.Errorf("a huge file: %q", warn)
	}
}

func TestSaveSettingsUnwritable(t *testing.T) {
	dir := t.TempDir()
	// The parent "directory" is a file: fails for root too.
	blocker := filepath.Join(dir, "blocker")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err := saveSettings(filepath.Join(blocker, "virgo-top", "console.yaml"), defaultSettings())
	if err == nil || !strings.HasPrefix(err.Error(), "settings not saved: ") || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v", err)
	}
	if err := saveSettings("", defaultSettings()); err == nil {
		t.Error("saved to no path")
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		if err := saveSettings(filepath.Join(ro, "console.yaml"), defaultSettings()); err == nil {
			t.Error("saved into a read-only directory")
		}
	}
}

func TestSaveSettingsKeepsABadFile(t *testing.T) {
	path := writeSettingsFile(t, "layout: [oops\n")
	if err := saveSettings(path, defaultSettings()); err != nil {
		t.Fatal(err)
	}
	bad, err := os.ReadFile(path + ".bad")
	if err != nil || string(bad) != "layout: [oops\n" {
		t.Errorf("bad file kept as %q, %v", bad, err)
	}
	if s, warn := loadSettings(path); warn != "" || !reflect.DeepEqual(s, defaultSettings()) {
		t.Errorf("rewritten file: %+v %q", s, warn)
	}
}

func TestSaveSettingsFollowsSymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "console.yaml")
	if err := os.MkdirAll(filepath.Dir(real), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("layout: checks\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "console.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	s := defaultSettings()
	s.Theme = "mono"
	if err := saveSettings(link, s); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
	if got, _ := loadSettings(real); got.Theme != "mono" {
		t.Errorf("the linked file was not written: %+v", got)
	}
}

func TestSettingsPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	ucd := func(d string, err error) func() (string, error) { return func() (string, error) { return d, err } }
	tests := []struct {
		name string
		goos string
		env  map[string]string
		ucd  func() (string, error)
		want string
	}{
		{"xdg", "linux", map[string]string{"XDG_CONFIG_HOME": "/x/cfg", "HOME": "/home/a"}, nil, "/x/cfg/virgo-top/console.yaml"},
		{"home", "linux", map[string]string{"HOME": "/home/a"}, nil, "/home/a/.config/virgo-top/console.yaml"},
		{"relative xdg ignored", "freebsd", map[string]string{"XDG_CONFIG_HOME": "cfg", "HOME": "/home/a"}, nil, "/home/a/.config/virgo-top/console.yaml"},
		{"nothing", "linux", map[string]string{}, nil, ""},
		{"relative home", "linux", map[string]string{"HOME": "home"}, nil, ""},
		{"macos", "darwin", nil, ucd("/Users/a/Library/Application Support", nil), "/Users/a/Library/Application Support/virgo-top/console.yaml"},
		{"macos no home", "darwin", nil, ucd("", errors.New("no $HOME")), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.ucd == nil {
				tt.ucd = ucd("", errors.New("unused"))
			}
			got := settingsPathFor(tt.goos, env(tt.env), tt.ucd)
			if got != filepath.FromSlash(tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Setenv("XDG_CONFIG_HOME", "/tmp/xdg-test")
	if runtime.GOOS == "linux" && defaultSettingsPath() != "/tmp/xdg-test/virgo-top/console.yaml" {
		t.Errorf("defaultSettingsPath = %q", defaultSettingsPath())
	}
}

func TestSaveSettingsCmd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.yaml")
	s := defaultSettings()
	s.Sort = "pid"
	cmd := saveSettingsCmd(path, s)
	s.Sort = "mem" // the command saves the settings as they were asked for
	msg, ok := cmd().(settingsSavedMsg)
	if !ok || msg.err != nil {
		t.Fatalf("msg %#v", msg)
	}
	if got, _ := loadSettings(path); got.Sort != "pid" {
		t.Errorf("saved sort %q", got.Sort)
	}
	bad := saveSettingsCmd(filepath.Join(path, "sub", "console.yaml"), s)().(settingsSavedMsg)
	if bad.err == nil {
		t.Error("no error saving under a file")
	}
}

// Saves asked for while one is being written collapse into the newest, and
// every caller returns after a write at least as new as its own.
func TestCoalescingWriter(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var mu sync.Mutex
	var written []string
	w := &coalescingWriter{write: func(path string, s settings) error {
		mu.Lock()
		written = append(written, s.Sort)
		first := len(written) == 1
		mu.Unlock()
		if first {
			close(entered)
			<-release
		}
		return nil
	}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = w.save("p", settings{Sort: "a"}) }()
	<-entered // "a" is being written
	// Queue b, c, d while a is in write; each caller blocks until d is written.
	queued := make(chan struct{}, 3)
	for _, k := range []string{"b", "c", "d"} {
		w.mu.Lock()
		before := len(w.pending["p"].waitersOrNil())
		w.mu.Unlock()
		wg.Add(1)
		go func() { defer wg.Done(); _ = w.save("p", settings{Sort: k}); queued <- struct{}{} }()
		waitFor(t, func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return len(w.pending["p"].waitersOrNil()) == before+1
		})
	}
	close(release)
	wg.Wait()
	if !reflect.DeepEqual(written, []string{"a", "d"}) {
		t.Errorf("written %v, want [a d]", written)
	}
	if len(queued) != 3 {
		t.Errorf("%d queued callers returned", len(queued))
	}
}

func (b *saveBatch) waitersOrNil() []chan error {
	if b == nil {
		return nil
	}
	return b.waiters
}

// waitFor polls cond (a state another goroutine reaches without a
// deadline of ours); the test's own timeout bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		runtime.Gosched()
	}
}

func TestSaveSettingsConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.yaml")
	var wg sync.WaitGroup
	for _, k := range []string{"cpu", "mem", "pid", "time", "user", "name"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := defaultSettings()
			s.Sort = k
			if msg := saveSettingsCmd(path, s)().(settingsSavedMsg); msg.err != nil {
				t.Error(msg.err)
			}
		}()
	}
	wg.Wait()
	if _, warn := loadSettings(path); warn != "" {
		t.Errorf("after concurrent saves: %q", warn)
	}
}

func FuzzLoadSettings(f *testing.F) {
	for _, seed := range []string{
		"", "layout: checks\n", "layout: [x\n", "- a\n", "columns: [pid, pid]\n", "refresh: 1e309\n",
		"hidden_panels: {a: b}\n", "x: &a [*a]\n", "a: &a b\nlayout: *a\n", "sort: !!binary aGVsbG8=\n",
		"tree: yes\n", "---\n---\n", "\xff\xfe", "refresh: -9223372036854775808ns\n",
		"# c\nlayout: processes # c\nfuture: {x: [1, 2]}\ncolumns:\n  - pid\n  - command\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "console.yaml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, warn := loadSettings(path)
		if strings.ContainsAny(warn, "\n\r\x1b") {
			t.Errorf("warning not one clean line: %q", warn)
		}
		if _, ok := themeByName(s.Theme); !ok {
			t.Errorf("theme %q", s.Theme)
		}
		if s.Refresh != 0 && (s.Refresh < minRefresh || s.Refresh > maxRefresh) {
			t.Errorf("refresh %v", s.Refresh)
		}
		if len(s.Columns) == 0 {
			t.Error("no columns")
		}
		// Whatever was read saves and reads back the same.
		if err := saveSettings(path, s); err != nil {
			t.Fatalf("save: %v", err)
		}
		again, warn := loadSettings(path)
		if warn != "" || !reflect.DeepEqual(again, s) {
			t.Errorf("after save: %+v %q, want %+v", again, warn, s)
		}
	})
}

// The names the settings file accepts are the console's own.
func TestSettingsNamesMatchTheConsole(t *testing.T) {
	var cols []string
	for _, d := range columnDefs {
		cols = append(cols, d.name)
	}
	slices.Sort(cols)
	mine := slices.Sorted(slices.Values(settingsColumns))
	if !slices.Equal(cols, mine) {
		t.Errorf("columns: console %v, settings %v", cols, mine)
	}
	if !slices.Equal(presetNames[:], settingsLayouts) {
		t.Errorf("layouts: console %v, settings %v", presetNames, settingsLayouts)
	}
	for _, p := range panelNames {
		if !slices.Contains(settingsPanels, p) {
			t.Errorf("panel %q not accepted by the settings", p)
		}
	}
	if _, ok := columnByName(defaultSettings().Sort); !ok {
		t.Errorf("default sort %q is not a column", defaultSettings().Sort)
	}
}
