package agent

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/virgo-top/virgo-top/config"
	"github.com/virgo-top/virgo-top/protocol"
	"github.com/virgo-top/virgo-top/record"
)

// RecordGroup owns the recording's files (0640) when it exists, so its
// members can read the daemon's recording (the packaged unit creates it).
const RecordGroup = "virgo-top"

// openRecorder opens the flight recorder of rs, or logs why it cannot and
// returns nil: the agent runs on without it. A writer lock taken at that
// very instant by a console probing it (record.Writing) is retried.
func openRecorder(rs RecordSetup, cfg config.Config, log *slog.Logger) *record.Writer {
	opts := record.Options{
		Dir: rs.Dir, MaxAge: rs.MaxAge, MaxBytes: rs.MaxBytes, ProcessInterval: rs.ProcessInterval,
		Logger: log, Group: RecordGroup, Mask: record.NewMasker(secretsOf(cfg)...), Series: EachSeries,
	}
	var err error
	for try := 0; try < 5; try++ {
		var w *record.Writer
		if w, err = record.OpenWriter(opts); err == nil {
			log.Info("recording the host's timeline", "dir", rs.Dir, "max_age", rs.MaxAge, "max_size", rs.MaxBytes)
			return w
		}
		if !errors.Is(err, record.ErrBusy) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	log.Error("not recording the host's timeline", "dir", rs.Dir, "err", err)
	return nil
}

// secretsOf lists the secret values of cfg that must never reach the
// recording (a process's command line may carry one: ours, --token).
func secretsOf(cfg config.Config) []string {
	out := []string{cfg.Token.Reveal(), cfg.Notify.WebhookSecret.Reveal(), cfg.Notify.WebhookToken.Reveal(), cfg.Notify.SMTPPassword.Reveal()}
	for _, raw := range []string{cfg.ProxyURL, cfg.Notify.WebhookURL, cfg.Notify.SMSURL} {
		u, err := url.Parse(raw)
		if err != nil || raw == "" {
			continue
		}
		if p, ok := u.User.Password(); ok {
			out = append(out, p)
		}
		for _, vs := range u.Query() {
			out = append(out, vs...)
		}
	}
	return out
}

// recordLinks records each change of an endpoint's link state, polling the
// manager every period until ctx ends.
func (rt *Runtime) recordLinks(ctx context.Context, period time.Duration) {
	last := map[string]protocol.ConnState{}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		for _, ep := range rt.Manager.Status().Endpoints {
			if last[ep.Endpoint] == ep.State {
				continue
			}
			last[ep.Endpoint] = ep.State
			ev := record.LinkEvent{Time: time.Now(), Endpoint: ep.Endpoint, State: string(ep.State)}
			if ep.State != protocol.StateConnected {
				ev.Error = ep.LastError
			}
			rt.Recorder.Link(ev)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
