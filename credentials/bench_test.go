package credentials_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/credentials"
)

// The cached-read benchmarks put the Provider next to aws.CredentialsCache
// wrapping an equivalent provider, so that one run compares them:
//
//	go test -run '^$' -bench . -benchmem ./credentials

func BenchmarkRetrieveCached(b *testing.B) {
	for _, bc := range cachedProviders(b) {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.p.Retrieve(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRetrieveCachedParallel(b *testing.B) {
	for _, bc := range cachedProviders(b) {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.p.Retrieve(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

type namedProvider struct {
	name string
	p    aws.CredentialsProvider
}

// cachedProviders returns a warm Provider and a warm aws.CredentialsCache
// over the same fake answer.
func cachedProviders(b *testing.B) []namedProvider {
	b.Helper()
	api := &fakeAPI{respond: func(_ context.Context, n int) reply { return reply{out: output(n, time.Now().Add(6*time.Hour))} }}
	p := credentials.New(api, cluster, staticToken())
	cache := aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		return p.Retrieve(ctx) // fetched once; the cache serves the rest
	}))
	list := []namedProvider{{"Provider", p}, {"aws.CredentialsCache", cache}}
	for _, np := range list {
		if _, err := np.p.Retrieve(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return list
}

// BenchmarkThunderingHerd starts 10,000 goroutines on a cold Provider
// whose upstream call is held until all have started, and reports the
// upstream calls per herd: exactly one.
func BenchmarkThunderingHerd(b *testing.B) {
	const herd = 10_000
	var calls atomic.Int64
	for b.Loop() {
		release := make(chan struct{})
		api := &fakeAPI{respond: func(_ context.Context, n int) reply {
			calls.Add(1)
			<-release
			return reply{out: output(n, time.Now().Add(6*time.Hour))}
		}}
		p := credentials.New(api, cluster, staticToken())
		var started, done sync.WaitGroup
		started.Add(herd)
		done.Add(herd)
		for range herd {
			go func() {
				defer done.Done()
				started.Done()
				if _, err := p.Retrieve(context.Background()); err != nil {
					b.Error(err)
				}
			}()
		}
		started.Wait()
		close(release)
		done.Wait()
	}
	perHerd := float64(calls.Load()) / float64(b.N)
	b.ReportMetric(perHerd, "upstream-calls/herd")
	if perHerd != 1 {
		b.Errorf("upstream calls per herd = %v, want 1", perHerd)
	}
}
