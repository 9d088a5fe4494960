package fleet

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		typ    string
		n      int
		first  float64
		errSub string
	}{
		{"vector", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"host":"a"},"value":[1796079673.333,"12.5"]}]}}`, 200, TypeVector, 1, 12.5, ""},
		{"empty vector", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 200, TypeVector, 0, 0, ""},
		{"nan", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`, 200, TypeVector, 1, math.NaN(), ""},
		{"inf", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"+Inf"]}]}}`, 200, TypeVector, 1, math.Inf(1), ""},
		{"scalar", `{"status":"success","data":{"resultType":"scalar","result":[1,"3"]}}`, 200, TypeScalar, 1, 3, ""},
		{"string", `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`, 200, TypeString, 0, 0, ""},
		{"matrix", `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"host":"a"},"values":[[1,"1"],[2,"2"]]}]}}`, 200, TypeMatrix, 1, 1, ""},
		{"warnings", `{"status":"success","warnings":["partial"],"data":{"resultType":"vector","result":[]}}`, 200, TypeVector, 0, 0, ""},
		{"error envelope", `{"status":"error","errorType":"bad_data","error":"parse error: unclosed left parenthesis"}`, 400, "", 0, 0, "bad_data: parse error: unclosed left parenthesis"},
		{"error with control chars", "{\"status\":\"error\",\"errorType\":\"x\",\"error\":\"a\\u001b[31mb\"}", 422, "", 0, 0, "x: a[31mb"},
		{"html", `<html>502 Bad Gateway</html>`, 502, "", 0, 0, "HTTP 502: <html>502 Bad Gateway</html>"},
		{"empty body", ``, 503, "", 0, 0, "HTTP 503: empty answer"},
		{"success with 500", `{"status":"success","data":{"resultType":"vector","result":[]}}`, 500, "", 0, 0, "HTTP status 500"},
		{"bad value", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}}`, 200, "", 0, 0, "not a number"},
		{"number value", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}}`, 200, "", 0, 0, "not a string"},
		{"short pair", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}}`, 200, "", 0, 0, "not [time"},
		{"unknown type", `{"status":"success","data":{"resultType":"histogram","result":[]}}`, 200, "", 0, 0, "unknown result type"},
		{"bad data", `{"status":"success","data":{"resultType":"vector","result":{}}}`, 200, "", 0, 0, "vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := DecodeResponse([]byte(tt.body), tt.status)
			if tt.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("err = %v, want %q", err, tt.errSub)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Type != tt.typ {
				t.Errorf("type %q", r.Type)
			}
			n := len(r.Vector)
			if r.Type == TypeMatrix {
				n = len(r.Matrix)
			}
			if n != tt.n {
				t.Fatalf("n = %d", n)
			}
			if n == 0 {
				return
			}
			got := 0.0
			if r.Type == TypeMatrix {
				got = r.Matrix[0].Points[0].Value
			} else {
				got = r.Vector[0].Value
			}
			if got != tt.first && !(math.IsNaN(got) && math.IsNaN(tt.first)) {
				t.Errorf("first = %v, want %v", got, tt.first)
			}
		})
	}
	var ae *APIError
	_, err := DecodeResponse([]byte(`{"status":"error","errorType":"timeout","error":"query timed out"}`), 503)
	if !errors.As(err, &ae) || ae.ErrorType != "timeout" || ae.Status != 503 {
		t.Errorf("APIError = %#v", err)
	}
	r, _ := DecodeResponse([]byte("{\"status\":\"success\",\"warnings\":[\"a\\u001b]0;x\\u0007b\"],\"data\":{\"resultType\":\"vector\",\"result\":[]}}"), 200)
	if len(r.Warnings) != 1 || r.Warnings[0] != "a]0;xb" {
		t.Errorf("warnings %q: control characters kept", r.Warnings)
	}
	r, _ = DecodeResponse([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"host":"a"},"value":[1796079673.333,"1"]}]}}`), 200)
	if want := time.UnixMilli(1796079673333).UTC(); !r.Vector[0].Time.Equal(want) {
		t.Errorf("time %v, want %v", r.Vector[0].Time, want)
	}
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"host":"a"},"value":[1,"12.5"]}]}}`), 200)
	f.Add([]byte(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"host":"a"},"values":[[1,"1"],[2,"NaN"]]}]}}`), 200)
	f.Add([]byte(`{"status":"success","data":{"resultType":"scalar","result":[1e300,"-Inf"]}}`), 200)
	f.Add([]byte(`{"status":"error","errorType":"bad_data","error":"x"}`), 400)
	f.Add([]byte(`<html>`), 502)
	f.Add([]byte(`{"status":"success","warnings":["w\u001b[2J"],"data":{"resultType":"vector","result":[]}}`), 200)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		r, err := DecodeResponse(body, status)
		if err == nil && r == nil {
			t.Fatal("nil result without error")
		}
		if err != nil && strings.ContainsAny(err.Error(), "\x1b\r\n") {
			t.Fatalf("error holds control characters: %q", err)
		}
		if r != nil {
			for _, w := range r.Warnings {
				if strings.ContainsAny(w, "\x1b\r\n") {
					t.Fatalf("warning holds control characters: %q", w)
				}
			}
		}
		_, _ = decodeBuildInfo(body, status)
	})
}
