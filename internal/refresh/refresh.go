// Package refresh is the one home of the refresh schedule that the
// credentials Provider and the node agent share: when to refresh
// credentials in the background, and how long to back off after failures.
// The caller passes the clock's now and a random source, so that tests
// drive both.
package refresh

import "time"

// Defaults of a Schedule, documented on credentials.Options.
const (
	DefaultFraction   = 0.5
	DefaultJitter     = 0.1
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 5 * time.Minute
)

// Bounds of a refresh fraction: a refresh neither at once nor at the end.
const (
	MinFraction = 0.01
	MaxFraction = 0.99
)

// Schedule is a refresh schedule.
type Schedule struct {
	// Fraction is the part of the usable lifetime that remains when a
	// background refresh starts, drawn from Fraction ± Jitter and kept
	// within [MinFraction, MaxFraction].
	Fraction, Jitter float64
	// Backoff is the wait after the first failure; it doubles with each
	// further one, up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
}

// Default is the schedule of the Provider's and the agent's defaults.
var Default = Schedule{Fraction: DefaultFraction, Jitter: DefaultJitter, Backoff: DefaultBackoff, MaxBackoff: DefaultMaxBackoff}

// ClampFraction keeps f within [MinFraction, MaxFraction].
func ClampFraction(f float64) float64 { return min(max(f, MinFraction), MaxFraction) }

// RefreshAt returns when credentials that arrived at now and serve until
// until are refreshed in the background; rnd returns a number in [0, 1).
// Credentials with no usable life left are refreshed at until.
func (s Schedule) RefreshAt(now, until time.Time, rnd func() float64) time.Time {
	usable := until.Sub(now)
	if usable <= 0 {
		return until
	}
	f := ClampFraction(s.Fraction + (2*rnd()-1)*s.Jitter)
	return until.Add(-time.Duration(f * float64(usable)))
}

// RetryAfter is the wait after n failures in a row: drawn uniformly from
// the upper half of Backoff doubled n-1 times, capped at MaxBackoff; rnd
// returns a number in [0, 1).
func (s Schedule) RetryAfter(n int, rnd func() float64) time.Duration {
	d := s.Backoff
	for i := 1; i < n && d < s.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.MaxBackoff)
	return d/2 + time.Duration(rnd()*float64(d/2))
}
