package main

// End-to-end tests: the AWS SDK for Go's own container-credentials provider
// (what every Go program in a pod uses) gets credentials from the emulator
// through the agent, over real HTTP on loopback.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

const (
	e2eCluster = "c1"
	e2eRole    = "arn:aws:iam::111122223333:role/web-role"
)

var e2ePod = eksauthtest.Pod{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "web", Name: "web-7d9f"}

// hermeticEnv clears every AWS_* variable and points the shared config and
// credentials files at an empty file, so that the SDK's default chain can
// only find the container provider the test configures.
func hermeticEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restores the value after the test
			os.Unsetenv(k)
		}
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-west-2")
}

type e2e struct {
	srv       *eksauthtest.Server
	agent     *agent
	tokenFile string
	logs      *syncBuffer
}

// newE2E starts an emulator with an association for e2ePod, an agent in
// front of it on loopback, and points the SDK's container provider at the
// agent. clientFns configure the agent's EKS Auth client.
func newE2E(t *testing.T, emuOpts []eksauthtest.Option, clientFns ...func(*eksauth.Options)) *e2e {
	return newE2EWith(t, emuOpts, nil, clientFns...)
}

// newE2EWith is newE2E with agentFn adjusting the agent's options.
func newE2EWith(t *testing.T, emuOpts []eksauthtest.Option, agentFn func(*agentOptions), clientFns ...func(*eksauth.Options)) *e2e {
	t.Helper()
	hermeticEnv(t)
	srv := eksauthtest.NewServer(emuOpts...)
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: e2eCluster, Namespace: e2ePod.Namespace, ServiceAccount: e2ePod.ServiceAccount, RoleARN: e2eRole})
	logs := &syncBuffer{}
	o := agentOptions{
		cluster:         e2eCluster,
		client:          eksauth.NewFromConfig(srv.Config(), clientFns...),
		cacheSize:       1024,
		idleTTL:         time.Hour,
		upstreamTimeout: 10 * time.Second,
		maxInflight:     32,
		logger:          slog.New(slog.NewTextHandler(logs, nil)),
	}
	if agentFn != nil {
		agentFn(&o)
	}
	a := newAgent(o)
	hs := httptest.NewServer(a)
	t.Cleanup(hs.Close)
	e := &e2e{srv: srv, agent: a, tokenFile: filepath.Join(t.TempDir(), "eks-pod-identity-token"), logs: logs}
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", hs.URL+credentialsPath)
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", e.tokenFile)
	return e
}

// writeToken writes the token file as the kubelet does. Without a trailing
// newline: the Go SDK sends the file as it is and refuses CR/LF.
func (e *e2e) writeToken(t *testing.T, token string) {
	t.Helper()
	if err := os.WriteFile(e.tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
}

// upstreamCalls returns the tokens of the operation calls the emulator got.
func (e *e2e) upstreamCalls(t *testing.T) []string {
	t.Helper()
	var tokens []string
	for _, r := range e.srv.Requests() {
		if !isCall(r) {
			continue
		}
		var body struct{ Token string }
		_ = json.Unmarshal(r.Body, &body)
		tokens = append(tokens, body.Token)
	}
	return tokens
}

// sdkRetrieve loads a fresh SDK configuration (so nothing is cached on the
// pod's side) and retrieves its credentials.
func sdkRetrieve(t *testing.T, optFns ...func(*config.LoadOptions) error) (aws.Credentials, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg.Credentials.Retrieve(ctx)
}

// sdkNoRetry makes the SDK's container provider try once, so that a test
// sees the agent's first answer.
func sdkNoRetry(o *config.LoadOptions) error {
	return config.WithEndpointCredentialOptions(func(o *endpointcreds.Options) { o.Retryer = aws.NopRetryer{} })(o)
}

func TestSDKGetsCredentialsThroughAgent(t *testing.T) {
	e := newE2E(t, nil)
	e.writeToken(t, e.srv.Token(e2ePod, time.Hour))

	creds, err := sdkRetrieve(t)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SecretAccessKey == "" || creds.SessionToken == "" {
		t.Errorf("credentials = %s/%t/%t, want ASIA… with a secret and a session token", creds.AccessKeyID, creds.SecretAccessKey != "", creds.SessionToken != "")
	}
	if creds.Source != endpointcreds.ProviderName {
		t.Errorf("Source = %q, want %q: the SDK's container provider", creds.Source, endpointcreds.ProviderName)
	}
	if creds.AccountID != eksauthtest.DefaultAccountID {
		t.Errorf("AccountID = %q, want %q", creds.AccountID, eksauthtest.DefaultAccountID)
	}
	// 6 h from the emulator, as the agent passes it on, minus the SDK
	// cache's own 5 minutes.
	if want := time.Now().Add(6*time.Hour - 5*time.Minute); !creds.CanExpire || creds.Expires.Sub(want).Abs() > time.Minute {
		t.Errorf("Expires = %v (CanExpire %t), want about %v", creds.Expires, creds.CanExpire, want)
	}

	// Another process of the pod: served from the agent's cache.
	again, err := sdkRetrieve(t)
	if err != nil {
		t.Fatalf("second Retrieve: %v", err)
	}
	if again.AccessKeyID != creds.AccessKeyID {
		t.Errorf("second access key %s, want the cached %s", again.AccessKeyID, creds.AccessKeyID)
	}
	if n := len(e.upstreamCalls(t)); n != 1 {
		t.Errorf("upstream calls = %d, want 1", n)
	}
	if strings.Contains(e.logs.String(), creds.SecretAccessKey) || strings.Contains(e.logs.String(), creds.SessionToken) {
		t.Error("the agent logged a secret")
	}
}

func TestSDKTokenRotation(t *testing.T) {
	e := newE2E(t, nil)
	first := e.srv.Token(e2ePod, time.Hour)
	e.writeToken(t, first)
	c1, err := sdkRetrieve(t)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}

	// The kubelet rotates the token (a different TTL makes it differ even
	// within the same second).
	second := e.srv.Token(e2ePod, 2*time.Hour)
	if second == first {
		t.Fatal("the emulator minted the same token twice")
	}
	e.writeToken(t, second)
	c2, err := sdkRetrieve(t)
	if err != nil {
		t.Fatalf("Retrieve after rotation: %v", err)
	}
	if c2.AccessKeyID == c1.AccessKeyID {
		t.Error("same credentials after rotation, want the new token exchanged")
	}
	if _, err := sdkRetrieve(t); err != nil {
		t.Fatalf("third Retrieve: %v", err)
	}
	calls := e.upstreamCalls(t)
	if len(calls) != 2 || calls[0] != first || calls[1] != second {
		t.Errorf("upstream calls = %d, want 2: the old token, then the new one once", len(calls))
	}
	if entries, pods := e.agent.cache.stats(); entries != 1 || pods != 1 {
		t.Errorf("cache = %d tokens of %d pods, want 1 of 1: the new token replaced the old", entries, pods)
	}
}

func TestSDKParsesUpstreamErrors(t *testing.T) {
	type httpStatus interface{ HTTPStatusCode() int }
	for name, tc := range map[string]struct {
		faults     []eksauthtest.Fault
		pod        eksauthtest.Pod
		clockAhead time.Duration // of the emulator, to expire the token
		wantStatus int
		wantCode   string
	}{
		"no association":  {pod: eksauthtest.Pod{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "batch", Name: "job-1"}, wantStatus: 404, wantCode: "ResourceNotFoundException"},
		"expired token":   {clockAhead: 2 * time.Hour, wantStatus: 400, wantCode: "ExpiredTokenException"},
		"access denied":   {faults: []eksauthtest.Fault{{Code: "AccessDeniedException"}}, wantStatus: 400, wantCode: "AccessDeniedException"},
		"throttled":       {faults: []eksauthtest.Fault{{Code: "ThrottlingException"}}, wantStatus: 429, wantCode: "ThrottlingException"},
		"EKS Auth down":   {faults: []eksauthtest.Fault{{Status: 503}}, wantStatus: 503, wantCode: "ServiceUnavailableException"},
		"proxy HTML page": {faults: []eksauthtest.Fault{{Status: 502, Body: "<html>Bad Gateway</html>"}}, wantStatus: 502, wantCode: "UpstreamError"},
	} {
		t.Run(name, func(t *testing.T) {
			clock := newTestClock()
			// One attempt on each side, so that each fault is the answer.
			e := newE2E(t, []eksauthtest.Option{eksauthtest.WithClock(clock.Now)}, func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
			pod := e2ePod
			if tc.pod.Name != "" {
				pod = tc.pod
			}
			e.writeToken(t, e.srv.Token(pod, time.Hour))
			clock.Add(tc.clockAhead)
			e.srv.Inject(tc.faults...)

			_, err := sdkRetrieve(t, sdkNoRetry)
			if err == nil {
				t.Fatal("Retrieve succeeded, want an error")
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode {
				t.Fatalf("SDK error %v: want API error code %s, parsed from the agent's JSON", err, tc.wantCode)
			}
			if ae.ErrorMessage() == "" {
				t.Error("empty message")
			}
			var hs httpStatus
			if !errors.As(err, &hs) || hs.HTTPStatusCode() != tc.wantStatus {
				t.Errorf("SDK error %v: want HTTP status %d", err, tc.wantStatus)
			}
		})
	}
}

func TestSDKServedDuringOutage(t *testing.T) {
	e := newE2E(t, nil)
	e.writeToken(t, e.srv.Token(e2ePod, time.Hour))
	before, err := sdkRetrieve(t)
	if err != nil {
		t.Fatalf("Retrieve: %v", err)
	}
	e.srv.Close() // EKS Auth is gone

	for i := range 3 {
		got, err := sdkRetrieve(t)
		if err != nil {
			t.Fatalf("Retrieve #%d during the outage: %v", i, err)
		}
		if got.AccessKeyID != before.AccessKeyID || !got.Expires.Equal(before.Expires) {
			t.Errorf("Retrieve #%d = %s until %v, want the cached %s until %v", i, got.AccessKeyID, got.Expires, before.AccessKeyID, before.Expires)
		}
	}

	// A pod the agent has not seen cannot be served, and hears why.
	other := eksauthtest.Pod{Cluster: e2eCluster, Namespace: "team-a", ServiceAccount: "web", Name: "web-new"}
	// The emulator is closed, so another one mints the token: the agent
	// cannot reach any EKS Auth anyway.
	minter := eksauthtest.NewServer()
	t.Cleanup(minter.Close)
	e.writeToken(t, minter.Token(other, time.Hour))
	_, err = sdkRetrieve(t, sdkNoRetry)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ServiceUnavailableException" {
		t.Errorf("new pod during the outage: %v, want ServiceUnavailableException", err)
	}
}

// TestSDKParsesRateLimit: the agent's own 429 reaches the SDK as a
// throttling error it can act on (the SDK's retryer backs off on it).
func TestSDKParsesRateLimit(t *testing.T) {
	e := newE2EWith(t, nil, func(o *agentOptions) { o.rate, o.burst = 0.001, 1 })
	e.writeToken(t, e.srv.Token(e2ePod, time.Hour))
	if _, err := sdkRetrieve(t); err != nil {
		t.Fatalf("first Retrieve: %v", err)
	}
	_, err := sdkRetrieve(t, sdkNoRetry)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ThrottlingException" || !strings.Contains(ae.ErrorMessage(), "per second") {
		t.Errorf("second Retrieve: %v, want the agent's ThrottlingException", err)
	}
}
