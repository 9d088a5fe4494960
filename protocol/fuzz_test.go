package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// peerFixtureLines returns every peer fixture as one line.
func peerFixtureLines(f *testing.F) [][]byte {
	var out [][]byte
	err := filepath.WalkDir(filepath.Join("testdata", "peer"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join("testdata", "peer"), path)
		out = append(out, peerLine(f, rel))
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	return out
}

func FuzzDecode(f *testing.F) {
	for _, line := range peerFixtureLines(f) {
		f.Add(line)
	}
	f.Add([]byte(`{"v":"1","id":"x","method":"m","params":[1,2,]}`))
	f.Add([]byte(`{"v":"1","id":1e400}`))
	f.Add([]byte("\xff\xfe{"))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := Decode(line)
		var ve *VersionError
		var de *DecodeError
		switch {
		case err == nil, errors.As(err, &ve):
			if (m.Request == nil) == (m.Response == nil) {
				t.Fatalf("decoded %q into %+v", line, m)
			}
			// A decoded message encodes and decodes to the same kind.
			var v any = m.Response
			if m.Request != nil {
				v = m.Request
			}
			b, merr := json.Marshal(v)
			if merr != nil {
				return // e.g. params that were only valid after comma repair
			}
			m2, err2 := Decode(b)
			if err2 != nil && !errors.As(err2, &ve) {
				t.Fatalf("re-decode of %s: %v", b, err2)
			}
			if (m2.Request == nil) != (m.Request == nil) {
				t.Fatalf("kind changed on round trip: %s", b)
			}
		case errors.As(err, &de):
			if de.Head == "" {
				t.Fatalf("decode error without the line's head: %v", err)
			}
		default:
			t.Fatalf("untyped error %T: %v", err, err)
		}
	})
}

func FuzzCodecStream(f *testing.F) {
	for _, line := range peerFixtureLines(f) {
		f.Add(append(line, '\n'), 64)
	}
	f.Add([]byte("a\nbb\n\nccc"), 2)
	f.Fuzz(func(t *testing.T, stream []byte, limit int) {
		limit = 1 + (limit&0xffff)%4096
		c := NewCodec(rw{Reader: bytes.NewReader(stream), Writer: io.Discard}, limit)
		for i := 0; i <= len(stream)+1; i++ {
			line, err := c.ReadLine()
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				return
			}
			var fe *FrameError
			if errors.As(err, &fe) {
				if fe.Size <= int64(limit) {
					t.Fatalf("frame error for %d bytes under the %d limit", fe.Size, limit)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(line) > limit || bytes.IndexByte(line, '\n') >= 0 {
				t.Fatalf("line %q over limit %d or with a newline", line, limit)
			}
		}
		t.Fatal("codec did not reach the end of the stream")
	})
}

func FuzzMetricValue(f *testing.F) {
	for _, s := range []string{"8338522112", "0x1f1e33", "-1", "1.5", "NaN", "true", "0x", "-0x8000000000000000", "18446744073709551615"} {
		for _, typ := range []MetricType{TypeInt64, TypeUint64, TypeInt32, TypeUint32, TypeGauge, TypeDouble, TypeBool, TypeString} {
			f.Add(string(typ), s)
		}
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		v := MetricValue{Type: MetricType(typ), Value: value}
		f1, err := v.Float64()
		if err != nil {
			return
		}
		// A value that decodes re-encodes through the constructors to a
		// value that decodes to the same number.
		var back MetricValue
		switch v.Type {
		case TypeInt64, TypeInt32:
			n, err := v.Int64()
			if err != nil {
				t.Fatalf("%+v: Float64 ok but Int64: %v", v, err)
			}
			back = Int64(n, "")
		case TypeUint64, TypeUint32, TypeGauge:
			n, err := v.Uint64()
			if err != nil {
				t.Fatalf("%+v: Float64 ok but Uint64: %v", v, err)
			}
			back = Uint64(n, "")
		case TypeDouble:
			back = Double(f1, "")
		default:
			return
		}
		f2, err := back.Float64()
		if err != nil || (f1 == f1 && f2 != f1) {
			t.Fatalf("%+v -> %+v: %v %v (%v)", v, back, f1, f2, err)
		}
	})
}

func FuzzMetricsJSON(f *testing.F) {
	m, _ := Decode(peerLine(f, "check_metrics.post.request.json"))
	var p struct {
		Metrics json.RawMessage `json:"metrics"`
	}
	_ = json.Unmarshal(m.Request.Params, &p)
	f.Add([]byte(p.Metrics))
	f.Add([]byte(`[["eth0",{"rx":{"t":"gauge","v":"0x10","u":"bytes"}}],[null,{}]]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ms Metrics
		if json.Unmarshal(b, &ms) != nil {
			return
		}
		out, err := json.Marshal(ms)
		if err != nil {
			t.Fatal(err)
		}
		var back Metrics
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-read %s: %v", out, err)
		}
		out2, _ := json.Marshal(back)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
