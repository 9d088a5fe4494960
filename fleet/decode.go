package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Result types of the API.
const (
	TypeVector = "vector"
	TypeMatrix = "matrix"
	TypeScalar = "scalar"
	TypeString = "string"
)

// Result is a decoded query answer: Vector for instant vectors and
// scalars (one unlabelled sample), Matrix for range queries.
type Result struct {
	Type     string
	Vector   []Sample
	Matrix   []Series
	Warnings []string
}

// Sample is one labelled value at one time.
type Sample struct {
	Labels map[string]string
	Time   time.Time
	Value  float64
}

// Series is one labelled series of a range query.
type Series struct {
	Labels map[string]string
	Points []Point
}

// Point is one value of a series.
type Point struct {
	Time  time.Time
	Value float64
}

type envelope struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type rawVector struct {
	Metric map[string]string `json:"metric"`
	Value  json.RawMessage   `json:"value"`
}

type rawSeries struct {
	Metric map[string]string `json:"metric"`
	Values []json.RawMessage `json:"values"`
}

// DecodeResponse decodes an answer of /api/v1/query or /api/v1/query_range
// given its HTTP status: the data on success, an *APIError for the
// engine's error envelope or for a body that is not the API's.
func DecodeResponse(body []byte, status int) (*Result, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, &APIError{Status: status, Message: bodySnippet(body)}
	}
	if env.Status != "success" {
		msg := env.Error
		if msg == "" {
			msg = bodySnippet(body)
		}
		return nil, &APIError{Status: status, ErrorType: clean(env.ErrorType), Message: clean(msg)}
	}
	if status/100 != 2 {
		return nil, &APIError{Status: status, Message: "success envelope with HTTP status " + strconv.Itoa(status)}
	}
	var d queryData
	if err := json.Unmarshal(env.Data, &d); err != nil {
		return nil, fmt.Errorf("engine answer: data: %w", err)
	}
	r := &Result{Type: d.ResultType}
	for _, w := range env.Warnings {
		r.Warnings = append(r.Warnings, clean(w))
	}
	switch d.ResultType {
	case TypeVector:
		var raw []rawVector
		if err := json.Unmarshal(d.Result, &raw); err != nil {
			return nil, fmt.Errorf("engine answer: vector: %w", err)
		}
		r.Vector = make([]Sample, 0, len(raw))
		for _, v := range raw {
			t, x, err := decodePair(v.Value)
			if err != nil {
				return nil, fmt.Errorf("engine answer: vector: %w", err)
			}
			r.Vector = append(r.Vector, Sample{Labels: nonNil(v.Metric), Time: t, Value: x})
		}
	case TypeMatrix:
		var raw []rawSeries
		if err := json.Unmarshal(d.Result, &raw); err != nil {
			return nil, fmt.Errorf("engine answer: matrix: %w", err)
		}
		r.Matrix = make([]Series, 0, len(raw))
		for _, s := range raw {
			pts := make([]Point, 0, len(s.Values))
			for _, p := range s.Values {
				t, x, err := decodePair(p)
				if err != nil {
					return nil, fmt.Errorf("engine answer: matrix: %w", err)
				}
				pts = append(pts, Point{t, x})
			}
			r.Matrix = append(r.Matrix, Series{Labels: nonNil(s.Metric), Points: pts})
		}
	case TypeScalar:
		t, x, err := decodePair(d.Result)
		if err != nil {
			return nil, fmt.Errorf("engine answer: scalar: %w", err)
		}
		r.Vector = []Sample{{Labels: map[string]string{}, Time: t, Value: x}}
	case TypeString:
		// A string result has no value for a table; it is empty.
	default:
		return nil, fmt.Errorf("engine answer: unknown result type %q", clean(d.ResultType))
	}
	return r, nil
}

// decodePair reads [unixtime, "value"].
func decodePair(raw json.RawMessage) (time.Time, float64, error) {
	var pair []json.RawMessage
	if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
		return time.Time{}, 0, errors.New("a value is not [time, \"number\"]")
	}
	var ts float64
	if err := json.Unmarshal(pair[0], &ts); err != nil || math.IsNaN(ts) || math.IsInf(ts, 0) || math.Abs(ts) > 1e12 {
		return time.Time{}, 0, errors.New("bad sample time")
	}
	var s string
	if err := json.Unmarshal(pair[1], &s); err != nil {
		return time.Time{}, 0, errors.New("sample value is not a string")
	}
	x, err := parseValue(s)
	if err != nil {
		return time.Time{}, 0, err
	}
	sec, frac := math.Modf(ts)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), x, nil
}

// parseValue reads the API's sample value: a Go float, or NaN, +Inf, -Inf.
func parseValue(s string) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("sample value %q is not a number", clean(s))
	}
	return x, nil
}

func decodeBuildInfo(body []byte, status int) (BuildInfo, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return BuildInfo{}, &APIError{Status: status, Message: bodySnippet(body)}
	}
	if env.Status != "success" {
		return BuildInfo{}, &APIError{Status: status, ErrorType: clean(env.ErrorType), Message: clean(env.Error)}
	}
	var bi BuildInfo
	if err := json.Unmarshal(env.Data, &bi); err != nil {
		return BuildInfo{}, fmt.Errorf("buildinfo: %w", err)
	}
	bi.Version, bi.Revision, bi.GoVersion = clean(bi.Version), clean(bi.Revision), clean(bi.GoVersion)
	return bi, nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// bodySnippet is the start of a non-API body, made printable.
func bodySnippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	s := strings.TrimSpace(clean(string(b)))
	if s == "" {
		return "empty answer"
	}
	return s
}

// Printable is s without control characters, invalid UTF-8 and
// bidirectional overrides: for showing a label value (a host, check or
// alarm name, which the hosts choose) on a terminal.
func Printable(s string) string { return clean(s) }

// clean drops control characters and invalid UTF-8, so an engine's text
// cannot rewrite a terminal.
func clean(s string) string {
	if len(s) > 1000 {
		s = s[:1000]
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			if r == '\n' || r == '\t' {
				b.WriteByte(' ')
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
