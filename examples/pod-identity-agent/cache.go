package main

import (
	"container/list"
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Why entries are keyed by a hash of the whole token, not by the pod UID:
//
// The agent reads the pod UID from the token without verifying it, so a UID
// is a claim, not an identity: any process that can reach the agent can put
// pod X's UID into a token of its own making. If entries were keyed by UID,
// that forged token would be answered with X's cached credentials, or would
// become the token X's provider refreshes with (breaking X). Keyed by
// SHA-256(token), an entry only ever serves the exact token that EKS Auth
// accepted when the entry's provider fetched, and a forged token gets its
// own entry whose first fetch EKS Auth rejects. The rate limit and the idle
// clock live in the entry too, so a forger cannot spend pod X's budget.
//
// One provider per pod still holds: a pod presents one token at a time, and
// when the kubelet rotates it, the new token's first successful fetch
// retires the entries of that pod's older tokens (retire). A rotation costs
// one upstream call, which validating the new token needs anyway.

// key identifies an entry: the SHA-256 of the token.
type key [sha256.Size]byte

func tokenKey(token string) key { return sha256.Sum256([]byte(token)) }

// retriever is what an entry needs of its provider: *credentials.Provider,
// or a fake in tests.
type retriever interface {
	Retrieve(ctx context.Context) (aws.Credentials, error)
}

// entry is one token's state: its provider (which caches, coalesces and
// refreshes), its rate limit, and the claims read from it.
type entry struct {
	key      key
	claims   claims
	provider retriever
	limit    *bucket

	// accepted is set after the provider's first successful fetch, i.e.
	// once EKS Auth has verified the token; only then are its claims (and
	// so its iat) trustworthy enough to retire other entries.
	accepted atomic.Bool

	// Owned by the cache, guarded by cache.mu.
	elem     *list.Element
	lastUsed time.Time
}

// cache is a bounded LRU of entries that also forgets entries idle for
// longer than idleTTL. It never refreshes anything itself: providers only
// fetch when asked, so a pod that stops asking costs nothing upstream.
type cache struct {
	size    int           // most entries kept; > 0
	idleTTL time.Duration // <= 0 means entries never idle out

	mu    sync.Mutex          // guards lru, byKey, byPod and entries' elem/lastUsed
	lru   *list.List          // of *entry, most recently used first
	byKey map[key]*entry      //
	byPod map[string][]*entry // pod UID → its entries (usually one)
}

func newCache(size int, idleTTL time.Duration) *cache {
	return &cache{
		size:    max(size, 1),
		idleTTL: idleTTL,
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
	if !ok || c.idle(e, now) {
		return nil
	}
	e.lastUsed = now
	c.lru.MoveToFront(e.elem)
	return e
}

// get returns the entry for k, marking it used at now. A missing or idle
// entry is replaced by create(), evicting the least recently used entry if
// the cache is full. The bool reports whether the entry was created.
func (c *cache) get(k key, now time.Time, create func() *entry) (*entry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[k]; ok {
		if !c.idle(e, now) {
			e.lastUsed = now
			c.lru.MoveToFront(e.elem)
			return e, false
		}
		c.remove(e)
	}
	e := create()
	e.key, e.lastUsed = k, now
	e.elem = c.lru.PushFront(e)
	c.byKey[k] = e
	c.byPod[e.claims.podUID] = append(c.byPod[e.claims.podUID], e)
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back().Value.(*entry))
	}
	return e, true
}

// retire removes the other entries of e's pod whose tokens were issued no
// later than e's: the kubelet rotated the token, and e is the new one. Call
// it only once EKS Auth has accepted e's token. It returns how many entries
// it removed.
func (c *cache) retire(e *entry) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, o := range append([]*entry(nil), c.byPod[e.claims.podUID]...) {
		// An unverified entry may carry any iat; comparing against it can
		// only keep it longer, which costs memory, never access. An entry
		// of e's own token (e was evicted and made again) is not older.
		if o.key != e.key && !o.claims.issuedAt.After(e.claims.issuedAt) {
			c.remove(o)
			n++
		}
	}
	return n
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
		c.remove(e)
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
func (c *cache) remove(e *entry) {
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
}
