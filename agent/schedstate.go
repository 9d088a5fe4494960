package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// schedState is the scheduler state kept in the state dir, in Virgo's
// format ({"version":1,"checks":[{"id","state","nextrun","period"}]},
// nextrun in seconds since the epoch) plus nextrun_ms for sub-second
// precision. Virgo's own state files load too.
type schedState struct {
	Version int               `json:"version"`
	Checks  []schedStateCheck `json:"checks"`
}

type schedStateCheck struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	NextRun   int64  `json:"nextrun"`
	NextRunMs int64  `json:"nextrun_ms,omitempty"`
	Period    int64  `json:"period"` // seconds
}

// encodeSchedState renders the checks' next runs and alarm states.
func encodeSchedState(views []CheckView) ([]byte, error) {
	st := schedState{Version: 1, Checks: make([]schedStateCheck, 0, len(views))}
	for _, v := range views {
		if v.NextRun.IsZero() {
			continue
		}
		st.Checks = append(st.Checks, schedStateCheck{
			ID: v.Def.ID, State: v.State.String(), NextRun: v.NextRun.Unix(), NextRunMs: v.NextRun.UnixMilli(),
			Period: int64(v.Def.Period / time.Second),
		})
	}
	return json.Marshal(st)
}

// loadSchedState reads the saved next runs (check id -> time); a missing
// file is an empty state.
func loadSchedState(path string) (map[string]time.Time, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st schedState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("corrupt: %w", err)
	}
	if st.Version != 1 {
		return nil, fmt.Errorf("unknown version %d", st.Version)
	}
	next := make(map[string]time.Time, len(st.Checks))
	for _, c := range st.Checks {
		switch {
		case c.ID == "":
		case c.NextRunMs > 0:
			next[c.ID] = time.UnixMilli(c.NextRunMs)
		case c.NextRun > 0:
			next[c.ID] = time.Unix(c.NextRun, 0)
		}
	}
	return next, nil
}
