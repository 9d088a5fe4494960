package check

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PluginOutput is what a plugin printed, parsed per Virgo's plugin format
// (NOTES §6).
type PluginOutput struct {
	// Status is the status line's text (legacy "ok|warn|err" word removed);
	// HasStatus tells an empty status line from none.
	Status    string
	HasStatus bool
	// Available is the state line's value; HasState tells whether one was
	// printed (without one, a result is available).
	Available bool
	HasState  bool
	Metrics   []Metric
	// Timestamp is the timestamp line's time (zero when none).
	Timestamp time.Time
}

// MsgMetricLineFormat is Virgo's error for a metric line with too few parts.
const MsgMetricLineFormat = "Metric line not in the following format: metric <name> <type> <value> [<unit>]"

// pluginTypes maps plugin metric types to wire types: the internal names
// map to themselves, plus Virgo's PLUGIN_TYPE_MAP.
var pluginTypes = map[string]string{
	"string": TypeString, "gauge": TypeGauge, "float": TypeDouble, "int": TypeInt64,
	TypeInt32: TypeInt32, TypeUint32: TypeUint32, TypeInt64: TypeInt64, TypeUint64: TypeUint64,
	TypeDouble: TypeDouble, TypeBool: TypeBool,
}

// ParsePluginOutput parses plugin stdout line by line, as Virgo's
// ChildCheck:_handleLine does:
//
//   - "status <text>" sets the status; "status ok|warn|err <text>" (the
//     legacy Cloudkick form) also adds string metric legacy_state with the
//     word, and the rest of the line is the status. Repeats are ignored.
//   - "state available|unavailable"; repeats are ignored, other values are
//     an error.
//   - "metric <name> <type> <value> [<unit>]": a string value may contain
//     spaces (runs of blanks become one space) and has no unit; other types
//     take one value and an optional unit. "foo.bar" is dimension "foo",
//     name "bar" (split at the last dot). Types string gauge float int and
//     the wire names; float -> double, int -> int64.
//   - "timestamp <ms since epoch>" overrides the result time.
//
// The first bad line is an error: its message is what Virgo puts in the
// status, the returned output's metrics are cleared and later lines are
// not read. Differences from Virgo, on purpose: a keyword must be followed
// by a blank or the end of the line ("statusfoo" is unrecognised, not
// status "oo"); blank lines are skipped; numeric values must parse as
// their type; invalid UTF-8 and control characters become U+FFFD; a
// trailing "\r" is dropped.
func ParsePluginOutput(out []byte) (PluginOutput, error) {
	var p PluginOutput
	for len(out) > 0 {
		var line []byte
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			line, out = out, nil
		}
		if err := p.parseLine(sanitizeLine(line)); err != nil {
			p.Metrics = nil
			return p, err
		}
	}
	return p, nil
}

// sanitizeLine drops a trailing CR and replaces invalid UTF-8 and control
// characters other than tab with U+FFFD.
func sanitizeLine(b []byte) string {
	b = bytes.TrimSuffix(b, []byte{'\r'})
	clean := utf8.Valid(b)
	if clean {
		for _, c := range b {
			if (c < 0x20 && c != '\t') || c == 0x7f {
				clean = false
				break
			}
		}
	}
	if clean {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r == utf8.RuneError || (unicode.IsControl(r) && r != '\t') {
			r = utf8.RuneError
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// keyword splits "word rest" and reports whether line starts with kw as a
// whole word.
func keyword(line, kw string) (string, bool) {
	if !strings.HasPrefix(line, kw) {
		return "", false
	}
	rest := line[len(kw):]
	if rest == "" {
		return "", true
	}
	if rest[0] != ' ' && rest[0] != '\t' {
		return "", false
	}
	return rest[1:], true
}

func (p *PluginOutput) parseLine(line string) error {
	if strings.TrimSpace(line) == "" {
		return nil
	}
	if rest, ok := keyword(line, "status"); ok {
		if p.HasStatus {
			return nil
		}
		p.HasStatus = true
		fields := strings.Fields(rest)
		if len(fields) > 0 && (fields[0] == "ok" || fields[0] == "warn" || fields[0] == "err") {
			p.Metrics = append(p.Metrics, Metric{Name: "legacy_state", Type: TypeString, Value: fields[0]})
			p.Status = truncateStatus(strings.Join(fields[1:], " "))
			return nil
		}
		p.Status = truncateStatus(rest)
		return nil
	}
	if rest, ok := keyword(line, "state"); ok {
		if p.HasState {
			return nil
		}
		switch rest {
		case "available":
			p.Available = true
		case "unavailable":
			p.Available = false
		default:
			return errors.New("State line not in the following format: <available|unavailable>")
		}
		p.HasState = true
		return nil
	}
	if rest, ok := keyword(line, "metric"); ok {
		return p.parseMetric(rest)
	}
	if rest, ok := keyword(line, "timestamp"); ok {
		ms, err := strconv.ParseInt(strings.TrimSpace(rest), 10, 64)
		if err != nil || ms < 0 || ms > maxTimestampMs {
			return errors.New("Timestamp line not in the following format: timestamp <timestamp>")
		}
		p.Timestamp = time.UnixMilli(ms).UTC()
		return nil
	}
	return fmt.Errorf("Unrecognized line %q", truncateStatus(line))
}

// maxTimestampMs is year 9999: later timestamps are rejected as garbage.
const maxTimestampMs = 253402300799999

func (p *PluginOutput) parseMetric(rest string) error {
	parts := strings.Fields(rest)
	if len(parts) < 3 {
		return errors.New(MsgMetricLineFormat)
	}
	name, typ := parts[0], parts[1]
	var unit string
	valueParts := parts[2:]
	if typ != "string" && len(parts) == 4 {
		unit = parts[3]
		valueParts = parts[2:3]
	}
	value := strings.Join(valueParts, " ")
	var dim string
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		dim, name = name[:i], name[i+1:]
	}
	if typ != "string" && len(parts) > 4 {
		return fmt.Errorf("Invalid \"<value> [<unit>]\" combination %q for a non-string metric", value)
	}
	wire, ok := pluginTypes[typ]
	if !ok {
		return fmt.Errorf("Invalid type %q for metric %q", typ, name)
	}
	if name == "" || dim == "" && strings.Contains(parts[0], ".") {
		return fmt.Errorf("Invalid metric name %q", parts[0])
	}
	if err := checkValue(wire, value); err != nil {
		return fmt.Errorf("Invalid value %q for metric %q of type %s", value, name, typ)
	}
	p.Metrics = append(p.Metrics, Metric{Dimension: dim, Name: name, Type: wire, Value: value, Unit: unit})
	return nil
}

// checkValue reports whether value is valid for the wire type.
func checkValue(typ, value string) error {
	var err error
	switch typ {
	case TypeString:
	case TypeInt32:
		_, err = strconv.ParseInt(value, 0, 32)
	case TypeUint32:
		_, err = strconv.ParseUint(value, 0, 32)
	case TypeInt64:
		_, err = strconv.ParseInt(value, 0, 64)
	case TypeUint64:
		_, err = strconv.ParseUint(value, 0, 64)
	case TypeDouble, TypeGauge:
		var f float64
		f, err = strconv.ParseFloat(value, 64)
		if err != nil && typ == TypeGauge {
			_, err = strconv.ParseUint(value, 0, 64)
		} else if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = errors.New("not a finite number")
		}
	case TypeBool:
		_, err = strconv.ParseBool(value)
	}
	return err
}
