package check

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Details values arrive from JSON (numbers are float64), from YAML (int,
// float64, bool, string, []any) or from the command line (strings). These
// helpers accept all of them.

// detailString returns details[key] as text; numbers and bools are
// formatted. ok is false when the key is missing or empty.
func detailString(details map[string]any, key string) (string, bool) {
	v, present := details[key]
	if !present || v == nil {
		return "", false
	}
	s := formatDetail(v)
	return s, s != ""
}

// formatDetail renders a details value as environment-variable text.
func formatDetail(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatDetail(e)
		}
		return strings.Join(parts, ",")
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v)
}

// detailFloat returns details[key] as a number (strings are parsed).
func detailFloat(details map[string]any, key string) (float64, bool, error) {
	v, present := details[key]
	if !present || v == nil {
		return 0, false, nil
	}
	switch x := v.(type) {
	case float64:
		return x, true, nil
	case int:
		return float64(x), true, nil
	case int64:
		return float64(x), true, nil
	case uint64:
		return float64(x), true, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, true, fmt.Errorf("details.%s: %q is not a number", key, x)
		}
		return f, true, nil
	}
	return 0, true, fmt.Errorf("details.%s: %v is not a number", key, v)
}

// detailBool returns details[key] as a bool ("true", "1", "yes" count).
func detailBool(details map[string]any, key string) (bool, error) {
	v, present := details[key]
	if !present || v == nil {
		return false, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on":
			return true, nil
		case "false", "0", "no", "off", "":
			return false, nil
		}
	case float64:
		return x != 0, nil
	case int:
		return x != 0, nil
	}
	return false, fmt.Errorf("details.%s: %v is not a boolean", key, v)
}

// detailStrings returns details[key] as a list of strings. A single string
// is a one-element list.
func detailStrings(details map[string]any, key string) ([]string, error) {
	v, present := details[key]
	if !present || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case []string:
		return x, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			switch e.(type) {
			case string, float64, int, int64, bool:
				out[i] = formatDetail(e)
			default:
				return nil, fmt.Errorf("details.%s[%d]: %v is not a string", key, i, e)
			}
		}
		return out, nil
	case string:
		return []string{x}, nil
	}
	return nil, fmt.Errorf("details.%s: %v is not a list of strings", key, v)
}

// detailDuration reads a timeout-like detail. Plain numbers are in unit
// (Virgo uses milliseconds for plugin timeouts, seconds elsewhere); strings
// may also be Go durations ("2s").
func detailDuration(details map[string]any, key string, unit time.Duration) (time.Duration, bool, error) {
	if s, ok := details[key].(string); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(s)); err == nil {
			if d <= 0 {
				return 0, true, fmt.Errorf("details.%s: %q is not positive", key, s)
			}
			return d, true, nil
		}
	}
	f, ok, err := detailFloat(details, key)
	if !ok || err != nil {
		return 0, ok, err
	}
	if f <= 0 || f*float64(unit) > float64(math.MaxInt64) {
		return 0, true, fmt.Errorf("details.%s: %v is out of range", key, f)
	}
	return time.Duration(f * float64(unit)), true, nil
}
