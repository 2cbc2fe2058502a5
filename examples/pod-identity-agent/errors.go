package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// contentType is the media type of every answer. The Go SDK compares the
// header for equality before it tries JSON, so it is exactly this.
const contentType = "application/json"

// EKS Auth's nine error codes, from the public error types (their
// ErrorCode without an override is the canonical code).
var (
	codeAccessDenied       = (*types.AccessDeniedException)(nil).ErrorCode()
	codeExpiredToken       = (*types.ExpiredTokenException)(nil).ErrorCode()
	codeInternalServer     = (*types.InternalServerException)(nil).ErrorCode()
	codeInvalidParameter   = (*types.InvalidParameterException)(nil).ErrorCode()
	codeInvalidRequest     = (*types.InvalidRequestException)(nil).ErrorCode()
	codeInvalidToken       = (*types.InvalidTokenException)(nil).ErrorCode()
	codeResourceNotFound   = (*types.ResourceNotFoundException)(nil).ErrorCode()
	codeServiceUnavailable = (*types.ServiceUnavailableException)(nil).ErrorCode()
	codeThrottling         = (*types.ThrottlingException)(nil).ErrorCode()
)

// Codes the agent answers with besides EKS Auth's own. Where EKS Auth has a
// code for the same situation the agent reuses it, so that a pod switches on
// one vocabulary.
const (
	codeMethodNotAllowed = "MethodNotAllowed"
	codeNotFound         = "NotFound"
	codeUpstreamError    = "UpstreamError"
	codeUpstreamTimeout  = "UpstreamTimeout"
)

// apiError is an answer other than credentials. Its JSON is the shape the
// SDKs' container-credentials providers parse, {"Code": ..., "Message": ...}:
// the JS SDK v3 reads exactly these capitalised keys, the Go SDK matches any
// case, botocore shows the body as it is.
type apiError struct {
	status     int
	Code       string
	Message    string
	retryAfter time.Duration // sent as Retry-After when positive
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.Code, e.Message) }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// writeError sends e and returns its status. redact, when not empty, is
// removed from the message: the messages come from EKS Auth and our
// client, which promise never to carry the token, and this makes sure of
// it at the edge.
func writeError(w http.ResponseWriter, e *apiError, redact string) int {
	out := *e
	if redact != "" {
		out.Message = strings.ReplaceAll(out.Message, redact, "[token]")
		out.Code = strings.ReplaceAll(out.Code, redact, "[token]") // an unknown code is passed on
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(&out)
	return e.status
}

// eksAuthStatus is the HTTP status of each EKS Auth error code, used when an
// error carries a known code but no HTTP response (e.g. a fake client).
var eksAuthStatus = map[string]int{
	codeAccessDenied:       http.StatusBadRequest,
	codeExpiredToken:       http.StatusBadRequest,
	codeInvalidParameter:   http.StatusBadRequest,
	codeInvalidRequest:     http.StatusBadRequest,
	codeInvalidToken:       http.StatusBadRequest,
	codeResourceNotFound:   http.StatusNotFound,
	codeThrottling:         http.StatusTooManyRequests,
	codeInternalServer:     http.StatusInternalServerError,
	codeServiceUnavailable: http.StatusServiceUnavailable,
}

// upstreamError maps a failed credentials fetch to the answer a pod gets:
//
//   - one of EKS Auth's nine errors: its code, message and status, so a pod
//     sees 400 ExpiredTokenException exactly as if it had called EKS Auth;
//   - any other answer from EKS Auth (an unknown code such as the 403s for
//     bad node credentials, or a body that does not decode): 502, keeping
//     the upstream code when there is one — it is the agent's problem, not
//     the pod's, so it must not look like a verdict on the pod's token;
//   - a timeout: 504;
//   - EKS Auth unreachable (no answer at all): 503.
func upstreamError(err error) *apiError {
	requestID := ""
	re := answerOf(err)
	if re != nil {
		if id := re.ServiceRequestID(); id != "" {
			requestID = " (request ID " + id + ")"
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if status, known := knownCode(code); known {
			if re != nil && re.HTTPStatusCode() >= 400 {
				status = re.HTTPStatusCode()
			}
			return newError(status, code, "EKS Auth: %s%s", ae.ErrorMessage(), requestID)
		}
		if re != nil || code != "" {
			if code == "" {
				code = codeUpstreamError
			}
			// Passed on, but as 502: such codes (the 403s of SigV4) are
			// about the node's credentials, not a verdict on the pod.
			return newError(http.StatusBadGateway, code, "EKS Auth refused the agent's call (about the node, not the pod's token): %s%s", ae.ErrorMessage(), requestID)
		}
	}
	var ne net.Error
	var se *smithyhttp.RequestSendError
	var nc *nodeCredentialsError
	switch {
	case errors.As(err, &nc), errors.Is(err, eksauth.ErrNoCredentials):
		return newError(http.StatusBadGateway, codeUpstreamError, "the node has no AWS credentials to sign the call to EKS Auth with (the agent's problem, not the pod's): %v", err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return newError(http.StatusGatewayTimeout, codeUpstreamTimeout, "EKS Auth did not answer in time")
	case re != nil:
		return newError(http.StatusBadGateway, codeUpstreamError, "EKS Auth answered with HTTP %d that the agent could not use%s", re.HTTPStatusCode(), requestID)
	case errors.As(err, &ne), errors.As(err, &se):
		var cause error = ne // e.g. "dial tcp …: connection refused"
		if ne == nil {
			cause = se.Err
		}
		return newError(http.StatusServiceUnavailable, codeServiceUnavailable, "EKS Auth is unreachable: %v", cause)
	default:
		return newError(http.StatusBadGateway, codeUpstreamError, "the call to EKS Auth failed: %v", err)
	}
}

// answerOf returns the HTTP answer EKS Auth gave in err, or nil if none
// came: the SDK's transport also wraps a request that got no answer
// (refused, reset) in a ResponseError, with status 0.
func answerOf(err error) *awshttp.ResponseError {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() != 0 {
		return re
	}
	return nil
}

// knownCode reports whether code is one of EKS Auth's nine (matched
// case-insensitively, as the client does) and its canonical status.
func knownCode(code string) (int, bool) {
	_, status, ok := canonicalCode(code)
	return status, ok
}

// canonicalCode returns EKS Auth's spelling of code, if it is one of the
// nine, and its status.
func canonicalCode(code string) (string, int, bool) {
	for c, status := range eksAuthStatus {
		if strings.EqualFold(c, code) {
			return c, status, true
		}
	}
	return "", 0, false
}

// revoked reports whether err says that the pod's access is gone (the
// association deleted, the role's trust withdrawn, the token invalid or
// expired), so that whatever is cached for the token must go at once.
// Throttling, 5xx, timeouts and unreachability are not: they keep valid
// credentials in service.
func revoked(err error) bool {
	var (
		nf *types.ResourceNotFoundException
		ad *types.AccessDeniedException
		it *types.InvalidTokenException
		et *types.ExpiredTokenException
	)
	return errors.As(err, &nf) || errors.As(err, &ad) || errors.As(err, &it) || errors.As(err, &et)
}
