package main

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Why entries are keyed by a hash of the whole token, not by the pod UID:
//
// The agent reads the pod UID from the token without verifying it, so a UID
// is a claim, not an identity: any process that can reach the agent can put
// pod X's UID into a token of its own making. If entries were keyed by UID,
// that forged token would be answered with X's cached credentials. Keyed by
// SHA-256(token), an entry only ever serves the exact token that EKS Auth
// accepted.
//
// Only what EKS Auth returned enters the cache: a token's first exchange
// runs in the pending table (pending.go), and its entry is admitted once it
// succeeds. So a flood of tokens EKS Auth never accepted cannot evict
// anybody, and an entry's claims (its pod UID and iat) have been verified
// by the time it can retire the pod's older tokens (a kubelet rotation).

// key identifies an entry: the SHA-256 of the token.
type key [sha256.Size]byte

func tokenKey(token string) key { return sha256.Sum256([]byte(token)) }

// grant is one answer of EKS Auth, immutable once made.
type grant struct {
	accessKeyID, secretAccessKey, sessionToken, accountID string

	expires   time.Time // EKS Auth's expiration, sent to pods as it is
	refreshAt time.Time // from here on, refresh in the background
}

// serveUntil is when the grant stops being served: every answer leaves at
// least expiryWindow before expiry.
func (g *grant) serveUntil() time.Time { return g.expires.Add(-expiryWindow) }

// entry is one admitted token: its credentials, its rate limit, and the
// claims read from it. The token itself is not kept: a refresh is started
// by a request, which carries it.
type entry struct {
	key    key
	claims claims
	limit  *rate.Limiter         // the pod's -rate and -burst
	grant  atomic.Pointer[grant] // never nil once admitted

	mu       sync.Mutex // guards refresh, failures, retryAt
	refresh  *flight    // the refresh running now, if any
	failures int        // background refreshes failed in a row
	retryAt  time.Time  // no background refresh before this

	// Owned by the cache, guarded by cache.mu.
	elem     *list.Element
	lastUsed time.Time
}

// Why an entry left the cache, the label of the evictions metric.
const (
	evictCapacity = "capacity" // the least recently used, for a newcomer
	evictIdle     = "idle"     // not asked for during idleTTL
	evictRotated  = "rotated"  // an older token of a pod whose new token was admitted
	evictRevoked  = "revoked"  // EKS Auth said the pod's access is gone
)

// cache is a bounded LRU of admitted entries that also forgets entries idle
// for longer than idleTTL. It never refreshes anything itself: entries only
// refresh when asked, so a pod that stops asking costs nothing upstream.
type cache struct {
	size    int           // most entries kept; > 0
	idleTTL time.Duration // <= 0 means entries never idle out
	evicted func(reason string, n int)

	mu    sync.Mutex          // guards lru, byKey, byPod and entries' elem/lastUsed
	lru   *list.List          // of *entry, most recently used first
	byKey map[key]*entry      //
	byPod map[string][]*entry // pod UID → its entries (usually one)
}

// newCache returns a cache of size entries. evicted (nil: none) is told of
// each removal; it runs under the cache's lock, so it must be quick (a
// metric).
func newCache(size int, idleTTL time.Duration, evicted func(reason string, n int)) *cache {
	if evicted == nil {
		evicted = func(string, int) {}
	}
	return &cache{
		size:    max(size, 1),
		idleTTL: idleTTL,
		evicted: evicted,
		lru:     list.New(),
		byKey:   make(map[key]*entry),
		byPod:   make(map[string][]*entry),
	}
}

// lookup returns the live entry for k, marking it used at now, or nil.
func (c *cache) lookup(k key, now time.Time) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[k]
	if !ok {
		return nil
	}
	if c.idle(e, now) {
		c.remove(e, evictIdle)
		return nil
	}
	e.lastUsed = now
	c.lru.MoveToFront(e.elem)
	return e
}

// admit adds e, whose token EKS Auth has just accepted, as used at now. It
// retires the other entries of e's pod whose tokens were issued no later
// than e's (the kubelet rotated the token, and e is the new one), then
// evicts the least recently used entries beyond the size. It returns how
// many entries of the pod it retired.
func (c *cache) admit(e *entry, now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.byKey[e.key]; ok {
		c.remove(old, evictRotated) // not expected: the pending table makes one entry per token
	}
	retired := 0
	for _, o := range append([]*entry(nil), c.byPod[e.claims.podUID]...) {
		if !o.claims.issuedAt.After(e.claims.issuedAt) {
			c.remove(o, evictRotated)
			retired++
		}
	}
	e.lastUsed = now
	e.elem = c.lru.PushFront(e)
	c.byKey[e.key] = e
	c.byPod[e.claims.podUID] = append(c.byPod[e.claims.podUID], e)
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back().Value.(*entry), evictCapacity)
	}
	return retired
}

// drop removes e if it is still cached.
func (c *cache) drop(e *entry, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.remove(e, reason)
}

// sweep removes the entries idle at now and returns how many.
func (c *cache) sweep(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	// The least recently used entries are at the back, so the idle ones
	// form a suffix of the list.
	for el := c.lru.Back(); el != nil; {
		e := el.Value.(*entry)
		if !c.idle(e, now) {
			break
		}
		el = el.Prev()
		c.remove(e, evictIdle)
		n++
	}
	return n
}

// stats returns the number of entries and of distinct pods.
func (c *cache) stats() (entries, pods int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), len(c.byPod)
}

func (c *cache) idle(e *entry, now time.Time) bool {
	return c.idleTTL > 0 && now.Sub(e.lastUsed) >= c.idleTTL
}

// remove drops e; c.mu must be held. A request still holding e finishes
// with it; the entry is then garbage.
func (c *cache) remove(e *entry, reason string) {
	if c.byKey[e.key] != e {
		return
	}
	c.lru.Remove(e.elem)
	delete(c.byKey, e.key)
	pod := c.byPod[e.claims.podUID]
	for i, o := range pod {
		if o == e {
			pod = append(pod[:i], pod[i+1:]...)
			break
		}
	}
	if len(pod) == 0 {
		delete(c.byPod, e.claims.podUID)
	} else {
		c.byPod[e.claims.podUID] = pod
	}
	c.evicted(reason, 1)
}
