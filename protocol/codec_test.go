package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

type rw struct {
	io.Reader
	io.Writer
}

func TestCodecReadLine(t *testing.T) {
	long := strings.Repeat("x", 100)
	in := "first\n\n  \r\nsecond\r\n" + long + "\nthird\n" + long + "tail"
	c := NewCodec(rw{Reader: strings.NewReader(in), Writer: io.Discard}, 64)
	want := []struct {
		line string
		size int64 // for a frame error
	}{{line: "first"}, {line: "second"}, {size: 100}, {line: "third"}}
	for i, w := range want {
		line, err := c.ReadLine()
		if w.size > 0 {
			var fe *FrameError
			if !errors.As(err, &fe) || !errors.Is(err, ErrLineTooLong) || fe.Size != w.size || fe.Limit != 64 {
				t.Fatalf("read %d: got %q %v, want a frame error of %d bytes", i, line, err, w.size)
			}
			if err.Error() != "protocol: line of 100 bytes exceeds the 64 byte limit" {
				t.Fatalf("frame error text %q", err)
			}
			continue
		}
		if err != nil || string(line) != w.line {
			t.Fatalf("read %d: got %q %v, want %q", i, line, err, w.line)
		}
	}
	// The last line is too long and unterminated: the stream ended inside it.
	if _, err := c.ReadLine(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("unterminated line: %v", err)
	}
	if _, err := c.ReadLine(); err != io.EOF {
		t.Fatalf("after the end: %v", err)
	}
}

func TestCodecLineAtLimit(t *testing.T) {
	exact := strings.Repeat("y", 64)
	c := NewCodec(rw{Reader: strings.NewReader(exact + "\n" + exact + "y\n"), Writer: io.Discard}, 64)
	if line, err := c.ReadLine(); err != nil || string(line) != exact {
		t.Fatalf("line of exactly the limit: %q %v", line, err)
	}
	var fe *FrameError
	if _, err := c.ReadLine(); !errors.As(err, &fe) || fe.Size != 65 {
		t.Fatalf("line one over the limit: %v", err)
	}
}

// An oversized line is discarded without being buffered whole.
func TestCodecOversizedLineBounded(t *testing.T) {
	huge := bytes.Repeat([]byte("z"), 8<<20)
	huge = append(huge, []byte("\n{\"v\":\"1\",\"id\":1,\"result\":{}}\n")...)
	c := NewCodec(rw{Reader: bytes.NewReader(huge), Writer: io.Discard}, DefaultMaxLineSize)
	var fe *FrameError
	if _, err := c.ReadLine(); !errors.As(err, &fe) || fe.Size != 8<<20 {
		t.Fatalf("8 MiB line: %v", err)
	}
	if cap(c.line) > DefaultMaxLineSize+64<<10 {
		t.Fatalf("codec buffered %d bytes for an oversized line", cap(c.line))
	}
	m, err := c.Read()
	if err != nil || m.Response == nil || m.Response.ID.String() != "1" {
		t.Fatalf("message after the oversized line: %+v %v", m, err)
	}
}

func TestCodecWrite(t *testing.T) {
	var out bytes.Buffer
	c := NewCodec(rw{Reader: strings.NewReader(""), Writer: &out}, 0)
	req := Request{V: Version, ID: NumberID(3), Source: "agentA", Target: TargetEndpoint, Method: MethodHeartbeat, Params: json.RawMessage(`{"timestamp":5}`)}
	if err := c.Write(req); err != nil {
		t.Fatal(err)
	}
	resp := Response{V: Version, ID: StringID("9"), Source: "agentA", Target: "endpoint", Result: json.RawMessage(`{}`)}
	if err := c.Write(resp); err != nil {
		t.Fatal(err)
	}
	want := `{"v":"1","id":3,"source":"agentA","target":"endpoint","method":"heartbeat.post","params":{"timestamp":5}}` + "\n" +
		`{"v":"1","id":"9","source":"agentA","target":"endpoint","result":{},"error":null}` + "\n"
	if out.String() != want {
		t.Fatalf("wrote\n%s\nwant\n%s", out.String(), want)
	}
	// What we write, we read back.
	rc := NewCodec(rw{Reader: &out, Writer: io.Discard}, 0)
	m, err := rc.Read()
	if err != nil || m.Request == nil || m.Request.Method != MethodHeartbeat || string(m.Request.Params) != `{"timestamp":5}` {
		t.Fatalf("read back %+v %v", m, err)
	}
	m, err = rc.Read()
	if err != nil || m.Response == nil || !m.Response.ID.IsString() || string(m.Response.Result) != `{}` {
		t.Fatalf("read back %+v %v", m, err)
	}
}

func TestStripTrailingCommas(t *testing.T) {
	tests := []struct{ in, out string }{
		{`{"a":1,}`, `{"a":1}`},
		{`[1, 2 ,\n]`, `[1, 2 \n]`},
		{`{"a":",}",}`, `{"a":",}"}`},
		{`{"a":"\",}",}`, `{"a":"\",}"}`},
		{`{"a":1}`, `{"a":1}`},
	}
	for _, tt := range tests {
		in := strings.ReplaceAll(tt.in, `\n`, "\n")
		out, _ := stripTrailingCommas([]byte(in))
		if string(out) != strings.ReplaceAll(tt.out, `\n`, "\n") {
			t.Errorf("%q -> %q, want %q", tt.in, out, tt.out)
		}
	}
}

func BenchmarkCodecRead(b *testing.B) {
	line := peerLine(b, "check_metrics.post.request.json")
	var stream bytes.Buffer
	for range 1000 {
		stream.Write(line)
		stream.WriteByte('\n')
	}
	data := stream.Bytes()
	b.SetBytes(int64(len(line) + 1))
	b.ReportAllocs()
	b.ResetTimer()
	var c *Codec
	for i := 0; i < b.N; i++ {
		if i%1000 == 0 {
			c = NewCodec(rw{Reader: bytes.NewReader(data), Writer: io.Discard}, 0)
		}
		if _, err := c.Read(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMetricsPostEncode(b *testing.B) {
	var m Metrics
	for _, n := range []string{"actual_used", "free", "total", "actual_free", "used", "swap_total", "swap_used", "swap_free", "swap_page_in", "swap_page_out"} {
		m.Add("", n, Gauge(8338522112, "bytes"))
	}
	m.Add("", "ram", Gauge(15936, "megabytes"))
	p := MetricsPost{CheckID: "chMEM", CheckType: "agent.memory", State: StateAvailable, Status: "success", Timestamp: 1, Metrics: m}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
