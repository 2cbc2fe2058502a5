package main

import (
	"container/list"
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
	"golang.org/x/time/rate"
)

// The node's budget towards EKS Auth. The account's EKS Auth rate is shared
// by every node of every cluster, and throttling is what users of the
// official agent hit most (CronJob bursts, node starts): so one limiter
// bounds every call this node makes, retries included; a pod waiting for
// its first credentials goes ahead of background refreshes, which can wait
// (they start hours before expiry); and a ThrottlingException slows the
// whole node down, not just the call that got it.
const (
	// DefaultEKSAuthRate and DefaultEKSAuthBurst are -eksauth-rate and
	// -eksauth-burst. The burst lets a node's worth of starting pods
	// through at once (the largest instances run about 740 pods, and a
	// token rotation briefly doubles a pod's tokens); the rate bounds the
	// steady draw, far above what refreshes need (one call per pod per
	// few hours).
	DefaultEKSAuthRate  = 100
	DefaultEKSAuthBurst = 2000

	// After a ThrottlingException the node sends nothing for a pause: the
	// upper half of throttlePause, doubled for each throttled pause in a
	// row up to maxThrottlePause (jittered, so that the nodes of an
	// account do not all come back at once). It also halves its rate,
	// down to minEKSAuthRate, and regains a fifth of the configured rate
	// per second without throttling: the node settles at what the
	// account can give. (Without a rate, -eksauth-rate 0, only the pause.)
	throttlePause    = 500 * time.Millisecond
	maxThrottlePause = 10 * time.Second
	minEKSAuthRate   = 1
)

// budget is the node's gate towards EKS Auth: a rate (one token per
// attempt, the client's retries included) and a bound on the calls in
// flight (-max-inflight). A call takes a slot and a token (acquire); each
// attempt after its first, another token (retry, through attempts).
//
// Waiting calls queue by class, retries of calls in flight first (they
// hold a slot), then first fetches, then background refreshes, each class
// in the order it came. Only the head of the queue takes what it needs,
// and only when it can send at once, so that no call holds a token or a
// slot it cannot use: a call holding a slot never waits behind one that
// waits for it, and a pause after throttling does not end with everything
// granted during it going at once.
type budget struct {
	lim         *rate.Limiter
	max         rate.Limit       // the configured rate, which the node returns to
	maxInflight int              // 0: unbounded
	now         func() time.Time // the limiter's clock; time.Now but in tests
	jitter      func() float64   // in [0, 1); rand.Float64 but in tests

	mu         sync.Mutex            // guards the fields below
	queues     [numClasses]list.List // of *budgetWaiter, oldest first
	inflight   int                   // calls holding a slot
	pauseUntil time.Time             // nothing is sent before
	pauses     int                   // throttled pauses in a row, without a success in between
	raisedAt   time.Time             // when the rate last grew back (or the pause ended)

	waits     atomic.Uint64 // calls or attempts that had to wait for the budget
	throttles atomic.Uint64 // ThrottlingExceptions seen
}

// Classes of waiting calls, in the order they are served.
const (
	classRetry   = iota // a retry of a call in flight: it holds a slot
	classFirst          // a first fetch: a pod waits for it
	classRefresh        // a background refresh: hours ahead of expiry
	numClasses
)

// budgetWaiter is a call in the queue; head is signalled when it may have
// become the head.
type budgetWaiter struct {
	head  chan struct{} // capacity 1
	elem  *list.Element
	class int
}

// newBudget returns a budget of r calls per second (0 or less: no rate
// limit) with a burst of burst, and at most maxInflight calls in flight
// (0 or less: no bound).
func newBudget(r float64, burst, maxInflight int) *budget {
	lim := newLimiter(r, burst)
	return &budget{
		lim:         lim,
		max:         lim.Limit(),
		maxInflight: max(maxInflight, 0),
		now:         time.Now,
		jitter:      rand.Float64,
	}
}

// budgetStats is what the metrics read.
type budgetStats struct {
	Waits     uint64  // calls or attempts that waited for the budget
	Throttles uint64  // ThrottlingExceptions EKS Auth answered
	Rate      float64 // the rate now, calls per second: below the configured one after throttling
	Waiting   int     // calls waiting now
	Inflight  int     // calls in flight now
}

func (b *budget) stats() budgetStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := budgetStats{Waits: b.waits.Load(), Throttles: b.throttles.Load(), Rate: float64(b.lim.Limit()), Inflight: b.inflight}
	for i := range b.queues {
		s.Waiting += b.queues[i].Len()
	}
	return s
}

// acquire waits for a slot and a token for a call's first attempt (a
// first fetch if first, else a background refresh), and returns the
// release of the slot. It returns ctx's error if ctx ends first.
func (b *budget) acquire(ctx context.Context, first bool) (release func(), err error) {
	class := classRefresh
	if first {
		class = classFirst
	}
	if err := b.wait(ctx, class); err != nil {
		return nil, err
	}
	return b.release, nil
}

func (b *budget) release() {
	b.mu.Lock()
	b.inflight--
	b.signalHead()
	b.mu.Unlock()
}

// wait waits until a call of class can be sent, behind the calls queued
// before it, while the node is paused after throttling, until the limiter
// has a token and (but for a retry) a slot is free; then takes them.
func (b *budget) wait(ctx context.Context, class int) error {
	b.mu.Lock()
	if b.queued() == 0 {
		if ok, _ := b.takeLocked(class); ok {
			b.mu.Unlock()
			return nil // the common case: no queue, a token and a slot
		}
	}
	b.waits.Add(1)
	w := &budgetWaiter{head: make(chan struct{}, 1), class: class}
	w.elem = b.queues[class].PushBack(w)
	b.signalHead()
	b.mu.Unlock()

	for {
		var d time.Duration // how long until what the head lacks; < 0: a signal
		b.mu.Lock()
		if b.headWaiter() != w {
			d = -1
		} else if ok, wait := b.takeLocked(class); ok {
			b.leave(w)
			b.mu.Unlock()
			return nil
		} else {
			d = wait
		}
		b.mu.Unlock()
		if err := b.sleep(ctx, d, w.head); err != nil {
			b.mu.Lock()
			b.leave(w)
			b.mu.Unlock()
			return err
		}
	}
}

// takeLocked takes what a call of class needs, if it can now: it returns
// false and how long until it may (-1: until a slot is released) if not.
func (b *budget) takeLocked(class int) (bool, time.Duration) {
	now := b.now()
	if now.Before(b.pauseUntil) {
		return false, b.pauseUntil.Sub(now)
	}
	slot := class != classRetry
	if slot && b.maxInflight > 0 && b.inflight >= b.maxInflight {
		return false, -1
	}
	if ok, wait := allow(b.lim, now); !ok {
		return false, max(wait, time.Millisecond)
	}
	if slot {
		b.inflight++
	}
	return true, 0
}

func (b *budget) queued() int {
	n := 0
	for i := range b.queues {
		n += b.queues[i].Len()
	}
	return n
}

// headWaiter returns the head of the queue, or nil.
func (b *budget) headWaiter() *budgetWaiter {
	for i := range b.queues {
		if e := b.queues[i].Front(); e != nil {
			return e.Value.(*budgetWaiter)
		}
	}
	return nil
}

// signalHead tells the head of the queue, if any, to look again.
func (b *budget) signalHead() {
	if h := b.headWaiter(); h != nil {
		select {
		case h.head <- struct{}{}:
		default: // told already
		}
	}
}

// leave takes w out of the queue and tells the next head.
func (b *budget) leave(w *budgetWaiter) {
	b.queues[w.class].Remove(w.elem)
	b.signalHead()
}

// sleep waits for d (if not negative), for a signal on head, or for ctx
// to end; only the last is an error.
func (b *budget) sleep(ctx context.Context, d time.Duration, head <-chan struct{}) error {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
	case <-head:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// throttled slows the node down after EKS Auth answered a
// ThrottlingException: a jittered pause, longer for each pause in a row
// that did not help, then a halved rate from an empty bucket, so that the
// node comes back slowly rather than with a burst. Throttles of calls sent
// before the pause began belong to the same pause.
func (b *budget) throttled() {
	b.throttles.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if now.Before(b.pauseUntil) {
		return
	}
	b.pauses++
	d := min(maxThrottlePause, throttlePause<<min(b.pauses-1, 16))
	d = d/2 + time.Duration(b.jitter()*float64(d/2))
	b.pauseUntil = now.Add(d)
	b.raisedAt = b.pauseUntil
	if b.max == rate.Inf {
		return // no rate to halve nor bucket to empty: only the pause
	}
	b.lim.SetLimitAt(now, max(minEKSAuthRate, min(b.max, b.lim.Limit()/2)))
	// Emptied as the pause ends: what the pause would gain must not make
	// a burst either.
	if n := int(b.lim.TokensAt(b.pauseUntil)); n > 0 {
		b.lim.ReserveN(b.pauseUntil, n)
	}
}

// succeeded gives the rate back as time passes without throttling: a
// fifth of the configured rate per second.
func (b *budget) succeeded() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pauses = 0
	now := b.now()
	if l := b.lim.Limit(); l < b.max && now.After(b.raisedAt) {
		grown := b.max / 5 * rate.Limit(now.Sub(b.raisedAt).Seconds())
		b.lim.SetLimitAt(now, min(b.max, l+grown))
		b.raisedAt = now
	}
}

// attempts returns the client option that puts each attempt of one call
// through the budget: the HTTP client the call sends with takes a token
// for every attempt but the first (which wait paid for before the call),
// and tells the budget of each answer. The budget's pause is then the
// backoff after a throttle: the client's own (up to seconds, per call)
// would hold the call's slot of -max-inflight idle meanwhile.
func (b *budget) attempts() func(*eksauth.Options) {
	return func(o *eksauth.Options) {
		if o.HTTPClient == nil {
			return
		}
		o.HTTPClient = &budgetedClient{b: b, next: o.HTTPClient, paid: true}
		if r, ok := o.Retryer.(aws.RetryerV2); ok {
			o.Retryer = budgetRetryer{r}
		}
	}
}

// budgetRetryer is the client's retryer with no delay of its own before
// retrying a throttle.
type budgetRetryer struct{ aws.RetryerV2 }

func (r budgetRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary {
		return 0, nil
	}
	return r.RetryerV2.RetryDelay(attempt, err)
}

// budgetedClient is the HTTP client of one call. The attempts of a call
// are sequential, so paid needs no lock.
type budgetedClient struct {
	b    *budget
	next eksauth.HTTPClient
	paid bool // the next attempt's token is taken
}

func (c *budgetedClient) Do(req *http.Request) (*http.Response, error) {
	if c.paid {
		c.paid = false
	} else if err := c.b.wait(req.Context(), classRetry); err != nil {
		return nil, err
	}
	resp, err := c.next.Do(req)
	if err != nil {
		return nil, err
	}
	// EKS Auth answers 429 for ThrottlingException and nothing else.
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		c.b.throttled()
	case resp.StatusCode < 300:
		c.b.succeeded()
	}
	return resp, nil
}
