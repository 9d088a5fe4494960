package protocol_test

import (
	"testing"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// TestScheduleFetchedOnlyForAnEntity: the schedule is fetched after the
// hello only when its result names an entity, as the original does
// (connection_messages.lua:29-37); an unbound agent fetches it when the
// endpoint sends check_schedule.changed (connection_messages.lua:81-85).
func TestScheduleFetchedOnlyForAnEntity(t *testing.T) {
	for _, unbound := range []bool{false, true} {
		srv := startServer(t, fixtures.Options{Unbound: unbound})
		h := &recordingHandler{}
		o := clientOptions(t, srv)
		o.Handler = h
		m, err := protocol.NewManager(o, nil)
		if err != nil {
			t.Fatal(err)
		}
		runManager(t, m)
		// Three heartbeats answered: the connection has been up long
		// enough for a schedule fetch to have happened.
		eventually(t, "3 heartbeats", func() bool { return srv.Stats().Heartbeats >= 3 })
		gets := srv.Stats().ScheduleGets
		switch {
		case !unbound && (gets != 1 || h.count() != 1):
			t.Errorf("bound: %d schedule fetches, %d schedules, want 1 each", gets, h.count())
		case unbound && (gets != 0 || h.count() != 0):
			t.Errorf("unbound: %d schedule fetches, %d schedules, want none", gets, h.count())
		}
		if st := m.Status(); unbound && st.Endpoints[0].EntityID != "" {
			t.Errorf("unbound: entity %q", st.Endpoints[0].EntityID)
		}
		if unbound {
			srv.Push(protocol.MethodScheduleChanged, nil)
			eventually(t, "a schedule after check_schedule.changed", func() bool { return h.count() == 1 })
		}
	}
}
