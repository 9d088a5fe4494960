package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"gopkg.in/yaml.v3"
)

// settings is what the console remembers between runs, in
// $XDG_CONFIG_HOME/virgo-top/console.yaml. The file is the user's too: keys
// this version does not know (a newer one's) and comments are kept when it
// is written back.
type settings struct {
	Layout   string        // a layout preset: settingsLayouts
	Hidden   []string      // hidden panels: settingsPanels
	Sort     string        // process sort column: settingsColumns
	SortDesc bool          // biggest first
	Tree     bool          // process tree
	Columns  []string      // process table columns, in order: settingsColumns
	Theme    string        // themeNames()
	Refresh  time.Duration // redraw/sample interval; 0: the agent's
}

// The values loadSettings accepts. The root may extend them (before the
// first load) when its panels learn new names; a name missing here reads
// as a bad value and falls back to its default.
var (
	settingsLayouts = []string{"overview", "processes", "checks"}
	settingsPanels  = []string{"cpu", "memory", "disk", "network", "checks", "processes", "cgroups", "sensors"}
	settingsColumns = []string{
		"pid", "user", "state", "threads", "nice", "cpu", "mem", "rss", "virt",
		"time", "start", "io_read", "io_write", "cgroup", "container", "name", "command",
	}
)

// The file's keys. The names are a contract with the users' files.
const (
	keyLayout   = "layout"
	keyHidden   = "hidden_panels"
	keySort     = "sort"
	keySortDesc = "sort_descending"
	keyTree     = "tree"
	keyColumns  = "columns"
	keyTheme    = "theme"
	keyRefresh  = "refresh"
)

// Refresh bounds: faster than 100 ms is a busy loop, slower than an hour is
// not a console.
const (
	minRefresh = 100 * time.Millisecond
	maxRefresh = time.Hour
)

// maxSettingsSize caps the file read: a settings file is a few hundred bytes.
const maxSettingsSize = 1 << 20

// defaultSettings is the console as shipped.
func defaultSettings() settings {
	return settings{
		Layout:   "overview",
		Sort:     "cpu",
		SortDesc: true,
		Columns:  []string{"pid", "user", "state", "threads", "nice", "cpu", "mem", "rss", "time", "command"},
		Theme:    "dark",
	}
}

// defaultSettingsPath is console.yaml under the user's configuration
// directory: $XDG_CONFIG_HOME/virgo-top (an absolute one) or
// ~/.config/virgo-top on Linux and the BSDs, os.UserConfigDir on macOS and
// Windows. "" when none can be found (settings then last for the session).
func defaultSettingsPath() string {
	return settingsPathFor(runtime.GOOS, os.Getenv, os.UserConfigDir)
}

func settingsPathFor(goos string, getenv func(string) string, userConfigDir func() (string, error)) string {
	var dir string
	switch goos {
	case "darwin", "windows", "ios", "plan9":
		d, err := userConfigDir()
		if err != nil || !filepath.IsAbs(d) {
			return ""
		}
		dir = d
	default:
		// The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
		if x := getenv("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
			dir = x
		} else if h := getenv("HOME"); h != "" && filepath.IsAbs(h) {
			dir = filepath.Join(h, ".config")
		} else {
			return ""
		}
	}
	return filepath.Join(dir, "virgo-top", "console.yaml")
}

// loadSettings reads the settings file. A missing (or empty) file is the
// defaults, silently. A bad one is never fatal: what cannot be read is the
// default, and warning says in one line what was wrong, for the status line.
func loadSettings(path string) (s settings, warning string) {
	s = defaultSettings()
	if path == "" {
		return s, ""
	}
	data, err := readSettingsFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, ""
	case err != nil:
		return s, "settings not read (" + oneLine(err.Error()) + "); using defaults"
	}
	doc, err := parseSettingsDoc(data)
	if err != nil {
		return s, "settings file " + path + " is not valid (" + oneLine(err.Error()) + "); using defaults"
	}
	problems := s.fromDoc(doc)
	switch len(problems) {
	case 0:
		return s, ""
	case 1:
		return s, "settings file " + path + ": " + problems[0] + "; using the default"
	default:
		return s, "settings file " + path + ": " + problems[0] + " (and " + strconv.Itoa(len(problems)-1) +
			" more); using the defaults"
	}
}

// readSettingsFile reads at most maxSettingsSize bytes of a regular file.
func readSettingsFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSettingsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxSettingsSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxSettingsSize)
	}
	return data, nil
}

// parseSettingsDoc parses the file into its document node; an empty file
// (or one of comments only) is an empty mapping. Anything but a mapping at
// the top is an error.
func parseSettingsDoc(data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return emptySettingsDoc(), nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("not a YAML document")
	}
	top := doc.Content[0]
	switch {
	case top.Kind == yaml.ScalarNode && top.Tag == "!!null":
		// Comments only, or "~": keep the comments, start a mapping.
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: top.HeadComment, FootComment: top.FootComment}
		doc.Content[0] = m
	case top.Kind != yaml.MappingNode:
		return nil, fmt.Errorf("line %d: expected a mapping of settings, found %s", top.Line, kindName(top))
	}
	return &doc, nil
}

func emptySettingsDoc() *yaml.Node {
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{
		Kind: yaml.MappingNode, Tag: "!!map",
		HeadComment: "virgo-top console settings, written when you change them in the console.\n" +
			"Keys it does not know and comments are kept. refresh: 0s is the agent's interval.",
	}}}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	default:
		return strconv.Quote(truncRunes(clean(n.Value), 20))
	}
}

// fromDoc sets s from the mapping of doc, key by key; a bad value leaves
// that setting at its default and is described in problems.
func (s *settings) fromDoc(doc *yaml.Node) (problems []string) {
	top := doc.Content[0]
	bad := func(n *yaml.Node, key, what string) {
		problems = append(problems, "line "+strconv.Itoa(n.Line)+": "+key+" "+what)
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		switch k.Value {
		case keyLayout:
			if name, ok := oneOf(v, settingsLayouts); ok {
				s.Layout = name
			} else {
				bad(v, k.Value, "must be one of "+strings.Join(settingsLayouts, ", ")+", not "+kindName(v))
			}
		case keyTheme:
			if name, ok := oneOf(v, themeNames()); ok {
				s.Theme = name
			} else {
				bad(v, k.Value, "must be one of "+strings.Join(themeNames(), ", ")+", not "+kindName(v))
			}
		case keySort:
			if name, ok := oneOf(v, settingsColumns); ok {
				s.Sort = name
			} else {
				bad(v, k.Value, "must be a column ("+strings.Join(settingsColumns[:4], ", ")+", …), not "+kindName(v))
			}
		case keySortDesc, keyTree:
			var b bool
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&b) != nil {
				bad(v, k.Value, "must be true or false, not "+kindName(v))
				continue
			}
			if k.Value == keyTree {
				s.Tree = b
			} else {
				s.SortDesc = b
			}
		case keyHidden:
			names, msg := nameList(v, settingsPanels, true)
			if msg != "" {
				bad(v, k.Value, msg)
			}
			s.Hidden = names
		case keyColumns:
			names, msg := nameList(v, settingsColumns, false)
			if msg != "" {
				bad(v, k.Value, msg)
			}
			if len(names) > 0 {
				s.Columns = names
			}
		case keyRefresh:
			d, msg := refreshValue(v)
			if msg != "" {
				bad(v, k.Value, msg)
				continue
			}
			s.Refresh = d
		}
	}
	return problems
}

// oneOf is the scalar value of n if it is one of names (case-insensitive).
func oneOf(n *yaml.Node, names []string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return "", false
	}
	v := strings.ToLower(strings.TrimSpace(n.Value))
	if slices.Contains(names, v) {
		return v, true
	}
	return "", false
}

// nameList reads a list of names from known; unknown and repeated entries
// are left out and described. emptyOK: an empty list is a value (no panel
// hidden); otherwise it is the default.
func nameList(n *yaml.Node, known []string, emptyOK bool) ([]string, string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && emptyOK {
		return nil, ""
	}
	if n.Kind != yaml.SequenceNode {
		return nil, "must be a list, not " + kindName(n)
	}
	var out []string
	var msg string
	for _, e := range n.Content {
		name, ok := oneOf(e, known)
		switch {
		case !ok:
			if msg == "" {
				msg = "has " + kindName(e) + ", which is not one of " + strings.Join(known[:min(len(known), 4)], ", ") + ", …"
			}
		case slices.Contains(out, name):
			if msg == "" {
				msg = "repeats " + strconv.Quote(name)
			}
		default:
			out = append(out, name)
		}
	}
	if len(out) == 0 && len(n.Content) > 0 && !emptyOK && msg == "" {
		msg = "is empty"
	}
	return out, msg
}

// refreshValue is a duration ("2s", "500ms") or a number of seconds.
func refreshValue(n *yaml.Node) (time.Duration, string) {
	if n.Kind != yaml.ScalarNode {
		return 0, "must be a duration like 2s, not " + kindName(n)
	}
	var d time.Duration
	switch n.Tag {
	case "!!int", "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil || f != f || f < 0 || f > maxRefresh.Seconds() {
			return 0, "must be a duration like 2s, not " + kindName(n)
		}
		d = time.Duration(f * float64(time.Second))
	case "!!str":
		var err error
		if d, err = time.ParseDuration(strings.TrimSpace(n.Value)); err != nil {
			return 0, "must be a duration like 2s, not " + kindName(n)
		}
	default:
		return 0, "must be a duration like 2s, not " + kindName(n)
	}
	if d != 0 && (d < minRefresh || d > maxRefresh) {
		return 0, "must be 0s (the agent's) or between " + minRefresh.String() + " and " + maxRefresh.String()
	}
	return d, ""
}

// toDoc writes s into the mapping of doc: known keys are updated in place
// (their comments kept), missing ones appended, other keys left alone.
func (s settings) toDoc(doc *yaml.Node) {
	top := doc.Content[0]
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	boolean := func(v bool) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	}
	list := func(vs []string) *yaml.Node {
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, v := range vs {
			n.Content = append(n.Content, str(v))
		}
		return n
	}
	set := func(key string, v *yaml.Node) {
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Kind == yaml.ScalarNode && top.Content[i].Value == key {
				old := top.Content[i+1]
				v.LineComment, v.FootComment = old.LineComment, old.FootComment
				if old.Kind == yaml.SequenceNode && old.Style != yaml.FlowStyle && v.Kind == yaml.SequenceNode {
					v.Style = old.Style // the user's block list stays one
				}
				top.Content[i+1] = v
				return
			}
		}
		top.Content = append(top.Content, str(key), v)
	}
	set(keyLayout, str(s.Layout))
	set(keyHidden, list(s.Hidden))
	set(keySort, str(s.Sort))
	set(keySortDesc, boolean(s.SortDesc))
	set(keyTree, boolean(s.Tree))
	set(keyColumns, list(s.Columns))
	set(keyTheme, str(s.Theme))
	set(keyRefresh, str(s.Refresh.String()))
}

// saveSettings writes s to path atomically (a temporary file in the same
// directory, synced, renamed over it), mode 0600, creating the directory
// 0700. The file is read again first so that keys written by another
// version and the user's comments, even ones added since the console
// started, survive. A file that no longer parses is kept beside the new
// one as path+".bad". A symbolic link (a dotfile manager's) is followed.
func saveSettings(path string, s settings) error {
	if path == "" {
		return errors.New("no settings file")
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("settings not saved: %w", err)
	}
	doc := emptySettingsDoc()
	data, err := readSettingsFile(path)
	switch {
	case err == nil:
		if d, perr := parseSettingsDoc(data); perr == nil {
			doc = d
		} else if werr := os.WriteFile(path+".bad", data, 0o600); werr != nil {
			return fmt.Errorf("settings not saved: keep the unreadable %s: %w", path, werr)
		}
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("settings not saved: %w", err)
	}
	s.toDoc(doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("settings not saved: encode: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("settings not saved: encode: %w", err)
	}
	if err := writeFileAtomic(path, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("settings not saved: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data so that a crash leaves the old
// file or the new one, never a mix.
func writeFileAtomic(path string, data []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if runtime.GOOS != "windows" { // CreateTemp made it 0600; say so anyway
		if err = f.Chmod(perm); err != nil {
			return err
		}
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; directories cannot be synced on
	// Windows, where rename is already as durable as it gets.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// settingsSavedMsg reports a save the root asked for with saveSettingsCmd;
// a non-nil err is shown as a one-line message, and the settings then last
// for the session.
type settingsSavedMsg struct{ err error }

// saveSettingsCmd saves s to path outside Update. Saves are written one at
// a time, the latest winning: when several are asked for while one is
// being written, only the newest is written next, and each command
// returns once a save at least as new as its own is on disk (so
// tea.Sequence(saveSettingsCmd(...), tea.Quit) quits after the write).
func saveSettingsCmd(path string, s settings) tea.Cmd {
	s.Hidden = slices.Clone(s.Hidden)
	s.Columns = slices.Clone(s.Columns)
	return func() tea.Msg {
		return settingsSavedMsg{err: settingsWriter.save(path, s)}
	}
}

// settingsWriter serialises the console's saves.
var settingsWriter = &coalescingWriter{write: saveSettings}

// coalescingWriter runs write one call at a time, collapsing the requests
// that arrive meanwhile into the newest per path. No lock is held while
// writing.
type coalescingWriter struct {
	write func(path string, s settings) error

	mu      sync.Mutex
	busy    bool
	pending map[string]*saveBatch
	order   []string // paths of pending, oldest first
}

type saveBatch struct {
	s       settings
	waiters []chan error
}

func (w *coalescingWriter) save(path string, s settings) error {
	done := make(chan error, 1)
	w.mu.Lock()
	if w.pending == nil {
		w.pending = make(map[string]*saveBatch)
	}
	b := w.pending[path]
	if b == nil {
		b = &saveBatch{}
		w.pending[path] = b
		w.order = append(w.order, path)
	}
	b.s = s
	b.waiters = append(b.waiters, done)
	if w.busy {
		w.mu.Unlock()
		return <-done
	}
	w.busy = true
	for len(w.order) > 0 {
		p := w.order[0]
		w.order = w.order[1:]
		next := w.pending[p]
		delete(w.pending, p)
		w.mu.Unlock()
		err := w.write(p, next.s)
		for _, c := range next.waiters {
			c <- err
		}
		w.mu.Lock()
	}
	w.busy = false
	w.mu.Unlock()
	return <-done
}

// oneLine makes an error message fit a status line.
func oneLine(s string) string {
	return clean(strings.Join(strings.Fields(s), " "))
}

// truncRunes cuts s to n runes with an ellipsis.
func truncRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
