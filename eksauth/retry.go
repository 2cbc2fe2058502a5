package eksauth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/internal/protocol"
)

// skewThreshold is the clock skew beyond which the SDK retries errors that
// a skewed signing clock causes.
const skewThreshold = 4 * time.Minute

// clockSkewCodes are the error codes a skewed clock may cause; they are
// retried only when the skew measured from the answer exceeds
// skewThreshold (the SDK's Clock Skew Correction rule).
var clockSkewCodes = [...]string{
	"InvalidSignatureException",
	"SignatureDoesNotMatch",
	"AuthFailure",
	"RequestTimeTooSkewed",
	"AccessDeniedException",
}

// doWithRetries runs the attempts of one call through the aws.Retryer
// contract, as the SDK's retry middleware does: an attempt token per
// attempt, a retry token (the retry quota) per retry, both released on
// success; each attempt re-signed with a fresh date corrected by the clock
// skew the previous answer showed, and the whole body replayed; the
// caller's ctx checked before each attempt and during each backoff.
func (c *callConfig) doWithRetries(ctx context.Context, op *operation, creds aws.Credentials) (*AssumeRoleForPodIdentityOutput, error) {
	retryer := c.options.Retryer
	maxAttempts := retryer.MaxAttempts() // read once per call, as the SDK does
	releaseRetryToken := nopRelease
	var skew time.Duration // the skew the previous attempt measured
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		releaseAttemptToken, err := attemptToken(ctx, retryer)
		if err != nil {
			return nil, fmt.Errorf("failed to get retry Send token, %w", err)
		}
		if attempt > 1 {
			c.logRetry("retrying request %s/%s, attempt %d", ServiceID, protocol.OperationName, attempt)
		}

		out, s, err := c.attempt(ctx, op, creds, attempt, maxAttempts, skew)

		if releaseErr := releaseRetryToken(err); releaseErr != nil && err != nil {
			return nil, fmt.Errorf("failed to release retry token after request error, %w", err)
		}
		if releaseErr := releaseAttemptToken(err); releaseErr != nil && err != nil {
			return nil, fmt.Errorf("failed to release initial token after request error, %w", err)
		}
		if err == nil {
			return out, nil
		}
		releaseRetryToken = nopRelease

		if s.hasSkew && isClockSkewError(err) && absDuration(skew-s.skew) > skewThreshold {
			err = &clockSkewError{err: err}
		}
		if !retryer.IsErrorRetryable(err) {
			c.logRetry("request failed with unretryable error %v", err)
			return nil, err
		}
		if maxAttempts > 0 && attempt >= maxAttempts {
			c.logRetry("max retry attempts exhausted, max %d", maxAttempts)
			return nil, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
		}
		release, tokenErr := retryer.GetRetryToken(ctx, err)
		if tokenErr != nil {
			return nil, errors.Join(err, tokenErr)
		}
		delay, delayErr := retryer.RetryDelay(attempt, err)
		if delayErr != nil {
			return nil, delayErr
		}
		delay = c.adjustForRetryAfter(delay, err)
		if sleepErr := sleep(ctx, delay); sleepErr != nil {
			return nil, &aws.RequestCanceledError{Err: sleepErr}
		}
		releaseRetryToken = release
		skew = 0
		if s.hasSkew {
			skew = s.skew
		}
	}
}

// attempt signs, sends and decodes one attempt.
func (c *callConfig) attempt(ctx context.Context, op *operation, creds aws.Credentials, attempt, maxAttempts int, skew time.Duration) (*AssumeRoleForPodIdentityOutput, sent, error) {
	req, err := c.newRequest(ctx, op, attempt, maxAttempts, skew)
	if err != nil {
		return nil, sent{}, err
	}
	if err := c.sign(ctx, req, op, creds, skew); err != nil {
		return nil, sent{}, err
	}
	c.logRequest(ctx, req, op, creds)
	s, err := c.send(ctx, req)
	if err != nil {
		return nil, s, wrapSendError(s, err)
	}
	c.logResponse(ctx, s.resp, op)
	out, err := decode(s.resp, op)
	return out, s, err
}

// attemptToken takes the retryer's token for an attempt (a RetryerV2's
// GetAttemptToken, else GetInitialToken).
func attemptToken(ctx context.Context, r aws.Retryer) (func(error) error, error) {
	if v2, ok := r.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.GetInitialToken(), nil
}

func nopRelease(error) error { return nil }

func isClockSkewError(err error) bool {
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) {
		return false
	}
	for _, code := range clockSkewCodes {
		if coded.ErrorCode() == code {
			return true
		}
	}
	return false
}

// clockSkewError marks an error that a skewed clock probably caused, so
// that the retryer retries it (with the corrected clock).
type clockSkewError struct{ err error }

func (e *clockSkewError) Error() string        { return "Probable clock skew error: " + e.err.Error() }
func (e *clockSkewError) Unwrap() error        { return e.err }
func (e *clockSkewError) RetryableError() bool { return true }

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// adjustForRetryAfter honours an x-amz-retry-after header (milliseconds)
// within [delay, delay+5s], as the SDK does.
func (c *callConfig) adjustForRetryAfter(delay time.Duration, err error) time.Duration {
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil || re.Response.Response == nil {
		return delay
	}
	v := re.Response.Header.Get("X-Amz-Retry-After")
	if v == "" {
		return delay
	}
	ms, parseErr := strconv.ParseInt(v, 10, 64)
	if parseErr != nil || ms < 0 {
		c.logRetry("ignoring invalid x-amz-retry-after header value %q", v)
		return delay
	}
	return min(max(time.Duration(ms)*time.Millisecond, delay), delay+5*time.Second)
}

// sleep waits d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
