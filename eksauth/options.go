package eksauth

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/tracing"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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

	// UseDualStackEndpoint is ignored: EKS Auth endpoints are dual-stack.
	UseDualStackEndpoint aws.DualStackEndpointState
}

// Options configure a Client. The zero value of each field means its
// documented default.
type Options struct {
	// APIOptions change the middleware stack of every call, as in every
	// SDK client (custom headers, awsmiddleware.AddUserAgentKeyValue,
	// otelaws.AppendMiddlewares).
	APIOptions []func(*middleware.Stack) error

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

	// DisableClockSkewCorrection signs at the local clock even when answers
	// show that the service's differs, and retries no error on that account.
	DisableClockSkewCorrection bool

	// EndpointOptions select the FIPS endpoint.
	EndpointOptions EndpointResolverOptions

	// HTTPClient sends requests. Nil means awshttp.NewBuildableClient().
	HTTPClient HTTPClient

	// Interceptors are smithy-go's, called where the SDK calls them.
	Interceptors smithyhttp.InterceptorRegistry

	// Logger receives the log lines selected by ClientLogMode. Nil means
	// logging.Nop.
	Logger logging.Logger

	// MeterProvider records the SDK's client.call.* metrics. Nil means none.
	MeterProvider metrics.MeterProvider

	// Region is the signing region and selects the endpoint. Required, with
	// a BaseEndpoint too: requests are always signed for a region.
	Region string

	// RetryMaxAttempts, if positive, sets the attempts of the default
	// retryer, or wraps Retryer with retry.AddWithMaxAttempts. Zero means
	// the retryer's own (3 for retry.NewStandard).
	RetryMaxAttempts int

	// RetryMode selects the default retryer when Retryer is nil:
	// aws.RetryModeAdaptive means retry.NewAdaptiveMode, anything else
	// retry.NewStandard.
	RetryMode aws.RetryMode

	// Retryer decides which attempts are retried and how long to wait. Nil
	// means the retryer RetryMode selects.
	Retryer aws.Retryer

	// TracerProvider traces each call with the SDK's spans. Nil means none.
	TracerProvider tracing.TracerProvider
}

// Copy returns a copy of the options whose APIOptions and Interceptors can
// be changed without changing o's.
func (o Options) Copy() Options {
	to := o
	to.APIOptions = append([]func(*middleware.Stack) error(nil), o.APIOptions...)
	to.Interceptors = o.Interceptors.Copy()
	return to
}

// WithAPIOptions returns an option function that appends optFns to
// Options.APIOptions, for New or for one call.
func WithAPIOptions(optFns ...func(*middleware.Stack) error) func(*Options) {
	return func(o *Options) {
		o.APIOptions = append(o.APIOptions, optFns...)
	}
}

// WithSigV4SigningName returns an option function that signs with name
// instead of "eks-auth". It takes precedence over the endpoint's.
func WithSigV4SigningName(name string) func(*Options) {
	return withInitialize("withSigV4SigningName", func(ctx context.Context) context.Context {
		return awsmiddleware.SetSigningName(ctx, name)
	})
}

// WithSigV4SigningRegion returns an option function that signs for region
// instead of the client's. It takes precedence over the endpoint's.
func WithSigV4SigningRegion(region string) func(*Options) {
	return withInitialize("withSigV4SigningRegion", func(ctx context.Context) context.Context {
		return awsmiddleware.SetSigningRegion(ctx, region)
	})
}

// withInitialize adds a first Initialize middleware that changes the
// context, as the official client's signing overrides do.
func withInitialize(id string, set func(context.Context) context.Context) func(*Options) {
	fn := func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		return next.HandleInitialize(set(ctx), in)
	}
	return WithAPIOptions(func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc(id, fn), middleware.Before)
	})
}
