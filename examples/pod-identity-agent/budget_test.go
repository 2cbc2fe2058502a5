package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"golang.org/x/time/rate"
)

// TestBudgetRate: however many calls wait at once, the budget lets out
// its burst and then its rate, no more.
func TestBudgetRate(t *testing.T) {
	const (
		perSecond = 50
		burst     = 5
		calls     = 30
	)
	b := newBudget(perSecond, burst, 0)
	start := time.Now()
	var (
		mu    sync.Mutex
		times []time.Duration
		wg    sync.WaitGroup
	)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := b.wait(context.Background(), classFirst+i%2); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			times = append(times, time.Since(start))
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(times)
	for i, d := range times {
		// The i+1-th token exists burst + rate·d into the run, at most.
		if allowed := burst + perSecond*d.Seconds() + 1; float64(i+1) > allowed {
			t.Errorf("call %d went out %v into the run: %d calls by then, the budget allows %.1f", i, d, i+1, allowed)
		}
	}
	if min := time.Duration(float64(calls-burst) / perSecond * float64(time.Second)); times[len(times)-1] < min*9/10 {
		t.Errorf("%d calls took %v; at %d/s after a burst of %d they take at least %v", calls, times[len(times)-1], perSecond, burst, min)
	}
	if got := testutil.ToFloat64(b.waits); got < calls-burst {
		t.Errorf("waits = %v, want at least %d", got, calls-burst)
	}
}

// TestBudgetFirstFetchesGoFirst: background refreshes waiting for the
// budget let every first fetch through before them, even first fetches
// that came later.
func TestBudgetFirstFetchesGoFirst(t *testing.T) {
	b := newBudget(20, 1, 0) // a token every 50ms
	if err := b.wait(context.Background(), classFirst); err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	run := func(name string, class int) {
		defer wg.Done()
		if err := b.wait(context.Background(), class); err != nil {
			t.Error(err)
		}
		mu.Lock()
		order = append(order, name)
		mu.Unlock()
	}
	for i := range 5 {
		wg.Add(1)
		go run(fmt.Sprint("refresh", i), classRefresh)
	}
	time.Sleep(10 * time.Millisecond) // the refreshes wait; the next token is 40ms away
	for i := range 5 {
		wg.Add(1)
		go run(fmt.Sprint("first", i), classFirst)
	}
	wg.Wait()
	for i, name := range order {
		if i < 5 && name[:5] != "first" {
			t.Fatalf("order %v: a refresh went before a first fetch", order)
		}
	}
}

// TestBudgetSlots: at most maxInflight calls hold a slot; a released slot
// goes to the next first fetch before any refresh; a retry of a call in
// flight needs no slot and goes ahead of everyone.
func TestBudgetSlots(t *testing.T) {
	b := newBudget(0, 1, 2) // no rate limit: only the slots
	ctx := context.Background()
	r1, err := b.acquire(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := b.acquire(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 3)
	go func() {
		if _, err := b.acquire(ctx, false); err == nil {
			got <- "refresh"
		}
	}()
	waitQueued(t, b, 1)
	go func() {
		if _, err := b.acquire(ctx, true); err == nil {
			got <- "first"
		}
	}()
	waitQueued(t, b, 2)
	// Both slots are held, two calls wait for one: a retry still goes.
	done := make(chan error, 1)
	go func() { done <- b.wait(ctx, classRetry) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a retry waited for a slot")
	}
	select {
	case name := <-got:
		t.Fatalf("%s got a slot while both were held", name)
	case <-time.After(50 * time.Millisecond):
	}
	r1()
	if name := <-got; name != "first" {
		t.Errorf("the released slot went to the %s, want the first fetch", name)
	}
	r2()
	if name := <-got; name != "refresh" {
		t.Errorf("the second slot went to the %s, want the refresh", name)
	}
	if waiting, inflight := budgetState(b); inflight != 2 || waiting != 0 {
		t.Errorf("%d in flight, %d waiting; want 2 in flight, none waiting", inflight, waiting)
	}
}

// budgetState returns how many calls wait in b and how many hold a slot.
func budgetState(b *budget) (waiting, inflight int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.queues {
		waiting += b.queues[i].Len()
	}
	return waiting, b.inflight
}

// waitQueued waits until n calls wait in b.
func waitQueued(t *testing.T, b *budget, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for waiting, _ := budgetState(b); waiting != n; waiting, _ = budgetState(b) {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls waiting, want %d", waiting, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBudgetCanceledWaitGivesBackItsToken: a first fetch whose pod left
// returns at once with the context's error, and its token serves the next.
func TestBudgetCanceledWaitGivesBackItsToken(t *testing.T) {
	b := newBudget(1, 1, 0)
	if err := b.wait(context.Background(), classFirst); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := b.wait(ctx, classFirst); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("the canceled wait took %v", d)
	}
	// Without the reservation given back, the bucket would be near -1.
	if tokens := b.lim.Tokens(); tokens < -0.5 {
		t.Errorf("tokens = %.2f after the canceled wait: its token was kept", tokens)
	}
	if n, _ := budgetState(b); n != 0 {
		t.Errorf("%d calls still queued", n)
	}
}

// TestBudgetThrottled: a ThrottlingException pauses the whole node
// (jittered, longer after each pause that did not help), halves its rate
// and empties its bucket; throttles of calls already sent belong to the
// same pause; successes give the rate back step by step.
func TestBudgetThrottled(t *testing.T) {
	b := newBudget(100, 10, 0)
	b.jitter = func() float64 { return 0 } // pauses of half their length
	b.throttled()
	b.throttled() // a call sent before the pause: no second pause
	if b.pauses != 1 || b.lim.Limit() != 50 {
		t.Fatalf("after a throttle: %d pauses, rate %v; want 1, 50", b.pauses, b.lim.Limit())
	}
	start := time.Now()
	if err := b.wait(context.Background(), classFirst); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < throttlePause/2-10*time.Millisecond {
		t.Errorf("the first call after a throttle went out after %v, want the pause of %v", d, throttlePause/2)
	}
	// The bucket was emptied: the next call waits for the halved rate
	// (20ms at 50/s), not the burst of 10.
	start = time.Now()
	if err := b.wait(context.Background(), classFirst); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 10*time.Millisecond {
		t.Errorf("the second call after a pause went out after %v: the bucket was not emptied", d)
	}

	b.throttled() // after the pause: a longer one
	if b.pauses != 2 || b.lim.Limit() != 25 {
		t.Fatalf("after a second pause: %d pauses, rate %v; want 2, 25", b.pauses, b.lim.Limit())
	}
	if got, want := time.Until(b.pauseUntil), throttlePause; got < want*9/10 || got > want {
		t.Errorf("second pause of %v, want %v", got, want)
	}

	// The rate grows back with time, from the end of the pause.
	clk := newTestClock()
	b.now = clk.Now
	b.mu.Lock()
	b.pauseUntil, b.raisedAt = clk.Now(), clk.Now()
	b.mu.Unlock()
	b.succeeded()
	if b.pauses != 0 || b.lim.Limit() != 25 {
		t.Errorf("after a success at once: %d pauses, rate %v; want 0, 25", b.pauses, b.lim.Limit())
	}
	clk.Add(2 * time.Second)
	b.succeeded()
	if b.lim.Limit() != 65 {
		t.Errorf("2s later: rate %v, want 25 + 2 × 20", b.lim.Limit())
	}
	clk.Add(time.Minute)
	b.succeeded()
	if b.lim.Limit() != 100 {
		t.Errorf("a minute later: rate %v, want back to 100", b.lim.Limit())
	}
	for range 20 {
		clk.Add(maxThrottlePause)
		b.throttled()
	}
	if b.lim.Limit() != minEKSAuthRate {
		t.Errorf("after many pauses: rate %v, want the floor %v", b.lim.Limit(), rate.Limit(minEKSAuthRate))
	}
	if got := b.pauseUntil.Sub(clk.Now()); got != maxThrottlePause/2 {
		t.Errorf("pause of %v, want the longest, %v (jitter 0)", got, maxThrottlePause/2)
	}
	if n, r := testutil.ToFloat64(b.throttles), b.lim.Limit(); n != 23 || r != minEKSAuthRate {
		t.Errorf("%v throttles, rate %v; want 23 throttles at the floor rate", n, r)
	}
}

// TestBudgetCoversRetries: each attempt of the client, not just each
// call, passes through the budget, and a throttled attempt pauses the
// next.
func TestBudgetCoversRetries(t *testing.T) {
	srv := eksauthtest.NewServer(eksauthtest.WithThrottling(0.001, 1))
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: e2eCluster, Namespace: e2ePod.Namespace, ServiceAccount: e2ePod.ServiceAccount, RoleARN: e2eRole})
	// Retries without the client's own backoff: whatever spaces them is
	// the budget's.
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = noBackoff{}
		})
	})
	b := newBudget(1000, 10, 0)
	b.jitter = func() float64 { return 0 }
	u := &upstream{client: client, cluster: e2eCluster, timeout: 10 * time.Second, budget: b, log: slog.New(slog.DiscardHandler), metrics: newMetrics(func() int { return 0 }, func() int { return 0 }), now: time.Now}
	tok := srv.Token(e2ePod, time.Hour)

	if _, err := u.call(context.Background(), kindFirst, claims{}, tok); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := u.call(context.Background(), kindFirst, claims{}, tok)
	var te *types.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("second call: %v, want ThrottlingException", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 1 + 3 attempts", len(reqs))
	}
	// The second attempt waited out the first pause (250ms), the third
	// the second (500ms).
	if d := reqs[2].Time.Sub(reqs[1].Time); d < 240*time.Millisecond {
		t.Errorf("the first retry went %v after a throttle: it did not wait for the budget's pause", d)
	}
	if d := reqs[3].Time.Sub(reqs[2].Time); d < 490*time.Millisecond {
		t.Errorf("the second retry went %v after a throttle: it did not wait for the budget's longer pause", d)
	}
	if throttles, waits := testutil.ToFloat64(b.throttles), testutil.ToFloat64(b.waits); throttles != 3 || waits != 2 {
		t.Errorf("%v throttles, %v waits; want 3 throttles and 2 waits", throttles, waits)
	}
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// throttleRig is a node against an account that throttles: an emulator
// WithThrottling, an agent with a budget, and pods with the Go SDK's own
// container provider, its retries included.
type throttleRig struct {
	srv   *eksauthtest.Server
	agent *agent
	url   string
}

func newThrottleRig(t *testing.T, accountRate float64, accountBurst int, budgetRate float64, budgetBurst int) *throttleRig {
	t.Helper()
	srv := eksauthtest.NewServer(eksauthtest.WithThrottling(accountRate, accountBurst))
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "web", RoleARN: e2eRole})
	a := newAgent(agentOptions{
		cluster:         e2eCluster,
		client:          eksauth.NewFromConfig(srv.Config()),
		cacheSize:       4096,
		idleTTL:         time.Hour,
		upstreamTimeout: 10 * time.Second,
		maxInflight:     32,
		eksAuthRate:     budgetRate,
		eksAuthBurst:    budgetBurst,
		logger:          slog.New(slog.DiscardHandler),
	})
	hs := httptest.NewServer(a)
	t.Cleanup(hs.Close)
	return &throttleRig{srv: srv, agent: a, url: hs.URL + credentialsPath}
}

// start runs pods pods that each get their credentials once, as a
// starting pod's SDK does, all at once; it returns the pods' errors and
// how long the last took.
func (r *throttleRig) start(t *testing.T, pods int, prefix string) ([]error, time.Duration) {
	tokens := make([]string, pods)
	for i := range tokens {
		tokens[i] = r.srv.Token(eksauthtest.Pod{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "web", Name: fmt.Sprintf("%s-%03d", prefix, i)}, 24*time.Hour)
	}
	errs := make([]error, pods)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := endpointcreds.New(r.url, func(o *endpointcreds.Options) {
				o.HTTPClient = podHTTPClient(t, i)
				o.AuthorizationToken = tokens[i]
			})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c, err := aws.NewCredentialsCache(p).Retrieve(ctx)
			if err == nil && (c.AccessKeyID == "" || c.SessionToken == "") {
				err = fmt.Errorf("incomplete credentials %q", c.AccessKeyID)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	return errs, time.Since(start)
}

// calls returns the times of the emulator's AssumeRoleForPodIdentity
// requests, and how many of them it throttled.
func (r *throttleRig) calls() (times []time.Time, throttled int) {
	for _, req := range r.srv.Requests() {
		if !isCall(req) {
			continue
		}
		times = append(times, req.Time)
		if req.Throttled {
			throttled++
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	return times, throttled
}

// checkWithinBudget fails t if, over any stretch from the first call, the
// node sent more than its budget allows: burst plus rate times the
// stretch.
func checkWithinBudget(t *testing.T, times []time.Time, r float64, burst int) {
	t.Helper()
	for i, at := range times {
		if allowed := float64(burst) + r*at.Sub(times[0]).Seconds() + 1; float64(i+1) > allowed {
			t.Errorf("%d EKS Auth calls %v after the first: the node's budget allows %.0f", i+1, at.Sub(times[0]), allowed)
			return
		}
	}
}

// TestThrottledNodeStart: a node starts 110 pods at once while the
// account has less EKS Auth rate left than the node's budget. Every pod
// gets its credentials through its SDK's retries, the node's calls stay
// within its budget, and the throttling slows the node down rather than
// setting off a storm of retries.
func TestThrottledNodeStart(t *testing.T) {
	testThrottledStart(t, podsPerNode, "start")
}

// TestThrottledCronJobBurst: a CronJob starts 500 pods at once on one
// node, against the same throttling account.
func TestThrottledCronJobBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("500 pods: not in -short")
	}
	testThrottledStart(t, 500, "cron")
}

// testThrottledStart starts pods at once on a node whose budget (100/s,
// bursts of 200) is above what the account has left for it (50/s, bursts
// of 50), with the default pending table of first fetches, which holds a
// CronJob's 500 new tokens (a table of 256 answered the pods beyond it 503
// while the account let 50 a second through, more than their SDK's three
// tries cover).
func testThrottledStart(t *testing.T, pods int, prefix string) {
	const (
		accountRate, accountBurst = 50, 50
		budgetRate, budgetBurst   = 100, 200
	)
	r := newThrottleRig(t, accountRate, accountBurst, budgetRate, budgetBurst)
	errs, took := r.start(t, pods, prefix)
	failed := 0
	for i, err := range errs {
		if err != nil {
			failed++
			if failed <= 5 {
				t.Errorf("pod %d: %v", i, err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d pods got no credentials", failed, pods)
	}
	times, throttled := r.calls()
	served := len(times) - throttled
	b := r.agent.up.budget
	t.Logf("%d pods in %v: %d EKS Auth calls, %d throttled; budget: %v waits, %v throttles, rate %v", pods, took.Round(time.Millisecond), len(times), throttled,
		testutil.ToFloat64(b.waits), testutil.ToFloat64(b.throttles), b.lim.Limit())
	// A pod whose SDK gave up on an answer asks again, and its first call
	// may have been served meanwhile: a few such, not more.
	if served < pods || served > pods+pods/50 {
		t.Errorf("EKS Auth served %d calls, want one per pod (%d)", served, pods)
	}
	checkWithinBudget(t, times, budgetRate, budgetBurst)
	// Throttled calls cost the account too: after the first throttle the
	// node must back off rather than retry each pod's call at once. The
	// calls in flight when a pause begins (up to -max-inflight) are
	// throttled with it.
	if limit := r.agent.up.budget.maxInflight + pods/5; throttled > limit {
		t.Errorf("%d throttled calls for %d pods: the node did not slow down", throttled, pods)
	}
	if testutil.ToFloat64(b.throttles) == 0 {
		t.Error("the budget saw no ThrottlingException: the test does not exercise throttling")
	}
}

// TestBudgetUnlimitedRateStillPauses: without -eksauth-rate, a throttle
// still pauses the node.
func TestBudgetUnlimitedRateStillPauses(t *testing.T) {
	b := newBudget(0, 1, 0)
	b.jitter = func() float64 { return 0 }
	b.throttled()
	start := time.Now()
	if err := b.wait(context.Background(), classFirst); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < throttlePause/2-10*time.Millisecond {
		t.Errorf("the call after a throttle went out after %v, want the pause of %v", d, throttlePause/2)
	}
	if r := b.lim.Limit(); r != rate.Inf {
		t.Errorf("rate %v after a throttle, want still unlimited", r)
	}
}
