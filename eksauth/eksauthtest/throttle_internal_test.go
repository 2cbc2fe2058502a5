package eksauthtest

import (
	"math"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	b := &bucket{rate: 2, burst: 3, now: func() time.Time { return now }}
	if err := b.init(); err != nil {
		t.Fatal(err)
	}
	take := func(n int) (allowed int) {
		for range n {
			if b.allow() {
				allowed++
			}
		}
		return allowed
	}
	if got := take(5); got != 3 {
		t.Fatalf("a full bucket of 3 allowed %d of 5", got)
	}
	now = now.Add(499 * time.Millisecond) // 0.998 of a token at 2/s
	if got := take(1); got != 0 {
		t.Fatalf("after 499ms at 2/s: allowed %d, want 0", got)
	}
	now = now.Add(time.Millisecond)
	if got := take(2); got != 1 {
		t.Fatalf("after 500ms at 2/s: allowed %d, want 1", got)
	}
	now = now.Add(time.Hour) // refills up to the burst, no further
	if got := take(10); got != 3 {
		t.Fatalf("after an hour: allowed %d, want the burst of 3", got)
	}
	now = now.Add(-time.Minute) // a clock stepping back neither adds nor panics
	if got := take(1); got != 0 {
		t.Fatalf("after the clock stepped back: allowed %d, want 0", got)
	}
	now = now.Add(time.Minute + 500*time.Millisecond)
	if got := take(2); got != 1 {
		t.Fatalf("500ms after the latest reading: allowed %d, want 1", got)
	}
}

func TestBucketOffAndInvalid(t *testing.T) {
	var off *bucket
	for range 100 {
		if !off.allow() {
			t.Fatal("no throttling: a request was refused")
		}
	}
	for _, b := range []bucket{{rate: -1, burst: 1}, {rate: 1, burst: 0}, {rate: math.Inf(1), burst: 1}, {rate: math.NaN(), burst: 1}} {
		b.now = time.Now
		if err := b.init(); err == nil {
			t.Errorf("rate %v burst %v: no error", b.rate, b.burst)
		}
	}
}
