package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

func TestCredentialsAnswer(t *testing.T) {
	ta := newTestAgent(t, nil)
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig1")

	r := ta.get(t, credentialsPath, token)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", r.status, r.body)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	c := r.creds
	if !strings.HasPrefix(c.AccessKeyId, "ASIAFAKE") || c.SecretAccessKey != fakeSecretKey || c.Token != fakeSessionToken {
		t.Errorf("credentials = %+v, want the fake's", c)
	}
	if c.AccountId != "111122223333" {
		t.Errorf("AccountId = %q, want 111122223333", c.AccountId)
	}
	exp, err := time.Parse(time.RFC3339, c.Expiration)
	if err != nil {
		t.Fatalf("Expiration %q is not RFC 3339: %v", c.Expiration, err)
	}
	// EKS Auth's own expiry: each SDK subtracts its own window.
	if want := time.Now().Add(6 * time.Hour); exp.Sub(want).Abs() > time.Minute {
		t.Errorf("Expiration = %v, want about %v", exp, want)
	}
	if got := ta.fake.calls(); len(got) != 1 || got[0] != token {
		t.Errorf("upstream calls = %d, want 1 with the pod's token", len(got))
	}
	// Exactly the five fields the SDKs read.
	for _, f := range []string{`"AccessKeyId"`, `"SecretAccessKey"`, `"Token"`, `"AccountId"`, `"Expiration"`} {
		if !strings.Contains(string(r.body), f) {
			t.Errorf("body lacks %s: %s", f, r.body)
		}
	}
}

func TestBadRequests(t *testing.T) {
	now := time.Now()
	valid := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	for name, tc := range map[string]struct {
		method, path string
		header       []string // Authorization values
		wantStatus   int
		wantCode     string
	}{
		"no Authorization":      {"GET", credentialsPath, nil, 400, "InvalidRequestException"},
		"empty Authorization":   {"GET", credentialsPath, []string{""}, 400, "InvalidRequestException"},
		"two Authorization":     {"GET", credentialsPath, []string{valid, valid}, 400, "InvalidRequestException"},
		"Bearer prefix":         {"GET", credentialsPath, []string{"Bearer " + valid}, 400, "InvalidTokenException"},
		"not a JWT":             {"GET", credentialsPath, []string{"hello"}, 400, "InvalidTokenException"},
		"payload not base64":    {"GET", credentialsPath, []string{"a.b.c"}, 400, "InvalidTokenException"},
		"payload not JSON":      {"GET", credentialsPath, []string{"a.bm90IGpzb24.c"}, 400, "InvalidTokenException"},
		"no pod uid":            {"GET", credentialsPath, []string{"a.eyJzdWIiOiJ4In0.c"}, 400, "InvalidTokenException"},
		"POST":                  {"POST", credentialsPath, []string{valid}, 405, "MethodNotAllowed"},
		"unknown path":          {"GET", "/v2/credentials", []string{valid}, 404, "NotFound"},
		"expired token (claim)": {"GET", credentialsPath, []string{fakeToken(t, "uid-2", now.Add(-2*time.Hour), now.Add(-time.Hour), "s")}, 400, "ExpiredTokenException"},
	} {
		t.Run(name, func(t *testing.T) {
			ta := newTestAgent(t, nil)
			req := httptest.NewRequest(tc.method, tc.path, nil)
			for _, v := range tc.header {
				req.Header.Add("Authorization", v)
			}
			r := serve(t, ta, req)
			if r.status != tc.wantStatus || r.err.Code != tc.wantCode {
				t.Errorf("got %d %q (%s), want %d %q", r.status, r.err.Code, r.err.Message, tc.wantStatus, tc.wantCode)
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if r.err.Message == "" {
				t.Error("empty message")
			}
			if n := len(ta.fake.calls()); n != 0 {
				t.Errorf("upstream calls = %d, want 0: bad requests must not reach EKS Auth", n)
			}
		})
	}
}

// responseError wraps apiErr as the eksauth client does: OperationError →
// awshttp.ResponseError (status, request ID) → the API error.
func responseError(status int, apiErr error) error {
	return &smithy.OperationError{
		ServiceID:     "EKS Auth",
		OperationName: "AssumeRoleForPodIdentity",
		Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
				Err:      apiErr,
			},
			RequestID: "rid-1",
		},
	}
}

func TestUpstreamErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		"expired token":       {responseError(400, &types.ExpiredTokenException{Message: aws.String("token expired")}), 400, "ExpiredTokenException"},
		"invalid token":       {responseError(400, &types.InvalidTokenException{Message: aws.String("bad signature")}), 400, "InvalidTokenException"},
		"access denied":       {responseError(400, &types.AccessDeniedException{Message: aws.String("no")}), 400, "AccessDeniedException"},
		"no association":      {responseError(404, &types.ResourceNotFoundException{Message: aws.String("none")}), 404, "ResourceNotFoundException"},
		"throttled":           {responseError(429, &types.ThrottlingException{Message: aws.String("slow down")}), 429, "ThrottlingException"},
		"internal":            {responseError(500, &types.InternalServerException{Message: aws.String("oops")}), 500, "InternalServerException"},
		"unavailable":         {responseError(503, &types.ServiceUnavailableException{Message: aws.String("down")}), 503, "ServiceUnavailableException"},
		"typed, no response":  {&types.ResourceNotFoundException{Message: aws.String("none")}, 404, "ResourceNotFoundException"},
		"bad node signature":  {responseError(403, &smithy.GenericAPIError{Code: "InvalidSignatureException", Message: "sig"}), 502, "InvalidSignatureException"},
		"undecodable answer":  {responseError(502, &smithy.DeserializationError{Err: errors.New("not json")}), 502, "UpstreamError"},
		"timeout":             {fmt.Errorf("credentials: refresh: %w", context.DeadlineExceeded), 504, "UpstreamTimeout"},
		"unreachable":         {&smithy.OperationError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}, 503, "ServiceUnavailableException"},
		"incomplete response": {errors.New("incomplete response: no credentials"), 502, "UpstreamError"},
	} {
		t.Run(name, func(t *testing.T) {
			ta := newTestAgent(t, nil)
			ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) { return nil, tc.err }
			now := ta.clock.Now()
			token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
			r := ta.get(t, credentialsPath, token)
			if r.status != tc.wantStatus || r.err.Code != tc.wantCode {
				t.Errorf("got %d %q (%s), want %d %q", r.status, r.err.Code, r.err.Message, tc.wantStatus, tc.wantCode)
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if strings.Contains(string(r.body), token) || strings.Contains(ta.logs.String(), token) {
				t.Error("the token reached the answer or the log")
			}
			if !strings.Contains(ta.logs.String(), "eksauth call failed") {
				t.Errorf("no log line for the failed call:\n%s", ta.logs)
			}
			// The operator needs the reason as much as the pod does.
			if !strings.Contains(ta.logs.String(), "message=") {
				t.Errorf("the log line of the failed call gives no reason:\n%s", ta.logs)
			}
		})
	}
}

// TestTokenInUpstreamMessageIsRedacted: even if an upstream message quoted
// the token, neither the pod's answer nor the log would.
func TestTokenInUpstreamMessageIsRedacted(t *testing.T) {
	ta := newTestAgent(t, nil)
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		return nil, responseError(400, &types.InvalidTokenException{Message: aws.String("bad token " + token)})
	}
	r := ta.get(t, credentialsPath, token)
	if r.status != 400 || strings.Contains(string(r.body), token) || !strings.Contains(r.err.Message, "[token]") {
		t.Errorf("got %d %s, want 400 with the token redacted", r.status, r.body)
	}
	if logs := ta.logs.String(); strings.Contains(logs, token) || !strings.Contains(logs, "[token]") {
		t.Errorf("log = %s, want the token redacted", logs)
	}
}

func TestConcurrentRequestsOfOnePodMakeOneCall(t *testing.T) {
	ta := newTestAgent(t, nil)
	release := make(chan struct{})
	ta.fake.answer = func(ctx context.Context, token string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		<-release
		return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
	}
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")

	const n = 200
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- ta.get(t, credentialsPath, token).status
		}()
	}
	// Let the requests pile up on the one upstream call, then release it.
	waitFor(t, "the upstream call", func() bool { return len(ta.fake.calls()) > 0 })
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("status %d, want 200", s)
		}
	}
	if got := len(ta.fake.calls()); got != 1 {
		t.Errorf("upstream calls = %d, want 1 for %d concurrent requests", got, n)
	}
}

// TestForgedTokenDoesNotGetCachedCredentials is the security edge: a token
// claiming pod X's UID, but not X's token, must be checked by EKS Auth and
// must not disturb X.
func TestForgedTokenDoesNotGetCachedCredentials(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.rate, o.burst = 1, 3 })
	now := ta.clock.Now()
	real := fakeToken(t, "uid-x", now, now.Add(time.Hour), "realsig")
	forged := fakeToken(t, "uid-x", now.Add(time.Minute), now.Add(time.Hour), "forgedsig")
	ta.fake.answer = func(_ context.Context, token string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		if token != real {
			return nil, responseError(400, &types.InvalidTokenException{Message: aws.String("signature does not verify")})
		}
		return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
	}
	if r := ta.get(t, credentialsPath, real); r.status != 200 {
		t.Fatalf("real token: %d %s", r.status, r.body)
	}
	for i := range 5 {
		r := ta.get(t, credentialsPath, forged)
		if r.status == 200 || r.creds.SecretAccessKey != "" {
			t.Fatalf("forged token #%d got credentials", i)
		}
	}
	calls := ta.fake.calls()
	if len(calls) < 2 || calls[1] != forged {
		t.Fatalf("upstream calls = %d, want the forged token checked by EKS Auth", len(calls))
	}
	// The forger spent its own budget, not X's (2 requests left of 3),
	// and retired nothing.
	for i := range 2 {
		if r := ta.get(t, credentialsPath, real); r.status != 200 {
			t.Fatalf("real token after forgery #%d: %d %s", i, r.status, r.body)
		}
	}
	if got := len(ta.fake.calls()); got != len(calls) {
		t.Errorf("upstream calls grew from %d to %d: the real token must stay cached", len(calls), got)
	}
}

func TestTokenRotation(t *testing.T) {
	ta := newTestAgent(t, nil)
	now := ta.clock.Now()
	oldTok := fakeToken(t, "uid-1", now, now.Add(time.Hour), "old")
	newTok := fakeToken(t, "uid-1", now.Add(48*time.Minute), now.Add(2*time.Hour), "new")
	other := fakeToken(t, "uid-2", now, now.Add(time.Hour), "other")

	for _, tok := range []string{oldTok, other, newTok, newTok} {
		if r := ta.get(t, credentialsPath, tok); r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.body)
		}
	}
	calls := ta.fake.calls()
	if len(calls) != 3 || calls[2] != newTok {
		t.Fatalf("upstream calls = %d, want 3 (old, other, new once)", len(calls))
	}
	if entries, pods := ta.cache.stats(); entries != 2 || pods != 2 {
		t.Errorf("cache holds %d tokens of %d pods, want 2 of 2: the rotated token replaces the old one", entries, pods)
	}
	if !strings.Contains(ta.logs.String(), "token rotated") {
		t.Errorf("no rotation log line:\n%s", ta.logs)
	}
}

func TestOutageKeepsServingCachedCredentials(t *testing.T) {
	ta := newTestAgent(t, nil)
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	first := ta.get(t, credentialsPath, token)
	if first.status != 200 {
		t.Fatalf("status %d", first.status)
	}
	ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		return nil, responseError(503, &types.ServiceUnavailableException{Message: aws.String("down")})
	}
	for range 10 {
		r := ta.get(t, credentialsPath, token)
		if r.status != 200 || r.creds.AccessKeyId != first.creds.AccessKeyId {
			t.Fatalf("during the outage: %d %s, want the cached credentials", r.status, r.body)
		}
	}
}

func TestRateLimit(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.rate, o.burst = 2, 3 })
	now := ta.clock.Now()
	a := fakeToken(t, "uid-a", now, now.Add(time.Hour), "a")
	b := fakeToken(t, "uid-b", now, now.Add(time.Hour), "b")
	for i := range 3 {
		if r := ta.get(t, credentialsPath, a); r.status != 200 {
			t.Fatalf("request %d: %d", i, r.status)
		}
	}
	r := ta.get(t, credentialsPath, a)
	if r.status != http.StatusTooManyRequests || r.err.Code != "ThrottlingException" {
		t.Fatalf("4th request: %d %q, want 429 ThrottlingException", r.status, r.err.Code)
	}
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	if r := ta.get(t, credentialsPath, b); r.status != 200 {
		t.Errorf("another pod: %d, want 200: limits are per pod", r.status)
	}
	ta.clock.Add(500 * time.Millisecond) // one token at 2/s
	if r := ta.get(t, credentialsPath, a); r.status != 200 {
		t.Errorf("after refill: %d, want 200", r.status)
	}
}

func TestIdleTokensAreForgotten(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.idleTTL = 10 * time.Minute })
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	ta.get(t, credentialsPath, token)
	ta.clock.Add(9 * time.Minute)
	ta.get(t, credentialsPath, token)
	if got := len(ta.fake.calls()); got != 1 {
		t.Fatalf("upstream calls = %d, want 1 while used", got)
	}
	ta.clock.Add(10 * time.Minute)
	if n := ta.cache.sweep(ta.clock.Now()); n != 1 {
		t.Errorf("sweep forgot %d tokens, want 1", n)
	}
	ta.get(t, credentialsPath, token)
	if got := len(ta.fake.calls()); got != 2 {
		t.Errorf("upstream calls = %d, want 2 after the pod was forgotten", got)
	}
}

func TestNoSecretInLogs(t *testing.T) {
	ta := newTestAgent(t, nil)
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	ta.get(t, credentialsPath, token)
	rotated := fakeToken(t, "uid-1", now.Add(time.Minute), now.Add(time.Hour), "sig2")
	ta.get(t, credentialsPath, rotated)
	logs := ta.logs.String()
	if got := strings.Count(logs, `msg="eksauth call"`); got != 2 {
		t.Errorf("%d upstream log lines, want 2:\n%s", got, logs)
	}
	for _, secret := range []string{token, rotated, "sig2", fakeSecretKey, fakeSessionToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains a secret %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{"pod_uid=uid-1", "request_id", "expires="} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestNodeIdentityIsSent(t *testing.T) {
	var got *eksauth.AssumeRoleForPodIdentityInput
	ta := newTestAgent(t, func(o *agentOptions) { o.nodeName, o.instanceID, o.zone = "node-1", "i-0abc", "us-west-2a" })
	ta.up.client = inputRecorder(func(in *eksauth.AssumeRoleForPodIdentityInput) { got = in })
	now := ta.clock.Now()
	ta.get(t, credentialsPath, fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig"))
	if got == nil || aws.ToString(got.ClusterName) != "c1" || aws.ToString(got.EksNodeName) != "node-1" ||
		aws.ToString(got.InstanceId) != "i-0abc" || aws.ToString(got.Zone) != "us-west-2a" {
		t.Errorf("input = %+v, want cluster and node identity", got)
	}
}

type inputRecorder func(*eksauth.AssumeRoleForPodIdentityInput)

func (f inputRecorder) AssumeRoleForPodIdentity(_ context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	f(in)
	return fakeOutput(0, time.Now().Add(time.Hour)), nil
}

func TestUpstreamTimeout(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.upstreamTimeout = 50 * time.Millisecond })
	ta.fake.answer = func(ctx context.Context, _ string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	now := ta.clock.Now()
	r := ta.get(t, credentialsPath, fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig"))
	if r.status != http.StatusGatewayTimeout || r.err.Code != "UpstreamTimeout" {
		t.Errorf("got %d %q, want 504 UpstreamTimeout", r.status, r.err.Code)
	}
}

// FuzzCredentialsHandler: any Authorization value gets a JSON answer, a
// malformed one never reaches EKS Auth, and no answer quotes the token.
func FuzzCredentialsHandler(f *testing.F) {
	now := time.Now()
	f.Add(fakeToken(f, "uid-1", now, now.Add(time.Hour), "sig"))
	f.Add("a.b.c")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, token string) {
		ta := newTestAgent(t, nil)
		ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
			return nil, responseError(400, &types.InvalidTokenException{Message: aws.String("bad")})
		}
		req := httptest.NewRequest(http.MethodGet, credentialsPath, nil)
		req.Header["Authorization"] = []string{token}
		r := serve(t, ta, req)
		if got := r.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type = %q", got)
		}
		if r.status == 200 {
			t.Fatalf("status 200 for a token EKS Auth rejects")
		}
		if r.status != 400 {
			t.Errorf("status %d, want 400", r.status)
		}
		if _, err := peekClaims(token); err != nil && len(ta.fake.calls()) != 0 {
			t.Errorf("malformed token %q reached EKS Auth", token)
		}
		if len(token) > 8 && strings.Contains(string(r.body), token) {
			t.Errorf("answer quotes the token: %s", r.body)
		}
	})
}

func TestSweeperForgetsIdlePods(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.idleTTL = time.Minute })
	now := ta.clock.Now()
	ta.get(t, credentialsPath, fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig"))
	ta.clock.Add(2 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ta.sweep(ctx, time.Millisecond); close(done) }()
	for {
		if entries, _ := ta.cache.stats(); entries == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done // sweep returns when its context ends
	if !strings.Contains(ta.logs.String(), "forgot idle tokens") {
		t.Errorf("no log line for the sweep:\n%s", ta.logs)
	}
}

func TestMaxInflightBoundsUpstreamCalls(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.maxInflight = 2 })
	var (
		mu            sync.Mutex
		inflight, top int
	)
	release := make(chan struct{})
	ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		mu.Lock()
		inflight++
		top = max(top, inflight)
		mu.Unlock()
		<-release
		mu.Lock()
		inflight--
		mu.Unlock()
		return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
	}
	now := ta.clock.Now()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := ta.get(t, credentialsPath, fakeToken(t, fmt.Sprint("uid-", i), now, now.Add(time.Hour), "s")); r.status != 200 {
				t.Errorf("pod %d: %d", i, r.status)
			}
		}()
	}
	// Wait until two calls are in, give the others time to (wrongly) join.
	waitFor(t, "two upstream calls", func() bool { return len(ta.fake.calls()) >= 2 })
	time.Sleep(20 * time.Millisecond)
	if got := len(ta.fake.calls()); got != 2 {
		t.Errorf("%d calls started with 2 slots", got)
	}
	close(release)
	wg.Wait()
	if top != 2 || len(ta.fake.calls()) != 6 {
		t.Errorf("at most %d calls at once of %d, want 2 of 6", top, len(ta.fake.calls()))
	}
}

// Credentials that live shorter than the provider's expiry window count as
// expired on arrival; the agent must still never serve an Expiration in the
// past: botocore refuses such an answer ("Credentials were refreshed, but
// the refreshed credentials are still expired") instead of using it.
func TestShortLivedCredentialsAreNotServedAsExpired(t *testing.T) {
	ta := newTestAgent(t, nil)
	ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		return fakeOutput(0, time.Now().Add(2*time.Minute)), nil
	}
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig1")

	r := ta.get(t, credentialsPath, token)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", r.status, r.body)
	}
	exp, err := time.Parse(time.RFC3339, r.creds.Expiration)
	if err != nil {
		t.Fatalf("Expiration %q is not RFC 3339: %v", r.creds.Expiration, err)
	}
	if !exp.After(time.Now()) {
		t.Errorf("Expiration = %v, want after now (the real expiry, about %v)", exp, time.Now().Add(2*time.Minute))
	}
}
