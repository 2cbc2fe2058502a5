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
// github.com/aws/aws-sdk-go-v2/service/eksauth for [New], [NewFromConfig],
// [Options], [Client.AssumeRoleForPodIdentity], its input and output, and
// the errors of package types: a program written for the official client
// builds and behaves the same after changing its import paths. Errors have
// the official chain and text: a *smithy.OperationError around an
// *awshttp.ResponseError (status code, request ID) around the API error.
//
// On purpose, it is stricter than the official client: bad input (nil, a
// cluster name or token outside the API's patterns, a token with CR or LF)
// fails before anything is sent, as *smithy.InvalidParamsError; missing or
// anonymous credentials fail with [ErrNoCredentials]; a region that is not
// a host name fails; a success answer without complete credentials is a
// *smithy.DeserializationError; every response body is capped at
// [MaxResponseBodySize].
//
// # Request path
//
// There is no middleware stack: a call is one function,
// assumeRoleForPodIdentity in api_op_AssumeRoleForPodIdentity.go, and each
// of its steps has its file: validate.go, sign.go (credentials and SigV4),
// endpoint.go (with the partitions in internal/endpoints), request.go,
// retry.go (the attempts, through the aws.Retryer contract), send.go,
// decode.go (success answers, read without reflection by internal/jsonscan)
// and decode_error.go. Constant strings (endpoint, User-Agent,
// amz-sdk-request values) are computed once per client.
//
// # Retries
//
// Retries follow the SDK's retry middleware: retry.NewStandard by default
// (three attempts, retry quota, jittered backoff), RetryMaxAttempts,
// x-amz-retry-after, transport errors retried, each attempt re-signed at a
// clock corrected by the skew that the previous answer's Date header
// showed, and AccessDeniedException or signature errors retried when that
// skew exceeds four minutes. The caller's context is honoured before each
// attempt and during each backoff.
//
// # Logging
//
// Options.Logger receives what Options.ClientLogMode selects (retries,
// signing, requests and responses, with or without bodies). The token, the
// signature, the session token and the secret key are redacted in every
// mode.
package eksauth
