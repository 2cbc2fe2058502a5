package main

import (
	"fmt"
	"testing"
	"time"
)

func newTestEntry(tok, uid string, iat time.Time) *entry {
	e := &entry{key: keyOf(tok), claims: claims{podUID: uid, issuedAt: iat}}
	e.grant.Store(&grant{})
	return e
}

func keyOf(s string) key { return tokenKey(s) }

// evictionLog counts the cache's evictions by reason.
type evictionLog map[string]int

func (l evictionLog) record(reason string, n int) { l[reason] += n }

func TestCacheAdmitAndLRU(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ev := evictionLog{}
	c := newCache(2, time.Minute, ev.record)
	e1 := newTestEntry("t1", "p1", t0)
	c.admit(e1, t0)
	if got := c.lookup(keyOf("t1"), t0); got != e1 {
		t.Fatal("admitted entry not found")
	}
	c.admit(newTestEntry("t2", "p2", t0), t0)
	c.lookup(keyOf("t1"), t0.Add(time.Second)) // t1 most recently used
	c.admit(newTestEntry("t3", "p3", t0), t0.Add(2*time.Second))
	if entries, pods := c.stats(); entries != 2 || pods != 2 {
		t.Errorf("stats = %d, %d, want 2, 2 (size bound)", entries, pods)
	}
	if c.lookup(keyOf("t2"), t0.Add(3*time.Second)) != nil {
		t.Error("t2 survived, want it evicted as least recently used")
	}
	if c.lookup(keyOf("t3"), t0.Add(3*time.Second)) == nil {
		t.Error("t3 was evicted, want it kept (t1 was older)")
	}
	if ev[evictCapacity] != 1 || len(ev) != 1 {
		t.Errorf("evictions = %v, want 1 for capacity", ev)
	}
}

func TestCacheIdle(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ev := evictionLog{}
	c := newCache(10, time.Minute, ev.record)
	for i := range 5 {
		c.admit(newTestEntry(fmt.Sprint(i), fmt.Sprint("p", i), t0), t0.Add(time.Duration(i)*10*time.Second))
	}
	// At t0+75s, entries used at 0s and 10s have idled out.
	if n := c.sweep(t0.Add(75 * time.Second)); n != 2 {
		t.Errorf("sweep removed %d, want 2", n)
	}
	if entries, _ := c.stats(); entries != 3 {
		t.Errorf("entries = %d, want 3", entries)
	}
	// An idle entry found by lookup is gone, not served.
	if c.lookup(keyOf("2"), t0.Add(90*time.Second)) != nil {
		t.Error("idle entry served")
	}
	if ev[evictIdle] != 3 {
		t.Errorf("evictions = %v, want 3 idle", ev)
	}
	never := newCache(10, 0, nil)
	never.admit(newTestEntry("x", "px", t0), t0)
	if n := never.sweep(t0.Add(1000 * time.Hour)); n != 0 {
		t.Errorf("idleTTL 0 swept %d, want 0", n)
	}
}

// TestCacheRetire: admitting a pod's new token retires the pod's tokens
// issued no later, and nothing else.
func TestCacheRetire(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ev := evictionLog{}
	c := newCache(10, 0, ev.record)
	c.admit(newTestEntry("old", "p1", t0), t0)
	c.admit(newTestEntry("other-pod", "p2", t0), t0)
	if n := c.admit(newTestEntry("new", "p1", t0.Add(time.Minute)), t0); n != 1 {
		t.Errorf("admit retired %d, want 1 (only the older token of the same pod)", n)
	}
	// A process of the pod still presenting a token older than the
	// pod's newest keeps the newest in place.
	if n := c.admit(newTestEntry("stale", "p1", t0.Add(-time.Hour)), t0); n != 0 {
		t.Errorf("admitting an older token retired %d, want 0", n)
	}
	for tok, want := range map[string]bool{"old": false, "stale": true, "other-pod": true, "new": true} {
		if kept := c.lookup(keyOf(tok), t0) != nil; kept != want {
			t.Errorf("%s kept = %v, want %v", tok, kept, want)
		}
	}
	if ev[evictRotated] != 1 {
		t.Errorf("evictions = %v, want 1 rotated", ev)
	}
}

func TestCacheDrop(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	ev := evictionLog{}
	c := newCache(10, 0, ev.record)
	e := newTestEntry("t", "p1", t0)
	c.admit(e, t0)
	c.drop(e, evictRevoked)
	c.drop(e, evictRevoked) // already gone: not counted again
	if c.lookup(keyOf("t"), t0) != nil || ev[evictRevoked] != 1 {
		t.Errorf("after drop: found %v, evictions %v; want gone, 1 revoked", c.lookup(keyOf("t"), t0) != nil, ev)
	}
}
