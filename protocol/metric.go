package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MetricType is the wire type name of a metric value ("t").
type MetricType string

// The metric types of the wire. There are no single-letter codes.
const (
	TypeString MetricType = "string"
	TypeGauge  MetricType = "gauge"
	TypeInt32  MetricType = "int32"
	TypeUint32 MetricType = "uint32"
	TypeInt64  MetricType = "int64"
	TypeUint64 MetricType = "uint64"
	TypeDouble MetricType = "double"
	TypeBool   MetricType = "bool"
)

// Valid reports whether t is one of the wire's type names.
func (t MetricType) Valid() bool {
	switch t {
	case TypeString, TypeGauge, TypeInt32, TypeUint32, TypeInt64, TypeUint64, TypeDouble, TypeBool:
		return true
	}
	return false
}

// MetricValue is one metric on the wire: {"t":type,"v":value,"u":unit}. The
// value is always a string; this package writes numbers in decimal and reads
// decimal or hexadecimal ("0x1f", as current Virgo writes int64/uint64/gauge).
type MetricValue struct {
	Type  MetricType `json:"t"`
	Value string     `json:"v"`
	Unit  string     `json:"u,omitempty"`
}

// Int64 returns an int64 metric.
func Int64(v int64, unit string) MetricValue {
	return MetricValue{Type: TypeInt64, Value: strconv.FormatInt(v, 10), Unit: unit}
}

// Uint64 returns a uint64 metric.
func Uint64(v uint64, unit string) MetricValue {
	return MetricValue{Type: TypeUint64, Value: strconv.FormatUint(v, 10), Unit: unit}
}

// Int32 returns an int32 metric.
func Int32(v int32, unit string) MetricValue {
	return MetricValue{Type: TypeInt32, Value: strconv.FormatInt(int64(v), 10), Unit: unit}
}

// Uint32 returns a uint32 metric.
func Uint32(v uint32, unit string) MetricValue {
	return MetricValue{Type: TypeUint32, Value: strconv.FormatUint(uint64(v), 10), Unit: unit}
}

// Gauge returns a gauge metric (an unsigned counter or level).
func Gauge(v uint64, unit string) MetricValue {
	return MetricValue{Type: TypeGauge, Value: strconv.FormatUint(v, 10), Unit: unit}
}

// Double returns a double metric. NaN and infinities are written as Go
// formats them ("NaN", "+Inf"); the endpoint treats the value as text.
func Double(v float64, unit string) MetricValue {
	return MetricValue{Type: TypeDouble, Value: strconv.FormatFloat(v, 'f', -1, 64), Unit: unit}
}

// String returns a string metric (strings carry no unit).
func String(v string) MetricValue { return MetricValue{Type: TypeString, Value: v} }

// Bool returns a bool metric.
func Bool(v bool) MetricValue { return MetricValue{Type: TypeBool, Value: strconv.FormatBool(v)} }

// Float64 returns the value as a number. Integer types accept decimal or
// "0x" hexadecimal; double accepts any Go float syntax; bool gives 0 or 1.
func (m MetricValue) Float64() (float64, error) {
	switch m.Type {
	case TypeDouble:
		f, err := strconv.ParseFloat(strings.TrimSpace(m.Value), 64)
		if err != nil {
			return 0, fmt.Errorf("metric value %s: not a double", quoteHead([]byte(m.Value), 40))
		}
		return f, nil
	case TypeInt32, TypeInt64:
		n, err := m.Int64()
		return float64(n), err
	case TypeUint32, TypeUint64, TypeGauge:
		n, err := m.Uint64()
		return float64(n), err
	case TypeBool:
		b, err := m.Bool()
		if b {
			return 1, err
		}
		return 0, err
	case TypeString:
		return 0, fmt.Errorf("metric value %s: a string metric is not a number", quoteHead([]byte(m.Value), 40))
	}
	return 0, fmt.Errorf("metric type %s: unknown", quoteHead([]byte(m.Type), 40))
}

// Int64 returns the value of a signed integer metric (decimal or "0x" hex),
// range-checked for int32.
func (m MetricValue) Int64() (int64, error) {
	s := strings.TrimSpace(m.Value)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	u, err := parseUnsigned(s)
	if err != nil {
		return 0, fmt.Errorf("metric value %s: %w", quoteHead([]byte(m.Value), 40), err)
	}
	limit := uint64(math.MaxInt64)
	if m.Type == TypeInt32 {
		limit = math.MaxInt32
	}
	if neg {
		limit++
	}
	if u > limit {
		return 0, fmt.Errorf("metric value %s: out of range for %s", quoteHead([]byte(m.Value), 40), m.Type)
	}
	if neg {
		return -int64(u), nil // u <= 1<<63, so this is exact, MinInt64 included
	}
	return int64(u), nil
}

// Uint64 returns the value of an unsigned integer metric (decimal or "0x"
// hex), range-checked for uint32.
func (m MetricValue) Uint64() (uint64, error) {
	u, err := parseUnsigned(strings.TrimSpace(m.Value))
	if err != nil {
		return 0, fmt.Errorf("metric value %s: %w", quoteHead([]byte(m.Value), 40), err)
	}
	if m.Type == TypeUint32 && u > math.MaxUint32 {
		return 0, fmt.Errorf("metric value %s: out of range for uint32", quoteHead([]byte(m.Value), 40))
	}
	return u, nil
}

// Bool returns the value of a bool metric ("true"/"false", "1"/"0").
func (m MetricValue) Bool() (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(m.Value))
	if err != nil {
		return false, fmt.Errorf("metric value %s: not a bool", quoteHead([]byte(m.Value), 40))
	}
	return b, nil
}

func parseUnsigned(s string) (uint64, error) {
	base := 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		s, base = s[2:], 16
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, fmt.Errorf("not an integer")
	}
	u, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return 0, fmt.Errorf("not an integer")
	}
	return u, nil
}

// NamedMetric is one metric of a dimension.
type NamedMetric struct {
	Name  string
	Value MetricValue
}

// DimensionMetrics is one [dimension, {name: value...}] pair. Dimension ""
// travels as JSON null.
type DimensionMetrics struct {
	Dimension string
	Metrics   []NamedMetric
}

// Metrics is the "metrics" list of check_metrics.post: dimensions in the
// order they were first added, metrics in each dimension in the order they
// were added. The zero value is an empty list.
type Metrics struct {
	Dimensions []DimensionMetrics
}

// Add appends a metric to dimension dim ("" for none). Adding a name that
// already exists in the dimension replaces its value in place.
func (m *Metrics) Add(dim, name string, v MetricValue) {
	for i := range m.Dimensions {
		d := &m.Dimensions[i]
		if d.Dimension != dim {
			continue
		}
		for j := range d.Metrics {
			if d.Metrics[j].Name == name {
				d.Metrics[j].Value = v
				return
			}
		}
		d.Metrics = append(d.Metrics, NamedMetric{Name: name, Value: v})
		return
	}
	m.Dimensions = append(m.Dimensions, DimensionMetrics{Dimension: dim, Metrics: []NamedMetric{{Name: name, Value: v}}})
}

// Get returns the metric name of dimension dim.
func (m Metrics) Get(dim, name string) (MetricValue, bool) {
	for _, d := range m.Dimensions {
		if d.Dimension != dim {
			continue
		}
		for _, nm := range d.Metrics {
			if nm.Name == name {
				return nm.Value, true
			}
		}
	}
	return MetricValue{}, false
}

// Len returns the number of metrics over all dimensions.
func (m Metrics) Len() int {
	n := 0
	for _, d := range m.Dimensions {
		n += len(d.Metrics)
	}
	return n
}

// MarshalJSON writes [[dim|null, {name: {t,v,u}, ...}], ...] keeping order.
func (m Metrics) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, d := range m.Dimensions {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		if d.Dimension == "" {
			b.WriteString("null")
		} else {
			enc, err := json.Marshal(d.Dimension)
			if err != nil {
				return nil, err
			}
			b.Write(enc)
		}
		b.WriteString(",{")
		for j, nm := range d.Metrics {
			if j > 0 {
				b.WriteByte(',')
			}
			name, err := json.Marshal(nm.Name)
			if err != nil {
				return nil, err
			}
			val, err := json.Marshal(nm.Value)
			if err != nil {
				return nil, err
			}
			b.Write(name)
			b.WriteByte(':')
			b.Write(val)
		}
		b.WriteString("}]")
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// UnmarshalJSON reads the wire shape, keeping the order of names as sent.
func (m *Metrics) UnmarshalJSON(b []byte) error {
	m.Dimensions = nil
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var pairs []json.RawMessage
	if err := json.Unmarshal(b, &pairs); err != nil {
		return fmt.Errorf("metrics: want a list of [dimension, {metrics}] pairs: %w", err)
	}
	for i, p := range pairs {
		var pair []json.RawMessage
		if err := json.Unmarshal(p, &pair); err != nil || len(pair) != 2 {
			return fmt.Errorf("metrics[%d]: want a [dimension, {metrics}] pair", i)
		}
		var dim *string
		if err := json.Unmarshal(pair[0], &dim); err != nil {
			return fmt.Errorf("metrics[%d]: dimension must be a string or null", i)
		}
		d := DimensionMetrics{}
		if dim != nil {
			d.Dimension = *dim
		}
		dec := json.NewDecoder(bytes.NewReader(pair[1]))
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('{') {
			return fmt.Errorf("metrics[%d]: metrics must be an object", i)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("metrics[%d]: %w", i, err)
			}
			name, _ := tok.(string)
			var v MetricValue
			if err := dec.Decode(&v); err != nil {
				return fmt.Errorf("metrics[%d] %q: %w", i, name, err)
			}
			if !v.Type.Valid() {
				return fmt.Errorf("metrics[%d] %q: unknown type %s", i, name, quoteHead([]byte(v.Type), 40))
			}
			d.Metrics = append(d.Metrics, NamedMetric{Name: name, Value: v})
		}
		m.Dimensions = append(m.Dimensions, d)
	}
	return nil
}
