package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The state file of one receiver, StateDir/notify-<name>.json:
//
//	{"version":1,"receiver":"webhook","alarms":{"web1/chCPU1/alHighCPU":{
//	  "told":"OK","told_at":"…","current":"CRITICAL","latest":{…event…},
//	  "worst":{…event…},"changes":1,"since":"…","rate_tat":"…"}}}
//
// told is what the receiver was last sent (absent: never, counts as OK);
// current the alarm's state; latest and worst (the events to send) are
// kept only while the receiver is owed a notification, since when is
// "since"; expired marks an entry given up at an outbox bound; rate_tat is
// the rate limit bucket (see Dispatcher.tokenAt). A reader refuses another
// version.
const (
	stateVersion = 1
	// maxStateFile bounds what load reads: 1,000 owed alarms with their
	// events are well under a megabyte.
	maxStateFile = 64 << 20
	// writeRetry is the wait after a failed write of a state file.
	writeRetry = 5 * time.Second
)

type stateFile struct {
	Version  int                   `json:"version"`
	Receiver string                `json:"receiver"`
	Alarms   map[string]stateEntry `json:"alarms"`
}

type stateEntry struct {
	Told    string    `json:"told,omitempty"`
	ToldAt  time.Time `json:"told_at,omitzero"`
	Current string    `json:"current"`
	Latest  *Event    `json:"latest,omitempty"`
	Worst   *Event    `json:"worst,omitempty"`
	Changes int       `json:"changes,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Expired bool      `json:"expired,omitempty"`
	RateTAT time.Time `json:"rate_tat,omitzero"`
}

// stateFileName is the file name for a receiver: its name with anything
// but letters, digits, '-', '_' and '.' replaced, plus a hash of the name
// when it had to be changed or cut, so two names never share a file.
func stateFileName(name string) string {
	s := strings.Map(func(c rune) rune {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return c
		}
		return '_'
	}, name)
	if s != name || len(s) > 64 {
		sum := sha256.Sum256([]byte(name))
		s = s[:min(len(s), 48)] + "-" + hex.EncodeToString(sum[:6])
	}
	return "notify-" + s + ".json"
}

// snapshotLocked copies r's state for writing. Callers hold r.mu; the
// events' Metrics maps are shared, never written after Enqueue copied them.
func (r *route) snapshotLocked() stateFile {
	sf := stateFile{Version: stateVersion, Receiver: r.name, Alarms: make(map[string]stateEntry, len(r.alarms))}
	for k, e := range r.alarms {
		se := stateEntry{Told: e.told, ToldAt: e.toldAt, Current: e.latest.Current, Changes: e.changes,
			Since: e.since, Expired: e.expired, RateTAT: e.tat}
		if e.pending() {
			l := e.latest
			se.Latest = &l
			if e.worst != nil {
				w := *e.worst
				se.Worst = &w
			}
		}
		sf.Alarms[k] = se
	}
	return sf
}

// decodeState parses a state file for receiver. It refuses anything it
// could not have written: another version or receiver, an entry whose
// events belong to another alarm or disagree with its state, an owed entry
// without its event or time, a negative count.
func decodeState(data []byte, receiver string) (map[string]*entry, error) {
	var sf stateFile
	if err := json.Unmarshal(data, &sf); err != nil {
		return nil, err
	}
	if sf.Version != stateVersion {
		return nil, fmt.Errorf("version %d, this program reads %d", sf.Version, stateVersion)
	}
	if sf.Receiver != receiver {
		return nil, fmt.Errorf("file is for receiver %q", sf.Receiver)
	}
	alarms := make(map[string]*entry, len(sf.Alarms))
	for k, se := range sf.Alarms {
		bad := func(what string) error { return fmt.Errorf("alarm %q: %s", k, what) }
		switch {
		case k == "" || se.Current == "":
			return nil, bad("empty key or state")
		case se.Changes < 0:
			return nil, bad("negative changes")
		}
		e := &entry{told: se.Told, toldAt: se.ToldAt, latest: Event{Current: se.Current}, changes: se.Changes,
			since: se.Since, expired: se.Expired, tat: se.RateTAT}
		if l := se.Latest; l != nil {
			if l.Current != se.Current || l.Key() != k {
				return nil, bad("latest event disagrees with the entry")
			}
			e.latest = *l
			e.latest.Previous, e.latest.Changes, e.latest.Worst = "", 0, nil
		}
		if w := se.Worst; w != nil {
			if w.Key() != k || severity(w.Current) <= severity(e.toldState()) {
				return nil, bad("worst event is not of this alarm or not worse than told")
			}
			cp := *w
			cp.Previous, cp.Changes, cp.Worst = "", 0, nil
			e.worst = &cp
		}
		if e.pending() && (se.Latest == nil || e.since.IsZero()) {
			return nil, bad("owed without its event or its time")
		}
		alarms[k] = e
	}
	return alarms, nil
}

// errCorrupt marks a state file that is there but unusable.
var errCorrupt = errors.New("corrupt")

// readStateFile reads path, refusing one over maxStateFile as corrupt.
func readStateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > maxStateFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", errCorrupt, maxStateFile)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStateFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", errCorrupt, maxStateFile)
	}
	return data, nil
}

// load restores r from its state file. A file that is missing is a fresh
// start; unreadable, r starts empty; corrupt, it is renamed aside to
// .corrupt and r starts empty. Nothing here is fatal.
func (d *Dispatcher) load(r *route) {
	data, err := readStateFile(r.file)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var alarms map[string]*entry
	if err == nil {
		if alarms, err = decodeState(data, r.name); err != nil {
			err = fmt.Errorf("%w: %w", errCorrupt, err)
		}
	}
	if err != nil {
		if !errors.Is(err, errCorrupt) {
			d.log.Error("notification state unreadable; this receiver starts with nothing told or owed", "notifier", r.name, "file", r.file, "err", err)
			return
		}
		aside := r.file + ".corrupt"
		if rerr := os.Rename(r.file, aside); rerr != nil {
			d.log.Error("notification state file corrupt and not moved aside; this receiver starts with nothing told or owed", "notifier", r.name, "file", r.file, "err", err, "rename_err", rerr)
		} else {
			d.log.Error("notification state file corrupt, moved aside; this receiver starts with nothing told or owed", "notifier", r.name, "file", r.file, "moved_to", aside, "err", err)
		}
		r.dirty = true
		return
	}
	// A bucket never needs more than a window to fill (the limit may have
	// changed, the clock may have been set back).
	full := d.o.Now().Add(d.o.RateWindow)
	r.mu.Lock()
	for k, e := range alarms {
		if e.tat.After(full) {
			e.tat = full
		}
		r.alarms[k] = e
		r.settleLocked(k, e)
	}
	r.mu.Unlock()
	d.log.Info("notification state restored", "notifier", r.name, "alarms", len(alarms), "pending", r.npending.Load())
}

// persist writes r's state file if r changed since the last write (after a
// failed write, not before writeRetry has passed, unless final). The copy
// is taken under r.mu and written outside it. Only r's worker calls it, so
// there is one writer per file.
func (d *Dispatcher) persist(r *route, now time.Time, final bool) {
	if r.file == "" {
		return
	}
	r.mu.Lock()
	if !r.dirty || (!final && now.Before(r.writeRetryAt)) {
		r.mu.Unlock()
		return
	}
	sf := r.snapshotLocked()
	r.dirty = false
	r.mu.Unlock()
	data, err := json.Marshal(sf)
	if err == nil {
		err = writeFileAtomic(r.file, append(data, '\n'))
	}
	if err != nil {
		r.mu.Lock()
		r.dirty = true
		r.mu.Unlock()
		r.writeErrors.Add(1)
		r.writeFails++
		r.writeRetryAt = now.Add(writeRetry)
		if r.writeFails == 1 || final || now.Sub(r.writeLogAt) >= time.Minute {
			r.writeLogAt = now
			d.log.Error("notification state not saved; kept in memory, saving is retried", "notifier", r.name, "file", r.file, "failures", r.writeFails, "err", err)
		}
		return
	}
	if r.writeFails > 0 {
		d.log.Warn("notification state saved again", "notifier", r.name, "file", r.file, "failures", r.writeFails)
		r.writeFails, r.writeRetryAt = 0, time.Time{}
	}
}

// writeFileAtomic replaces path with data, mode 0600: a temporary file in
// the same directory, synced, renamed over path, then the directory
// synced, so a crash leaves the old file or the new one, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
