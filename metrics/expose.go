package metrics

import (
	"bufio"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/virgo-top/virgo-top/internal/schema"
)

// metricType is a family's TYPE in the text format.
type metricType uint8

const (
	gaugeType metricType = iota
	counterType
	summaryType
)

func (t metricType) String() string {
	switch t {
	case counterType:
		return "counter"
	case summaryType:
		return "summary"
	}
	return "gauge"
}

// family is one metric family: name, help, type and label names. A family
// is compared by identity, so each is built once (newFamilies).
type family struct {
	name   string
	help   string
	typ    metricType
	labels []string
	// order lists label indices by label name: the text format, like
	// client_golang, writes labels and sorts samples in that order.
	order []int
	// host is set when the last label is schema.LabelHost, whose value
	// the emitter adds to every sample (withHost).
	host bool
	// node is set for node_exporter's names (node_*), which
	// Options.OmitNodeFamilies leaves out.
	node bool
}

func newFamily(name, help string, typ metricType, labels []string) *family {
	return &family{name: name, help: help, typ: typ, labels: labels, order: labelOrder(labels),
		node: strings.HasPrefix(name, "node_")}
}

// labelOrder lists the indices of labels in label name order.
func labelOrder(labels []string) []int {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return labels[order[a]] < labels[order[b]] })
	return order
}

// withHost adds the host label (schema.LabelHost) to every family of fams:
// the emitter fills it in, so callers of emit never pass it.
func withHost(fams ...*family) {
	for _, f := range fams {
		if f.host {
			continue
		}
		f.labels = append(slices.Clip(f.labels), schema.LabelHost)
		f.order = labelOrder(f.labels)
		f.host = true
	}
}

func gauge(name, help string, labels ...string) *family {
	return newFamily(name, help, gaugeType, labels)
}

func counter(name, help string, labels ...string) *family {
	return newFamily(name, help, counterType, labels)
}

// summary is a family of summaries (without labels of its own).
func summary(name, help string) *family {
	return newFamily(name, help, summaryType, nil)
}

// sample is one series of a family: its label values (in the family's
// label order) and value. A summary's sample carries its quantiles, sum
// and count instead of a value.
type sample struct {
	labels []string
	value  float64
	sum    *summaryValue
}

// summaryValue is a summary's quantiles (quantile, value pairs), sum and
// count.
type summaryValue struct {
	quantiles [][2]float64
	sum       float64
	count     uint64
}

// exposition is what one scrape gathered: samples by family.
type exposition struct {
	samples map[*family][]sample
}

func newExposition() *exposition {
	return &exposition{samples: map[*family][]sample{}}
}

func (x *exposition) add(f *family, s sample) {
	x.samples[f] = append(x.samples[f], s)
}

// writeText writes x in the Prometheus text format 0.0.4 as client_golang's
// registry and expfmt do: families with samples sorted by name, each with
// HELP and TYPE, samples sorted by their label values (labels taken in
// name order), labels written in name order.
func (x *exposition) writeText(w io.Writer) error {
	fams := make([]*family, 0, len(x.samples))
	for f, ss := range x.samples {
		if len(ss) > 0 {
			fams = append(fams, f)
		}
	}
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	bw := bufio.NewWriter(w)
	for _, f := range fams {
		writeFamily(bw, f, x.samples[f])
	}
	return bw.Flush()
}

func writeFamily(w *bufio.Writer, f *family, ss []sample) {
	ss = slices.Clone(ss)
	slices.SortFunc(ss, func(a, b sample) int {
		for _, i := range f.order {
			if c := strings.Compare(a.labels[i], b.labels[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	w.WriteString("# HELP ")
	w.WriteString(f.name)
	w.WriteByte(' ')
	writeEscaped(w, f.help, false)
	w.WriteString("\n# TYPE ")
	w.WriteString(f.name)
	w.WriteByte(' ')
	w.WriteString(f.typ.String())
	w.WriteByte('\n')
	for _, s := range ss {
		if s.sum == nil {
			writeSample(w, f, "", s.labels, "", 0, s.value)
			continue
		}
		for _, q := range s.sum.quantiles {
			writeSample(w, f, "", s.labels, "quantile", q[0], q[1])
		}
		writeSample(w, f, "_sum", s.labels, "", 0, s.sum.sum)
		writeSample(w, f, "_count", s.labels, "", 0, float64(s.sum.count))
	}
}

// writeSample writes one line: name and suffix, the labels in name order
// plus an extra one (quantile) when extraName is set, and the value.
func writeSample(w *bufio.Writer, f *family, suffix string, values []string, extraName string, extraValue, v float64) {
	w.WriteString(f.name)
	w.WriteString(suffix)
	if len(f.order) > 0 || extraName != "" {
		sep := byte('{')
		for _, i := range f.order {
			w.WriteByte(sep)
			w.WriteString(f.labels[i])
			w.WriteString(`="`)
			writeEscaped(w, values[i], true)
			w.WriteByte('"')
			sep = ','
		}
		if extraName != "" {
			w.WriteByte(sep)
			w.WriteString(extraName)
			w.WriteString(`="`)
			writeFloat(w, extraValue)
			w.WriteByte('"')
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
	writeFloat(w, v)
	w.WriteByte('\n')
}

// writeEscaped escapes backslash and newline (HELP text), and the double
// quote too when quoted is set (label values), as the text format wants.
func writeEscaped(w *bufio.Writer, s string, quoted bool) {
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\n':
			esc = `\n`
		case '"':
			if !quoted {
				continue
			}
			esc = `\"`
		default:
			continue
		}
		w.WriteString(s[start:i])
		w.WriteString(esc)
		start = i + 1
	}
	w.WriteString(s[start:])
}

// writeFloat formats v as expfmt does: 1, 0 and -1 as integers, NaN,
// +Inf and -Inf by name, anything else in the shortest 'g' form.
func writeFloat(w *bufio.Writer, v float64) {
	switch {
	case v == 1:
		w.WriteByte('1')
	case v == 0:
		w.WriteByte('0')
	case v == -1:
		w.WriteString("-1")
	case math.IsNaN(v):
		w.WriteString("NaN")
	case math.IsInf(v, +1):
		w.WriteString("+Inf")
	case math.IsInf(v, -1):
		w.WriteString("-Inf")
	default:
		var buf [32]byte
		w.Write(strconv.AppendFloat(buf[:0], v, 'g', -1, 64))
	}
}
