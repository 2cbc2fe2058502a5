package credentials_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

const (
	cluster   = "demo-cluster"
	roleARN   = "arn:aws:sts::111122223333:assumed-role/app-role/eks-demo-cluster-app-0-1234"
	testToken = "aGVhZGVy.cGF5bG9hZA.c2lnbmF0dXJl"
)

// t0 is when every test starts; credentials from fakeAPI last one hour, so
// with the default 5-minute window their usable lifetime is 55 minutes and,
// with the jitter source pinned at 0.5, the background refresh starts at
// t0+27m30s.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

const (
	lifetime  = time.Hour
	refreshAt = 27*time.Minute + 30*time.Second
	waitAt    = 55 * time.Minute
)

// clock is a controllable time source.
type clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func newClock() *clock { return &clock{now: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t0.Add(d)
}

// reply is what a fake call answers.
type reply struct {
	out *eksauth.AssumeRoleForPodIdentityOutput
	err error
}

// fakeAPI is an APIClient whose answers a test chooses per call.
type fakeAPI struct {
	calls   atomic.Int64
	respond func(ctx context.Context, n int) reply

	mu     sync.Mutex // guards tokens and clusters
	tokens []string
	cls    []string
}

func (f *fakeAPI) AssumeRoleForPodIdentity(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	n := int(f.calls.Add(1))
	f.mu.Lock()
	f.tokens = append(f.tokens, aws.ToString(in.Token))
	f.cls = append(f.cls, aws.ToString(in.ClusterName))
	f.mu.Unlock()
	r := f.respond(ctx, n)
	return r.out, r.err
}

func (f *fakeAPI) Tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

// output returns the n-th credentials, expiring at exp.
func output(n int, exp time.Time) *eksauth.AssumeRoleForPodIdentityOutput {
	return &eksauth.AssumeRoleForPodIdentityOutput{
		Subject:         &types.Subject{Namespace: aws.String("default"), ServiceAccount: aws.String("app")},
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String(roleARN), AssumeRoleId: aws.String("AROAEXAMPLE:eks-demo")},
		Credentials: &types.Credentials{
			AccessKeyId:     aws.String(fmt.Sprintf("ASIAKEY%d", n)),
			SecretAccessKey: aws.String(fmt.Sprintf("SECRETKEY%d", n)),
			SessionToken:    aws.String(fmt.Sprintf("SESSIONTOKEN%d", n)),
			Expiration:      aws.Time(exp),
		},
	}
}

// answering returns a respond func that succeeds with credentials lasting
// lifetime from the clock's time.
func answering(clk *clock) func(context.Context, int) reply {
	return func(_ context.Context, n int) reply { return reply{out: output(n, clk.Now().Add(lifetime))} }
}

// gated returns a respond func that reports each call on entered and then
// waits for its answer on answers.
func gated() (respond func(context.Context, int) reply, entered chan int, answers chan reply) {
	entered, answers = make(chan int, 100), make(chan reply)
	return func(_ context.Context, n int) reply {
		entered <- n
		return <-answers
	}, entered, answers
}

func staticToken() credentials.TokenRetriever {
	return credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return testToken, nil })
}

// newTestProvider returns a provider on clk with jitter pinned at 0.5.
func newTestProvider(t *testing.T, api credentials.APIClient, clk *clock, optFns ...func(*credentials.Options)) *credentials.Provider {
	t.Helper()
	return credentials.NewWithClock(api, cluster, staticToken(), clk.Now, func() float64 { return 0.5 }, optFns...)
}

// retrieve calls p.Retrieve and fails the test if it does not return:
// a guard against deadlock, not a timing check.
func retrieve(t *testing.T, ctx context.Context, p *credentials.Provider) (aws.Credentials, error) {
	t.Helper()
	type result struct {
		c   aws.Credentials
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := p.Retrieve(ctx)
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-time.After(10 * time.Second):
		t.Fatal("Retrieve did not return")
		return aws.Credentials{}, nil
	}
}

func mustRetrieve(t *testing.T, p *credentials.Provider, wantKey string) aws.Credentials {
	t.Helper()
	c, err := retrieve(t, context.Background(), p)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if c.AccessKeyID != wantKey {
		t.Fatalf("AccessKeyID = %q, want %q", c.AccessKeyID, wantKey)
	}
	return c
}

func waitRefresh(t *testing.T, p *credentials.Provider) {
	t.Helper()
	select {
	case <-p.RefreshDone():
	case <-time.After(10 * time.Second):
		t.Fatal("refresh did not finish")
	}
}

func TestRetrieveReturnsCredentials(t *testing.T) {
	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := newTestProvider(t, api, clk)

	got := mustRetrieve(t, p, "ASIAKEY1")
	want := aws.Credentials{
		AccessKeyID:     "ASIAKEY1",
		SecretAccessKey: "SECRETKEY1",
		SessionToken:    "SESSIONTOKEN1",
		Source:          credentials.ProviderName,
		CanExpire:       true,
		Expires:         t0.Add(lifetime - credentials.DefaultExpiryWindow),
		AccountID:       "111122223333",
	}
	if got != want {
		t.Errorf("Retrieve = %+v, want %+v", got, want)
	}
	if got, want := api.Tokens(), []string{testToken}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("tokens sent = %q, want %q", got, want)
	}
	if got := api.cls; len(got) != 1 || got[0] != cluster {
		t.Errorf("clusters sent = %q, want [%q]", got, cluster)
	}

	// Cached: no second call.
	mustRetrieve(t, p, "ASIAKEY1")
	if n := api.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}

func TestExpiresFollowsExpiryWindow(t *testing.T) {
	tests := map[string]struct {
		window time.Duration
		want   time.Duration // Expires - t0
	}{
		"default":      {0, lifetime - 5*time.Minute},
		"ten minutes":  {10 * time.Minute, lifetime - 10*time.Minute},
		"negative=off": {-1, lifetime},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			p := newTestProvider(t, &fakeAPI{respond: answering(clk)}, clk, func(o *credentials.Options) { o.ExpiryWindow = tc.window })
			c := mustRetrieve(t, p, "ASIAKEY1")
			if got, want := c.Expires, t0.Add(tc.want); !got.Equal(want) {
				t.Errorf("Expires = %v, want %v", got, want)
			}
		})
	}
}

func TestAccountIDFromARN(t *testing.T) {
	tests := map[string]struct {
		user *types.AssumedRoleUser
		want string
	}{
		"assumed role":   {&types.AssumedRoleUser{Arn: aws.String(roleARN)}, "111122223333"},
		"china":          {&types.AssumedRoleUser{Arn: aws.String("arn:aws-cn:sts::444455556666:assumed-role/r/s")}, "444455556666"},
		"no user":        {nil, ""},
		"no arn":         {&types.AssumedRoleUser{}, ""},
		"not an arn":     {&types.AssumedRoleUser{Arn: aws.String("role/app")}, ""},
		"too few fields": {&types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::1")}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			api := &fakeAPI{respond: func(context.Context, int) reply {
				out := output(1, t0.Add(lifetime))
				out.AssumedRoleUser = tc.user
				return reply{out: out}
			}}
			c := mustRetrieve(t, newTestProvider(t, api, clk), "ASIAKEY1")
			if c.AccountID != tc.want {
				t.Errorf("AccountID = %q, want %q", c.AccountID, tc.want)
			}
		})
	}
}

func TestConcurrentColdCallersShareOneCall(t *testing.T) {
	const callers = 1000
	clk := newClock()
	respond, entered, answers := gated()
	api := &fakeAPI{respond: respond}
	p := newTestProvider(t, api, clk)

	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			c, err := p.Retrieve(context.Background())
			if err == nil && c.AccessKeyID != "ASIAKEY1" {
				err = fmt.Errorf("AccessKeyID = %q, want ASIAKEY1", c.AccessKeyID)
			}
			errs <- err
		}()
	}
	<-entered
	started.Wait()
	answers <- reply{out: output(1, t0.Add(lifetime))}
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := api.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}

func TestCachedRetrieveDoesNotAllocate(t *testing.T) {
	api := &fakeAPI{respond: func(context.Context, int) reply { return reply{out: output(1, time.Now().Add(lifetime))} }}
	p := credentials.New(api, cluster, staticToken())
	ctx := context.Background()
	if _, err := p.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := p.Retrieve(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("allocations per cached Retrieve = %v, want 0", allocs)
	}
}

func TestBackgroundRefreshServesCachedWhileUpstreamBlocked(t *testing.T) {
	clk := newClock()
	respond, entered, answers := gated()
	api := &fakeAPI{respond: respond}
	var logs syncBuffer
	p := newTestProvider(t, api, clk, func(o *credentials.Options) { o.Logger = logging.NewStandardLogger(&logs) })

	go func() { <-entered; answers <- reply{out: output(1, t0.Add(lifetime))} }()
	mustRetrieve(t, p, "ASIAKEY1")

	// Just before the refresh point: nothing happens.
	clk.Set(refreshAt - time.Second)
	mustRetrieve(t, p, "ASIAKEY1")
	if n := api.calls.Load(); n != 1 {
		t.Fatalf("upstream calls before the refresh point = %d, want 1", n)
	}

	// Past it: cached credentials at once, one refresh in the background.
	clk.Set(refreshAt + time.Second)
	mustRetrieve(t, p, "ASIAKEY1")
	if n := <-entered; n != 2 {
		t.Fatalf("background call number = %d, want 2", n)
	}
	for range 100 {
		mustRetrieve(t, p, "ASIAKEY1")
	}
	if n := api.calls.Load(); n != 2 {
		t.Fatalf("upstream calls while the refresh is blocked = %d, want 2", n)
	}

	answers <- reply{out: output(2, clk.Now().Add(lifetime))}
	waitRefresh(t, p)
	c := mustRetrieve(t, p, "ASIAKEY2")
	if want := clk.Now().Add(lifetime - credentials.DefaultExpiryWindow); !c.Expires.Equal(want) {
		t.Errorf("Expires after refresh = %v, want %v", c.Expires, want)
	}
	for _, want := range []string{"background refresh started", "background refresh done"} {
		waitLog(t, &logs, want)
	}
}

func TestRefreshPointIsJittered(t *testing.T) {
	tests := map[string]struct {
		rnd    float64
		opts   func(*credentials.Options)
		before time.Duration // no refresh at this time
		after  time.Duration // refresh by this time
	}{
		// The usable lifetime is 55m: a draw of 0 keeps 40% of it (refresh
		// at 33m), a draw near 1 keeps 60% (refresh at 22m).
		"low draw":  {0, nil, 33*time.Minute - time.Second, 33*time.Minute + time.Second},
		"high draw": {0.999999, nil, 22*time.Minute - time.Second, 22*time.Minute + time.Second},
		"no jitter": {0, func(o *credentials.Options) { o.RefreshJitter = -1 }, refreshAt - time.Second, refreshAt + time.Second},
		// Fraction 0.2 of 55m remaining → refresh at 44m.
		"fraction": {0.5, func(o *credentials.Options) { o.RefreshFraction = 0.2 }, 44*time.Minute - time.Second, 44*time.Minute + time.Second},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			api := &fakeAPI{respond: answering(clk)}
			opts := []func(*credentials.Options){}
			if tc.opts != nil {
				opts = append(opts, tc.opts)
			}
			p := credentials.NewWithClock(api, cluster, staticToken(), clk.Now, func() float64 { return tc.rnd }, opts...)
			mustRetrieve(t, p, "ASIAKEY1")
			clk.Set(tc.before)
			mustRetrieve(t, p, "ASIAKEY1")
			waitRefresh(t, p)
			if n := api.calls.Load(); n != 1 {
				t.Fatalf("calls at %v = %d, want 1", tc.before, n)
			}
			clk.Set(tc.after)
			mustRetrieve(t, p, "ASIAKEY1")
			waitRefresh(t, p)
			if n := api.calls.Load(); n != 2 {
				t.Fatalf("calls at %v = %d, want 2", tc.after, n)
			}
		})
	}
}

func TestBackgroundFailureKeepsServingAndBacksOff(t *testing.T) {
	clk := newClock()
	var fail atomic.Bool
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if fail.Load() {
			return reply{err: &types.InternalServerException{Message: aws.String("boom")}}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	var logs syncBuffer
	p := newTestProvider(t, api, clk, func(o *credentials.Options) { o.Logger = logging.NewStandardLogger(&logs) })
	mustRetrieve(t, p, "ASIAKEY1")

	fail.Store(true)
	// With the jitter source at 0.5 the waits are 0.75 s, 1.5 s, 3 s, ...
	now := refreshAt
	for i, wait := range []time.Duration{750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second} {
		clk.Set(now)
		mustRetrieve(t, p, "ASIAKEY1")
		waitRefresh(t, p)
		if got, want := api.calls.Load(), int64(i+2); got != want {
			t.Fatalf("failure %d: upstream calls = %d, want %d", i+1, got, want)
		}
		// During the backoff no call is made, and the credentials still serve.
		clk.Set(now + wait - time.Millisecond)
		mustRetrieve(t, p, "ASIAKEY1")
		waitRefresh(t, p)
		if got, want := api.calls.Load(), int64(i+2); got != want {
			t.Fatalf("failure %d: upstream calls during backoff = %d, want %d", i+1, got, want)
		}
		now += wait
	}
	waitLog(t, &logs, "background refresh failed (3 in a row)")

	fail.Store(false)
	clk.Set(now)
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	mustRetrieve(t, p, "ASIAKEY5")
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	tests := map[string]struct {
		rnd      float64
		failures int
		want     time.Duration
	}{
		"first, low":     {0, 1, 500 * time.Millisecond},
		"first, high":    {1, 1, time.Second},
		"fourth":         {0, 4, 4 * time.Second},
		"capped":         {1, 30, 5 * time.Minute},
		"capped, low":    {0, 1000, 150 * time.Second},
		"second, middle": {0.5, 2, 1500 * time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := credentials.NewWithClock(&fakeAPI{}, cluster, staticToken(), time.Now, func() float64 { return tc.rnd })
			if got := p.Backoff(tc.failures); got != tc.want {
				t.Errorf("Backoff(%d) = %v, want %v", tc.failures, got, tc.want)
			}
		})
	}
}

func TestExpiredWithFailedRefreshReturnsTypedError(t *testing.T) {
	clk := newClock()
	var fail atomic.Pointer[error]
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if err := fail.Load(); err != nil {
			return reply{err: *err}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := newTestProvider(t, api, clk)
	mustRetrieve(t, p, "ASIAKEY1")

	apiErr := &smithy.OperationError{ServiceID: "EKS Auth", OperationName: "AssumeRoleForPodIdentity",
		Err: &types.ExpiredTokenException{Message: aws.String("token expired")}}
	var err error = apiErr
	fail.Store(&err)
	clk.Set(waitAt) // the window starts: Retrieve must wait for a refresh
	_, err = retrieve(t, context.Background(), p)
	if err == nil {
		t.Fatal("Retrieve in the expiry window with a failing refresh: got nil error")
	}
	if !strings.HasPrefix(err.Error(), "credentials: refresh: ") {
		t.Errorf("error %q does not start with %q", err, "credentials: refresh: ")
	}
	var ete *types.ExpiredTokenException
	if !errors.As(err, &ete) {
		t.Errorf("errors.As(%v, *types.ExpiredTokenException) = false", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ExpiredTokenException" {
		t.Errorf("errors.As(smithy.APIError) code = %v, want ExpiredTokenException", ae)
	}

	// A context error inside the refresh stays visible to errors.Is.
	err = fmt.Errorf("operation error: %w", context.DeadlineExceeded)
	fail.Store(&err)
	_, err = retrieve(t, context.Background(), p)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}

	// Waiting callers retry at once, without backoff.
	fail.Store(nil)
	mustRetrieve(t, p, fmt.Sprintf("ASIAKEY%d", api.calls.Load()+1))
}

func TestWindowWaitJoinsRunningBackgroundRefresh(t *testing.T) {
	clk := newClock()
	respond, entered, answers := gated()
	api := &fakeAPI{respond: respond}
	p := newTestProvider(t, api, clk)
	go func() { <-entered; answers <- reply{out: output(1, t0.Add(lifetime))} }()
	mustRetrieve(t, p, "ASIAKEY1")

	clk.Set(refreshAt)
	mustRetrieve(t, p, "ASIAKEY1")
	<-entered // background refresh blocked upstream

	clk.Set(waitAt)
	got := make(chan error, 1)
	go func() {
		c, err := p.Retrieve(context.Background())
		if err == nil && c.AccessKeyID != "ASIAKEY2" {
			err = fmt.Errorf("AccessKeyID = %q, want ASIAKEY2", c.AccessKeyID)
		}
		got <- err
	}()
	answers <- reply{out: output(2, clk.Now().Add(lifetime))}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if n := api.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2", n)
	}
}

func TestCallerCancellationDoesNotCancelSharedFetch(t *testing.T) {
	clk := newClock()
	upstreamCtx := make(chan context.Context, 1)
	release := make(chan struct{})
	api := &fakeAPI{respond: func(ctx context.Context, n int) reply {
		upstreamCtx <- ctx
		<-release
		if err := ctx.Err(); err != nil {
			return reply{err: err}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := newTestProvider(t, api, clk)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, err := p.Retrieve(ctx); first <- err }()
	fetchCtx := <-upstreamCtx

	second := make(chan error, 1)
	go func() {
		c, err := p.Retrieve(context.Background())
		if err == nil && c.AccessKeyID != "ASIAKEY1" {
			err = fmt.Errorf("AccessKeyID = %q, want ASIAKEY1", c.AccessKeyID)
		}
		second <- err
	}()

	cancel()
	err := <-first // returns while the upstream call is still blocked
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled caller: errors.Is(%v, context.Canceled) = false", err)
	}
	var rce *aws.RequestCanceledError
	if !errors.As(err, &rce) {
		t.Errorf("canceled caller: error %v is not an *aws.RequestCanceledError", err)
	}
	if err := fetchCtx.Err(); err != nil {
		t.Errorf("shared fetch context ended with the caller's: %v", err)
	}
	close(release)
	if err := <-second; err != nil {
		t.Errorf("other caller: %v", err)
	}
	if n := api.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}

func TestCanceledContextBeforeFetch(t *testing.T) {
	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := newTestProvider(t, api, clk)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Retrieve(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Retrieve(canceled) error = %v, want context.Canceled", err)
	}
	if n := api.calls.Load(); n != 0 {
		t.Errorf("upstream calls = %d, want 0", n)
	}
	// Fresh cached credentials are served even to a canceled context.
	mustRetrieve(t, p, "ASIAKEY1")
	if _, err := p.Retrieve(ctx); err != nil {
		t.Errorf("cached Retrieve(canceled) = %v, want nil", err)
	}
}

func TestRefreshTimeoutBoundsUpstreamCall(t *testing.T) {
	clk := newClock()
	api := &fakeAPI{respond: func(ctx context.Context, _ int) reply {
		<-ctx.Done()
		return reply{err: ctx.Err()}
	}}
	p := newTestProvider(t, api, clk, func(o *credentials.Options) { o.Timeout = time.Millisecond })
	_, err := retrieve(t, context.Background(), p)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Retrieve = %v, want context.DeadlineExceeded", err)
	}
}

func TestInvalidate(t *testing.T) {
	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := newTestProvider(t, api, clk)
	mustRetrieve(t, p, "ASIAKEY1")
	p.Invalidate()
	mustRetrieve(t, p, "ASIAKEY2")
	mustRetrieve(t, p, "ASIAKEY2")
	if n := api.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2", n)
	}
}

func TestInvalidateDuringRefreshDiscardsItsResult(t *testing.T) {
	clk := newClock()
	entered := make(chan int, 3)
	answers := []chan reply{nil, make(chan reply, 1), make(chan reply), make(chan reply)}
	answers[1] <- reply{out: output(1, t0.Add(lifetime))}
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		entered <- n
		return <-answers[n]
	}}
	p := newTestProvider(t, api, clk)
	mustRetrieve(t, p, "ASIAKEY1")
	<-entered

	clk.Set(refreshAt)
	mustRetrieve(t, p, "ASIAKEY1")
	<-entered // call 2, started before Invalidate
	old := p.RefreshDone()
	p.Invalidate()

	got := make(chan string, 1)
	go func() {
		c, _ := p.Retrieve(context.Background())
		got <- c.AccessKeyID
	}()
	if n := <-entered; n != 3 {
		t.Fatalf("call after Invalidate = %d, want 3", n)
	}
	answers[2] <- reply{out: output(2, clk.Now().Add(lifetime))}
	<-old
	// Call 2's answer was not stored: nothing is in service, so a caller
	// whose context has ended gets its error rather than credentials.
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := p.Retrieve(canceled); !errors.Is(err, context.Canceled) {
		t.Errorf("Retrieve before call 3 answers = %q, %v; want context.Canceled", c.AccessKeyID, err)
	}
	answers[3] <- reply{out: output(3, clk.Now().Add(lifetime))}
	if key := <-got; key != "ASIAKEY3" {
		t.Errorf("after Invalidate: AccessKeyID = %q, want ASIAKEY3", key)
	}
	mustRetrieve(t, p, "ASIAKEY3")
}

func TestIncompleteResponseIsAnError(t *testing.T) {
	full := func() *eksauth.AssumeRoleForPodIdentityOutput { return output(1, t0.Add(lifetime)) }
	tests := map[string]struct {
		out  func() *eksauth.AssumeRoleForPodIdentityOutput
		want string
	}{
		"nil output":      {func() *eksauth.AssumeRoleForPodIdentityOutput { return nil }, "no credentials"},
		"nil credentials": {func() *eksauth.AssumeRoleForPodIdentityOutput { o := full(); o.Credentials = nil; return o }, "no credentials"},
		"no access key":   {func() *eksauth.AssumeRoleForPodIdentityOutput { o := full(); o.Credentials.AccessKeyId = nil; return o }, "accessKeyId"},
		"empty secret": {func() *eksauth.AssumeRoleForPodIdentityOutput {
			o := full()
			o.Credentials.SecretAccessKey = aws.String("")
			return o
		}, "secretAccessKey"},
		"no session": {func() *eksauth.AssumeRoleForPodIdentityOutput {
			o := full()
			o.Credentials.SessionToken = nil
			return o
		}, "sessionToken"},
		"no expiration": {func() *eksauth.AssumeRoleForPodIdentityOutput { o := full(); o.Credentials.Expiration = nil; return o }, "expiration"},
		"zero expiration": {func() *eksauth.AssumeRoleForPodIdentityOutput {
			o := full()
			o.Credentials.Expiration = &time.Time{}
			return o
		}, "expiration"},
		"already expired": {func() *eksauth.AssumeRoleForPodIdentityOutput { return output(1, t0.Add(-time.Second)) }, "expired"},
		"all missing": {func() *eksauth.AssumeRoleForPodIdentityOutput {
			return &eksauth.AssumeRoleForPodIdentityOutput{Credentials: &types.Credentials{}}
		}, "accessKeyId, secretAccessKey, sessionToken, expiration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			api := &fakeAPI{respond: func(context.Context, int) reply { return reply{out: tc.out()} }}
			c, err := newTestProvider(t, api, clk).Retrieve(context.Background())
			if err == nil {
				t.Fatalf("Retrieve = %+v, want an error", c)
			}
			if c != (aws.Credentials{}) {
				t.Errorf("Retrieve returned %+v with its error, want zero credentials", c)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			assertNoSecret(t, err.Error())
		})
	}
}

func TestBadArgumentsFailRetrieve(t *testing.T) {
	api := &fakeAPI{respond: func(context.Context, int) reply { panic("the client must not be called") }}
	tests := map[string]struct {
		client  credentials.APIClient
		cluster string
		token   credentials.TokenRetriever
		want    string
	}{
		"nil client":        {nil, cluster, staticToken(), "nil client"},
		"nil token":         {api, cluster, nil, "nil token retriever"},
		"empty cluster":     {api, "", staticToken(), `invalid cluster name ""`},
		"cluster with /":    {api, "a/b", staticToken(), `invalid cluster name "a/b"`},
		"cluster too long":  {api, strings.Repeat("a", 101), staticToken(), "invalid cluster name"},
		"leading separator": {api, "-a", staticToken(), "invalid cluster name"},
	}
	t.Run("zero Provider", func(t *testing.T) {
		var p credentials.Provider
		if _, err := p.Retrieve(context.Background()); err == nil || !strings.Contains(err.Error(), "not made by New") {
			t.Errorf("Retrieve on a zero Provider = %v, want an error saying it was not made by New", err)
		}
	})
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := credentials.New(tc.client, tc.cluster, tc.token)
			_, err := p.Retrieve(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Retrieve error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestTokenErrorsStopBeforeTheClient(t *testing.T) {
	errNoToken := errors.New("no token yet")
	tests := map[string]struct {
		token credentials.TokenRetrieverFunc
		is    error
		want  string
	}{
		"retriever error": {func(context.Context) (string, error) { return "", errNoToken }, errNoToken, "get token: no token yet"},
		"empty token":     {func(context.Context) (string, error) { return "", nil }, nil, "empty token"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			api := &fakeAPI{respond: answering(clk)}
			p := credentials.NewWithClock(api, cluster, tc.token, clk.Now, func() float64 { return 0.5 })
			_, err := p.Retrieve(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Retrieve error = %v, want one containing %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			if n := api.calls.Load(); n != 0 {
				t.Errorf("upstream calls = %d, want 0", n)
			}
		})
	}
}

func TestTokenIsReadOnEveryAttempt(t *testing.T) {
	clk := newClock()
	var reads atomic.Int64
	token := credentials.TokenRetrieverFunc(func(context.Context) (string, error) {
		return fmt.Sprintf("h.p.s%d", reads.Add(1)), nil
	})
	var fail atomic.Bool
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if fail.Load() {
			return reply{err: &types.ThrottlingException{Message: aws.String("slow down")}}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := credentials.NewWithClock(api, cluster, token, clk.Now, func() float64 { return 0.5 })
	mustRetrieve(t, p, "ASIAKEY1")
	fail.Store(true)
	clk.Set(refreshAt)
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	fail.Store(false)
	clk.Set(refreshAt + time.Second)
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	mustRetrieve(t, p, "ASIAKEY3")
	if got, want := strings.Join(api.Tokens(), ","), "h.p.s1,h.p.s2,h.p.s3"; got != want {
		t.Errorf("tokens sent = %s, want %s", got, want)
	}
}

func TestOptionsDefaultsAndClamps(t *testing.T) {
	defaults := credentials.Options{
		ExpiryWindow:    5 * time.Minute,
		RefreshFraction: 0.5,
		RefreshJitter:   0.1,
		RetryBackoff:    time.Second,
		MaxRetryBackoff: 5 * time.Minute,
		Timeout:         time.Minute,
	}
	tests := map[string]struct {
		set  func(*credentials.Options)
		want func(*credentials.Options)
	}{
		"zero":              {func(*credentials.Options) {}, func(*credentials.Options) {}},
		"negative window":   {func(o *credentials.Options) { o.ExpiryWindow = -time.Second }, func(o *credentials.Options) { o.ExpiryWindow = 0 }},
		"window":            {func(o *credentials.Options) { o.ExpiryWindow = time.Minute }, func(o *credentials.Options) { o.ExpiryWindow = time.Minute }},
		"fraction too big":  {func(o *credentials.Options) { o.RefreshFraction = 3 }, func(o *credentials.Options) { o.RefreshFraction = 0.99 }},
		"negative fraction": {func(o *credentials.Options) { o.RefreshFraction = -1 }, func(o *credentials.Options) { o.RefreshFraction = 0.01 }},
		"no jitter":         {func(o *credentials.Options) { o.RefreshJitter = -0.5 }, func(o *credentials.Options) { o.RefreshJitter = 0 }},
		"jitter too big":    {func(o *credentials.Options) { o.RefreshJitter = 2 }, func(o *credentials.Options) { o.RefreshJitter = 1 }},
		"max below min": {func(o *credentials.Options) { o.RetryBackoff = time.Hour; o.MaxRetryBackoff = time.Minute },
			func(o *credentials.Options) { o.RetryBackoff = time.Hour; o.MaxRetryBackoff = time.Hour }},
		"negative timeout": {func(o *credentials.Options) { o.Timeout = -1 }, func(*credentials.Options) {}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			want := defaults
			tc.want(&want)
			got := credentials.New(&fakeAPI{}, cluster, staticToken(), tc.set).Options()
			if got != want {
				t.Errorf("Options() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestProviderSources(t *testing.T) {
	p := credentials.New(&fakeAPI{}, cluster, staticToken())
	got := p.ProviderSources()
	if len(got) != 1 || got[0] != aws.CredentialSourceHTTP {
		t.Errorf("ProviderSources() = %v, want [CredentialSourceHTTP]", got)
	}
}

func TestWorksInsideCredentialsCache(t *testing.T) {
	var calls atomic.Int64
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		calls.Add(1)
		return reply{out: output(n, time.Now().Add(lifetime))}
	}}
	p := credentials.New(api, cluster, staticToken())
	cache := aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = time.Minute })
	for range 3 {
		c, err := cache.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccessKeyID != "ASIAKEY1" || c.Source != credentials.ProviderName || !c.CanExpire {
			t.Errorf("cached credentials = %+v", c)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
	if got := cache.ProviderSources(); len(got) != 1 || got[0] != aws.CredentialSourceHTTP {
		t.Errorf("cache.ProviderSources() = %v", got)
	}
	if !cache.IsCredentialsProvider(&credentials.Provider{}) {
		t.Error("cache.IsCredentialsProvider(*credentials.Provider) = false")
	}
}

// TestConcurrentUseUnderRace drives many goroutines through every path
// while time moves and credentials are invalidated; run it with -race.
func TestConcurrentUseUnderRace(t *testing.T) {
	clk := newClock()
	var fails atomic.Int64
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if n%5 == 0 {
			fails.Add(1)
			return reply{err: &types.ServiceUnavailableException{Message: aws.String("busy")}}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := credentials.NewWithClock(api, cluster, staticToken(), clk.Now, func() float64 { return 0.3 },
		func(o *credentials.Options) { o.RetryBackoff = time.Nanosecond })

	const workers, rounds = 64, 300
	var wg sync.WaitGroup
	var served atomic.Int64
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range rounds {
				if i == 0 && j%50 == 0 {
					p.Invalidate()
				}
				ctx := context.Background()
				if i%8 == 1 && j%3 == 0 {
					c, cancel := context.WithCancel(ctx)
					cancel()
					ctx = c
				}
				c, err := p.Retrieve(ctx)
				if err != nil {
					continue // injected failures and canceled contexts
				}
				if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.Source != credentials.ProviderName {
					t.Errorf("incomplete credentials %+v", c)
					return
				}
				served.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Move time on while the workers run, through refresh points and windows.
	for step := 0; ; step++ {
		select {
		case <-done:
			waitRefresh(t, p)
			if served.Load() == 0 {
				t.Error("no credentials served")
			}
			return
		default:
			clk.Set(time.Duration(step%500) * 10 * time.Second)
			runtime.Gosched()
		}
	}
}

func TestNoSecretInLogsOrErrors(t *testing.T) {
	clk := newClock()
	var fail atomic.Bool
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if fail.Load() {
			return reply{err: &types.AccessDeniedException{Message: aws.String("denied")}}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	var logs syncBuffer
	p := newTestProvider(t, api, clk, func(o *credentials.Options) { o.Logger = logging.NewStandardLogger(&logs) })
	mustRetrieve(t, p, "ASIAKEY1")
	clk.Set(refreshAt)
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	fail.Store(true)
	clk.Set(60 * time.Minute) // second credentials: refresh from 55m, wait from 82m30s
	mustRetrieve(t, p, "ASIAKEY2")
	waitRefresh(t, p)
	clk.Set(2 * waitAt)
	_, err := p.Retrieve(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"WARN credentials: cluster demo-cluster: background refresh failed (1 in a row)", "AccessDeniedException", "refresh failed (2 in a row)"} {
		waitLog(t, &logs, want)
	}
	assertNoSecret(t, err.Error())
	assertNoSecret(t, logs.String())
}

// syncBuffer is a log sink that the refresh goroutines may write while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitLog waits for want in logs: a background refresh logs its failure
// after publishing its result, so the line may come just after
// RefreshDone.
func waitLog(t *testing.T, logs *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log %q does not contain %q", logs.String(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{"SECRETKEY", "SESSIONTOKEN", testToken} {
		if strings.Contains(s, secret) {
			t.Errorf("%q contains the secret %q", s, secret)
		}
	}
}

func TestConcurrentCallersAtRefreshPointStartOneBackgroundRefresh(t *testing.T) {
	const callers = 1000
	clk := newClock()
	respond, entered, answers := gated()
	api := &fakeAPI{respond: respond}
	p := newTestProvider(t, api, clk)
	go func() { <-entered; answers <- reply{out: output(1, t0.Add(lifetime))} }()
	mustRetrieve(t, p, "ASIAKEY1")

	clk.Set(refreshAt)
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Retrieve(context.Background())
			if err == nil && c.AccessKeyID != "ASIAKEY1" {
				err = fmt.Errorf("AccessKeyID = %q, want the cached ASIAKEY1", c.AccessKeyID)
			}
			errs <- err
		}()
	}
	wg.Wait() // all returned while the background call is still blocked
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	if n := api.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2 (one background refresh)", n)
	}
	answers <- reply{out: output(2, clk.Now().Add(lifetime))}
	waitRefresh(t, p)
	mustRetrieve(t, p, "ASIAKEY2")
}

// TestNoGoroutineOutlivesARefresh checks that, once refreshes are done,
// no goroutine of the Provider is left: there is nothing to close.
func TestNoGoroutineOutlivesARefresh(t *testing.T) {
	clk := newClock()
	var fail atomic.Bool
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if fail.Load() {
			return reply{err: &types.InternalServerException{}}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := newTestProvider(t, api, clk)
	mustRetrieve(t, p, "ASIAKEY1")
	clk.Set(refreshAt) // a successful background refresh
	mustRetrieve(t, p, "ASIAKEY1")
	waitRefresh(t, p)
	fail.Store(true)
	clk.Set(refreshAt + refreshAt) // a failed one
	mustRetrieve(t, p, "ASIAKEY2")
	waitRefresh(t, p)
	clk.Set(3 * time.Hour) // a failed wait
	if _, err := p.Retrieve(context.Background()); err == nil {
		t.Fatal("want an error")
	}

	// The refresh goroutine closes done just before it returns; give it
	// the moment to finish.
	deadline := time.Now().Add(10 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "credentials.(*Provider).refresh") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a refresh goroutine is still running:\n%s", stacks)
		}
		time.Sleep(time.Millisecond)
	}
}

// The cases below came from a second suite that used the real clock; they
// run on the fake one like the rest.

// TestArrivalInsideWindow: credentials whose lifetime is shorter than
// ExpiryWindow are returned (they are still valid), count as expired at
// once, and the next Retrieve fetches again, as with aws.CredentialsCache.
func TestArrivalInsideWindow(t *testing.T) {
	tests := []struct {
		name        string
		lifetime    time.Duration
		window      time.Duration
		wantWindow  time.Duration
		wantRefetch bool
	}{
		{"lifetime shorter than the window", 2 * time.Second, time.Minute, time.Minute, true},
		{"lifetime inside the default window", time.Minute, 0, 5 * time.Minute, true},
		{"short lifetime, no window", 2 * time.Second, -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock()
			exp := t0.Add(tt.lifetime)
			api := &fakeAPI{respond: func(_ context.Context, n int) reply { return reply{out: output(n, exp)} }}
			p := credentials.NewWithClock(api, cluster, staticToken(), clk.Now, func() float64 { return 0.5 },
				func(o *credentials.Options) { o.ExpiryWindow = tt.window })
			got := mustRetrieve(t, p, "ASIAKEY1")
			if !got.Expires.Equal(exp.Add(-tt.wantWindow)) {
				t.Errorf("Expires = %v, want %v", got.Expires, exp.Add(-tt.wantWindow))
			}
			// aws.Credentials.Expired reads the real clock; t0 is in its past
			// and exp - window never in its future, so compare on ours.
			if expired := !clk.Now().Before(got.Expires); expired != tt.wantRefetch {
				t.Errorf("expired at arrival = %t, want %t", expired, tt.wantRefetch)
			}
			if _, err := retrieve(t, context.Background(), p); err != nil {
				t.Fatalf("second Retrieve: %v", err)
			}
			want := int64(1)
			if tt.wantRefetch {
				want = 2
			}
			if n := api.calls.Load(); n != want {
				t.Errorf("upstream calls = %d, want %d", n, want)
			}
		})
	}
}

// TestErrorsKeepTheirTypes: each error of the client reaches the caller
// with its type, code and chain; a failure with nothing in service is not
// cached, so each waiting caller gets a fresh attempt.
func TestErrorsKeepTheirTypes(t *testing.T) {
	msg := aws.String("the answer")
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "EKS Auth", OperationName: "AssumeRoleForPodIdentity", Err: err}
	}
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	as := func(code string) func(error) bool {
		return func(err error) bool {
			var ae smithy.APIError
			var oe *smithy.OperationError
			return errors.As(err, &ae) && ae.ErrorCode() == code && errors.As(err, &oe)
		}
	}
	tests := map[string]struct {
		err   error
		found func(error) bool
	}{
		"ExpiredTokenException":       {opErr(&types.ExpiredTokenException{Message: msg}), as("ExpiredTokenException")},
		"InvalidTokenException":       {opErr(&types.InvalidTokenException{Message: msg}), as("InvalidTokenException")},
		"AccessDeniedException":       {opErr(&types.AccessDeniedException{Message: msg}), as("AccessDeniedException")},
		"ResourceNotFoundException":   {opErr(&types.ResourceNotFoundException{Message: msg}), as("ResourceNotFoundException")},
		"InvalidParameterException":   {opErr(&types.InvalidParameterException{Message: msg}), as("InvalidParameterException")},
		"InvalidRequestException":     {opErr(&types.InvalidRequestException{Message: msg}), as("InvalidRequestException")},
		"InternalServerException":     {opErr(&types.InternalServerException{Message: msg}), as("InternalServerException")},
		"ServiceUnavailableException": {opErr(&types.ServiceUnavailableException{Message: msg}), as("ServiceUnavailableException")},
		"ThrottlingException":         {opErr(&types.ThrottlingException{Message: msg}), as("ThrottlingException")},
		"deadline":                    {opErr(context.DeadlineExceeded), is(context.DeadlineExceeded)},
		"canceled":                    {&aws.RequestCanceledError{Err: context.Canceled}, is(context.Canceled)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			api := &fakeAPI{respond: func(context.Context, int) reply { return reply{err: tt.err} }}
			p := newTestProvider(t, api, newClock())
			for i := 1; i <= 2; i++ {
				if _, err := retrieve(t, context.Background(), p); err == nil || !tt.found(err) {
					t.Errorf("Retrieve %d error %v (%T) lost its cause %T", i, err, err, tt.err)
				}
			}
			if n := api.calls.Load(); n != 2 {
				t.Errorf("upstream calls = %d, want 2", n)
			}
		})
	}
}

// TestColdHerdSharesOneFailure: cold callers share one failing call and
// get its typed error; callers still arriving after it start, and share,
// one more call.
func TestColdHerdSharesOneFailure(t *testing.T) {
	const callers = 1000
	clk := newClock()
	gate, entered, answers := gated()
	api := &fakeAPI{respond: func(ctx context.Context, n int) reply {
		if n == 1 {
			return gate(ctx, n)
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := newTestProvider(t, api, clk)

	var started, done sync.WaitGroup
	type result struct {
		key string
		err error
	}
	results := make(chan result, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			c, err := p.Retrieve(context.Background())
			results <- result{c.AccessKeyID, err}
		}()
	}
	<-entered
	started.Wait()
	answers <- reply{err: &types.ThrottlingException{Message: aws.String("slow down")}}
	done.Wait()
	close(results)
	shared := 0
	for r := range results {
		var te *types.ThrottlingException
		switch {
		case errors.As(r.err, &te):
			shared++
		case r.err != nil || r.key != "ASIAKEY2":
			t.Fatalf("Retrieve = %q, %v; want the ThrottlingException or, late, ASIAKEY2", r.key, r.err)
		}
	}
	want := int64(1)
	if shared < callers {
		want = 2
	}
	if n := api.calls.Load(); n != want {
		t.Errorf("upstream calls = %d, want %d (%d of %d callers shared the first)", n, want, shared, callers)
	}
	// The failure is not cached: the next caller gets the one more call's answer.
	mustRetrieve(t, p, "ASIAKEY2")
}

// TestInvalidateDuringWaitingFetch: the answer of a call started before
// Invalidate is never stored, whichever call answers first.
func TestInvalidateDuringWaitingFetch(t *testing.T) {
	for _, staleFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("stale answer first %t", staleFirst), func(t *testing.T) {
			clk := newClock()
			entered := make(chan int, 3)
			answers := []chan reply{nil, make(chan reply, 1), make(chan reply, 1)}
			api := &fakeAPI{respond: func(_ context.Context, n int) reply {
				entered <- n
				return <-answers[n]
			}}
			p := newTestProvider(t, api, clk)
			type result struct {
				key string
				err error
			}
			start := func() chan result {
				ch := make(chan result, 1)
				go func() {
					c, err := p.Retrieve(context.Background())
					ch <- result{c.AccessKeyID, err}
				}()
				return ch
			}
			before := start()
			if n := <-entered; n != 1 {
				t.Fatalf("call %d entered, want 1", n)
			}
			p.Invalidate()
			after := start()
			if n := <-entered; n != 2 {
				t.Fatalf("call %d entered, want 2: Retrieve after Invalidate joined the old call", n)
			}
			checkAfter := func() {
				t.Helper()
				if r := <-after; r.err != nil || r.key != "ASIAKEY2" {
					t.Fatalf("Retrieve after Invalidate = %q, %v; want ASIAKEY2", r.key, r.err)
				}
			}
			if staleFirst {
				answers[1] <- reply{out: output(1, clk.Now().Add(lifetime))}
				if r := <-before; r.err != nil {
					t.Errorf("Retrieve before Invalidate: %v", r.err)
				}
				answers[2] <- reply{out: output(2, clk.Now().Add(lifetime))}
				checkAfter()
			} else {
				answers[2] <- reply{out: output(2, clk.Now().Add(lifetime))}
				checkAfter()
				answers[1] <- reply{out: output(1, clk.Now().Add(lifetime))}
				if r := <-before; r.err != nil {
					t.Errorf("Retrieve before Invalidate: %v", r.err)
				}
			}
			for range 3 {
				mustRetrieve(t, p, "ASIAKEY2")
			}
			if n := api.calls.Load(); n != 2 {
				t.Errorf("upstream calls = %d, want 2", n)
			}
		})
	}
}

// TestConcurrentInvalidateAndRetrieve: Invalidate racing Retrieve from many
// goroutines never yields broken credentials, and once quiet one Invalidate
// costs exactly one call.
func TestConcurrentInvalidateAndRetrieve(t *testing.T) {
	clk := newClock()
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if n%7 == 0 {
			runtime.Gosched() // vary the timing a little
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p := newTestProvider(t, api, clk)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 {
				c, err := p.Retrieve(context.Background())
				if err == nil && (!strings.HasPrefix(c.AccessKeyID, "ASIAKEY") || c.Source != credentials.ProviderName || !strings.HasPrefix(c.SecretAccessKey, "SECRETKEY")) {
					err = fmt.Errorf("bad credentials %+v", c)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				p.Invalidate()
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	before := api.calls.Load()
	p.Invalidate()
	mustRetrieve(t, p, fmt.Sprintf("ASIAKEY%d", before+1))
	mustRetrieve(t, p, fmt.Sprintf("ASIAKEY%d", before+1))
	if n := api.calls.Load(); n != before+1 {
		t.Errorf("upstream calls = %d, want %d", n, before+1)
	}
}

// TestTokenFileRotation: both a waiting fetch and a background refresh
// read the file again, as the kubelet replaces it (write and rename).
func TestTokenFileRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	rotate := func(tok string) {
		t.Helper()
		tmp := filepath.Join(dir, "token.tmp")
		if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	clk := newClock()
	api := &fakeAPI{respond: answering(clk)}
	p := credentials.NewWithClock(api, cluster, credentials.TokenFile(path), clk.Now, func() float64 { return 0.5 })

	rotate("tok-a")
	mustRetrieve(t, p, "ASIAKEY1")
	rotate("tok-b")
	p.Invalidate()
	mustRetrieve(t, p, "ASIAKEY2") // a waiting fetch
	rotate("tok-c")
	clk.Set(refreshAt)
	mustRetrieve(t, p, "ASIAKEY2") // starts a background refresh
	waitRefresh(t, p)
	mustRetrieve(t, p, "ASIAKEY3")
	if got, want := strings.Join(api.Tokens(), ","), "tok-a,tok-b,tok-c"; got != want {
		t.Errorf("tokens sent = %s, want %s", got, want)
	}
}

// TestLoggerMayCallTheProvider: the Provider does not hold its lock while
// logging, so a logger that calls back into it (one that ships lines with
// the same credentials, say) does not deadlock.
func TestLoggerMayCallTheProvider(t *testing.T) {
	clk := newClock()
	var p *credentials.Provider
	var logged atomic.Int64
	logger := logging.LoggerFunc(func(logging.Classification, string, ...any) {
		logged.Add(1)
		p.Invalidate()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		p.Retrieve(ctx) //nolint:errcheck // any answer will do; returning is the point
	})
	var failing atomic.Bool
	api := &fakeAPI{respond: func(_ context.Context, n int) reply {
		if failing.Swap(false) {
			return reply{err: &types.InternalServerException{Message: aws.String("oops")}}
		}
		return reply{out: output(n, clk.Now().Add(lifetime))}
	}}
	p = newTestProvider(t, api, clk, func(o *credentials.Options) { o.Logger = logger })
	mustRetrieve(t, p, "ASIAKEY1")
	failing.Store(true)
	clk.Set(refreshAt)
	mustRetrieve(t, p, "ASIAKEY1") // the background refresh fails and logs
	waitRefresh(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for logged.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if logged.Load() == 0 {
		t.Error("the failure was not logged")
	}
}
