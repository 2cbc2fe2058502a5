// Package eksauth is a client for the EKS Auth API, whose one operation,
// AssumeRoleForPodIdentity, exchanges a pod's service-account token for
// temporary AWS credentials (EKS Pod Identity).
//
// Most programs want the credentials provider in package credentials of
// this module, which calls this client and refreshes before expiry; use
// this package directly to call the API yourself, e.g. in a node agent.
//
// # Compatibility
//
// The package is source-compatible with
// github.com/aws/aws-sdk-go-v2/service/eksauth: a program written for the
// official client builds and behaves the same after changing its import
// paths. Calls run through smithy-go's middleware stack with the official
// steps, middleware IDs and context values, so APIOptions (otelaws, custom
// headers, User-Agent keys) work as with any SDK client; TracerProvider and
// MeterProvider give the SDK's spans and client.call.* metrics. Errors have
// the official chain and text: a *smithy.OperationError around an
// *awshttp.ResponseError (status code, request ID) around the API error.
//
// On purpose, it is stricter than the official client: bad input (a
// cluster name or token outside the API's patterns, a token with CR or LF)
// fails before anything is sent, as *smithy.InvalidParamsError; missing or
// anonymous credentials fail with [ErrNoCredentials]; a region that is not
// a host name fails; a success answer without complete credentials is a
// *smithy.DeserializationError; every response body is capped at
// [MaxResponseBodySize].
//
// # Retries and clock skew
//
// Retries are the SDK's retry middleware with Options.Retryer (by default
// retry.NewStandard). Each attempt gets credentials and is signed anew, at
// the service's clock as the last answer's Date header showed it, and
// errors of a skewed clock are retried once the skew is known.
//
// # Secrets
//
// The token, the signature, the session token and the secret key never
// appear in an error, a span or a log line, in any Options.ClientLogMode;
// an error holds no signed request.
package eksauth
