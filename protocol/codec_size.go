package protocol

import (
	"bufio"
	"io"
)

// NewCodecSize is NewCodec with a read buffer of bufSize bytes (at least 16)
// instead of up to 64 KiB: a server holding thousands of mostly idle
// connections (virgo-top endpoint) keeps a small buffer per connection;
// lines longer than the buffer are still read whole, up to maxLine.
func NewCodecSize(rw io.ReadWriter, maxLine, bufSize int) *Codec {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineSize
	}
	return &Codec{r: bufio.NewReaderSize(rw, max(bufSize, 16)), max: maxLine, w: rw}
}

// ReleaseLine drops the line buffer when it grew past keep bytes: the
// buffer keeps the capacity of the longest line read, which a server with
// thousands of connections should not hold for each once a long line went
// by. Call it between ReadLine calls (the last line's slice dies with it).
func (c *Codec) ReleaseLine(keep int) {
	if cap(c.line) > keep {
		c.line = nil
	}
}
