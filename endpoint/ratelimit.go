package endpoint

import (
	"sync"
	"time"
)

// bucket is a token bucket: rate tokens per minute, bursts of burst. It
// takes the time from its caller (the server's clock), so tests drive it.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(perMinute, burst int, now time.Time) *bucket {
	return &bucket{rate: float64(perMinute) / 60, burst: float64(burst), tokens: float64(burst), last: now}
}

// take spends one token; false when none is left.
func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket refilled completely (nothing to remember).
func (b *bucket) full(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens+now.Sub(b.last).Seconds()*b.rate >= b.burst
}
