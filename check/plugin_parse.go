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

// PluginOutputError is a bad line in plugin output. Its text is the status
// Virgo reports for it, e.g. `Unrecognized line "foo"`.
type PluginOutputError struct{ Msg string }

func (e *PluginOutputError) Error() string { return e.Msg }

func outputErr(format string, args ...any) error {
	return &PluginOutputError{Msg: fmt.Sprintf(format, args...)}
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
//     take one value and an optional unit; integers are stored in decimal
//     (0x hex accepted). "foo.bar" is dimension "foo",
//     name "bar" (split at the last dot). Types string gauge float int and
//     the wire names; float -> double, int -> int64.
//   - "timestamp <ms since epoch>" overrides the result time.
//
// The first bad line is a *PluginOutputError: its message is what Virgo puts in the
// status, the returned output's metrics are cleared and later lines are
// not read. Differences from Virgo, on purpose: a keyword must be followed
// by a blank or the end of the line ("statusfoo" is unrecognised, not
// status "oo"); blank lines are skipped; numeric values must parse as
// their type; invalid UTF-8 and control characters become U+FFFD and
// format characters such as bidi overrides are removed (sanitizeLine); a
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

// sanitizeLine drops a trailing CR, replaces invalid UTF-8, control
// characters other than tab (C0, DEL, C1) and the line and paragraph
// separators with U+FFFD, and removes format characters (Unicode Cf): the
// bidi controls U+202A-U+202E, U+2066-U+2069, U+200E, U+200F and U+061C,
// which would make a status read backwards wherever it is shown (logs,
// notifications, the endpoint's UI), and other invisible ones (soft
// hyphen, BOM, tags, prepended concatenation marks). ZWJ and ZWNJ stay:
// scripts and emoji sequences need them. Every line of plugin output goes
// through it, so status text and metric values are covered alike.
func sanitizeLine(b []byte) string {
	b = bytes.TrimSuffix(b, []byte{'\r'})
	clean := true
	for _, c := range b {
		if (c < 0x20 && c != '\t') || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return string(b) // printable ASCII
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		switch {
		case r == utf8.RuneError, r == '\u2028', r == '\u2029', unicode.IsControl(r) && r != '\t':
			r = utf8.RuneError
		case r == '\u200c', r == '\u200d': // ZWNJ, ZWJ
		case unicode.Is(unicode.Cf, r):
			continue
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
			return outputErr("State line not in the following format: <available|unavailable>")
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
			return outputErr("Timestamp line not in the following format: timestamp <timestamp>")
		}
		p.Timestamp = time.UnixMilli(ms).UTC()
		return nil
	}
	return outputErr("Unrecognized line %q", truncateStatus(line))
}

// maxTimestampMs is year 9999: later timestamps are rejected as garbage.
const maxTimestampMs = 253402300799999

func (p *PluginOutput) parseMetric(rest string) error {
	parts := strings.Fields(rest)
	if len(parts) < 3 {
		return outputErr(MsgMetricLineFormat)
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
		return outputErr("Invalid \"<value> [<unit>]\" combination %q for a non-string metric", value)
	}
	wire, ok := pluginTypes[typ]
	if !ok {
		return outputErr("Invalid type %q for metric %q", typ, name)
	}
	if name == "" || dim == "" && strings.Contains(parts[0], ".") {
		return outputErr("Invalid metric name %q", parts[0])
	}
	value, err := normalizeValue(wire, value)
	if err != nil {
		return outputErr("Invalid value %q for metric %q of type %s", strings.Join(valueParts, " "), name, typ)
	}
	p.Metrics = append(p.Metrics, Metric{Dimension: dim, Name: name, Type: wire, Value: value, Unit: unit})
	return nil
}

// normalizeValue checks value against the wire type and returns its
// canonical text: integers in decimal (plugins may print 0x hex; a leading
// zero is not octal), other values as printed.
func normalizeValue(typ, value string) (string, error) {
	switch typ {
	case TypeInt32, TypeInt64:
		bits := 64
		if typ == TypeInt32 {
			bits = 32
		}
		v, err := parseIntText(value, bits)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(v, 10), nil
	case TypeUint32, TypeUint64:
		bits := 64
		if typ == TypeUint32 {
			bits = 32
		}
		v, err := parseUintText(value, bits)
		if err != nil {
			return "", err
		}
		return strconv.FormatUint(v, 10), nil
	case TypeGauge:
		if v, err := parseUintText(value, 64); err == nil {
			return strconv.FormatUint(v, 10), nil
		}
		if v, err := parseIntText(value, 64); err == nil {
			return strconv.FormatInt(v, 10), nil
		}
		return value, checkFloat(value)
	case TypeDouble:
		return value, checkFloat(value)
	case TypeBool:
		_, err := strconv.ParseBool(value)
		return value, err
	}
	return value, nil
}

func checkFloat(value string) error {
	f, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return errors.New("not a finite number")
	}
	return nil
}

// hexDigits returns the digits after a 0x prefix, and whether there was one.
func hexDigits(s string) (string, bool) {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		return s[2:], true
	}
	return s, false
}

func parseUintText(s string, bits int) (uint64, error) {
	s = strings.TrimPrefix(s, "+")
	if h, ok := hexDigits(s); ok {
		return strconv.ParseUint(h, 16, bits)
	}
	return strconv.ParseUint(s, 10, bits)
}

func parseIntText(s string, bits int) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	if h, ok := hexDigits(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")); ok {
		u, err := strconv.ParseUint(h, 16, bits)
		if err != nil {
			return 0, err
		}
		limit := uint64(1) << (bits - 1)
		if !neg && u >= limit || neg && u > limit {
			return 0, strconv.ErrRange
		}
		if neg {
			return -int64(u-1) - 1, nil
		}
		return int64(u), nil
	}
	return strconv.ParseInt(s, 10, bits)
}
