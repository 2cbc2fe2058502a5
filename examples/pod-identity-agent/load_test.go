package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// podsPerNode is the usual maximum of pods on one node.
const podsPerNode = 110

// loadRig is an emulator, an agent on loopback in front of it, and the
// tokens of podsPerNode pods.
type loadRig struct {
	srv     *eksauthtest.Server
	agent   *agent
	url     string
	clients []*http.Client // one per pod, from the pod's own address
	tokens  []string
}

func newLoadRig(tb testing.TB) *loadRig {
	tb.Helper()
	srv := eksauthtest.NewServer()
	tb.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "web", RoleARN: e2eRole})
	a := newAgent(agentOptions{
		cluster:         e2eCluster,
		client:          eksauth.NewFromConfig(srv.Config()),
		cacheSize:       1024,
		idleTTL:         time.Hour,
		upstreamTimeout: 30 * time.Second,
		maxInflight:     32,
		logger:          slog.New(slog.DiscardHandler),
	})
	hs := httptest.NewServer(a)
	tb.Cleanup(hs.Close)
	r := &loadRig{
		srv:   srv,
		agent: a,
		url:   hs.URL + credentialsPath,
	}
	for i := range podsPerNode {
		pod := eksauthtest.Pod{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "web", Name: fmt.Sprintf("web-%03d", i)}
		r.tokens = append(r.tokens, srv.Token(pod, 24*time.Hour))
		r.clients = append(r.clients, podHTTPClient(tb, i))
	}
	return r
}

// get asks the agent for pod i's credentials and returns the status and
// access key ID.
func (r *loadRig) get(tb testing.TB, i int) (int, string) {
	req, err := http.NewRequest(http.MethodGet, r.url, nil)
	if err != nil {
		tb.Error(err)
		return 0, ""
	}
	req.Header.Set("Authorization", r.tokens[i])
	resp, err := r.clients[i].Do(req)
	if err != nil {
		tb.Error(err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var c credentialsBody
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &c); err != nil {
			tb.Error(err)
		}
	}
	return resp.StatusCode, c.AccessKeyId
}

func (r *loadRig) upstreamCalls() int {
	n := 0
	for _, req := range r.srv.Requests() {
		if isCall(req) {
			n++
		}
	}
	return n
}

// TestLoad110Pods starts a node's worth of pods at once, each asking many
// times concurrently: EKS Auth sees one call per pod, not per request.
func TestLoad110Pods(t *testing.T) {
	r := newLoadRig(t)
	const perPod = 20 // 2,200 requests per wave
	for wave := range 2 {
		var (
			mu   sync.Mutex
			keys = make(map[int]map[string]bool) // pod → access keys it got
			next atomic.Int64
			wg   sync.WaitGroup
		)
		for range 128 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := int(next.Add(1)) - 1
					if j >= podsPerNode*perPod {
						return
					}
					pod := j % podsPerNode // interleaved: a pod's requests overlap
					status, key := r.get(t, pod)
					if status != http.StatusOK {
						t.Errorf("wave %d pod %d: status %d", wave, pod, status)
						continue
					}
					mu.Lock()
					if keys[pod] == nil {
						keys[pod] = make(map[string]bool)
					}
					keys[pod][key] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if got := r.upstreamCalls(); got != podsPerNode {
			t.Errorf("after wave %d (%d requests): upstream calls = %d, want %d", wave, podsPerNode*perPod*(wave+1), got, podsPerNode)
		}
		distinct := map[string]bool{}
		for pod, ks := range keys {
			if len(ks) != 1 {
				t.Errorf("pod %d got %d credential sets, want 1", pod, len(ks))
			}
			for k := range ks {
				distinct[k] = true
			}
		}
		if len(distinct) != podsPerNode {
			t.Errorf("%d distinct credential sets, want one per pod (%d)", len(distinct), podsPerNode)
		}
	}
}

// BenchmarkCachedCredentials110Pods measures cached answers over HTTP on
// loopback (what a pod's SDK sees), for a node of 110 warm pods, and
// reports the median and 99th percentile latency and the upstream calls.
func BenchmarkCachedCredentials110Pods(b *testing.B) {
	r := newLoadRig(b)
	for i := range podsPerNode { // warm: one call per pod
		if status, _ := r.get(b, i); status != http.StatusOK {
			b.Fatalf("warm-up pod %d: status %d", i, status)
		}
	}
	var (
		mu    sync.Mutex
		lat   []time.Duration
		next  atomic.Int64
		fails atomic.Int64
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			i := int(next.Add(1)) % podsPerNode
			start := time.Now()
			status, _ := r.get(b, i)
			local = append(local, time.Since(start))
			if status != http.StatusOK {
				fails.Add(1)
			}
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	if n := fails.Load(); n > 0 {
		b.Fatalf("%d requests failed", n)
	}
	reportLatency(b, lat)
	b.ReportMetric(float64(r.upstreamCalls()), "upstream-calls")
}

// BenchmarkHandlerCached is the agent's own cost per cached answer, in
// process: token peek, cache lookup, rate limit, JSON.
func BenchmarkHandlerCached(b *testing.B) {
	ta := newTestAgent(b, func(o *agentOptions) { o.cacheSize = 1024 })
	now := ta.clock.Now()
	tokens := make([]string, podsPerNode)
	for i := range tokens {
		tokens[i] = fakeToken(b, fmt.Sprint("uid-", i), now, now.Add(time.Hour), "sig")
		if r := ta.get(b, credentialsPath, tokens[i]); r.status != http.StatusOK {
			b.Fatalf("warm-up pod %d: %d %s", i, r.status, r.body)
		}
	}
	reqs := make([]*http.Request, podsPerNode)
	for i, tok := range tokens {
		reqs[i] = httptest.NewRequest(http.MethodGet, credentialsPath, nil)
		reqs[i].Header.Set("Authorization", tok)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w := discardWriter{h: http.Header{}}
		start := time.Now()
		ta.ServeHTTP(&w, reqs[i%podsPerNode])
		lat = append(lat, time.Since(start))
		if w.status != 0 && w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
	if got := len(ta.fake.calls()); got != podsPerNode {
		b.Errorf("upstream calls = %d, want %d", got, podsPerNode)
	}
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// discardWriter is an http.ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(status int)      { w.status = status }
