package protocol_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
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

// fakeResolver answers SRV lookups from a script: each lookup takes the
// next answer (the last one repeats); an empty target is a DNS failure.
type fakeResolver struct {
	mu      sync.Mutex
	answers []string // host:port, or "" to fail
	calls   int
}

func (r *fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.answers[min(r.calls, len(r.answers)-1)]
	r.calls++
	if service != "" || proto != "" || name != "_monitoringagent._tcp.test.example" {
		return "", nil, fmt.Errorf("unexpected lookup %q %q %q", service, proto, name)
	}
	if a == "" {
		return "", nil, &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	host, port, _ := net.SplitHostPort(a)
	p, _ := strconv.Atoi(port)
	return "", []*net.SRV{{Target: host + ".", Port: uint16(p)}, {Target: "unused.example.", Port: 1}}, nil
}

func (r *fakeResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// TestSRVResolvedAtEveryReconnect: an SRV endpoint is looked up before
// every connection attempt (endpoint.lua:45-60 from connection_stream.lua:
// 359): a DNS failure at start is retried, and after a drop the agent
// follows the record to wherever it points now.
func TestSRVResolvedAtEveryReconnect(t *testing.T) {
	a := startServer(t, fixtures.Options{})
	b := startServer(t, fixtures.Options{})
	res := &fakeResolver{answers: []string{"", "", a.Addr(), b.Addr()}}
	o := clientOptions(t, a, b)
	o.Endpoints = nil
	o.SRVNames = []string{"_monitoringagent._tcp.test.example"}
	o.Resolver = res
	m, err := protocol.NewManager(o, nil)
	if err != nil {
		t.Fatal(err)
	}
	runManager(t, m)
	eventually(t, "a connection to the first address", func() bool { return a.Stats().Hellos == 1 })
	st := m.Status().Endpoints[0]
	if st.Endpoint != "SRV:_monitoringagent._tcp.test.example" || st.Address != a.Addr() || st.Reconnects != 2 {
		t.Errorf("status after two failed lookups: %+v", st)
	}
	a.DropConnections()
	eventually(t, "a connection to the record's new address", func() bool { return b.Stats().Hellos == 1 })
	if n := res.count(); n != 4 {
		t.Errorf("%d lookups, want 4 (one per attempt)", n)
	}
	if err := m.Post(post("chMEM000001", 1)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the post at the new address", func() bool { return len(b.AcceptedPosts()) == 1 })
}
