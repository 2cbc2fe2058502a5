package eksauth_test

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
)

// TestConcurrentCalls shares one Client between many goroutines, with and
// without per-call options and retries; run it with -race.
func TestConcurrentCalls(t *testing.T) {
	ts := newTestServer(t, answer{Header: map[string]string{"X-Amzn-Requestid": "rid"}, Body: successBody(t)})
	flaky := newTestServer(t, answer{Status: 503, Body: `{"code":"ServiceUnavailableException"}`}, answer{Body: successBody(t)})
	logger := &recordingLogger{}
	c := newTestClient(ts, func(o *eksauth.Options) {
		o.Logger = logger
		o.ClientLogMode = aws.LogRetries | aws.LogRequestWithBody | aws.LogResponseWithBody | aws.LogSigning
	})
	const goroutines, calls = 50, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*calls)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls; i++ {
				var optFns []func(*eksauth.Options)
				if i%3 == 0 {
					optFns = append(optFns, func(o *eksauth.Options) {
						o.BaseEndpoint = aws.String(flaky.URL)
						o.HTTPClient = flaky.Client()
					})
				}
				out, err := c.AssumeRoleForPodIdentity(context.Background(), input(), optFns...)
				if err == nil && *out.Credentials.AccessKeyId != "ASIARESPONSEKEY" {
					t.Errorf("wrong credentials %q", *out.Credentials.AccessKeyId)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := len(ts.Requests()), goroutines*(calls-(calls+2)/3); got != want {
		t.Errorf("server got %d requests, want %d", got, want)
	}
}
