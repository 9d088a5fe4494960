package tui

import (
	"github.com/virgo-top/virgo-top/agent"
	"github.com/virgo-top/virgo-top/collector"
	"github.com/virgo-top/virgo-top/history"
)

// ringCap is how many raw samples the fallback history keeps per series.
const ringCap = 300

// ringHistory is the trend source when Options.History is nil: the last
// ringCap raw values of every series the console has seen. It has no
// rollups, so the hour and day windows stay empty.
type ringHistory struct {
	series map[string]*ring
}

type ring struct {
	buf   [ringCap]float64
	start int
	n     int
}

func newRingHistory() *ringHistory { return &ringHistory{series: make(map[string]*ring)} }

// add records every series value of snap.
func (h *ringHistory) add(snap *collector.Snapshot) {
	agent.EachSeries(snap, func(name string, v float64) {
		r := h.series[name]
		if r == nil {
			r = &ring{}
			h.series[name] = r
		}
		if r.n < ringCap {
			r.buf[(r.start+r.n)%ringCap] = v
			r.n++
			return
		}
		r.buf[r.start] = v
		r.start = (r.start + 1) % ringCap
	})
}

// Values returns up to n of the newest raw values, oldest first.
func (h *ringHistory) Values(name string, res history.Resolution, n int, dst []float64) []float64 {
	r := h.series[name]
	if r == nil || res != history.Raw || n <= 0 {
		return dst
	}
	n = min(n, r.n)
	for i := r.n - n; i < r.n; i++ {
		dst = append(dst, r.buf[(r.start+i)%ringCap])
	}
	return dst
}
