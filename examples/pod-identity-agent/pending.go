package main

import (
	"context"
	"net/netip"
	"sync"
)

// flight is one exchange with EKS Auth that requests wait on: a token's
// first fetch (in the pending table) or an entry's refresh. Waiters read
// grant and err once done is closed.
type flight struct {
	done  chan struct{}
	grant *grant
	err   error

	// First fetches only, guarded by pending.mu.
	key     key
	source  netip.Addr
	waiters int                // requests waiting; at 0 the fetch is cancelled
	cancel  context.CancelFunc // ends the fetch
	listed  bool               // still in pending.flights
}

func newFlight() *flight { return &flight{done: make(chan struct{})} }

// finish publishes the outcome to the waiters.
func (f *flight) finish(g *grant, err error) {
	f.grant, f.err = g, err
	close(f.done)
}

// defaultMaxPending holds a large node's start at once (2,000 pods, within
// the budget's burst of DefaultEKSAuthBurst): a smaller table answered most
// of them 503. An entry costs a waiting request, not a cached credential.
const defaultMaxPending = 2048

// pending is the small, bounded table of tokens whose first exchange is
// under way. Unlike a refresh, a first fetch is bound to the requests that
// wait on it: when the last one leaves (the pod gave up), the fetch is
// cancelled, so that abandoned requests cannot hold EKS Auth slots for
// anyone else. A full table answers at once (503) rather than queueing, and
// each source address (each pod has its own IP) may hold only perSource
// entries, so that one pod cannot crowd the others out.
type pending struct {
	max, perSource int

	mu       sync.Mutex // guards flights, bySource and the flights' waiters and listed
	flights  map[key]*flight
	bySource map[netip.Addr]int
}

func newPending(max, perSource int) *pending {
	return &pending{
		max:       max,
		perSource: perSource,
		flights:   make(map[key]*flight),
		bySource:  make(map[netip.Addr]int),
	}
}

// Why join refused a new first fetch.
type refusal int

const (
	admitted   refusal = iota
	tableFull          // the whole table: 503
	sourceFull         // this source's share: 429
	nowCached          // the token was admitted meanwhile: look again
)

// join returns the first fetch of k, joining the running one or, if there
// is none, making one for source with start(ctx, f) to run it; ctx ends
// when the last waiter leaves. Each successful join must be matched by
// leave once the waiter stops waiting. cached reports whether k is in the
// cache: a fetch admits its token before it leaves the table, so a token
// found in neither place is in neither (no second call for it).
func (p *pending) join(k key, source netip.Addr, cached func() bool, start func(context.Context, *flight)) (*flight, refusal) {
	p.mu.Lock()
	if f := p.flights[k]; f != nil {
		f.waiters++
		p.mu.Unlock()
		return f, admitted
	}
	switch {
	case cached():
		p.mu.Unlock()
		return nil, nowCached
	case len(p.flights) >= p.max:
		p.mu.Unlock()
		return nil, tableFull
	case p.bySource[source] >= p.perSource:
		p.mu.Unlock()
		return nil, sourceFull
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := newFlight()
	f.key, f.source, f.waiters, f.cancel, f.listed = k, source, 1, cancel, true
	p.flights[k] = f
	p.bySource[source]++
	p.mu.Unlock()
	go start(ctx, f)
	return f, admitted
}

// leave ends one waiter's wait on f. The last waiter of a fetch still
// running cancels it and unlists it, so that a later request starts anew
// rather than joining a dying fetch.
func (p *pending) leave(f *flight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		p.unlistLocked(f)
	}
}

// unlist removes f from the table (its fetch has ended).
func (p *pending) unlist(f *flight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unlistLocked(f)
}

func (p *pending) unlistLocked(f *flight) {
	if !f.listed {
		return
	}
	f.listed = false
	delete(p.flights, f.key)
	if n := p.bySource[f.source] - 1; n > 0 {
		p.bySource[f.source] = n
	} else {
		delete(p.bySource, f.source)
	}
}

// len returns the number of first fetches under way.
func (p *pending) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.flights)
}
