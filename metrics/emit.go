package metrics

import (
	"strings"
	"unicode/utf8"
)

// emitter adds samples to an exposition for one scrape. It makes label
// values valid UTF-8 and drops a series whose label values repeat within
// its family, so data the agent cannot vouch for (mount points, interface
// names, plugin metric names) never fails a scrape.
type emitter struct {
	x *exposition
	// host is the value of the host label of families withHost.
	host string
	// omitNode drops the samples of node_exporter's names (family.node).
	omitNode bool
	// hostOnly is the label values of a family with the host label only.
	hostOnly []string
	seen     map[seenKey]struct{}
	groups   map[seenKey]struct{}
}

type seenKey struct {
	fam    *family
	labels string
}

func newEmitter(x *exposition, host string) *emitter {
	host = sanitizeLabel(host)
	return &emitter{x: x, host: host, hostOnly: []string{host}, seen: map[seenKey]struct{}{}, groups: map[seenKey]struct{}{}}
}

// labelSep joins label values into a key; it never occurs in valid UTF-8.
const labelSep = "\xff"

// emit adds one sample of fam unless the same label values were already
// added for it in this scrape. labels are fam's label values in order,
// without the host label's (the emitter adds it). A label count that does
// not match the family's is a bug here: the sample is dropped rather than
// fail the scrape or panic.
func (e *emitter) emit(fam *family, v float64, labels ...string) {
	if fam.node && e.omitNode {
		return
	}
	n := len(labels)
	if fam.host {
		n++
	}
	if n != len(fam.labels) {
		return
	}
	var values []string
	switch {
	case len(labels) == 0 && fam.host:
		// Shared by every label-less family: samples never change
		// their labels.
		values = e.hostOnly
	case n > 0:
		values = make([]string, n)
		for i, l := range labels {
			values[i] = sanitizeLabel(l)
		}
		if fam.host {
			values[n-1] = e.host
		}
	}
	// The key leaves the host out: it is the same for every sample.
	k := seenKey{fam, strings.Join(values[:len(labels)], labelSep)}
	if _, dup := e.seen[k]; dup {
		return
	}
	e.seen[k] = struct{}{}
	e.x.add(fam, sample{labels: values, value: v})
}

// emitSummary adds fam's one summary sample (without labels of its own:
// the host label only, when fam has it).
func (e *emitter) emitSummary(fam *family, s summaryValue) {
	k := seenKey{fam: fam}
	if _, dup := e.seen[k]; dup || fam.typ != summaryType || fam.node && e.omitNode {
		return
	}
	e.seen[k] = struct{}{}
	var labels []string
	if fam.host {
		labels = e.hostOnly
	}
	if len(labels) != len(fam.labels) {
		return
	}
	e.x.add(fam, sample{labels: labels, sum: &s})
}

// first reports whether key is new in fam's group: callers use it to keep
// the first of several entries that share a key narrower than their labels.
func (e *emitter) first(fam *family, key string) bool {
	k := seenKey{fam, sanitizeLabel(key)}
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
