package alarm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ParseMetricsJSON decodes a JSON object of metrics, as given to
// `virgo-top alarm test --metrics`. Each member is one of:
//
//   - a JSON number: {"usage_average": 12.5}
//   - a JSON string: {"link_state": "up"}
//   - a JSON boolean, kept as the string "true" or "false"
//   - Virgo's wire shape {"t": TYPE, "v": VALUE, "u": UNIT} where v is a
//     string: decimal for double, decimal or hex ("0x1f") for the integer
//     types int32, uint32, int64, uint64 and gauge, and text for string
//     (and bool). A missing t is inferred from v.
//
// It also accepts the "metrics" list of a check_metrics.post request,
// [[dimension, {name: {t,v,u}}], ...], where dimension is null or a string;
// a metric under dimension "foo" is named "foo.name", as plugin output
// "foo.name" is split on the wire.
func ParseMetricsJSON(data []byte) (Metrics, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return parseMetricsList(trimmed)
	}
	raw, err := decodeStrict[map[string]json.RawMessage](data)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("metrics JSON: expected an object, found null")
	}
	m := make(Metrics, len(raw))
	if err := addMetrics(m, "", raw); err != nil {
		return nil, err
	}
	return m, nil
}

// decodeStrict decodes exactly one JSON value, numbers kept exact.
func decodeStrict[T any](data []byte) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("metrics JSON: %w", err)
	}
	if len(bytes.TrimSpace(data[dec.InputOffset():])) > 0 {
		return v, errors.New("metrics JSON: unexpected data after the value")
	}
	return v, nil
}

func addMetrics(m Metrics, dim string, raw map[string]json.RawMessage) error {
	for name, r := range raw {
		if dim != "" {
			name = dim + "." + name
		}
		if _, dup := m[name]; dup {
			return fmt.Errorf("metrics JSON: metric %q appears twice", name)
		}
		v, err := decodeMetric(r)
		if err != nil {
			return fmt.Errorf("metrics JSON: metric %q: %w", name, err)
		}
		m[name] = v
	}
	return nil
}

func parseMetricsList(data []byte) (Metrics, error) {
	list, err := decodeStrict[[][]json.RawMessage](data)
	if err != nil {
		return nil, err
	}
	m := Metrics{}
	for i, pair := range list {
		if len(pair) != 2 {
			return nil, fmt.Errorf("metrics JSON: entry %d: want [dimension, {metrics}], got %d elements", i, len(pair))
		}
		var dim *string
		if err := json.Unmarshal(pair[0], &dim); err != nil {
			return nil, fmt.Errorf("metrics JSON: entry %d: dimension must be null or a string", i)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(pair[1], &raw); err != nil || raw == nil {
			return nil, fmt.Errorf("metrics JSON: entry %d: metrics must be an object", i)
		}
		d := ""
		if dim != nil {
			d = *dim
		}
		if err := addMetrics(m, d, raw); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func decodeMetric(r json.RawMessage) (Value, error) {
	d := json.NewDecoder(bytes.NewReader(r))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return Value{}, err
	}
	switch v := x.(type) {
	case json.Number:
		return decodeNumber(v.String())
	case string:
		return StringValue(v), nil
	case bool:
		return StringValue(strconv.FormatBool(v)), nil
	case map[string]any:
		return decodeWire(v)
	case nil:
		return Value{}, errors.New("value is null")
	}
	return Value{}, errors.New("value must be a number, string, boolean or {\"t\",\"v\",\"u\"} object")
}

// decodeNumber decodes a JSON number: an integer in the range of int64 or
// uint64 exactly, anything else as a float64.
func decodeNumber(s string) (Value, error) {
	if !strings.ContainsAny(s, ".eE") {
		if v, ok := parseDecimalInt(s); ok {
			return v, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Value{}, fmt.Errorf("number %s: %w", s, err)
	}
	return NumberValue(f), nil
}

// decodeWire decodes Virgo's {"t":..., "v":..., "u":...} metric shape.
func decodeWire(o map[string]any) (Value, error) {
	var t string
	if tv, ok := o["t"]; ok {
		s, ok := tv.(string)
		if !ok {
			return Value{}, errors.New(`"t" must be a string`)
		}
		t = s
	}
	vv, ok := o["v"]
	if !ok {
		return Value{}, errors.New(`missing "v"`)
	}
	var s string
	switch v := vv.(type) {
	case string:
		s = v
	case json.Number: // lenient: a bare number where the wire has a string
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	default:
		return Value{}, errors.New(`"v" must be a string`)
	}
	switch t {
	case "string", "bool":
		return StringValue(s), nil
	case "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return Value{}, fmt.Errorf("double value %q is not a number", s)
		}
		return NumberValue(f), nil
	case "int32", "uint32", "int64", "uint64", "gauge":
		v, err := parseWireInt(s)
		if err != nil {
			return Value{}, fmt.Errorf("%s value %q: %w", t, s, err)
		}
		return v, nil
	case "":
		if v, err := parseWireInt(s); err == nil {
			return v, nil
		}
		if v, ok := parseNumberText(s); ok {
			return v, nil
		}
		return StringValue(s), nil
	}
	return Value{}, fmt.Errorf("unknown type %q (want string, bool, double, int32, uint32, int64, uint64 or gauge)", t)
}

// parseWireInt parses a decimal or 0x-hex integer, optionally negative,
// exactly: an integer Value. A negative value below math.MinInt64 has no
// exact kind and becomes the nearest float.
func parseWireInt(s string) (Value, error) {
	s = strings.TrimSpace(s)
	neg := false
	body := s
	if strings.HasPrefix(body, "-") {
		neg, body = true, body[1:]
	}
	var (
		u   uint64
		err error
	)
	if strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X") {
		u, err = strconv.ParseUint(body[2:], 16, 64)
	} else {
		u, err = strconv.ParseUint(body, 10, 64)
	}
	if err != nil {
		return Value{}, errors.New("not a decimal or 0x-hex integer")
	}
	switch {
	case !neg:
		return UintValue(u), nil
	case u <= 1<<63:
		return IntValue(int64(-u)), nil // -u wraps to the two's complement: exact down to MinInt64
	}
	return NumberValue(-float64(u)), nil
}
