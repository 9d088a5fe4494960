package check

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Metric types as they appear on the wire (NOTES §3).
const (
	TypeString = "string"
	TypeGauge  = "gauge"
	TypeInt32  = "int32"
	TypeUint32 = "uint32"
	TypeInt64  = "int64"
	TypeUint64 = "uint64"
	TypeDouble = "double"
	TypeBool   = "bool"
)

// MaxStatusLen is Virgo's METRIC_STATUS_MAX_LENGTH: longer statuses are cut.
const MaxStatusLen = 256

// StatusSuccess is the status of a result nobody set a status on
// (Virgo's DEFAULT_STATUS).
const StatusSuccess = "success"

// Metric is one value of a check result.
type Metric struct {
	// Dimension groups metrics ("" = none, sent as JSON null). Plugin
	// metric "foo.bar" has dimension "foo" and name "bar".
	Dimension string `json:"dimension,omitempty"`
	Name      string `json:"name"`
	// Type is one of string gauge int32 uint32 int64 uint64 double bool.
	Type string `json:"type"`
	// Value is the value as text: decimal for numbers, as Virgo's older
	// wire format sends it (the protocol layer may re-encode).
	Value string `json:"value"`
	Unit  string `json:"unit,omitempty"`
}

// FullName is the metric's name with its dimension folded in,
// "dimension.name", as Virgo names plugin metrics (and alarms read them);
// just the name without a dimension.
func (m Metric) FullName() string {
	if m.Dimension == "" {
		return m.Name
	}
	return m.Dimension + "." + m.Name
}

// Float returns the metric's value as a number. Strings and bools that are
// not numbers give false.
func (m Metric) Float() (float64, bool) {
	switch m.Type {
	case TypeString:
		return 0, false
	case TypeBool:
		switch m.Value {
		case "true":
			return 1, true
		case "false":
			return 0, true
		}
		return 0, false
	}
	return parseNumber(m.Value)
}

// parseNumber parses a decimal, float or 0x-prefixed hex value.
func parseNumber(s string) (float64, bool) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		u, err := strconv.ParseUint(s[2:], 16, 64)
		if err != nil {
			return 0, false
		}
		return float64(u), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// Result is the outcome of one run of one check.
type Result struct {
	CheckID   string `json:"check_id"`
	CheckType string `json:"check_type"`
	// Time is when the run started: the metrics' timestamp (a plugin may
	// override it with a timestamp line).
	Time      time.Time `json:"time"`
	Available bool      `json:"available"`
	// Status is at most MaxStatusLen bytes; SetStatus enforces it.
	Status   string        `json:"status"`
	Metrics  []Metric      `json:"metrics"`
	Duration time.Duration `json:"duration_ns"`
}

// State is the wire form of Available: "available" or "unavailable".
func (r Result) State() string {
	if r.Available {
		return "available"
	}
	return "unavailable"
}

// Float returns the value of the dimensionless metric called name.
func (r Result) Float(name string) (float64, bool) {
	m, ok := r.Metric("", name)
	if !ok {
		return 0, false
	}
	return m.Float()
}

// Metric returns the metric with that dimension ("" = none) and name.
func (r Result) Metric(dimension, name string) (Metric, bool) {
	for _, m := range r.Metrics {
		if m.Dimension == dimension && m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// SetStatus sets the status, cut to MaxStatusLen bytes on a rune boundary.
func (r *Result) SetStatus(s string) {
	r.Status = truncateStatus(s)
}

// SetError marks the result as failed like Virgo's setError: metrics
// cleared, unavailable, status = msg.
func (r *Result) SetError(msg string) {
	r.Metrics = nil
	r.Available = false
	r.SetStatus(msg)
}

// Add appends a metric with no dimension.
func (r *Result) Add(name, typ, value, unit string) {
	r.Metrics = append(r.Metrics, Metric{Name: name, Type: typ, Value: value, Unit: unit})
}

// AddUint appends an unsigned integer metric of type typ.
func (r *Result) AddUint(name, typ string, v uint64, unit string) {
	r.Add(name, typ, strconv.FormatUint(v, 10), unit)
}

// AddInt appends a signed integer metric of type typ.
func (r *Result) AddInt(name, typ string, v int64, unit string) {
	r.Add(name, typ, strconv.FormatInt(v, 10), unit)
}

// AddDouble appends a double metric, formatted with the fewest digits that
// round-trip.
func (r *Result) AddDouble(name string, v float64, unit string) {
	r.Add(name, TypeDouble, strconv.FormatFloat(v, 'f', -1, 64), unit)
}

// AddString appends a string metric.
func (r *Result) AddString(name, v string) {
	r.Add(name, TypeString, v, "")
}

// NewResult starts an available result for def at t with status "success".
func NewResult(def Def, t time.Time) Result {
	return Result{CheckID: def.ID, CheckType: def.Type, Time: t, Available: true, Status: StatusSuccess}
}

// ErrorResult is a failed result for def at t with status msg.
func ErrorResult(def Def, t time.Time, msg string) Result {
	r := NewResult(def, t)
	r.SetError(msg)
	return r
}

func truncateStatus(s string) string {
	if len(s) <= MaxStatusLen {
		return s
	}
	s = s[:MaxStatusLen]
	// Do not leave half a UTF-8 sequence at the end.
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// KnownMetricType reports whether typ is a wire metric type.
func KnownMetricType(typ string) bool {
	switch typ {
	case TypeString, TypeGauge, TypeInt32, TypeUint32, TypeInt64, TypeUint64, TypeDouble, TypeBool:
		return true
	}
	return false
}
