package protocol

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// DefaultMaxLineSize bounds one message line (1 MiB).
const DefaultMaxLineSize = 1 << 20

// ErrLineTooLong is wrapped by every *FrameError.
var ErrLineTooLong = errors.New("protocol: line too long")

// FrameError is a line longer than the codec's limit. The rest of the line
// was read and discarded, so the stream is still in step.
type FrameError struct {
	Limit int   // the limit in bytes
	Size  int64 // the size of the discarded line (without its newline)
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("protocol: line of %d bytes exceeds the %d byte limit", e.Size, e.Limit)
}

func (e *FrameError) Unwrap() error { return ErrLineTooLong }

// DecodeError is a line that is not a valid message.
type DecodeError struct {
	Offset int64  // byte offset in the line where the decoder stopped, -1 if unknown
	Head   string // the first bytes of the line, quoted
	Err    error
}

func (e *DecodeError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("protocol: malformed message at byte %d: %v (line starts %s)", e.Offset, e.Err, e.Head)
	}
	return fmt.Sprintf("protocol: malformed message: %v (line starts %s)", e.Err, e.Head)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Message is one decoded line: exactly one of Request and Response is set.
type Message struct {
	Request  *Request
	Response *Response
}

// wireMessage is the union of request and response fields; the presence of
// "method" decides which one a line is.
type wireMessage struct {
	V      *string         `json:"v"`
	ID     *ID             `json:"id"`
	Source string          `json:"source"`
	Target string          `json:"target"`
	Method *string         `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// Decode parses one line. It returns a *DecodeError for malformed JSON or a
// message of the wrong shape, and a *VersionError (with the decoded message)
// when "v" is not Version.
func Decode(line []byte) (Message, error) {
	var w wireMessage
	if err := json.Unmarshal(line, &w); err != nil {
		// The peer's check_metrics.post.response.json fixture ends with
		// `"error": null,}`: a real endpoint built from it would send that, so
		// a comma before a closing brace or bracket is forgiven.
		fixed, ok := stripTrailingCommas(line)
		if !ok || json.Unmarshal(fixed, &w) != nil {
			return Message{}, decodeError(line, err)
		}
	}
	if w.ID == nil {
		return Message{}, &DecodeError{Offset: -1, Head: quoteHead(line, 40), Err: errors.New(`missing "id"`)}
	}
	var m Message
	v := ""
	if w.V != nil {
		v = *w.V
	}
	if w.Method != nil {
		if *w.Method == "" {
			return Message{}, &DecodeError{Offset: -1, Head: quoteHead(line, 40), Err: errors.New(`empty "method"`)}
		}
		m.Request = &Request{V: v, ID: *w.ID, Source: w.Source, Target: w.Target, Method: *w.Method, Params: w.Params}
	} else {
		m.Response = &Response{V: v, ID: *w.ID, Source: w.Source, Target: w.Target, Result: w.Result, Error: w.Error}
	}
	if v != Version {
		return m, &VersionError{MessageVersion: Version, ResponseVersion: v}
	}
	return m, nil
}

func decodeError(line []byte, err error) *DecodeError {
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
		err = fmt.Errorf("field %q: %s is not %s", te.Field, te.Value, te.Type)
	}
	return &DecodeError{Offset: off, Head: quoteHead(line, 40), Err: err}
}

// stripTrailingCommas removes each comma that is followed, after white space,
// by '}' or ']', outside strings. It reports whether it removed any.
func stripTrailingCommas(b []byte) ([]byte, bool) {
	out := make([]byte, 0, len(b))
	inString, escaped, changed := false, false, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			out = append(out, c)
			continue
		}
		if c == '"' {
			inString = true
		}
		if c == ',' {
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\r' || b[j] == '\n') {
				j++
			}
			if j < len(b) && (b[j] == '}' || b[j] == ']') {
				changed = true
				continue
			}
		}
		out = append(out, c)
	}
	return out, changed
}

// quoteHead quotes at most n bytes of b, safe to print in a log line.
func quoteHead(b []byte, n int) string {
	if len(b) <= n {
		return strconv.Quote(string(b))
	}
	return strconv.Quote(string(b[:n])) + "..."
}

// Codec reads and writes newline-delimited messages on one stream. Reads must
// come from one goroutine; writes may come from many.
type Codec struct {
	r    *bufio.Reader
	max  int
	line []byte

	wmu sync.Mutex
	w   io.Writer
}

// NewCodec returns a codec over rw with a line limit of maxLine bytes
// (DefaultMaxLineSize if maxLine <= 0).
func NewCodec(rw io.ReadWriter, maxLine int) *Codec {
	if maxLine <= 0 {
		maxLine = DefaultMaxLineSize
	}
	size := 64 << 10
	if maxLine < size {
		size = max(maxLine, 16)
	}
	return &Codec{r: bufio.NewReaderSize(rw, size), max: maxLine, w: rw}
}

// ReadLine returns the next non-empty line without its newline. The slice is
// valid until the next call. A line over the limit is discarded and reported
// as a *FrameError; io.EOF means the stream ended between lines and
// io.ErrUnexpectedEOF that it ended inside one.
func (c *Codec) ReadLine() ([]byte, error) {
	for {
		c.line = c.line[:0]
		var size int64
		tooLong := false
		for {
			chunk, err := c.r.ReadSlice('\n')
			size += int64(len(chunk))
			if !tooLong {
				if len(c.line)+len(chunk) > c.max+1 { // +1: the newline itself
					tooLong = true
					c.line = c.line[:0]
				} else {
					c.line = append(c.line, chunk...)
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				if err == io.EOF && size > 0 {
					return nil, io.ErrUnexpectedEOF
				}
				return nil, err
			}
			break
		}
		if tooLong {
			return nil, &FrameError{Limit: c.max, Size: size - 1}
		}
		line := bytes.TrimRight(c.line, "\r\n")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return line, nil
	}
}

// Read reads and decodes the next message (see Decode for its errors).
func (c *Codec) Read() (Message, error) {
	line, err := c.ReadLine()
	if err != nil {
		return Message{}, err
	}
	return Decode(line)
}

// Write sends v as one compact JSON line.
func (c *Codec) Write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("protocol: encode: %w", err)
	}
	b = append(b, '\n')
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("protocol: write: %w", err)
	}
	return nil
}
