package protocol_test

import (
	"context"
	"fmt"
	"time"

	"github.com/virgo-top/virgo-top/fixtures"
	"github.com/virgo-top/virgo-top/protocol"
)

// A daemon runs a Manager against its endpoints and posts check results to
// it; here the endpoint is the bundled fixture server.
func ExampleManager() {
	srv, err := fixtures.New(fixtures.Options{})
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(context.Background()) }()
	defer srv.Close()

	spool, err := protocol.NewSpool(protocol.SpoolOptions{MaxEntries: 1000})
	if err != nil {
		panic(err)
	}
	m, err := protocol.NewManager(protocol.Options{
		Endpoints: []string{srv.Addr()},
		CAPEM:     srv.CAPEM(),
		Token:     "0000.7777",
		AgentID:   "agentA",
		AgentName: "virgo-top",
		Getenv:    func(string) string { return "" }, // no proxy from the environment
	}, spool)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	var metrics protocol.Metrics
	metrics.Add("", "usage_average", protocol.Double(12.5, "percent"))
	metrics.Add("", "cpu_count", protocol.Uint64(4, "count"))
	_ = m.Post(protocol.MetricsPost{
		CheckID:   "chCPU000001",
		CheckType: "agent.cpu",
		State:     protocol.StateAvailable,
		Status:    "success",
		Timestamp: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(),
		Metrics:   metrics,
	})
	for m.Status().Spool.Sent == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	fmt.Println(<-done)
	got := srv.AcceptedPosts()[0].Post
	v, _ := got.Metrics.Get("", "usage_average")
	fmt.Println(got.CheckID, v.Type, v.Value, v.Unit)
	// Output:
	// context canceled
	// chCPU000001 double 12.5 percent
}
