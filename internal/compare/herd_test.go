package compare_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// herdSize is the number of goroutines that ask a cold provider at once.
const herdSize = 10_000

// upstreamDelay keeps the one upstream call in flight while the herd
// arrives, as a network round trip would.
const upstreamDelay = 2 * time.Millisecond

var herdStacks = []struct {
	name string
	new  func(caller) aws.CredentialsProvider
}{
	{"ours", func(d caller) aws.CredentialsProvider { return newOurProvider(d) }},
	{"official", func(d caller) aws.CredentialsProvider { return newOfficialCache(d) }},
}

// herd releases herdSize goroutines at once on p and waits for all of them.
// It returns the first error.
func herd(p aws.CredentialsProvider) error {
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	ctx := context.Background()
	for range herdSize {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := p.Retrieve(ctx); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	close(start)
	wg.Wait()
	return first
}

func TestHerdOneUpstreamCall(t *testing.T) {
	for _, s := range herdStacks {
		t.Run(s.name, func(t *testing.T) {
			doer := newCannedDoer()
			doer.delay = upstreamDelay
			if err := herd(s.new(doer)); err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if got := doer.calls.Load(); got != 1 {
				t.Errorf("upstream calls = %d, want 1", got)
			}
		})
	}
}

// BenchmarkHerd is 10,000 goroutines on a cold provider: one op is the
// whole herd, from release to the last answer. upstream-calls/op must be 1.
func BenchmarkHerd(b *testing.B) {
	for _, s := range herdStacks {
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			var calls int64
			for b.Loop() {
				b.StopTimer()
				doer := newCannedDoer()
				doer.delay = upstreamDelay
				p := s.new(doer)
				b.StartTimer()
				if err := herd(p); err != nil {
					b.Fatal(err)
				}
				calls += doer.calls.Load()
			}
			b.ReportMetric(float64(calls)/float64(b.N), "upstream-calls/op")
		})
	}
}
