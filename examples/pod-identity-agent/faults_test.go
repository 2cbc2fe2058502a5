package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// TestSDKWireFaults: whatever goes wrong on the wire between the agent and
// EKS Auth, a pod's SDK gets a typed error it can parse, within the agent's
// upstream timeout; transient faults are retried by the agent's client.
func TestSDKWireFaults(t *testing.T) {
	const upstreamTimeout = 500 * time.Millisecond
	for name, tc := range map[string]struct {
		faults     []eksauthtest.Fault
		attempts   int // of the agent's client
		wantStatus int // 0: the SDK gets credentials
		wantCode   string
	}{
		"dropped connection":      {faults: []eksauthtest.Fault{{Drop: true}}, attempts: 1, wantStatus: 503, wantCode: "ServiceUnavailableException"},
		"truncated answer":        {faults: []eksauthtest.Fault{{Truncate: true}}, attempts: 1, wantStatus: 502, wantCode: "UpstreamError"},
		"200 without credentials": {faults: []eksauthtest.Fault{{Status: 200, Body: `{"audience":"pods.eks.amazonaws.com"}`}}, attempts: 1, wantStatus: 502, wantCode: "UpstreamError"},
		"EKS Auth too slow":       {faults: []eksauthtest.Fault{{Delay: time.Minute}}, attempts: 1, wantStatus: 504, wantCode: "UpstreamTimeout"},
		"transient faults, then an answer": {
			faults: []eksauthtest.Fault{{Status: 503}, {Drop: true}}, attempts: 3,
		},
	} {
		t.Run(name, func(t *testing.T) {
			// No backoff: the retries must fit in the upstream timeout.
			e := newE2EWith(t, nil, func(o *agentOptions) { o.upstreamTimeout = upstreamTimeout },
				func(o *eksauth.Options) {
					o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
						so.MaxAttempts = tc.attempts
						so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
					})
				})
			e.writeToken(t, e.srv.Token(e2ePod, time.Hour))
			e.srv.Inject(tc.faults...)

			start := time.Now()
			creds, err := sdkRetrieve(t, sdkNoRetry)
			if elapsed := time.Since(start); elapsed > upstreamTimeout+2*time.Second {
				t.Errorf("the pod waited %v; the agent's upstream timeout is %v", elapsed, upstreamTimeout)
			}
			if tc.wantStatus == 0 {
				if err != nil || !creds.HasKeys() {
					t.Fatalf("Retrieve: %v, want credentials after the agent's retries", err)
				}
				if n := len(e.upstreamCalls(t)); n != len(tc.faults)+1 {
					t.Errorf("upstream calls = %d, want %d", n, len(tc.faults)+1)
				}
				return
			}
			var ae smithy.APIError
			var hs interface{ HTTPStatusCode() int }
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.wantCode || !errors.As(err, &hs) || hs.HTTPStatusCode() != tc.wantStatus {
				t.Fatalf("SDK error %v: want %d %s", err, tc.wantStatus, tc.wantCode)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "eksauth call failed") {
				t.Errorf("no log line for the failed call:\n%s", logs)
			}
			for _, secret := range []string{e.srv.NodeCredentials().SecretAccessKey, e.srv.NodeCredentials().SessionToken} {
				if secret != "" && (strings.Contains(logs, secret) || strings.Contains(err.Error(), secret)) {
					t.Error("a node secret reached the log or the pod's error")
				}
			}

			// The fault was one answer: the next request is served.
			if _, err := sdkRetrieve(t, sdkNoRetry); err != nil {
				t.Errorf("Retrieve after the fault: %v", err)
			}
		})
	}
}
