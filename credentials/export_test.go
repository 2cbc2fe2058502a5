package credentials

import "time"

// NewWithClock is New with the clock and the jitter source replaced.
func NewWithClock(client APIClient, clusterName string, token TokenRetriever, now func() time.Time, rnd func() float64, optFns ...func(*Options)) *Provider {
	return newProvider(client, clusterName, token, now, rnd, optFns...)
}

// RefreshDone returns a channel closed when the refresh running now, if
// any, has published its result. A background failure is logged after
// that, outside the lock; wait for log lines with waitLog.
func (p *Provider) RefreshDone() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight == nil {
		done := make(chan struct{})
		close(done)
		return done
	}
	return p.inflight.done
}

// Backoff exposes the backoff after n failures in a row.
func (p *Provider) Backoff(n int) time.Duration { return p.backoff(n) }
