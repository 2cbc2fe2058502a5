package main

import (
	"time"

	"golang.org/x/time/rate"
)

// newLimiter returns a limiter of r events per second (0 or less: no
// limit) with a burst of burst (at least 1), full.
func newLimiter(r float64, burst int) *rate.Limiter {
	limit := rate.Limit(r)
	if r <= 0 {
		limit = rate.Inf
	}
	return rate.NewLimiter(limit, max(burst, 1))
}

// allow takes one of lim's tokens at now if there is one. When there is
// none it returns how long until there is, for Retry-After.
func allow(lim *rate.Limiter, now time.Time) (ok bool, wait time.Duration) {
	if lim.AllowN(now, 1) {
		return true, 0
	}
	return false, time.Duration((1 - lim.TokensAt(now)) / float64(lim.Limit()) * float64(time.Second))
}
