package eksauthtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

func TestThrottlingAnswers(t *testing.T) {
	// A rate this low never refills during the test: exactly the burst passes.
	srv := newTestServer(t, eksauthtest.WithThrottling(0.001, 3))
	token := srv.Token(testPod, time.Hour)
	var statuses []int
	for range 5 {
		res := send(t, srv, rawRequest{token: token})
		statuses = append(statuses, res.status)
		if res.status == http.StatusTooManyRequests {
			if res.errType != "ThrottlingException" || res.message != "Rate exceeded" || string(res.body) != `{"message":"Rate exceeded"}` {
				t.Errorf("throttled answer: X-Amzn-ErrorType %q, body %s", res.errType, res.body)
			}
			if res.header.Get("X-Amzn-Requestid") == "" || res.header.Get("Content-Type") != "application/json" {
				t.Errorf("throttled answer headers = %v", res.header)
			}
		}
	}
	if want := []int{200, 200, 200, 429, 429}; !equalInts(statuses, want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}

	// Unauthenticated requests are refused as such and take nothing; an
	// injected fault answers instead of the bucket.
	if res := send(t, srv, rawRequest{token: token, unsigned: true}); res.status != http.StatusForbidden {
		t.Errorf("unsigned request: status %d (%s), want 403", res.status, res.code)
	}
	srv.Inject(eksauthtest.Fault{Status: http.StatusServiceUnavailable})
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusServiceUnavailable {
		t.Errorf("injected fault: status %d, want 503", res.status)
	}

	reqs := srv.Requests()
	if len(reqs) != 7 {
		t.Fatalf("%d requests recorded, want 7", len(reqs))
	}
	for i, r := range reqs {
		throttled := i == 3 || i == 4
		if r.Throttled != throttled || r.Fault != (throttled || i == 6) || !r.Done {
			t.Errorf("request %d: Throttled %v Fault %v Done %v (status %d)", i, r.Throttled, r.Fault, r.Done, r.Status)
		}
		if throttled && (r.Status != 429 || r.Code != "ThrottlingException") {
			t.Errorf("request %d: recorded %d %q, want 429 ThrottlingException", i, r.Status, r.Code)
		}
	}
}

func TestThrottlingRefills(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithThrottling(20, 1))
	token := srv.Token(testPod, time.Hour)
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusOK {
		t.Fatalf("first request: %d", res.status)
	}
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusTooManyRequests {
		t.Fatalf("second request at once: %d, want 429", res.status)
	}
	time.Sleep(100 * time.Millisecond) // 2 tokens at 20/s, capped at the burst of 1
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusOK {
		t.Fatalf("after 100ms at 20/s: %d, want 200", res.status)
	}
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusTooManyRequests {
		t.Fatalf("then at once: %d, want 429 (the burst is 1)", res.status)
	}
}

// TestThrottlingThroughClient checks that a client decodes the answer as
// the service's throttling: the typed error, and one the standard retryer
// retries as a throttle.
func TestThrottlingThroughClient(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithThrottling(0.001, 1))
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	in := &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(testCluster), Token: aws.String(srv.Token(testPod, time.Hour))}
	if _, err := client.AssumeRoleForPodIdentity(context.Background(), in); err != nil {
		t.Fatalf("first call: %v", err)
	}
	_, err := client.AssumeRoleForPodIdentity(context.Background(), in)
	var te *types.ThrottlingException
	if !errors.As(err, &te) {
		t.Fatalf("second call: %v, want *types.ThrottlingException", err)
	}
	if !strings.Contains(err.Error(), "StatusCode: 429") || !strings.HasSuffix(err.Error(), "ThrottlingException: Rate exceeded") {
		t.Errorf("error text %q", err)
	}
	if !retry.NewStandard().IsErrorRetryable(err) || retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("the standard retryer does not retry %v as a throttle", err)
	}
}

func TestWithThrottlingPanicsOnBadInput(t *testing.T) {
	for _, tc := range []struct {
		rate  float64
		burst int
	}{{-1, 1}, {1, 0}, {1, -5}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("WithThrottling(%v, %d): NewServer did not panic", tc.rate, tc.burst)
				}
			}()
			eksauthtest.NewServer(eksauthtest.WithThrottling(tc.rate, tc.burst)).Close()
		}()
	}
	// Rate 0 is off.
	srv := newTestServer(t, eksauthtest.WithThrottling(0, 0))
	token := srv.Token(testPod, time.Hour)
	for range 20 {
		if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusOK {
			t.Fatalf("rate 0: status %d, want no throttling", res.status)
		}
	}
}
