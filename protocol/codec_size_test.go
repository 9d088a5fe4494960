package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestNewCodecSizeReadsLinesLongerThanItsBuffer(t *testing.T) {
	long := strings.Repeat("x", 10000)
	in := "short\n" + long + "\n" + strings.Repeat("y", 20001) + "\nlast\n"
	c := NewCodecSize(&rwBuffer{r: strings.NewReader(in)}, 20000, 64)
	for _, want := range []string{"short", long, "", "last"} {
		line, err := c.ReadLine()
		if want == "" {
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Size != 20001 {
				t.Fatalf("want a FrameError for 20001 bytes, got %v", err)
			}
			continue
		}
		if err != nil || string(line) != want {
			t.Fatalf("got %.20q %v, want %.20q", line, err, want)
		}
	}
}

type rwBuffer struct {
	r *strings.Reader
	w bytes.Buffer
}

func (b *rwBuffer) Read(p []byte) (int, error)  { return b.r.Read(p) }
func (b *rwBuffer) Write(p []byte) (int, error) { return b.w.Write(p) }

func TestReleaseLine(t *testing.T) {
	in := strings.Repeat("x", 100000) + "\nnext\n"
	c := NewCodecSize(&rwBuffer{r: strings.NewReader(in)}, 1<<20, 64)
	if _, err := c.ReadLine(); err != nil {
		t.Fatal(err)
	}
	c.ReleaseLine(8 << 10)
	if cap(c.line) > 8<<10 {
		t.Fatalf("line buffer kept %d bytes", cap(c.line))
	}
	if line, err := c.ReadLine(); err != nil || string(line) != "next" {
		t.Fatalf("after release: %q %v", line, err)
	}
}
