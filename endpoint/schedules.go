package endpoint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/virgo-top/virgo-top/check"
	"github.com/virgo-top/virgo-top/protocol"
)

// Schedules serves check schedules from a directory of Virgo conf.d YAML
// files (one check per file, parsed by the check package's conf.d parser):
//
//	DIR/agents/<agent-id>/*.yaml   the checks of one agent
//	DIR/groups/<group>/*.yaml      the checks of a group (Config.Groups)
//	DIR/default/*.yaml             everyone else
//
// An agent gets the first of the three that exists as a directory (an
// empty directory is an empty schedule). A check's id is its file name
// without ".yaml". Reload re-reads the tree when a name, size or
// modification time in it changed; a directory holding a file that does not
// parse keeps its previous checks (if it had any) and the error is
// returned for the log.
type Schedules struct {
	dir     string
	groupOf func(agentID string) string

	mu    sync.RWMutex
	sets  scheduleSets // "agents/<id>", "groups/<g>", "default"
	print string       // fingerprint of the tree last read
}

// MaxScheduleDirs bounds the directories read (agents plus groups).
const MaxScheduleDirs = 100000

// NewSchedules returns the schedules of dir (nothing read yet: call Reload).
// An empty dir serves every agent an empty schedule.
func NewSchedules(dir string, groupOf func(string) string) *Schedules {
	if groupOf == nil {
		groupOf = func(string) string { return "" }
	}
	return &Schedules{dir: dir, groupOf: groupOf, sets: scheduleSets{}}
}

// Get returns the schedule of agentID and the set it came from.
func (s *Schedules) Get(agentID string) ([]protocol.CheckDef, string) {
	return s.getFrom(s.snapshot(), agentID)
}

// scheduleSets are the schedules as one Reload read them; a Reload
// replaces them whole, so a snapshot never changes.
type scheduleSets map[string][]protocol.CheckDef

// snapshot returns the schedules served now.
func (s *Schedules) snapshot() scheduleSets {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sets
}

// getFrom is Get on a snapshot.
func (s *Schedules) getFrom(sets scheduleSets, agentID string) ([]protocol.CheckDef, string) {
	if safeName(agentID) {
		if c, ok := sets["agents/"+agentID]; ok {
			return c, "agents/" + agentID
		}
	}
	if g := s.groupOf(agentID); g != "" {
		if c, ok := sets["groups/"+g]; ok {
			return c, "groups/" + g
		}
	}
	if c, ok := sets["default"]; ok {
		return c, "default"
	}
	return []protocol.CheckDef{}, ""
}

// Period returns the period of check id in agentID's schedule (0 if none).
func (s *Schedules) Period(agentID, checkID string) time.Duration {
	checks, _ := s.Get(agentID)
	for _, c := range checks {
		if c.ID == checkID {
			return time.Duration(c.Period) * time.Second
		}
	}
	return 0
}

// Reload re-reads the tree if it changed. It reports whether the served
// schedules changed and every file that failed (their directories keep
// what they had).
func (s *Schedules) Reload() (changed bool, errs []error) {
	if s.dir == "" {
		return false, nil
	}
	print, dirs, err := s.fingerprint()
	if err != nil {
		return false, []error{err}
	}
	s.mu.RLock()
	same := print == s.print
	old := s.sets
	s.mu.RUnlock()
	if same {
		return false, nil
	}
	sets := make(scheduleSets, len(dirs))
	for _, key := range dirs {
		defs, derrs := check.LoadConfD(filepath.Join(s.dir, filepath.FromSlash(key)))
		if len(derrs) > 0 {
			for _, e := range derrs {
				errs = append(errs, fmt.Errorf("schedule %s: %w", key, e))
			}
			if prev, ok := old[key]; ok {
				sets[key] = prev
				continue
			}
		}
		checks := make([]protocol.CheckDef, 0, len(defs))
		for _, d := range defs {
			cd, err := checkDef(d)
			if err != nil {
				errs = append(errs, fmt.Errorf("schedule %s: %w", key, err))
				continue
			}
			checks = append(checks, cd)
		}
		sets[key] = checks
	}
	changed = !sameSets(old, sets)
	s.mu.Lock()
	s.sets, s.print = sets, print
	s.mu.Unlock()
	return changed, errs
}

// fingerprint lists the schedule directories and summarises every name,
// size and mtime under them.
func (s *Schedules) fingerprint() (string, []string, error) {
	var b strings.Builder
	var dirs []string
	add := func(key string) error {
		full := filepath.Join(s.dir, filepath.FromSlash(key))
		entries, err := os.ReadDir(full)
		if err != nil {
			return err
		}
		dirs = append(dirs, key)
		fmt.Fprintf(&b, "%s/\n", key)
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			fmt.Fprintf(&b, "%s/%s %d %d\n", key, e.Name(), info.Size(), info.ModTime().UnixNano())
		}
		return nil
	}
	if _, err := os.Stat(s.dir); err != nil {
		return "", nil, fmt.Errorf("schedule dir: %w", err)
	}
	if err := add("default"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("schedule dir: %w", err)
	}
	for _, level := range []string{"groups", "agents"} {
		entries, err := os.ReadDir(filepath.Join(s.dir, level))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("schedule dir: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() || !safeName(e.Name()) {
				continue
			}
			if len(dirs) >= MaxScheduleDirs {
				return "", nil, fmt.Errorf("schedule dir: more than %d directories", MaxScheduleDirs)
			}
			if err := add(level + "/" + e.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", nil, fmt.Errorf("schedule dir: %w", err)
			}
		}
	}
	sort.Strings(dirs)
	return b.String(), dirs, nil
}

// checkDef turns a parsed conf.d check into a schedule entry.
func checkDef(d check.Def) (protocol.CheckDef, error) {
	cd := protocol.CheckDef{
		ID:       strings.TrimPrefix(d.ID, "confd-"),
		Type:     d.Type,
		Label:    d.Label,
		Period:   int(d.Period / time.Second),
		Timeout:  int(d.Timeout / time.Second),
		Disabled: d.Disabled,
	}
	if cd.Timeout == 0 {
		cd.Timeout = cd.Period
	}
	if len(d.Details) > 0 {
		b, err := json.Marshal(d.Details)
		if err != nil {
			return protocol.CheckDef{}, fmt.Errorf("%s: details: %w", cd.ID, err)
		}
		cd.Details = b
	}
	if len(d.Alarms) > 0 {
		cd.Alarms = make(map[string]protocol.Alarm, len(d.Alarms))
		for n, a := range d.Alarms {
			cd.Alarms[n] = protocol.Alarm{Label: a.Label, Criteria: a.Criteria}
		}
	}
	return cd, nil
}

func sameSets(a, b scheduleSets) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || !sameChecks(va, vb) {
			return false
		}
	}
	return true
}

// sameChecks reports whether two schedules are the same.
func sameChecks(a, b []protocol.CheckDef) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
