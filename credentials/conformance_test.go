package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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

// The conformance tests drive the Provider only through its public names,
// with a fake client and the real clock, as a user's test suite would.
// Credentials last a few seconds with a small ExpiryWindow, so that refresh
// points come quickly; every wait polls against a deadline.

const (
	cfCluster = "conformance-cluster"
	cfARN     = "arn:aws:sts::444455556666:assumed-role/conformance-role/eks-conformance-pod"
	cfAccount = "444455556666"

	// Secret material carries these marks, so that a leak is easy to spot.
	cfSecretMark  = "cf-secret-"
	cfSessionMark = "cf-session-"
	cfTokenMark   = "cf-token-"
)

type cfReply struct {
	out *eksauth.AssumeRoleForPodIdentityOutput
	err error
}

// cfClient is a fake client; respond answers call n (counted from 1).
type cfClient struct {
	calls   atomic.Int64
	respond func(ctx context.Context, n int) cfReply

	mu     sync.Mutex // guards tokens
	tokens []string
}

func (f *cfClient) api() credentials.APIClient {
	return credentials.APIClientFunc(func(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		n := int(f.calls.Add(1))
		f.mu.Lock()
		f.tokens = append(f.tokens, aws.ToString(in.Token))
		f.mu.Unlock()
		if got := aws.ToString(in.ClusterName); got != cfCluster {
			return nil, fmt.Errorf("fake: ClusterName = %q, want %q", got, cfCluster)
		}
		r := f.respond(ctx, n)
		return r.out, r.err
	})
}

func (f *cfClient) Tokens() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

// cfLasting answers every call at once with credentials lasting d.
func cfLasting(d time.Duration) func(context.Context, int) cfReply {
	return func(_ context.Context, n int) cfReply { return cfReply{out: cfAnswer(n, time.Now().Add(d))} }
}

func cfKey(n int) string { return fmt.Sprintf("ASIACF%04d", n) }

func cfAnswer(n int, exp time.Time) *eksauth.AssumeRoleForPodIdentityOutput {
	return &eksauth.AssumeRoleForPodIdentityOutput{
		AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String(cfARN), AssumeRoleId: aws.String("AROACF:eks-conformance-pod")},
		Credentials: &types.Credentials{
			AccessKeyId:     aws.String(cfKey(n)),
			SecretAccessKey: aws.String(fmt.Sprintf("%s%d", cfSecretMark, n)),
			SessionToken:    aws.String(fmt.Sprintf("%s%d", cfSessionMark, n)),
			Expiration:      aws.Time(exp),
		},
	}
}

func cfAPIError(apiErr error) error {
	return &smithy.OperationError{ServiceID: "EKS Auth", OperationName: "AssumeRoleForPodIdentity", Err: apiErr}
}

// cfTokens returns a different token on every call, as if the kubelet
// rotated it each time.
func cfTokens() credentials.TokenRetriever {
	var n atomic.Int64
	return credentials.TokenRetrieverFunc(func(context.Context) (string, error) {
		return fmt.Sprintf("%s%d", cfTokenMark, n.Add(1)), nil
	})
}

func cfWindow(d time.Duration) func(*credentials.Options) {
	return func(o *credentials.Options) { o.ExpiryWindow = d }
}

func cfNew(f *cfClient, optFns ...func(*credentials.Options)) *credentials.Provider {
	return credentials.New(f.api(), cfCluster, cfTokens(), optFns...)
}

// cfGate holds the calls it answers until the test answers them.
type cfGate struct {
	entered chan int
	answers chan cfReply
	stop    chan struct{}
}

func newCFGate(t *testing.T) *cfGate {
	g := &cfGate{entered: make(chan int), answers: make(chan cfReply), stop: make(chan struct{})}
	t.Cleanup(func() { close(g.stop) })
	return g
}

func (g *cfGate) respond(_ context.Context, n int) cfReply {
	select {
	case g.entered <- n:
	case <-g.stop:
		return cfReply{err: errors.New("fake: test over")}
	}
	select {
	case r := <-g.answers:
		return r
	case <-g.stop:
		return cfReply{err: errors.New("fake: test over")}
	}
}

func (g *cfGate) waitEntered(t *testing.T, want int) {
	t.Helper()
	select {
	case n := <-g.entered:
		if n != want {
			t.Fatalf("upstream call %d entered, want call %d", n, want)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("upstream call %d never came", want)
	}
}

type cfResult struct {
	creds aws.Credentials
	err   error
}

// cfGo runs Retrieve in its own goroutine.
func cfGo(ctx context.Context, p *credentials.Provider) <-chan cfResult {
	ch := make(chan cfResult, 1)
	go func() {
		c, err := p.Retrieve(ctx)
		ch <- cfResult{c, err}
	}()
	return ch
}

func cfAwait(t *testing.T, ch <-chan cfResult, what string) cfResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(3 * time.Second):
		t.Fatalf("%s: Retrieve did not return", what)
		return cfResult{}
	}
}

// cfNow is Retrieve that must return at once: a call blocked on a gated
// upstream would otherwise hang.
func cfNow(t *testing.T, p *credentials.Provider, wantKey string) aws.Credentials {
	t.Helper()
	r := cfAwait(t, cfGo(context.Background(), p), "want it at once")
	if r.err != nil {
		t.Fatalf("Retrieve: %v", r.err)
	}
	if r.creds.AccessKeyID != wantKey {
		t.Fatalf("AccessKeyID = %q, want %q", r.creds.AccessKeyID, wantKey)
	}
	return r.creds
}

func cfEventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func cfNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, mark := range []string{cfSecretMark, cfSessionMark, cfTokenMark} {
		if strings.Contains(s, mark) {
			t.Errorf("%s holds a secret (%q): %s", what, mark, s)
		}
	}
}

func cfAs[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// cfLog is a logging.Logger that keeps its lines.
type cfLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *cfLog) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(c)+" "+fmt.Sprintf(format, v...))
}

func (l *cfLog) Lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func TestConformanceReturnedCredentials(t *testing.T) {
	tests := []struct {
		name       string
		window     time.Duration
		wantWindow time.Duration
	}{
		{"zero window means 5 minutes", 0, 5 * time.Minute},
		{"one minute", time.Minute, time.Minute},
		{"one second", time.Second, time.Second},
		{"negative window means none", -time.Minute, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := time.Now().Add(time.Hour)
			f := &cfClient{respond: func(_ context.Context, n int) cfReply { return cfReply{out: cfAnswer(n, exp)} }}
			p := cfNew(f, cfWindow(tt.window))

			got, err := p.Retrieve(context.Background())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			want := aws.Credentials{
				AccessKeyID:     cfKey(1),
				SecretAccessKey: cfSecretMark + "1",
				SessionToken:    cfSessionMark + "1",
				Source:          credentials.ProviderName,
				CanExpire:       true,
				Expires:         exp.Add(-tt.wantWindow),
				AccountID:       cfAccount,
			}
			if !got.Expires.Equal(want.Expires) {
				t.Errorf("Expires = %v, want %v (expiration - ExpiryWindow)", got.Expires, want.Expires)
			}
			got.Expires = want.Expires
			if got != want {
				t.Errorf("Retrieve = %+v, want %+v", got, want)
			}
			if got.Expired() {
				t.Error("fresh credentials report Expired()")
			}
			if toks := f.Tokens(); len(toks) != 1 || toks[0] != cfTokenMark+"1" {
				t.Errorf("tokens sent = %q, want [%s1]", toks, cfTokenMark)
			}

			again, err := p.Retrieve(context.Background())
			if err != nil || again.AccessKeyID != cfKey(1) {
				t.Errorf("second Retrieve = %q, %v; want the cached %s", again.AccessKeyID, err, cfKey(1))
			}
			if n := f.calls.Load(); n != 1 {
				t.Errorf("upstream calls = %d, want 1", n)
			}
		})
	}
}

func TestConformanceAccountID(t *testing.T) {
	tests := []struct {
		name string
		user *types.AssumedRoleUser
		want string
	}{
		{"assumed role", &types.AssumedRoleUser{Arn: aws.String(cfARN)}, cfAccount},
		{"GovCloud", &types.AssumedRoleUser{Arn: aws.String("arn:aws-us-gov:sts::123456789012:assumed-role/r/s")}, "123456789012"},
		{"China", &types.AssumedRoleUser{Arn: aws.String("arn:aws-cn:sts::210987654321:assumed-role/r/s")}, "210987654321"},
		{"colons in the resource", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012:assumed-role/r:x:y")}, "123456789012"},
		{"not an ARN", &types.AssumedRoleUser{Arn: aws.String("AROAEXAMPLE:session")}, ""},
		{"too few parts", &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::123456789012")}, ""},
		{"empty ARN", &types.AssumedRoleUser{Arn: aws.String("")}, ""},
		{"nil ARN", &types.AssumedRoleUser{}, ""},
		{"no assumed-role user", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cfClient{respond: func(_ context.Context, n int) cfReply {
				out := cfAnswer(n, time.Now().Add(time.Hour))
				out.AssumedRoleUser = tt.user
				return cfReply{out: out}
			}}
			got, err := cfNew(f).Retrieve(context.Background())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if got.AccountID != tt.want {
				t.Errorf("AccountID = %q, want %q", got.AccountID, tt.want)
			}
		})
	}
}

func TestConformanceIncompleteResponseIsAnError(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput
	}{
		{"nil output", func(*eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput { return nil }},
		{"empty output", func(*eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			return &eksauth.AssumeRoleForPodIdentityOutput{}
		}},
		{"nil credentials", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials = nil
			return o
		}},
		{"nil access key", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.AccessKeyId = nil
			return o
		}},
		{"empty access key", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.AccessKeyId = aws.String("")
			return o
		}},
		{"nil secret key", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.SecretAccessKey = nil
			return o
		}},
		{"empty secret key", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.SecretAccessKey = aws.String("")
			return o
		}},
		{"nil session token", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.SessionToken = nil
			return o
		}},
		{"nil expiration", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.Expiration = nil
			return o
		}},
		{"zero expiration", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.Expiration = aws.Time(time.Time{})
			return o
		}},
		{"expired before arrival", func(o *eksauth.AssumeRoleForPodIdentityOutput) *eksauth.AssumeRoleForPodIdentityOutput {
			o.Credentials.Expiration = aws.Time(time.Now().Add(-time.Second))
			return o
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cfClient{respond: func(_ context.Context, n int) cfReply {
				out := cfAnswer(n, time.Now().Add(time.Hour))
				if n == 1 {
					out = tt.mutate(out)
				}
				return cfReply{out: out}
			}}
			p := cfNew(f)
			got, err := p.Retrieve(context.Background())
			if err == nil {
				t.Fatalf("Retrieve = %+v, want an error", got)
			}
			if got != (aws.Credentials{}) {
				t.Errorf("credentials with the error = %+v, want none", got)
			}
			cfNoSecret(t, "error", err.Error())

			// A bad answer is not cached: the next caller fetches again.
			if c, err := p.Retrieve(context.Background()); err != nil || c.AccessKeyID != cfKey(2) {
				t.Errorf("next Retrieve = %q, %v; want %s", c.AccessKeyID, err, cfKey(2))
			}
		})
	}
}

// TestConformanceArrivalInsideWindow: credentials whose lifetime is shorter
// than ExpiryWindow are returned (they are still valid), count as expired
// at once, and the next Retrieve fetches again, as with
// aws.CredentialsCache.
func TestConformanceArrivalInsideWindow(t *testing.T) {
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
			var exp time.Time
			f := &cfClient{respond: func(_ context.Context, n int) cfReply {
				exp = time.Now().Add(tt.lifetime)
				return cfReply{out: cfAnswer(n, exp)}
			}}
			p := cfNew(f, cfWindow(tt.window))
			got, err := p.Retrieve(context.Background())
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if got.AccessKeyID != cfKey(1) || !got.Expires.Equal(exp.Add(-tt.wantWindow)) {
				t.Errorf("Retrieve = %s expiring %v, want %s expiring %v", got.AccessKeyID, got.Expires, cfKey(1), exp.Add(-tt.wantWindow))
			}
			if got.Expired() != tt.wantRefetch {
				t.Errorf("Expired() = %t, want %t", got.Expired(), tt.wantRefetch)
			}
			if _, err := p.Retrieve(context.Background()); err != nil {
				t.Fatalf("second Retrieve: %v", err)
			}
			want := int64(1)
			if tt.wantRefetch {
				want = 2
			}
			if n := f.calls.Load(); n != want {
				t.Errorf("upstream calls = %d, want %d", n, want)
			}
		})
	}
}

func TestConformanceErrorsKeepTheirTypes(t *testing.T) {
	msg := aws.String("the answer")
	tests := []struct {
		name     string
		err      error
		found    func(error) bool
		wantCode string
	}{
		{"ExpiredTokenException", cfAPIError(&types.ExpiredTokenException{Message: msg}), cfAs[*types.ExpiredTokenException], "ExpiredTokenException"},
		{"InvalidTokenException", cfAPIError(&types.InvalidTokenException{Message: msg}), cfAs[*types.InvalidTokenException], "InvalidTokenException"},
		{"AccessDeniedException", cfAPIError(&types.AccessDeniedException{Message: msg}), cfAs[*types.AccessDeniedException], "AccessDeniedException"},
		{"ResourceNotFoundException", cfAPIError(&types.ResourceNotFoundException{Message: msg}), cfAs[*types.ResourceNotFoundException], "ResourceNotFoundException"},
		{"InvalidParameterException", cfAPIError(&types.InvalidParameterException{Message: msg}), cfAs[*types.InvalidParameterException], "InvalidParameterException"},
		{"InvalidRequestException", cfAPIError(&types.InvalidRequestException{Message: msg}), cfAs[*types.InvalidRequestException], "InvalidRequestException"},
		{"InternalServerException", cfAPIError(&types.InternalServerException{Message: msg}), cfAs[*types.InternalServerException], "InternalServerException"},
		{"ServiceUnavailableException", cfAPIError(&types.ServiceUnavailableException{Message: msg}), cfAs[*types.ServiceUnavailableException], "ServiceUnavailableException"},
		{"ThrottlingException", cfAPIError(&types.ThrottlingException{Message: msg}), cfAs[*types.ThrottlingException], "ThrottlingException"},
		{"deadline", cfAPIError(context.DeadlineExceeded), func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, ""},
		{"canceled", &aws.RequestCanceledError{Err: context.Canceled}, func(err error) bool { return errors.Is(err, context.Canceled) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cfClient{respond: func(context.Context, int) cfReply { return cfReply{err: tt.err} }}
			p := cfNew(f)
			for i := 1; i <= 2; i++ {
				got, err := p.Retrieve(context.Background())
				if err == nil {
					t.Fatalf("Retrieve %d = %+v, want an error", i, got)
				}
				if !tt.found(err) {
					t.Errorf("Retrieve %d error %q (%T) lost its cause %T", i, err, err, tt.err)
				}
				if tt.wantCode != "" {
					var ae smithy.APIError
					if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
						t.Errorf("smithy.APIError in %q: %v, want code %s", err, ae, tt.wantCode)
					}
					if !cfAs[*smithy.OperationError](err) {
						t.Errorf("no *smithy.OperationError in %q", err)
					}
				}
			}
			// A failure without credentials in service is not cached: each
			// waiting caller gets a fresh attempt.
			if n := f.calls.Load(); n != 2 {
				t.Errorf("upstream calls = %d, want 2", n)
			}
		})
	}
}

// TestConformanceColdHerdSharesOneCall: 1,000 cold callers share one
// upstream call, whether it succeeds or fails. After a failure, callers
// still arriving start (and share) one more call, answered with success.
func TestConformanceColdHerdSharesOneCall(t *testing.T) {
	tests := []struct {
		name  string
		reply cfReply
		check func(cfResult) error
	}{
		{"success", cfReply{out: cfAnswer(1, time.Now().Add(time.Hour))}, func(r cfResult) error {
			if r.err != nil || r.creds.AccessKeyID != cfKey(1) {
				return fmt.Errorf("Retrieve = %q, %v; want %s", r.creds.AccessKeyID, r.err, cfKey(1))
			}
			return nil
		}},
		{"failure", cfReply{err: cfAPIError(&types.ThrottlingException{Message: aws.String("slow down")})}, func(r cfResult) error {
			if !cfAs[*types.ThrottlingException](r.err) && (r.err != nil || r.creds.AccessKeyID != cfKey(2)) {
				return fmt.Errorf("Retrieve = %q, %v; want a *types.ThrottlingException or, late, %s", r.creds.AccessKeyID, r.err, cfKey(2))
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const callers = 1000
			g := newCFGate(t)
			f := &cfClient{respond: func(ctx context.Context, n int) cfReply {
				if n == 1 {
					return g.respond(ctx, n)
				}
				return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
			}}
			p := cfNew(f)

			start := make(chan struct{})
			results := make(chan cfResult, callers)
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					c, err := p.Retrieve(context.Background())
					results <- cfResult{c, err}
				}()
			}
			close(start)
			g.waitEntered(t, 1)
			// Give the herd a moment to pile up behind the call; the
			// assertions below do not depend on how many got there.
			time.Sleep(20 * time.Millisecond)
			g.answers <- tt.reply
			wg.Wait()
			close(results)
			shared := 0
			for r := range results {
				if err := tt.check(r); err != nil {
					t.Fatal(err)
				}
				if r.creds.AccessKeyID == cfKey(1) || r.err != nil {
					shared++
				}
			}
			want := int64(1)
			if shared < callers {
				want = 2
			}
			if n := f.calls.Load(); n != want {
				t.Errorf("upstream calls = %d, want %d (%d of %d callers shared the first)", n, want, shared, callers)
			}
		})
	}
}

func TestConformanceCachedPathDoesNotAllocate(t *testing.T) {
	f := &cfClient{respond: cfLasting(time.Hour)}
	p := cfNew(f)
	ctx := context.Background()
	if _, err := p.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	var bad error
	want := cfKey(1)
	allocs := testing.AllocsPerRun(1000, func() {
		if c, err := p.Retrieve(ctx); err != nil || c.AccessKeyID != want {
			bad = fmt.Errorf("Retrieve = %q, %v", c.AccessKeyID, err)
		}
	})
	if bad != nil {
		t.Fatal(bad)
	}
	if allocs != 0 {
		t.Errorf("allocations per cached Retrieve = %v, want 0", allocs)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
}

// TestConformanceBackgroundRefresh: past the refresh point Retrieve returns
// the cached credentials at once and starts one background refresh; while
// it is blocked upstream nobody waits and nobody starts another.
func TestConformanceBackgroundRefresh(t *testing.T) {
	t.Parallel()
	g := newCFGate(t)
	var exp1 time.Time
	f := &cfClient{respond: func(ctx context.Context, n int) cfReply {
		if n == 1 {
			exp1 = time.Now().Add(4 * time.Second)
			return cfReply{out: cfAnswer(1, exp1)}
		}
		return g.respond(ctx, n)
	}}
	// Usable lifetime 3 s: the refresh point is 1.2 to 1.8 s after arrival,
	// and nobody waits before 3 s.
	p := cfNew(f, cfWindow(time.Second))
	first := cfNow(t, p, cfKey(1))
	for range 100 {
		cfNow(t, p, cfKey(1))
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("upstream calls before the refresh point = %d, want 1", n)
	}

	deadline := time.Now().Add(2500 * time.Millisecond)
	for started := false; !started; {
		if c := cfNow(t, p, cfKey(1)); c != first {
			t.Fatalf("cached credentials changed: %+v", c)
		}
		select {
		case n := <-g.entered:
			if n != 2 {
				t.Fatalf("upstream call %d entered, want 2", n)
			}
			started = true
		default:
			if time.Now().After(deadline) {
				t.Fatal("no background refresh by 2.5 s after arrival")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// The refresh is blocked upstream: many callers, all served at once.
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c, err := p.Retrieve(context.Background())
				if err == nil && c.AccessKeyID != cfKey(1) {
					err = fmt.Errorf("AccessKeyID = %q, want the cached %s", c.AccessKeyID, cfKey(1))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("callers waited for the blocked background refresh")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("upstream calls while the refresh is blocked = %d, want 2", n)
	}

	exp2 := time.Now().Add(time.Hour)
	g.answers <- cfReply{out: cfAnswer(2, exp2)}
	var got aws.Credentials
	cfEventually(t, 2*time.Second, "the refreshed credentials are served", func() bool {
		r := cfAwait(t, cfGo(context.Background(), p), "after the refresh")
		if r.err != nil {
			t.Fatalf("Retrieve: %v", r.err)
		}
		got = r.creds
		return got.AccessKeyID == cfKey(2)
	})
	if !got.Expires.Equal(exp2.Add(-time.Second)) {
		t.Errorf("refreshed Expires = %v, want %v", got.Expires, exp2.Add(-time.Second))
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2", n)
	}
}

// TestConformanceOneBackgroundRefreshUnderContention: many goroutines cross
// the refresh point together while the refresh answers at once; exactly one
// refresh may run.
func TestConformanceOneBackgroundRefreshUnderContention(t *testing.T) {
	t.Parallel()
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		if n == 1 {
			return cfReply{out: cfAnswer(1, time.Now().Add(2*time.Second))}
		}
		return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
	}}
	// Usable lifetime 1.5 s: the refresh point is 0.6 to 0.9 s away.
	p := cfNew(f, cfWindow(500*time.Millisecond))
	cfNow(t, p, cfKey(1))

	deadline := time.Now().Add(2500 * time.Millisecond)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				c, err := p.Retrieve(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if c.AccessKeyID != cfKey(1) {
					return
				}
			}
			errs <- errors.New("refreshed credentials never served")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2 (one background refresh)", n)
	}
}

// TestConformanceBackgroundFailureKeepsServing: a failed background refresh
// leaves the credentials in service, is retried after a backoff on a later
// call, and each attempt reads the token again.
func TestConformanceBackgroundFailureKeepsServing(t *testing.T) {
	t.Parallel()
	log := &cfLog{}
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		switch n {
		case 1:
			return cfReply{out: cfAnswer(1, time.Now().Add(4*time.Second))}
		case 2:
			return cfReply{err: cfAPIError(&types.ServiceUnavailableException{Message: aws.String("down")})}
		}
		return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
	}}
	// Usable lifetime 3.5 s: the refresh point is 1.4 to 2.1 s away, the
	// first backoff 0.5 to 1 s, waiting only from 3.5 s.
	p := cfNew(f, cfWindow(500*time.Millisecond), func(o *credentials.Options) { o.Logger = log })
	cfNow(t, p, cfKey(1))

	cfEventually(t, 3*time.Second, "a background refresh failed", func() bool {
		cfNow(t, p, cfKey(1))
		for _, l := range log.Lines() {
			if strings.HasPrefix(l, string(logging.Warn)) {
				return true
			}
		}
		return false
	})
	// Right after the failure the backoff holds: no new attempt.
	for range 100 {
		cfNow(t, p, cfKey(1))
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("upstream calls right after the failure = %d, want 2 (backing off)", n)
	}

	cfEventually(t, 3*time.Second, "a later call retries", func() bool {
		r := cfAwait(t, cfGo(context.Background(), p), "during the retry")
		if r.err != nil {
			t.Fatalf("Retrieve: %v", r.err)
		}
		return r.creds.AccessKeyID == cfKey(3)
	})
	if n := f.calls.Load(); n != 3 {
		t.Errorf("upstream calls = %d, want 3", n)
	}
	toks := f.Tokens()
	want := []string{cfTokenMark + "1", cfTokenMark + "2", cfTokenMark + "3"}
	if fmt.Sprint(toks) != fmt.Sprint(want) {
		t.Errorf("tokens sent = %q, want %q (read again for every attempt)", toks, want)
	}
	for _, l := range log.Lines() {
		cfNoSecret(t, "log line", l)
	}
}

// TestConformanceExpiryWithFailure: within ExpiryWindow Retrieve waits, and
// a failed refresh is its error, with the client's types intact.
func TestConformanceExpiryWithFailure(t *testing.T) {
	t.Parallel()
	var healthy atomic.Bool
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		switch {
		case n == 1:
			return cfReply{out: cfAnswer(1, time.Now().Add(1500*time.Millisecond))}
		case healthy.Load():
			return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
		}
		return cfReply{err: cfAPIError(&types.ExpiredTokenException{Message: aws.String("token expired")})}
	}}
	p := cfNew(f, cfWindow(time.Second)) // waiting from 0.5 s on
	cfNow(t, p, cfKey(1))

	var last cfResult
	cfEventually(t, 2*time.Second, "Retrieve fails once the credentials expire", func() bool {
		last = cfAwait(t, cfGo(context.Background(), p), "near expiry")
		if last.err == nil && last.creds.AccessKeyID != cfKey(1) {
			t.Fatalf("AccessKeyID = %q, want %s", last.creds.AccessKeyID, cfKey(1))
		}
		return last.err != nil
	})
	err := last.err
	if !cfAs[*types.ExpiredTokenException](err) || !cfAs[*smithy.OperationError](err) {
		t.Errorf("error %q lost its types", err)
	}
	if last.creds != (aws.Credentials{}) {
		t.Errorf("credentials with the error = %+v, want none", last.creds)
	}
	cfNoSecret(t, "error", err.Error())

	before := f.calls.Load()
	if _, err := p.Retrieve(context.Background()); err == nil {
		t.Error("second Retrieve after expiry succeeded, want the error again")
	}
	if n := f.calls.Load(); n != before+1 {
		t.Errorf("upstream calls = %d, want %d (an expired provider waits for a new attempt)", n, before+1)
	}

	healthy.Store(true)
	c, err := p.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != cfKey(int(before)+2) {
		t.Errorf("after recovery Retrieve = %q, %v; want %s", c.AccessKeyID, err, cfKey(int(before)+2))
	}
}

// TestConformanceCallerContextEnds: a caller whose context ends gets its
// context's error at once; the shared call goes on for the others.
func TestConformanceCallerContextEnds(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		end     func(context.CancelFunc)
		wantErr error
	}{
		{"canceled", func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) },
			func(cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, func(context.CancelFunc) {}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entered := make(chan context.Context)
			release := make(chan struct{})
			t.Cleanup(func() {
				select {
				case <-release:
				default:
					close(release)
				}
			})
			f := &cfClient{respond: func(ctx context.Context, n int) cfReply {
				entered <- ctx
				<-release
				if err := ctx.Err(); err != nil {
					return cfReply{err: fmt.Errorf("fake: the shared call was canceled: %w", err)}
				}
				return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
			}}
			p := cfNew(f)

			ctx, cancel := tt.ctx()
			defer cancel()
			quitter := cfGo(ctx, p)
			var upstream context.Context
			select {
			case upstream = <-entered:
			case <-time.After(3 * time.Second):
				t.Fatal("no upstream call")
			}
			stayer := cfGo(context.Background(), p)
			tt.end(cancel)

			r := cfAwait(t, quitter, "the caller whose context ended")
			if !errors.Is(r.err, tt.wantErr) {
				t.Errorf("Retrieve error = %v, want one that Is %v", r.err, tt.wantErr)
			}
			if r.creds != (aws.Credentials{}) {
				t.Errorf("credentials with the error = %+v, want none", r.creds)
			}
			if err := upstream.Err(); err != nil {
				t.Errorf("the shared call's context ended with the caller's: %v", err)
			}
			select {
			case r := <-stayer:
				t.Fatalf("the other caller returned before the upstream answer: %+v", r)
			default:
			}

			close(release)
			if r := cfAwait(t, stayer, "the other caller"); r.err != nil || r.creds.AccessKeyID != cfKey(1) {
				t.Errorf("other caller got %q, %v; want %s", r.creds.AccessKeyID, r.err, cfKey(1))
			}
			// The quitter's retry is served from what the shared call got.
			if c, err := p.Retrieve(context.Background()); err != nil || c.AccessKeyID != cfKey(1) {
				t.Errorf("Retrieve after = %q, %v; want %s", c.AccessKeyID, err, cfKey(1))
			}
			if n := f.calls.Load(); n != 1 {
				t.Errorf("upstream calls = %d, want 1", n)
			}
		})
	}

	t.Run("ended before the call", func(t *testing.T) {
		f := &cfClient{respond: cfLasting(time.Hour)}
		p := cfNew(f)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := cfAwait(t, cfGo(ctx, p), "canceled context")
		if !errors.Is(r.err, context.Canceled) {
			t.Errorf("Retrieve error = %v, want one that Is context.Canceled", r.err)
		}
		if c, err := p.Retrieve(context.Background()); err != nil || c.AccessKeyID == "" {
			t.Errorf("Retrieve with a live context = %+v, %v", c, err)
		}
	})
}

func TestConformanceInvalidate(t *testing.T) {
	f := &cfClient{respond: cfLasting(time.Hour)}
	p := cfNew(f)
	for i := 1; i <= 3; i++ {
		if c, err := p.Retrieve(context.Background()); err != nil || c.AccessKeyID != cfKey(i) {
			t.Fatalf("Retrieve %d = %q, %v; want %s", i, c.AccessKeyID, err, cfKey(i))
		}
		if c, err := p.Retrieve(context.Background()); err != nil || c.AccessKeyID != cfKey(i) {
			t.Fatalf("cached Retrieve %d = %q, %v; want %s", i, c.AccessKeyID, err, cfKey(i))
		}
		p.Invalidate()
	}
	p.Invalidate() // twice in a row is fine
	if n := f.calls.Load(); n != 3 {
		t.Errorf("upstream calls = %d, want 3", n)
	}
}

// TestConformanceInvalidateDuringRefresh: the answer of a call started
// before Invalidate is never stored, whichever call answers first.
func TestConformanceInvalidateDuringRefresh(t *testing.T) {
	for _, staleFirst := range []bool{true, false} {
		t.Run(fmt.Sprintf("stale answer first %t", staleFirst), func(t *testing.T) {
			entered := make(chan int)
			release := []chan struct{}{nil, make(chan struct{}), make(chan struct{}), make(chan struct{})}
			stop := make(chan struct{})
			t.Cleanup(func() { close(stop) })
			f := &cfClient{respond: func(_ context.Context, n int) cfReply {
				if n >= len(release) {
					return cfReply{err: fmt.Errorf("fake: unexpected call %d", n)}
				}
				select {
				case entered <- n:
				case <-stop:
				}
				select {
				case <-release[n]:
				case <-stop:
				}
				return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
			}}
			p := cfNew(f)
			await := func(want int) {
				t.Helper()
				select {
				case n := <-entered:
					if n != want {
						t.Fatalf("call %d entered, want %d", n, want)
					}
				case <-time.After(3 * time.Second):
					t.Fatalf("call %d never came", want)
				}
			}

			before := cfGo(context.Background(), p)
			await(1)
			p.Invalidate()
			after := cfGo(context.Background(), p)
			await(2) // Invalidate: the next Retrieve does not join the old call

			if staleFirst {
				close(release[1])
				close(release[2])
			} else {
				close(release[2])
				if r := cfAwait(t, after, "after Invalidate"); r.err != nil || r.creds.AccessKeyID != cfKey(2) {
					t.Fatalf("Retrieve after Invalidate = %q, %v; want %s", r.creds.AccessKeyID, r.err, cfKey(2))
				}
				close(release[1])
			}
			if r := cfAwait(t, before, "before Invalidate"); r.err != nil {
				t.Errorf("Retrieve before Invalidate: %v", r.err)
			}
			if staleFirst {
				if r := cfAwait(t, after, "after Invalidate"); r.err != nil || r.creds.AccessKeyID != cfKey(2) {
					t.Fatalf("Retrieve after Invalidate = %q, %v; want %s", r.creds.AccessKeyID, r.err, cfKey(2))
				}
			}
			for range 3 {
				cfNow(t, p, cfKey(2))
			}
			if n := f.calls.Load(); n != 2 {
				t.Errorf("upstream calls = %d, want 2", n)
			}
		})
	}
}

func TestConformanceConcurrentInvalidateAndRetrieve(t *testing.T) {
	t.Parallel()
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		if n%7 == 0 {
			runtime.Gosched() // vary the timing a little
		}
		return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
	}}
	p := cfNew(f)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 300 {
				c, err := p.Retrieve(context.Background())
				if err == nil && (c.AccessKeyID == "" || c.Source != credentials.ProviderName || !strings.HasPrefix(c.SecretAccessKey, cfSecretMark)) {
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
	// Quiet now: one more Invalidate costs exactly one call.
	before := f.calls.Load()
	p.Invalidate()
	cfNow(t, p, cfKey(int(before)+1))
	cfNow(t, p, cfKey(int(before)+1))
	if n := f.calls.Load(); n != before+1 {
		t.Errorf("upstream calls = %d, want %d", n, before+1)
	}
}

func TestConformanceTokenFile(t *testing.T) {
	const secret = cfTokenMark + "file"
	tests := []struct {
		name    string
		content *string // nil: no file
		want    string  // the token sent; "" for an error
		wantIs  error
	}{
		{"missing", nil, "", fs.ErrNotExist},
		{"empty", aws.String(""), "", nil},
		{"only a newline", aws.String("\n"), "", nil},
		{"only CRLF", aws.String("\r\n"), "", nil},
		{"CR inside", aws.String(secret + "\rmore"), "", nil},
		{"LF inside", aws.String(secret + "\nmore\n"), "", nil},
		{"CRLF inside", aws.String(secret + "\r\nmore"), "", nil},
		{"plain", aws.String(secret), secret, nil},
		{"trailing LF", aws.String(secret + "\n"), secret, nil},
		{"trailing CRLF", aws.String(secret + "\r\n"), secret, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "eks-pod-identity-token")
			if tt.content != nil {
				if err := os.WriteFile(path, []byte(*tt.content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			f := &cfClient{respond: cfLasting(time.Hour)}
			p := credentials.New(f.api(), cfCluster, credentials.TokenFile(path))
			c, err := p.Retrieve(context.Background())
			if tt.want != "" {
				if err != nil {
					t.Fatalf("Retrieve: %v", err)
				}
				if toks := f.Tokens(); len(toks) != 1 || toks[0] != tt.want {
					t.Errorf("tokens sent = %q, want [%q]", toks, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Retrieve = %+v, want an error", c)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file %s", err, path)
			}
			cfNoSecret(t, "error", err.Error())
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			if n := f.calls.Load(); n != 0 {
				t.Errorf("upstream calls = %d, want 0", n)
			}
		})
	}
}

// TestConformanceTokenFileRotation: both a waiting fetch and a background
// refresh read the file again, as the kubelet replaces it (write and
// rename).
func TestConformanceTokenFileRotation(t *testing.T) {
	t.Parallel()
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
	var lifetime atomic.Int64
	lifetime.Store(int64(time.Hour))
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		return cfReply{out: cfAnswer(n, time.Now().Add(time.Duration(lifetime.Load())))}
	}}
	// Usable lifetime of 1.2 s credentials: 1 s, refreshed 0.4 to 0.6 s on.
	p := credentials.New(f.api(), cfCluster, credentials.TokenFile(path), cfWindow(200*time.Millisecond))

	rotate("tok-a")
	cfNow(t, p, cfKey(1))
	rotate("tok-b")
	p.Invalidate()
	lifetime.Store(int64(1200 * time.Millisecond))
	cfNow(t, p, cfKey(2))
	rotate("tok-c")
	cfEventually(t, 2*time.Second, "a background refresh", func() bool {
		r := cfAwait(t, cfGo(context.Background(), p), "background")
		if r.err != nil {
			t.Fatalf("Retrieve: %v", r.err)
		}
		return f.calls.Load() >= 3
	})
	toks := f.Tokens()
	if want := []string{"tok-a", "tok-b", "tok-c"}; len(toks) < 3 || fmt.Sprint(toks[:3]) != fmt.Sprint(want) {
		t.Errorf("tokens sent = %q, want %q first", toks, want)
	}
}

func TestConformanceTokenRetrieverErrors(t *testing.T) {
	errNoToken := errors.New("no token for you")
	tests := []struct {
		name   string
		tok    credentials.TokenRetrieverFunc
		wantIs error
	}{
		{"error", func(context.Context) (string, error) { return "", errNoToken }, errNoToken},
		{"error with a token", func(context.Context) (string, error) { return cfTokenMark + "x", errNoToken }, errNoToken},
		{"empty token", func(context.Context) (string, error) { return "", nil }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cfClient{respond: cfLasting(time.Hour)}
			p := credentials.New(f.api(), cfCluster, tt.tok)
			c, err := p.Retrieve(context.Background())
			if err == nil {
				t.Fatalf("Retrieve = %+v, want an error", c)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", err, tt.wantIs)
			}
			cfNoSecret(t, "error", err.Error())
			if n := f.calls.Load(); n != 0 {
				t.Errorf("upstream calls = %d, want 0", n)
			}
		})
	}
}

func TestConformanceBadArguments(t *testing.T) {
	f := &cfClient{respond: cfLasting(time.Hour)}
	tests := []struct {
		name    string
		client  credentials.APIClient
		cluster string
		tok     credentials.TokenRetriever
	}{
		{"nil client", nil, cfCluster, cfTokens()},
		{"nil token retriever", f.api(), cfCluster, nil},
		{"empty cluster", f.api(), "", cfTokens()},
		{"cluster with a slash", f.api(), "a/b", cfTokens()},
		{"cluster with a newline", f.api(), "a\nb", cfTokens()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := credentials.New(tt.client, tt.cluster, tt.tok)
			for range 2 {
				if c, err := p.Retrieve(context.Background()); err == nil {
					t.Errorf("Retrieve = %+v, want an error", c)
				}
			}
			p.Invalidate()
		})
	}
	if n := f.calls.Load(); n != 0 {
		t.Errorf("upstream calls = %d, want 0", n)
	}
}

// TestConformanceLogging: background refreshes and failures show in the
// log, never with a secret.
func TestConformanceLogging(t *testing.T) {
	t.Parallel()
	log := &cfLog{}
	var failing atomic.Bool
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		if failing.Load() {
			return cfReply{err: cfAPIError(&types.AccessDeniedException{Message: aws.String("no")})}
		}
		if n == 1 {
			return cfReply{out: cfAnswer(1, time.Now().Add(1200*time.Millisecond))}
		}
		return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
	}}
	p := cfNew(f, cfWindow(200*time.Millisecond), func(o *credentials.Options) { o.Logger = log })
	cfNow(t, p, cfKey(1))
	cfEventually(t, 2*time.Second, "a background refresh", func() bool {
		return cfAwait(t, cfGo(context.Background(), p), "background").creds.AccessKeyID == cfKey(2)
	})
	if len(log.Lines()) == 0 {
		t.Error("a background refresh left no log line")
	}

	failing.Store(true)
	p.Invalidate()
	if _, err := p.Retrieve(context.Background()); err == nil {
		t.Fatal("Retrieve succeeded, want an error")
	}
	warned := false
	for _, l := range log.Lines() {
		cfNoSecret(t, "log line", l)
		warned = warned || strings.HasPrefix(l, string(logging.Warn))
	}
	if !warned {
		t.Errorf("a failed refresh left no WARN line; log:\n%s", strings.Join(log.Lines(), "\n"))
	}
}

func TestConformanceInsideCredentialsCache(t *testing.T) {
	t.Parallel()
	f := &cfClient{respond: cfLasting(1500 * time.Millisecond)}
	p := cfNew(f, cfWindow(time.Second)) // Expires 0.5 s after arrival
	cache := aws.NewCredentialsCache(p)
	ctx := context.Background()

	first, err := cache.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.AccessKeyID != cfKey(1) || first.Source != credentials.ProviderName || !first.CanExpire || first.AccountID != cfAccount {
		t.Errorf("through the cache: %+v", first)
	}
	if c, err := cache.Retrieve(ctx); err != nil || c.AccessKeyID != cfKey(1) {
		t.Errorf("cached = %q, %v", c.AccessKeyID, err)
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
	cfEventually(t, 2*time.Second, "the cache refreshes after Expires", func() bool {
		c, err := cache.Retrieve(ctx)
		if err != nil {
			t.Fatalf("Retrieve: %v", err)
		}
		return c.AccessKeyID == cfKey(2)
	})
	if n := f.calls.Load(); n != 2 {
		t.Errorf("upstream calls = %d, want 2", n)
	}
}

// TestConformanceNoGoroutineLeft: after fetches, background refreshes and
// failures, the Provider leaves no goroutine behind.
func TestConformanceNoGoroutineLeft(t *testing.T) {
	base := runtime.NumGoroutine()
	var failing atomic.Bool
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		if failing.Load() {
			return cfReply{err: cfAPIError(&types.InternalServerException{})}
		}
		return cfReply{out: cfAnswer(n, time.Now().Add(800*time.Millisecond))}
	}}
	// Usable lifetime 0.6 s: background refreshes 0.24 to 0.36 s on.
	p := cfNew(f, cfWindow(200*time.Millisecond))
	cfNow(t, p, cfKey(1))
	cfEventually(t, 2*time.Second, "a background refresh", func() bool {
		c, err := p.Retrieve(context.Background())
		return err == nil && c.AccessKeyID == cfKey(2)
	})
	failing.Store(true)
	cfEventually(t, 2*time.Second, "a failed wait", func() bool {
		_, err := p.Retrieve(context.Background())
		return err != nil
	})
	p.Invalidate()
	if _, err := p.Retrieve(context.Background()); err == nil {
		t.Fatal("want an error")
	}

	cfEventually(t, 2*time.Second, fmt.Sprintf("goroutines back to %d", base), func() bool {
		return runtime.NumGoroutine() <= base
	})
}

// TestConformanceLoggerMayCallTheProvider: the Provider does not hold its
// lock while logging, so a logger that calls back into it (one that ships
// lines with the same credentials, say) does not deadlock.
func TestConformanceLoggerMayCallTheProvider(t *testing.T) {
	var p *credentials.Provider
	var logged atomic.Int64
	logger := logging.LoggerFunc(func(logging.Classification, string, ...any) {
		logged.Add(1)
		p.Invalidate()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		p.Retrieve(ctx) //nolint:errcheck // any answer will do; returning is the point
	})
	var failing atomic.Bool
	failing.Store(true)
	f := &cfClient{respond: func(_ context.Context, n int) cfReply {
		if failing.Swap(false) {
			return cfReply{err: cfAPIError(&types.InternalServerException{Message: aws.String("oops")})}
		}
		return cfReply{out: cfAnswer(n, time.Now().Add(time.Hour))}
	}}
	p = cfNew(f, func(o *credentials.Options) { o.Logger = logger })
	r := cfAwait(t, cfGo(context.Background(), p), "with a logger calling back")
	if !cfAs[*types.InternalServerException](r.err) {
		t.Errorf("Retrieve error = %v, want a *types.InternalServerException", r.err)
	}
	if logged.Load() == 0 {
		t.Error("the failure was not logged")
	}
}

// TestConformanceInvalidateDuringBackgroundRefresh: after Invalidate the
// next Retrieve waits for a call of its own; the background refresh's
// answer is not stored.
func TestConformanceInvalidateDuringBackgroundRefresh(t *testing.T) {
	t.Parallel()
	g := newCFGate(t)
	var answered atomic.Int64
	f := &cfClient{respond: func(ctx context.Context, n int) cfReply {
		if n == 1 {
			return cfReply{out: cfAnswer(1, time.Now().Add(2*time.Second))}
		}
		defer answered.Add(1)
		return g.respond(ctx, n)
	}}
	p := cfNew(f, cfWindow(500*time.Millisecond)) // refresh 0.6 to 0.9 s on
	cfNow(t, p, cfKey(1))
	deadline := time.Now().Add(1400 * time.Millisecond)
	for started := false; !started; {
		cfNow(t, p, cfKey(1))
		select {
		case <-g.entered:
			started = true
		default:
			if time.Now().After(deadline) {
				t.Fatal("no background refresh")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	p.Invalidate()
	after := cfGo(context.Background(), p)
	g.waitEntered(t, 3)
	g.answers <- cfReply{out: cfAnswer(2, time.Now().Add(time.Hour))} // whichever call takes it
	g.answers <- cfReply{out: cfAnswer(3, time.Now().Add(time.Hour))}
	r := cfAwait(t, after, "after Invalidate")
	if r.err != nil {
		t.Fatalf("Retrieve after Invalidate: %v", r.err)
	}
	want := r.creds.AccessKeyID // the answer the call of its own took
	// Once the background call has answered too, its result must not be
	// what is served.
	cfEventually(t, time.Second, "both calls answered", func() bool { return answered.Load() == 2 })
	time.Sleep(10 * time.Millisecond) // let it publish, or fail to
	for range 3 {
		cfNow(t, p, want)
	}
	if n := f.calls.Load(); n != 3 {
		t.Errorf("upstream calls = %d, want 3", n)
	}
}

// TestConformanceRefreshPointsAreJittered: providers that got credentials
// together do not refresh together, and each refreshes between about 40%
// and 60% of the usable lifetime remaining.
func TestConformanceRefreshPointsAreJittered(t *testing.T) {
	t.Parallel()
	const n = 12
	exp := time.Now().Add(3 * time.Second)
	arrival := time.Now()
	refreshed := make([]atomic.Int64, n) // Unix nanoseconds of the second call
	ps := make([]*credentials.Provider, n)
	for i := range ps {
		f := &cfClient{}
		f.respond = func(_ context.Context, k int) cfReply {
			if k == 1 {
				return cfReply{out: cfAnswer(k, exp)}
			}
			refreshed[i].CompareAndSwap(0, time.Now().UnixNano())
			return cfReply{out: cfAnswer(k, time.Now().Add(time.Hour))}
		}
		ps[i] = cfNew(f, cfWindow(500*time.Millisecond)) // usable 2.5 s
		cfNow(t, ps[i], cfKey(1))
	}
	cfEventually(t, 2500*time.Millisecond, "every provider refreshed", func() bool {
		all := true
		for i, p := range ps {
			if _, err := p.Retrieve(context.Background()); err != nil {
				t.Fatal(err)
			}
			all = all && refreshed[i].Load() != 0
		}
		return all
	})
	first, last := time.Duration(1<<62), time.Duration(0)
	for i := range refreshed {
		d := time.Unix(0, refreshed[i].Load()).Sub(arrival)
		first, last = min(first, d), max(last, d)
	}
	// The points are drawn from 1.0 to 1.5 s after arrival; allow for
	// polling and a loaded machine on the late side.
	if first < 900*time.Millisecond || last > 2*time.Second {
		t.Errorf("refreshes between %s and %s after arrival, want within about 1 to 1.5 s", first, last)
	}
	if last-first < 20*time.Millisecond {
		t.Errorf("%d providers refreshed within %s of each other: no jitter", n, last-first)
	}
}
