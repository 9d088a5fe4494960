package endpoint

import (
	"context"

	"github.com/virgo-top/virgo-top/endpoint/alertmanager"
	"github.com/virgo-top/virgo-top/endpoint/remotewrite"
)

// Sending: each output has a few sender goroutines (owned by the Server,
// stopped and waited for by Close). A sender takes one post, adds every
// post already waiting (up to maxBatchPosts), and hands them to the output
// as one request; each post gets that request's result. While the engine
// is busy with one request the next batch fills, so under load the
// requests grow instead of multiplying, and when idle a post goes alone at
// once (no timer, no added latency). A request refused for good is sent
// again post by post, so one post's bad sample does not cost the others
// theirs. The queue is bounded by
// max_inflight_posts (a post waits for a slot there first).
const (
	sendersPerOutput = 4
	maxBatchPosts    = 500
)

type sendItem struct {
	series []remotewrite.Series
	alerts []alertmanager.Alert
	done   chan error // buffered: the sender never waits for the poster
}

type sender struct {
	out   Output
	items chan *sendItem
}

// startSenders starts the senders of every output.
func (s *Server) startSenders() {
	queue := max(s.cfg.Limits.MaxInflightPosts, 1)
	for _, o := range s.outs {
		sd := &sender{out: o, items: make(chan *sendItem, queue)}
		s.senders = append(s.senders, sd)
		for range sendersPerOutput {
			s.senderWG.Add(1)
			go func() {
				defer s.senderWG.Done()
				sd.run(s.ctx)
			}()
		}
	}
}

// send queues one post's series and alerts and waits for the result of the
// request that carried them (or for ctx).
func (sd *sender) send(ctx context.Context, series []remotewrite.Series, alerts []alertmanager.Alert) error {
	it := &sendItem{series: series, alerts: alerts, done: make(chan error, 1)}
	select {
	case sd.items <- it:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (sd *sender) run(ctx context.Context) {
	var batch []*sendItem
	for {
		batch = batch[:0]
		select {
		case it := <-sd.items:
			batch = append(batch, it)
		case <-ctx.Done():
			return
		}
	fill:
		for len(batch) < maxBatchPosts {
			select {
			case it := <-sd.items:
				batch = append(batch, it)
			default:
				break fill
			}
		}
		series, alerts := batch[0].series, batch[0].alerts
		if len(batch) > 1 {
			series = append([]remotewrite.Series(nil), series...)
			alerts = append([]alertmanager.Alert(nil), alerts...)
			for _, it := range batch[1:] {
				series = append(series, it.series...)
				alerts = append(alerts, it.alerts...)
			}
		}
		err := sd.out.Send(ctx, series, alerts)
		if err != nil && len(batch) > 1 && sd.out.Permanent(err) {
			// An engine refuses a whole request for one bad sample
			// (Prometheus rolls back a remote write with one
			// out-of-order sample): send each post alone, so that only
			// the bad one is refused for good.
			for _, it := range batch {
				it.done <- sd.out.Send(ctx, it.series, it.alerts)
			}
			continue
		}
		for _, it := range batch {
			it.done <- err
		}
	}
}
