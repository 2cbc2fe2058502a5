package eksauth

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/logging"
)

// HTTPClient sends one HTTP request. *http.Client satisfies it.
type HTTPClient interface {
	Do(*http.Request) (*http.Response, error)
}

// EndpointResolverOptions are the endpoint settings, as in the official client.
type EndpointResolverOptions struct {
	// UseFIPSEndpoint selects the FIPS endpoint (eks-auth-fips.<region>...).
	// A region named fips-X or X-fips turns it on as well.
	UseFIPSEndpoint aws.FIPSEndpointState

	// UseDualStackEndpoint is accepted for source compatibility; EKS Auth
	// endpoints are always dual-stack.
	UseDualStackEndpoint aws.DualStackEndpointState
}

// Options configure a Client. The zero value of each field means its
// documented default.
type Options struct {
	// AppID is added to the User-Agent as app/<AppID>. Empty means none.
	AppID string

	// BaseEndpoint overrides the endpoint resolved from Region. Its path, if
	// any, is kept as a prefix of the request path.
	BaseEndpoint *string

	// ClientLogMode selects what is logged to Logger. Tokens, signatures,
	// session tokens and secret keys are redacted in every mode.
	ClientLogMode aws.ClientLogMode

	// Credentials sign requests. Required; anonymous credentials are refused.
	Credentials aws.CredentialsProvider

	// EndpointOptions select the FIPS endpoint.
	EndpointOptions EndpointResolverOptions

	// HTTPClient sends requests. Nil means a client built with
	// awshttp.NewBuildableClient, as in the SDK. It must not modify the
	// values of the request's headers in place (Header.Set is fine): the
	// constant ones are shared between requests.
	HTTPClient HTTPClient

	// Logger receives the log lines selected by ClientLogMode. Nil means
	// logging.Nop.
	Logger logging.Logger

	// Region is the signing region and selects the endpoint. Required, with
	// a BaseEndpoint too: requests are always signed for a region.
	Region string

	// RetryMaxAttempts, if positive, overrides the attempts of the default
	// retryer (or wraps Retryer with retry.AddWithMaxAttempts). Zero means
	// the retryer's own (3 for retry.NewStandard).
	RetryMaxAttempts int

	// RetryMode selects the default retryer when Retryer is nil:
	// aws.RetryModeAdaptive means retry.NewAdaptiveMode, anything else
	// retry.NewStandard.
	RetryMode aws.RetryMode

	// Retryer decides which attempts are retried and how long to wait. Nil
	// means retry.NewStandard.
	Retryer aws.Retryer
}

// Copy returns a copy of the options.
func (o Options) Copy() Options { return o }
