package main

import (
	"fmt"
	"testing"
	"time"
)

func newTestEntry(uid string, iat time.Time) func() *entry {
	return func() *entry { return &entry{claims: claims{podUID: uid, issuedAt: iat}} }
}

func keyOf(s string) key { return tokenKey(s) }

func TestCacheGet(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := newCache(2, time.Minute)
	e1, created := c.get(keyOf("t1"), t0, newTestEntry("p1", t0))
	if !created {
		t.Fatal("first get did not create")
	}
	if again, created := c.get(keyOf("t1"), t0, newTestEntry("p1", t0)); created || again != e1 {
		t.Error("second get created a new entry, want the cached one")
	}
	c.get(keyOf("t2"), t0, newTestEntry("p2", t0))
	c.get(keyOf("t1"), t0.Add(time.Second), nil) // t1 most recently used
	c.get(keyOf("t3"), t0.Add(2*time.Second), newTestEntry("p3", t0))
	if entries, pods := c.stats(); entries != 2 || pods != 2 {
		t.Errorf("stats = %d, %d, want 2, 2 (size bound)", entries, pods)
	}
	if _, created := c.get(keyOf("t2"), t0.Add(3*time.Second), newTestEntry("p2", t0)); !created {
		t.Error("t2 survived, want it evicted as least recently used")
	}
	if _, created := c.get(keyOf("t3"), t0.Add(3*time.Second), newTestEntry("p3", t0)); created {
		t.Error("t3 was evicted, want it kept (t1 was older)")
	}
}

func TestCacheIdle(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := newCache(10, time.Minute)
	for i := range 5 {
		c.get(keyOf(fmt.Sprint(i)), t0.Add(time.Duration(i)*10*time.Second), newTestEntry(fmt.Sprint("p", i), t0))
	}
	// At t0+75s, entries used at 0s and 10s have idled out.
	if n := c.sweep(t0.Add(75 * time.Second)); n != 2 {
		t.Errorf("sweep removed %d, want 2", n)
	}
	if entries, _ := c.stats(); entries != 3 {
		t.Errorf("entries = %d, want 3", entries)
	}
	// An idle entry found by get is replaced, not served.
	if _, created := c.get(keyOf("2"), t0.Add(90*time.Second), newTestEntry("p2", t0)); !created {
		t.Error("idle entry served, want a new one")
	}
	never := newCache(10, 0)
	never.get(keyOf("x"), t0, newTestEntry("px", t0))
	if n := never.sweep(t0.Add(1000 * time.Hour)); n != 0 {
		t.Errorf("idleTTL 0 swept %d, want 0", n)
	}
}

func TestCacheRetire(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := newCache(10, 0)
	c.get(keyOf("old"), t0, newTestEntry("p1", t0))
	c.get(keyOf("forged-future"), t0, newTestEntry("p1", t0.Add(time.Hour)))
	c.get(keyOf("other-pod"), t0, newTestEntry("p2", t0))
	cur, _ := c.get(keyOf("new"), t0, newTestEntry("p1", t0.Add(time.Minute)))
	if n := c.retire(cur); n != 1 {
		t.Errorf("retire removed %d, want 1 (only the older token of the same pod)", n)
	}
	for tok, want := range map[string]bool{"old": false, "forged-future": true, "other-pod": true, "new": true} {
		_, created := c.get(keyOf(tok), t0, newTestEntry("p?", t0))
		if kept := !created; kept != want {
			t.Errorf("%s kept = %v, want %v", tok, kept, want)
		}
	}
}

// TestCacheRetireKeepsTheSameToken: an entry evicted while a request still
// held it, then made again for the same token, is that token's live entry:
// the old entry's first success must not retire it (which would cost
// another upstream call for a token EKS Auth has just accepted).
func TestCacheRetireKeepsTheSameToken(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	c := newCache(1, 0)
	held, _ := c.get(keyOf("t"), t0, newTestEntry("p1", t0))
	c.get(keyOf("other"), t0, newTestEntry("p2", t0)) // evicts held
	again, created := c.get(keyOf("t"), t0, newTestEntry("p1", t0))
	if !created || again == held {
		t.Fatal("setup: want t evicted and made again")
	}
	if n := c.retire(held); n != 0 {
		t.Errorf("retire removed %d, want 0", n)
	}
	if e := c.lookup(keyOf("t"), t0); e != again {
		t.Error("the live entry of the token was retired")
	}
}
