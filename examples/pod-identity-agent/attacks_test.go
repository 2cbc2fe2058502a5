package main

// The attacks of issue 14, as a pod on the node (any pod can reach the
// agent) would run them. Each of these tests failed on the agent before the
// pending table, admission, revocation and the larger cache (checked by
// running this file against the earlier agent).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// defaultFlags are the agent's defaults, as a node runs it.
func defaultFlags(t *testing.T) flags {
	t.Helper()
	f, err := parseFlags([]string{"-cluster", "c1"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// defaultAgent is an agent with the defaults of its flags on fake EKS Auth.
func defaultAgent(t *testing.T, fake *fakeEKSAuth) *agent {
	f := defaultFlags(t)
	return newAgent(agentOptions{
		cluster:         "c1",
		client:          fake,
		cacheSize:       f.cacheSize,
		idleTTL:         f.idleTTL,
		rate:            f.rate,
		burst:           f.burst,
		upstreamTimeout: f.upstreamTimeout,
		maxInflight:     f.maxInflight,
	})
}

// getFrom asks h for token's credentials as pod i (from podAddr(i)).
func getFrom(t testing.TB, h http.Handler, i int, token string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, credentialsPath, nil)
	req.RemoteAddr = podAddr(i).String() + ":40000"
	req.Header.Set("Authorization", token)
	return serve(t, h, req)
}

// isAttacker tells the attacker's tokens apart in the fakes.
func isAttacker(token string) bool {
	c, err := peekClaims(token)
	return err == nil && strings.HasPrefix(c.podUID, "attacker-")
}

var errUnsigned = responseError(400, &types.InvalidTokenException{Message: aws.String("signature does not verify")})

// TestAttackAbandonedFirstFetches: a pod floods the agent with well-formed,
// unsigned tokens naming random pods, abandoning each request after 5 ms,
// while EKS Auth takes its time to refuse them. A new pod's first answer
// must still come within 1 s: the abandoned fetches die with their
// requests instead of holding EKS Auth's slots.
func TestAttackAbandonedFirstFetches(t *testing.T) {
	fake := &fakeEKSAuth{answer: func(ctx context.Context, token string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		if !isAttacker(token) {
			return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
		}
		select { // a slow refusal
		case <-time.After(3 * time.Second):
			return nil, errUnsigned
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
	a := defaultAgent(t, fake)
	hs := httptest.NewServer(a)
	defer hs.Close()
	url := hs.URL + credentialsPath
	now := time.Now()
	cached := fakeToken(t, "cached-pod", now, now.Add(time.Hour), "sig")
	get := func(i int, token string) (int, time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Authorization", token)
		start := time.Now()
		resp, err := podHTTPClient(t, i).Do(req)
		if err != nil {
			t.Fatalf("pod %d: %v after %v", i, err, time.Since(start))
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	if status, _ := get(100, cached); status != http.StatusOK {
		t.Fatalf("cached pod: %d", status)
	}
	before := memInUse()

	stop := make(chan struct{})
	var (
		wg        sync.WaitGroup
		abandoned atomic.Int64
	)
	attacker := podHTTPClient(t, 666)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := time.Now()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("Authorization", fakeToken(t, fmt.Sprintf("attacker-%d-%d", g, n), now, now.Add(time.Hour), "unsigned"))
				if resp, err := attacker.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				} else {
					abandoned.Add(1)
				}
				cancel()
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()

	time.Sleep(500 * time.Millisecond) // the flood is on
	for i := range 3 {
		token := fakeToken(t, fmt.Sprint("new-pod-", i), now, now.Add(time.Hour), "sig")
		if status, elapsed := get(i, token); status != http.StatusOK || elapsed > time.Second {
			t.Errorf("new pod %d during the flood: status %d after %v, want 200 within 1s", i, status, elapsed.Round(time.Millisecond))
		}
		time.Sleep(300 * time.Millisecond)
	}
	// What the flood left behind: only the attacker's few fetches under
	// way, not one per abandoned request.
	grown := int64(memInUse()) - int64(before)
	t.Logf("%d requests abandoned; heap and stacks grew by %d KiB", abandoned.Load(), grown>>10)
	if grown > 32<<20 {
		t.Errorf("heap and stacks grew by %d MiB during the flood, want at most 32", grown>>20)
	}
	if status, _ := get(100, cached); status != http.StatusOK || countOf(fake.calls(), cached) != 1 {
		t.Errorf("cached pod after the flood: %d after %d EKS Auth calls for its token; want 200 from the cache after 1", status, countOf(fake.calls(), cached))
	}
	if abandoned.Load() < 100 {
		t.Errorf("only %d requests abandoned: the flood did not happen", abandoned.Load())
	}
}

func countOf(calls []string, token string) int {
	n := 0
	for _, c := range calls {
		if c == token {
			n++
		}
	}
	return n
}

// memInUse is the heap and the goroutine stacks in use, after a collection.
func memInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// TestAttackForgedTokensDoNotEvict: more tokens EKS Auth refuses than the
// cache holds must not push out any pod's credentials, nor keep a new pod
// waiting.
func TestAttackForgedTokensDoNotEvict(t *testing.T) {
	fake := &fakeEKSAuth{answer: func(ctx context.Context, token string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		if isAttacker(token) {
			return nil, errUnsigned
		}
		return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
	}}
	const cacheSize, pods = 64, 48
	a := newAgent(agentOptions{cluster: "c1", client: fake, cacheSize: cacheSize, idleTTL: time.Hour, upstreamTimeout: 5 * time.Second, maxInflight: 32})
	now := time.Now()
	tokens := make([]string, pods)
	for i := range tokens {
		tokens[i] = fakeToken(t, fmt.Sprint("pod-", i), now, now.Add(time.Hour), "sig")
		if r := getFrom(t, a, i, tokens[i]); r.status != http.StatusOK {
			t.Fatalf("pod %d: %d %s", i, r.status, r.body)
		}
	}

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 4 * cacheSize {
				forged := fakeToken(t, fmt.Sprintf("attacker-%d-%d", g, n), now, now.Add(time.Hour), "forged")
				if r := getFrom(t, a, 666, forged); r.status == http.StatusOK {
					t.Errorf("forged token %d/%d got credentials", g, n)
					return
				}
			}
		}()
	}
	start := time.Now()
	newPod := fakeToken(t, "new-pod", now, now.Add(time.Hour), "sig")
	if r := getFrom(t, a, pods, newPod); r.status != http.StatusOK || time.Since(start) > time.Second {
		t.Errorf("new pod during the forgery: %d after %v, want 200 within 1s", r.status, time.Since(start))
	}
	wg.Wait()

	before := len(fake.calls())
	for i, tok := range tokens {
		if r := getFrom(t, a, i, tok); r.status != http.StatusOK {
			t.Fatalf("pod %d after the forgery: %d %s", i, r.status, r.body)
		}
	}
	if got := len(fake.calls()) - before; got != 0 {
		t.Errorf("%d of %d pods had to call EKS Auth again after %d forged tokens: their credentials were evicted", got, pods, 16*cacheSize)
	}
}

// TestAttackRevocationIgnored: once EKS Auth refuses a refresh because the
// pod's access is gone, the pod must get EKS Auth's answer, not the cached
// credentials until they expire; failures that say nothing about the pod
// keep the cached credentials in service.
func TestAttackRevocationIgnored(t *testing.T) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for name, tc := range map[string]struct {
		err        error
		wantStatus int // 200: keep serving
		wantCode   string
	}{
		"association deleted": {responseError(404, &types.ResourceNotFoundException{Message: aws.String("no association")}), 404, "ResourceNotFoundException"},
		"access denied":       {responseError(400, &types.AccessDeniedException{Message: aws.String("denied")}), 400, "AccessDeniedException"},
		"token invalid":       {responseError(400, &types.InvalidTokenException{Message: aws.String("revoked")}), 400, "InvalidTokenException"},
		"token expired":       {responseError(400, &types.ExpiredTokenException{Message: aws.String("expired")}), 400, "ExpiredTokenException"},
		"throttled":           {responseError(429, &types.ThrottlingException{Message: aws.String("slow down")}), 200, ""},
		"EKS Auth down":       {responseError(503, &types.ServiceUnavailableException{Message: aws.String("down")}), 200, ""},
		"timeout":             {context.DeadlineExceeded, 200, ""},
	} {
		// All at once (t.Run may be called from several goroutines):
		// each case waits for a refresh on the real clock.
		wg.Add(1)
		go t.Run(name, func(t *testing.T) {
			defer wg.Done()
			var refuse atomic.Bool
			fake := &fakeEKSAuth{answer: func(ctx context.Context, _ string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
				if refuse.Load() {
					return nil, tc.err
				}
				// Due for a refresh within about 3 s, servable for 6 s.
				return fakeOutput(0, time.Now().Add(expiryWindow+6*time.Second)), nil
			}}
			a := newAgent(agentOptions{cluster: "c1", client: fake, cacheSize: 16, upstreamTimeout: time.Second, maxInflight: 4})
			now := time.Now()
			token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
			first := getFrom(t, a, 1, token)
			if first.status != http.StatusOK {
				t.Fatalf("first request: %d %s", first.status, first.body)
			}
			refuse.Store(true)
			deadline := now.Add(5 * time.Second) // before the credentials stop being servable
			var refreshed time.Time              // when a refresh was first tried
			for time.Now().Before(deadline) {
				r := getFrom(t, a, 1, token)
				if tc.wantStatus == http.StatusOK {
					if r.status != http.StatusOK || r.creds.AccessKeyId != first.creds.AccessKeyId {
						t.Fatalf("after a refresh failed with %v: %d %s, want the cached credentials", tc.err, r.status, r.body)
					}
					if refreshed.IsZero() && len(fake.calls()) >= 2 {
						refreshed = time.Now()
					}
					if !refreshed.IsZero() && time.Since(refreshed) > 200*time.Millisecond {
						return // served well after the refresh failed
					}
				} else if r.status != http.StatusOK {
					if r.status != tc.wantStatus || r.err.Code != tc.wantCode {
						t.Errorf("got %d %q, want %d %q", r.status, r.err.Code, tc.wantStatus, tc.wantCode)
					}
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			if tc.wantStatus != http.StatusOK {
				t.Errorf("after EKS Auth refused the refresh with %s, the cached credentials were still served", tc.wantCode)
			} else {
				t.Errorf("no refresh tried within %v", deadline.Sub(now))
			}
		})
	}
}

// TestAttackMorePodsThanCache: 2,000 pods asking 10,000 times, with the
// default cache, cost one EKS Auth call per pod.
func TestAttackMorePodsThanCache(t *testing.T) {
	fake := &fakeEKSAuth{}
	a := defaultAgent(t, fake)
	const pods, requests = 2000, 10000
	now := time.Now()
	tokens := make([]string, pods)
	for i := range tokens {
		tokens[i] = fakeToken(t, fmt.Sprint("pod-", i), now, now.Add(time.Hour), "sig")
	}
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		bad  atomic.Int64
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				j := int(next.Add(1)) - 1
				if j >= requests {
					return
				}
				pod := j % pods // each pod asks again after all others have
				if r := getFrom(t, a, pod, tokens[pod]); r.status != http.StatusOK && bad.Add(1) < 5 {
					t.Errorf("pod %d: %d %s", pod, r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	if got := len(fake.calls()); got != pods {
		t.Errorf("%d pods asking %d times made %d EKS Auth calls, want %d", pods, requests, got, pods)
	}
}

// sdkLike is a pod's SDK: it keeps the credentials it got until window
// before their Expiration, then asks again.
type sdkLike struct {
	token  string
	window time.Duration
	until  time.Time
}

// TestMoreTokensThanCapacity: with more pods than the cache holds, pods
// whose SDKs cache their answers (every SDK does, until its window before
// Expiration) still cost one EKS Auth call per pod per credentials period.
func TestMoreTokensThanCapacity(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.cacheSize = 50; o.idleTTL = 0; o.rate = 0 })
	ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		return fakeOutput(0, ta.clock.Now().Add(6*time.Hour)), nil
	}
	const pods = 150
	now := ta.clock.Now()
	sdks := make([]*sdkLike, pods)
	for i := range sdks {
		// botocore's 15 minutes, the JS SDK's 5, the Go SDK's 5.
		window := []time.Duration{15 * time.Minute, 5 * time.Minute}[i%2]
		sdks[i] = &sdkLike{token: fakeToken(t, fmt.Sprint("pod-", i), now, now.Add(48*time.Hour), "sig"), window: window}
	}
	const day = 24 * time.Hour
	asks := 0
	for step := time.Duration(0); step < day; step += time.Minute {
		for i, s := range sdks {
			if ta.clock.Now().Before(s.until) {
				continue
			}
			r := getFrom(t, ta.agent, i, s.token)
			if r.status != http.StatusOK {
				t.Fatalf("pod %d at +%v: %d %s", i, step, r.status, r.body)
			}
			exp, err := time.Parse(time.RFC3339, r.creds.Expiration)
			if err != nil {
				t.Fatal(err)
			}
			if left := exp.Sub(ta.clock.Now()); left < expiryWindow {
				t.Fatalf("pod %d at +%v: answer leaves %v before expiry, want at least %v", i, step, left, expiryWindow)
			}
			s.until = exp.Add(-s.window)
			asks++
		}
		ta.clock.Add(time.Minute)
	}
	// Each pod asks about every 5h45m to 5h55m: 5 times in a day.
	calls := len(ta.fake.calls())
	if want := 5 * pods; calls > want || asks > want {
		t.Errorf("%d pods, cache of 50, one day: %d requests and %d EKS Auth calls, want at most %d (one per pod per period)", pods, asks, calls, want)
	}
	t.Logf("%d requests, %d EKS Auth calls", asks, calls)
}

// TestFullPendingTableAnswersAtOnce: when as many new tokens as the table
// holds are under exchange, a further one is answered 503 at once, not
// queued; a source over its share gets 429; a pod leaving cancels its
// fetch.
func TestFullPendingTableAnswersAtOnce(t *testing.T) {
	release := make(chan struct{})
	var started, canceled atomic.Int64
	ta := newTestAgent(t, func(o *agentOptions) { o.maxPending, o.perSource = 4, 2 })
	ta.fake.answer = func(ctx context.Context, _ string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		started.Add(1)
		select {
		case <-release:
			return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
		case <-ctx.Done():
			canceled.Add(1)
			return nil, ctx.Err()
		}
	}
	now := ta.clock.Now()
	tok := func(i int) string { return fakeToken(t, fmt.Sprint("uid-", i), now, now.Add(time.Hour), "sig") }
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range 4 { // two sources, two tokens each: the table is full
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, credentialsPath, nil)
			req.RemoteAddr = podAddr(i/2).String() + ":1"
			req.Header.Set("Authorization", tok(i))
			rec := httptest.NewRecorder()
			ta.ServeHTTP(rec, req)
			statuses[i] = rec.Code
		}()
	}
	// Every fetch has reached EKS Auth, so each one sees its pod leave.
	waitFor(t, "four fetches at EKS Auth", func() bool { return started.Load() == 4 && ta.pending.len() == 4 })
	start := time.Now()
	if r := getFrom(t, ta, 9, tok(9)); r.status != http.StatusServiceUnavailable || r.err.Code != "ServiceUnavailableException" || r.header.Get("Retry-After") == "" {
		t.Errorf("table full: %d %q Retry-After %q, want 503 ServiceUnavailableException with Retry-After", r.status, r.err.Code, r.header.Get("Retry-After"))
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("table full: answered after %v, want at once", d)
	}
	cancel() // the four pods leave
	wg.Wait()
	waitFor(t, "the table emptied", func() bool { return ta.pending.len() == 0 })
	waitFor(t, "four fetches canceled", func() bool { return canceled.Load() == 4 })
	close(release)

	// A source over its share, while the table has room.
	ta2 := newTestAgent(t, func(o *agentOptions) { o.maxPending, o.perSource = 100, 1 })
	hold := make(chan struct{})
	ta2.fake.answer = func(ctx context.Context, _ string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		<-hold
		return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
	}
	done := make(chan struct{})
	go func() { defer close(done); getFrom(t, ta2, 1, tok(1)) }()
	waitFor(t, "one pending fetch", func() bool { return ta2.pending.len() == 1 })
	if r := getFrom(t, ta2, 1, tok(2)); r.status != http.StatusTooManyRequests || r.err.Code != "ThrottlingException" {
		t.Errorf("source over its share: %d %q, want 429 ThrottlingException", r.status, r.err.Code)
	}
	close(hold)
	<-done
	if r := getFrom(t, ta2, 2, tok(3)); r.status != http.StatusOK {
		t.Errorf("another source: %d, want 200", r.status)
	}
}

// TestSharedRefreshSurvivesItsCaller: a refresh that requests wait on
// (credentials too close to expiry to serve) goes on when the request that
// started it leaves, and serves the next one without another call.
func TestSharedRefreshSurvivesItsCaller(t *testing.T) {
	ta := newTestAgent(t, nil)
	release := make(chan struct{})
	var n atomic.Int64
	ta.fake.answer = func(ctx context.Context, _ string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		if n.Add(1) == 2 {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, errors.New("the shared refresh was canceled")
			}
		}
		return fakeOutput(int(n.Load()), ta.clock.Now().Add(time.Hour)), nil
	}
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(2*time.Hour), "sig")
	first := ta.get(t, credentialsPath, token)
	ta.clock.Add(50 * time.Minute) // 10 minutes left: too close to serve
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan struct{})
	go func() {
		defer close(left)
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, credentialsPath, nil)
		req.Header.Set("Authorization", token)
		ta.ServeHTTP(httptest.NewRecorder(), req)
	}()
	waitFor(t, "two requests in", func() bool { return n.Load() >= 2 })
	cancel()
	<-left
	time.Sleep(20 * time.Millisecond) // a cancellation would have reached the fake
	close(release)
	r := ta.get(t, credentialsPath, token)
	if r.status != http.StatusOK || r.creds.AccessKeyId == first.creds.AccessKeyId {
		t.Fatalf("after the refresh: %d %s, want new credentials", r.status, r.body)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("%d EKS Auth calls, want 2: the refresh its caller left was shared", got)
	}
}

// TestFirstFetchOutlivesALeavingWaiter: a token's first fetch is cancelled
// only when every request waiting on it has left; while one still waits,
// it goes on and serves that one.
func TestFirstFetchOutlivesALeavingWaiter(t *testing.T) {
	ta := newTestAgent(t, nil)
	release := make(chan struct{})
	var canceled atomic.Bool
	ta.fake.answer = func(ctx context.Context, _ string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		select {
		case <-release:
			return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
		case <-ctx.Done():
			canceled.Store(true)
			return nil, ctx.Err()
		}
	}
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	ask := func(ctx context.Context) <-chan int {
		status := make(chan int, 1)
		go func() {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, credentialsPath, nil)
			req.Header.Set("Authorization", token)
			rec := httptest.NewRecorder()
			ta.ServeHTTP(rec, req)
			status <- rec.Code
		}()
		return status
	}
	leaving, leave := context.WithCancel(context.Background())
	first := ask(leaving)
	waitFor(t, "the first fetch", func() bool { return len(ta.fake.calls()) > 0 })
	second := ask(context.Background())
	waitFor(t, "two waiters on the fetch", func() bool {
		ta.pending.mu.Lock()
		defer ta.pending.mu.Unlock()
		w := 0
		for _, f := range ta.pending.flights {
			w = f.waiters
		}
		return w == 2
	})
	leave()
	<-first
	time.Sleep(20 * time.Millisecond) // a cancellation would have reached the fake
	close(release)
	if got := <-second; got != http.StatusOK || canceled.Load() {
		t.Errorf("the waiter that stayed got %d (fetch canceled: %t), want 200 from the same fetch", got, canceled.Load())
	}
	if n := len(ta.fake.calls()); n != 1 {
		t.Errorf("%d EKS Auth calls, want 1", n)
	}
}
