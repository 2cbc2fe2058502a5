// Package leakcheck fails tests that leave goroutines behind. It does what
// go.uber.org/goleak does for this repository's needs in a page, so that
// the library module keeps the dependencies its README promises.
package leakcheck

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wait is how long a check waits for goroutines to end: servers and
// transports close asynchronously, so a goroutine on its way out is not a
// leak.
var wait = 5 * time.Second

// ignored are frames of goroutines that are no leak: signal.Notify's
// loop lives for the whole process, and tests (subtests started after
// Check, say) end with their test. The main goroutine is the caller of
// Main, and was running before Check.
var ignored = []string{
	"os/signal.signal_recv",
	"os/signal.loop",
	"testing.tRunner",
}

// Main runs the tests of m and then fails the binary, printing their
// stacks, if goroutines the tests started are still running. Use it as
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaks := settle(nil); len(leaks) > 0 {
			fmt.Fprintf(os.Stderr, "leakcheck: %d goroutine(s) still running after the tests:\n\n%s\n", len(leaks), strings.Join(leaks, "\n\n"))
			code = 1
		}
	}
	os.Exit(code)
}

// Check fails t if goroutines started during the test (after Check) are
// still running when it ends. Tests that run in parallel with others
// cannot tell their goroutines apart and should rely on [Main] instead.
func Check(t testing.TB) {
	t.Helper()
	before := map[string]bool{}
	for _, g := range goroutines() {
		before[g.id] = true
	}
	t.Cleanup(func() {
		if leaks := settle(before); len(leaks) > 0 {
			t.Errorf("leakcheck: %d goroutine(s) left behind:\n\n%s", len(leaks), strings.Join(leaks, "\n\n"))
		}
	})
}

// settle waits up to wait for goroutines not in before to end and returns
// the stacks of those that did not.
func settle(before map[string]bool) []string {
	deadline := time.Now().Add(wait)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		var leaks []string
		for _, g := range goroutines() {
			if !before[g.id] && !g.ignored() {
				leaks = append(leaks, g.stack)
			}
		}
		if len(leaks) == 0 || time.Now().After(deadline) {
			return leaks
		}
		time.Sleep(delay)
	}
}

type goroutine struct {
	id, stack string
	current   bool
}

func (g goroutine) ignored() bool {
	if g.current {
		return true
	}
	for _, f := range ignored {
		if strings.Contains(g.stack, "\n"+f) {
			return true
		}
	}
	return false
}

// goroutines returns every user goroutine; the first one runtime.Stack
// lists is the caller's.
func goroutines() []goroutine {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var gs []goroutine
	for i, block := range bytes.Split(buf, []byte("\n\n")) {
		// "goroutine 7 [chan receive]:\n..."
		head, _, _ := bytes.Cut(block, []byte(" ["))
		id := string(bytes.TrimPrefix(head, []byte("goroutine ")))
		if _, err := strconv.Atoi(id); err != nil {
			continue
		}
		gs = append(gs, goroutine{id: id, stack: string(block), current: i == 0})
	}
	return gs
}
