package main

import (
	"math"
	"sync"
	"time"
)

// bucket is a token bucket: it holds up to burst tokens, gains rate tokens
// per second, and each allowed request takes one. A rate of zero or less
// allows everything. It is small on purpose: the agent needs one per pod and
// golang.org/x/time/rate would be a dependency for twenty lines.
type bucket struct {
	rate  float64 // tokens per second; <= 0 means unlimited
	burst float64

	mu     sync.Mutex // guards tokens and last
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int, now time.Time) *bucket {
	b := float64(max(burst, 1))
	return &bucket{rate: rate, burst: b, tokens: b, last: now}
}

// allow takes a token if one is available at now. When it refuses, it
// returns how long until the next token, for Retry-After.
func (b *bucket) allow(now time.Time) (ok bool, wait time.Duration) {
	if b.rate <= 0 {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
}
