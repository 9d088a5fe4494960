package metrics

import (
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// emitter sends const metrics for one Collect call. It makes label values
// valid UTF-8 and drops a series whose label values repeat within its
// family, so data the agent cannot vouch for (mount points, interface
// names, plugin metric names) never fails a scrape.
type emitter struct {
	ch     chan<- prometheus.Metric
	seen   map[seenKey]struct{}
	groups map[seenKey]struct{}
}

type seenKey struct {
	desc   *prometheus.Desc
	labels string
}

func newEmitter(ch chan<- prometheus.Metric) *emitter {
	return &emitter{ch: ch, seen: map[seenKey]struct{}{}, groups: map[seenKey]struct{}{}}
}

// labelSep joins label values into a key; it never occurs in valid UTF-8.
const labelSep = "\xff"

// emit sends one sample of fam unless the same label values were already
// sent for it in this scrape.
func (e *emitter) emit(fam family, v float64, labels ...string) {
	if len(labels) > 0 {
		for i, l := range labels {
			labels[i] = sanitizeLabel(l)
		}
		k := seenKey{fam.desc, strings.Join(labels, labelSep)}
		if _, dup := e.seen[k]; dup {
			return
		}
		e.seen[k] = struct{}{}
	}
	m, err := prometheus.NewConstMetric(fam.desc, fam.typ, v, labels...)
	if err != nil {
		// A label count mismatch is a bug here; report it in the scrape
		// (the handler continues past it) rather than panic.
		m = prometheus.NewInvalidMetric(fam.desc, err)
	}
	e.ch <- m
}

// first reports whether key is new in fam's group: callers use it to keep
// the first of several entries that share a key narrower than their labels.
func (e *emitter) first(fam family, key string) bool {
	k := seenKey{fam.desc, sanitizeLabel(key)}
	if _, dup := e.groups[k]; dup {
		return false
	}
	e.groups[k] = struct{}{}
	return true
}

// sanitizeLabel replaces invalid UTF-8 with U+FFFD; valid strings are
// returned as they are, without allocating.
func sanitizeLabel(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
