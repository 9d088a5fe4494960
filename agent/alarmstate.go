package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/virgo-top/virgo-top/alarm"
	"github.com/virgo-top/virgo-top/check"
)

// alarmStateFile is the file in the state dir that keeps every alarm's
// state across restarts, so a restart does not turn each alarm UNKNOWN
// and re-notify it (or, worse, let a start-up message use up the rate
// limit's token).
const alarmStateFile = "alarms.json"

// savedAlarm is one alarm's state as kept in alarmStateFile.
type savedAlarm struct {
	State   alarm.State `json:"state"`
	Message string      `json:"message,omitempty"`
	Since   time.Time   `json:"since,omitzero"`
}

type alarmStates struct {
	Version int                   `json:"version"`
	Alarms  map[string]savedAlarm `json:"alarms"` // alarmKey(check, alarm)
}

// alarmKey names an alarm in alarmStateFile.
func alarmKey(checkID, name string) string { return checkID + "/" + name }

// loadAlarmStates reads the saved alarm states; a missing file is none.
func loadAlarmStates(path string) (map[string]savedAlarm, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st alarmStates
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("corrupt: %w", err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("unknown version %d", st.Version)
	}
	return st.Alarms, nil
}

// encodeAlarmStates renders every alarm's state (deterministically, so an
// unchanged state is not rewritten).
func (a *Agent) encodeAlarmStates() ([]byte, error) {
	st := alarmStates{Version: 1, Alarms: map[string]savedAlarm{}}
	b := &a.checks
	b.mu.Lock()
	for id, entries := range b.alarms {
		if len(entries) == 0 {
			if e := b.noAlarm[id]; e != nil && e.tracker != nil {
				st.Alarms[alarmKey(id, AvailabilityAlarm)] = e.saved()
			}
			continue
		}
		for name, e := range entries {
			if e.tracker != nil {
				st.Alarms[alarmKey(id, name)] = e.saved()
			}
		}
	}
	b.mu.Unlock()
	for k, v := range st.Alarms {
		if v.State == alarm.Unknown {
			delete(st.Alarms, k) // nothing to restore
		}
	}
	return json.Marshal(st) // map keys are sorted
}

func (e *alarmEntry) saved() savedAlarm {
	return savedAlarm{State: e.tracker.State(), Message: e.msg, Since: e.since}
}

// RestoreAlarms gives the alarm states saved before a restart. Each is
// used once, when its check is next scheduled: the alarm starts in that
// state instead of UNKNOWN, and the notifier is told the state again
// (Previous == Current), so it can deliver what a receiver missed and
// nothing it already heard. Call before the checks are set.
func (a *Agent) RestoreAlarms(saved map[string]savedAlarm) {
	b := &a.checks
	b.mu.Lock()
	defer b.mu.Unlock()
	b.restore = saved
}

// restoreLocked starts e, alarm name of check def, from its saved state
// if there is one (used once), and returns the change to hand the
// notifier. Callers hold b.mu.
func (b *checkBook) restoreLocked(def check.Def, name string, e *alarmEntry, entity string) (AlarmChange, bool) {
	key := alarmKey(def.ID, name)
	s, ok := b.restore[key]
	if !ok || e.tracker == nil {
		return AlarmChange{}, false
	}
	delete(b.restore, key)
	e.tracker.Restore(s.State)
	e.msg, e.since = s.Message, s.Since
	return AlarmChange{Entity: entity, Check: def, AlarmName: name, AlarmLabel: e.def.Label,
		Previous: s.State, Current: s.State, Message: s.Message, Restored: true}, true
}

// keepAlarmStates writes the alarm states to path whenever they changed
// (signalled on a.alarmsChanged), and once more when ctx ends.
func (a *Agent) keepAlarmStates(ctx context.Context, path string, log *slog.Logger) {
	var last []byte
	save := func() {
		data, err := a.encodeAlarmStates()
		if err != nil || string(data) == string(last) {
			return
		}
		if err := writeFileAtomic(path, data); err != nil {
			log.Warn("alarm states not saved", "file", path, "err", err)
			return
		}
		last = data
	}
	for {
		select {
		case <-ctx.Done():
			save()
			return
		case <-a.alarmsChanged:
			save()
		}
	}
}
