package main

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	type step struct {
		at       time.Duration // since t0
		want     bool
		wantWait time.Duration
	}
	for name, tc := range map[string]struct {
		rate  float64
		burst int
		steps []step
	}{
		"burst then refuse": {rate: 1, burst: 2, steps: []step{
			{0, true, 0}, {0, true, 0}, {0, false, time.Second},
		}},
		"refills at rate": {rate: 4, burst: 1, steps: []step{
			{0, true, 0}, {100 * time.Millisecond, false, 150 * time.Millisecond},
			{250 * time.Millisecond, true, 0}, {250 * time.Millisecond, false, 250 * time.Millisecond},
		}},
		"never above burst": {rate: 10, burst: 2, steps: []step{
			{time.Hour, true, 0}, {time.Hour, true, 0}, {time.Hour, false, 100 * time.Millisecond},
		}},
		"clock going back is ignored": {rate: 1, burst: 1, steps: []step{
			{time.Second, true, 0}, {0, false, time.Second},
		}},
		"unlimited": {rate: 0, burst: 1, steps: []step{
			{0, true, 0}, {0, true, 0}, {0, true, 0},
		}},
		"zero burst allows one": {rate: 1, burst: 0, steps: []step{
			{0, true, 0}, {0, false, time.Second},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			lim := newLimiter(tc.rate, tc.burst)
			for i, s := range tc.steps {
				ok, wait := allow(lim, t0.Add(s.at))
				if ok != s.want || (wait-s.wantWait).Abs() > time.Millisecond {
					t.Errorf("step %d at %v: allow = %v, %v; want %v, %v", i, s.at, ok, wait, s.want, s.wantWait)
				}
			}
		})
	}
}
