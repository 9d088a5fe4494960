package metrics

import (
	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/notify"
	"github.com/virgo-top/virgo-top/protocol"
)

// RuntimeSource adapts a built agent.Runtime to Source: the agent's latest
// snapshot and checks, the endpoint manager (when endpoints are
// configured) and the notification dispatcher.
func RuntimeSource(rt *agent.Runtime) Source { return runtimeSource{rt} }

type runtimeSource struct{ rt *agent.Runtime }

func (s runtimeSource) Latest() *collector.Snapshot { return s.rt.Agent.Latest() }

func (s runtimeSource) Checks() []agent.CheckView { return s.rt.Agent.Checks() }

func (s runtimeSource) Endpoint() (protocol.Status, bool) {
	if s.rt.Manager == nil {
		return protocol.Status{}, false
	}
	return s.rt.Manager.Status(), true
}

func (s runtimeSource) Notifications() map[string]notify.NotifierStats {
	if s.rt.Dispatcher == nil {
		return nil
	}
	return s.rt.Dispatcher.Stats()
}
