package eksauth_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

func TestRetryHeadersAndResigning(t *testing.T) {
	ts := newTestServer(t,
		answer{Status: 500, Body: `{"code":"InternalServerException"}`},
		answer{Status: 503, Body: `oops`},
		answer{Body: successBody(t)},
	)
	if _, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	reqs := ts.Requests()
	if len(reqs) != 3 {
		t.Fatalf("sent %d requests, want 3", len(reqs))
	}
	id := reqs[0].Header.Get("Amz-Sdk-Invocation-Id")
	for i, r := range reqs {
		if got := r.Header.Get("Amz-Sdk-Invocation-Id"); got != id {
			t.Errorf("attempt %d invocation id = %q, want %q (one per operation)", i+1, got, id)
		}
		if got, want := r.Header.Get("Amz-Sdk-Request"), "attempt="+string(rune('1'+i))+"; max=3"; got != want {
			t.Errorf("attempt %d amz-sdk-request = %q, want %q", i+1, got, want)
		}
		if got, want := string(r.Body), `{"token":"`+testToken+`"}`; got != want {
			t.Errorf("attempt %d body = %s, want the whole body replayed", i+1, got)
		}
		verifySignature(t, r, ts.Listener.Addr().String(), "us-west-2")
	}
	// A second operation has its own invocation id.
	ts2 := newTestServer(t, answer{Body: successBody(t)})
	c := newTestClient(ts2)
	c.AssumeRoleForPodIdentity(context.Background(), input())
	c.AssumeRoleForPodIdentity(context.Background(), input())
	r2 := ts2.Requests()
	if r2[0].Header.Get("Amz-Sdk-Invocation-Id") == r2[1].Header.Get("Amz-Sdk-Invocation-Id") {
		t.Error("two operations share an invocation id")
	}
}

func TestRetryMaxAttempts(t *testing.T) {
	fail := answer{Status: 500, Body: `{"code":"InternalServerException","message":"x"}`}
	tests := map[string]struct {
		opts      func(*eksauth.Options)
		call      []func(*eksauth.Options)
		wantTries int
	}{
		"default retryer":                {opts: func(o *eksauth.Options) { o.Retryer = nil }, wantTries: 3},
		"RetryMaxAttempts, default":      {opts: func(o *eksauth.Options) { o.Retryer = nil; o.RetryMaxAttempts = 5 }, wantTries: 5},
		"RetryMaxAttempts wraps Retryer": {opts: func(o *eksauth.Options) { o.RetryMaxAttempts = 4 }, wantTries: 4},
		"per-call RetryMaxAttempts":      {call: []func(*eksauth.Options){func(o *eksauth.Options) { o.RetryMaxAttempts = 2 }}, wantTries: 2},
		"aws.NopRetryer":                 {opts: func(o *eksauth.Options) { o.Retryer = aws.NopRetryer{} }, wantTries: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, fail)
			opts := []func(*eksauth.Options){}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			// The default retryer really backs off (50 ms base): a few
			// hundred milliseconds at most here.
			_, err := newTestClient(ts, opts...).AssumeRoleForPodIdentity(context.Background(), input(), tt.call...)
			checkMaxAttempts(t, err, tt.wantTries)
			if got := len(ts.Requests()); got != tt.wantTries {
				t.Errorf("sent %d requests, want %d", got, tt.wantTries)
			}
		})
	}
}

func checkMaxAttempts(t *testing.T, err error, tries int) {
	t.Helper()
	var ise *types.InternalServerException
	if !errors.As(err, &ise) {
		t.Fatalf("error = %v, want an InternalServerException", err)
	}
	var mae *retry.MaxAttemptsError
	if tries > 1 && (!errors.As(err, &mae) || mae.Attempt != tries) {
		t.Errorf("error = %v, want a MaxAttemptsError after %d attempts", err, tries)
	}
}

func TestRetryQuota(t *testing.T) {
	// A quota of 10 tokens pays for one retry of a 5xx (cost 5 each) twice;
	// afterwards retries stop with the quota error, and a success after a
	// retry gives the cost back.
	limiter := ratelimit.NewTokenRateLimit(10)
	r := retry.NewStandard(noBackoff, func(o *retry.StandardOptions) {
		o.RateLimiter = limiter
		o.RetryCost = 5
		o.MaxAttempts = 2
	})
	ts := newTestServer(t, answer{Status: 500, Body: `{"code":"InternalServerException"}`})
	c := newTestClient(ts, func(o *eksauth.Options) { o.Retryer = r })
	for i := 0; i < 2; i++ {
		c.AssumeRoleForPodIdentity(context.Background(), input())
	}
	if got := len(ts.Requests()); got != 4 {
		t.Fatalf("sent %d requests, want 4", got)
	}
	_, err := c.AssumeRoleForPodIdentity(context.Background(), input())
	if err == nil || !strings.Contains(err.Error(), "retry quota exceeded") {
		t.Errorf("error = %v, want the retry quota error", err)
	}
	var qe ratelimit.QuotaExceededError
	if !errors.As(err, &qe) {
		t.Errorf("error %v: no ratelimit.QuotaExceededError", err)
	}
	var ise *types.InternalServerException
	if !errors.As(err, &ise) {
		t.Errorf("error %v: the API error is lost", err)
	}
	if got := len(ts.Requests()); got != 5 {
		t.Errorf("sent %d requests, want 5 (no retry without quota)", got)
	}
}

func TestRetryTransportErrors(t *testing.T) {
	// A listener that accepts and closes: every attempt fails on the wire.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	c := eksauth.New(eksauth.Options{
		Region: "us-west-2", BaseEndpoint: aws.String("http://" + ln.Addr().String()),
		Credentials: credentials(testCreds), Retryer: retry.NewStandard(noBackoff),
	})
	_, err = c.AssumeRoleForPodIdentity(context.Background(), input())
	var mae *retry.MaxAttemptsError
	if !errors.As(err, &mae) || mae.Attempt != 3 {
		t.Fatalf("error = %v, want a MaxAttemptsError after 3 attempts", err)
	}
	if !strings.Contains(err.Error(), "StatusCode: 0") || !strings.Contains(err.Error(), "request send failed") {
		t.Errorf("error text = %q, want the SDK's send-failure form", err)
	}
	if got := accepted.Load(); got != 3 {
		t.Errorf("%d connections, want 3", got)
	}

	// Connection refused is retried too.
	addr := ln.Addr().String()
	ln.Close()
	c = eksauth.New(eksauth.Options{
		Region: "us-west-2", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials(testCreds), Retryer: retry.NewStandard(noBackoff),
	})
	_, err = c.AssumeRoleForPodIdentity(context.Background(), input())
	if !errors.As(err, &mae) || mae.Attempt != 3 {
		t.Errorf("refused: error = %v, want a MaxAttemptsError after 3 attempts", err)
	}
}

func TestClockSkewCorrection(t *testing.T) {
	serverNow := time.Now().Add(time.Hour).UTC()
	date := serverNow.Format(http.TimeFormat)
	tests := map[string]struct {
		first     answer
		wantTries int
	}{
		"AccessDenied with skew is retried": {
			first:     answer{Status: 400, Header: map[string]string{"Date": date}, Body: `{"code":"AccessDeniedException","message":"Signature expired"}`},
			wantTries: 2,
		},
		"InvalidSignatureException code with skew": {
			first:     answer{Status: 403, Header: map[string]string{"Date": date, "X-Amzn-ErrorType": "InvalidSignatureException"}, Body: `{}`},
			wantTries: 2,
		},
		"AccessDenied without skew is not": {
			first:     answer{Status: 400, Body: `{"code":"AccessDeniedException"}`},
			wantTries: 1,
		},
		"cached answer (Age) is not trusted": {
			first:     answer{Status: 400, Header: map[string]string{"Date": date, "Age": "10"}, Body: `{"code":"AccessDeniedException"}`},
			wantTries: 1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, tt.first, answer{Body: successBody(t)})
			_, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
			reqs := ts.Requests()
			if len(reqs) != tt.wantTries {
				t.Fatalf("sent %d requests (err %v), want %d", len(reqs), err, tt.wantTries)
			}
			if tt.wantTries == 1 {
				if err == nil {
					t.Fatal("got no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			signedAt, _ := time.Parse("20060102T150405Z", reqs[1].Header.Get("X-Amz-Date"))
			if d := signedAt.Sub(serverNow); d < -time.Minute || d > time.Minute {
				t.Errorf("retry signed at %v, want the server's clock %v", signedAt, serverNow)
			}
		})
	}
}

func TestContextCancellation(t *testing.T) {
	t.Run("canceled before the call", func(t *testing.T) {
		ts := newTestServer(t, answer{Body: successBody(t)})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := newTestClient(ts).AssumeRoleForPodIdentity(ctx, input())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		if n := len(ts.Requests()); n != 0 {
			t.Errorf("sent %d requests, want 0", n)
		}
	})
	t.Run("canceled during backoff", func(t *testing.T) {
		ts := newTestServer(t, answer{Status: 500, Body: `{"code":"InternalServerException"}`})
		ctx, cancel := context.WithCancel(context.Background())
		slow := retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
				cancel() // the caller gives up while the client waits
				return time.Hour, nil
			})
		})
		_, err := newTestClient(ts, func(o *eksauth.Options) { o.Retryer = slow }).AssumeRoleForPodIdentity(ctx, input())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error = %v, want context.Canceled", err)
		}
		var rce *aws.RequestCanceledError
		if !errors.As(err, &rce) {
			t.Errorf("error = %v, want an *aws.RequestCanceledError", err)
		}
		if n := len(ts.Requests()); n != 1 {
			t.Errorf("sent %d requests, want 1", n)
		}
	})
	t.Run("deadline during the request", func(t *testing.T) {
		block := make(chan struct{})
		ts := newTestServer(t, answer{Body: successBody(t)})
		ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block })
		t.Cleanup(func() { close(block) })
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := newTestClient(ts).AssumeRoleForPodIdentity(ctx, input())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
	})
}

// unlimitedRetryer retries every retryable error, with no attempt limit.
type unlimitedRetryer struct{ aws.Retryer }

func (unlimitedRetryer) MaxAttempts() int { return 0 }

func TestUnlimitedAttemptsAndTTL(t *testing.T) {
	serverNow := time.Now().Add(10 * time.Minute).UTC()
	ts := newTestServer(t,
		answer{Status: 500, Body: `{"code":"InternalServerException"}`},
		answer{Status: 400, Header: map[string]string{"Date": serverNow.Format(http.TimeFormat)}, Body: `{"code":"AccessDeniedException"}`},
		answer{Body: successBody(t)},
	)
	c := newTestClient(ts, func(o *eksauth.Options) { o.Retryer = unlimitedRetryer{retry.NewStandard(noBackoff)} })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.AssumeRoleForPodIdentity(ctx, input()); err != nil {
		t.Fatal(err)
	}
	reqs := ts.Requests()
	if len(reqs) != 3 {
		t.Fatalf("sent %d requests, want 3", len(reqs))
	}
	for i, want := range []string{"attempt=1", "attempt=2", "attempt=3; ttl="} {
		if got := reqs[i].Header.Get("Amz-Sdk-Request"); !strings.HasPrefix(got, want) || strings.Contains(got, "max=") {
			t.Errorf("attempt %d amz-sdk-request = %q, want %q… without max", i+1, got, want)
		}
	}
}

// lingeringClient fails every request on the wire but, as http.RoundTripper
// allows, keeps reading the request from another goroutine after Do has
// returned (net/http's write loop may still be writing it).
type lingeringClient struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	urls []*url.URL
}

func (c *lingeringClient) Do(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.urls = append(c.urls, req.URL)
	c.mu.Unlock()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_ = req.URL.String()
	}()
	return nil, errors.New("connection reset by peer")
}

func TestRetryDoesNotShareRequestURL(t *testing.T) {
	hc := &lingeringClient{}
	c := eksauth.New(eksauth.Options{
		Region: "us-west-2", Credentials: credentials(testCreds),
		Retryer: retry.NewStandard(noBackoff), HTTPClient: hc,
	})
	_, err := c.AssumeRoleForPodIdentity(context.Background(), input())
	hc.wg.Wait()
	if err == nil {
		t.Fatal("call succeeded, want a transport error")
	}
	if len(hc.urls) != 3 {
		t.Fatalf("%d attempts, want 3", len(hc.urls))
	}
	// The signer writes req.URL.RawQuery: an attempt that reused an
	// earlier attempt's URL would race with that attempt's transport.
	for i := 1; i < len(hc.urls); i++ {
		for j := 0; j < i; j++ {
			if hc.urls[i] == hc.urls[j] {
				t.Errorf("attempts %d and %d share one *url.URL", j+1, i+1)
			}
		}
	}
}
