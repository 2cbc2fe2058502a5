package leakcheck

import (
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestSettleSeesALeakAndItsEnd(t *testing.T) {
	before := map[string]bool{}
	for _, g := range goroutines() {
		before[g.id] = true
	}
	defer func(w time.Duration) { wait = w }(wait)
	wait = 300 * time.Millisecond
	stop := make(chan struct{})
	go leakyWorker(stop)

	start := time.Now()
	leaks := settle(before)
	if len(leaks) != 1 || !strings.Contains(leaks[0], "leakyWorker") {
		t.Fatalf("settle = %q, want the worker's stack", leaks)
	}
	if waited := time.Since(start); waited < wait {
		t.Errorf("settle gave up after %v, want it to wait %v", waited, wait)
	}

	close(stop)
	if leaks := settle(before); len(leaks) != 0 {
		t.Fatalf("after the worker ended, settle = %q", leaks)
	}
}

func TestCheckWaitsForGoroutinesOnTheirWayOut(t *testing.T) {
	Check(t)
	done := make(chan struct{})
	go func() { time.Sleep(50 * time.Millisecond); close(done) }()
}

func TestCurrentGoroutineIsNotALeak(t *testing.T) {
	gs := goroutines()
	if len(gs) == 0 || !gs[0].current || !gs[0].ignored() {
		t.Fatalf("goroutines()[0] = %+v, want the caller, ignored", gs)
	}
}

func leakyWorker(stop chan struct{}) { <-stop }
