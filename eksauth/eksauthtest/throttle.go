package eksauthtest

import (
	"fmt"
	"math"
	"time"
)

// WithThrottling models the account-wide request rate of EKS Auth: a
// token bucket of burst requests that refills at rate requests per second,
// shared by every AssumeRoleForPodIdentity request the server receives
// (from any node, for any cluster). A request that finds the bucket empty
// is answered as the service throttles: 429, X-Amzn-ErrorType
// ThrottlingException, {"message":"Rate exceeded"}. It is recorded with
// Fault and Throttled set, and consumes nothing, so a client that backs
// off gets through. The bucket starts full.
//
// Only signed requests to the operation count (throttling needs the
// caller's account, so a request that fails SigV4 is refused as such);
// a request claimed by an [Server.Inject]-ed fault or drawn by
// [WithRandomFaults] bypasses the bucket. rate must be positive and finite
// and burst at least 1, or NewServer panics; rate 0 turns throttling off.
func WithThrottling(rate float64, burst int) Option {
	return func(s *Server) { s.throttle = &bucket{rate: rate, burst: float64(burst), now: time.Now} }
}

// bucket is a token bucket with an injectable clock, guarded by Server.mu.
// The library module keeps golang.org/x/time out of its dependencies, and
// the emulator needs only this much of it.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64 // capacity
	now    func() time.Time
	tokens float64
	last   time.Time // when tokens was last brought up to date
}

// init checks the settings and fills the bucket.
func (b *bucket) init() error {
	if b.rate == 0 {
		return nil
	}
	if !(b.rate > 0) || math.IsInf(b.rate, 0) {
		return fmt.Errorf("invalid throttling rate %v: want a positive number of requests per second", b.rate)
	}
	if b.burst < 1 {
		return fmt.Errorf("invalid throttling burst %v: want at least 1", b.burst)
	}
	b.tokens, b.last = b.burst, b.now()
	return nil
}

// allow takes a token if there is one and reports whether it did.
func (b *bucket) allow() bool {
	if b == nil || b.rate == 0 {
		return true
	}
	now := b.now()
	if elapsed := now.Sub(b.last); elapsed > 0 { // a clock stepping back adds nothing
		b.tokens = math.Min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// allowRequest reports whether the account's rate admits one more request.
func (s *Server) allowRequest() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttle.allow()
}
