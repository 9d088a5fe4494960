package remotewrite

import (
	"context"
	"sync"
)

// New checks cfg and reads its secret and CA files. Secrets come from
// files only: a URL with credentials in it, or an Authorization header in
// Headers, is refused.
func New(cfg Config) (*Client, error) {
	p, err := NewPoster("remote write", cfg)
	if err != nil {
		return nil, err
	}
	return &Client{p: p}, nil
}

// Reload re-reads the token, password and CA files (on SIGHUP). On error
// the client keeps what it had.
func (c *Client) Reload() error { return c.p.Reload() }

// bufs holds encoding buffers between Writes.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled is the largest buffer kept for reuse: one huge batch must not
// pin its memory for good.
const maxPooled = 4 << 20

func putBuf(b *[]byte) {
	if cap(*b) <= maxPooled {
		bufs.Put(b)
	}
}

// Write encodes one prometheus.WriteRequest (remote write 1.0:
// Content-Encoding snappy, Content-Type application/x-protobuf,
// X-Prometheus-Remote-Write-Version 0.1.0, User-Agent
// virgo-top/<internal/version>) and posts it. A nil error means the engine
// accepted every sample. A non-nil one is an *Error for an HTTP refusal, or
// a transport error or the context's error (wrapped); IsPermanent says
// whether a retry can succeed. Writing no series sends nothing.
//
// Engines limit a request's size (VictoriaMetrics: 32 MiB uncompressed by
// default): the caller batches.
func (c *Client) Write(ctx context.Context, series []Series) error {
	if len(series) == 0 {
		return nil
	}
	pb := bufs.Get().(*[]byte)
	defer putBuf(pb)
	*pb = Encode((*pb)[:0], series)
	// The compressed body is not pooled: it belongs to the transport once
	// handed over, and net/http may still be writing it after Do returned
	// (an engine that answers before the upload ends); reusing it would
	// send the next request's bytes in its place.
	sn := AppendSnappy(make([]byte, 0, len(*pb)/4+64), *pb)
	return c.p.Post(ctx, sn,
		"Content-Encoding", "snappy",
		"Content-Type", "application/x-protobuf",
		"X-Prometheus-Remote-Write-Version", "0.1.0")
}
