package eksauth

import (
	"context"
	"net/http"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// maxTrustedRoundTrip bounds the round trip whose response Date still
// measures the clock skew (the SDK's Clock Skew Correction rule).
const maxTrustedRoundTrip = 15 * time.Minute

// sent is what one attempt's exchange produced.
type sent struct {
	resp *http.Response

	// skew is the server's clock minus ours, from the response Date
	// header; hasSkew is false without a usable Date.
	skew    time.Duration
	hasSkew bool
}

// send sends req. A transport error is a *smithyhttp.RequestSendError (which
// the standard retryer retries), or a *smithy.CanceledError once ctx is done,
// with an empty response, exactly as in the SDK.
func (c *callConfig) send(ctx context.Context, req *http.Request) (sent, error) {
	requestAt := time.Now()
	resp, err := c.options.HTTPClient.Do(req)
	responseAt := time.Now()
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		var sendErr error = &smithyhttp.RequestSendError{Err: err}
		if ctxErr := ctx.Err(); ctxErr != nil {
			sendErr = &smithy.CanceledError{Err: ctxErr}
		}
		return sent{resp: &http.Response{Header: http.Header{}, Body: http.NoBody}}, sendErr
	}
	// A broken HTTPClient (a test double, say) may answer nothing or a
	// response without a body: an empty answer, as the SDK makes of it,
	// rather than a panic.
	if resp == nil {
		resp = &http.Response{Header: http.Header{}, Body: http.NoBody}
	} else if resp.Body == nil {
		resp.Body = http.NoBody
	}
	s := sent{resp: resp}
	s.skew, s.hasSkew = c.clockSkew(ctx, resp, requestAt, responseAt)
	return s, nil
}

// clockSkew measures the server's clock against ours from the Date header,
// unless the answer came from a cache (Age header) or took too long.
func (c *callConfig) clockSkew(ctx context.Context, resp *http.Response, requestAt, responseAt time.Time) (time.Duration, bool) {
	date := resp.Header.Get("Date")
	if date == "" {
		return 0, false
	}
	serverTime, err := smithyhttp.ParseTime(date)
	if err != nil {
		logging.WithContext(ctx, c.options.Logger).Logf(logging.Warn, "failed to parse response Date header value, got %v", err.Error())
		return 0, false
	}
	if resp.Header.Get("Age") != "" || responseAt.Sub(requestAt) > maxTrustedRoundTrip {
		return 0, false
	}
	return serverTime.Sub(responseAt), true
}

// wrapSendError puts a transport error in the chain the SDK builds for it:
// *awshttp.ResponseError around an empty response (status 0).
func wrapSendError(s sent, err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: s.resp}, Err: err},
	}
}
