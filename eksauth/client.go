package eksauth

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/internal/endpoints"
	"github.com/podidentity/podidentity/internal/protocol"
)

// ServiceID is the service's name in errors.
const ServiceID = protocol.ServiceID

// ServiceAPIVersion is the EKS Auth API version.
const ServiceAPIVersion = protocol.APIVersion

// Client calls the EKS Auth API. It is safe for concurrent use: one Client
// should serve a whole program.
type Client struct {
	options Options

	// call is everything derived from options once, so that a call without
	// per-call option funcs computes nothing twice. Read-only after New.
	call *callConfig
}

// New returns a client for options, after applying optFns. Defaults are
// filled after optFns run: a nil Logger means logging.Nop, a nil HTTPClient
// an awshttp.NewBuildableClient, a nil Retryer retry.NewStandard (or
// retry.NewAdaptiveMode with aws.RetryModeAdaptive), with RetryMaxAttempts
// attempts when positive.
//
// Configuration errors (no region and no base endpoint, FIPS with a base
// endpoint, an invalid region) are returned by each call, before anything
// is sent, as the official client does.
func New(options Options, optFns ...func(*Options)) *Client {
	options = options.Copy()
	for _, fn := range optFns {
		fn(&options)
	}
	resolveDefaults(&options)
	return &Client{options: options, call: newCallConfig(options)}
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.options.Copy() }

// resolveDefaults fills the zero fields of o with their documented defaults.
func resolveDefaults(o *Options) {
	if o.Logger == nil {
		o.Logger = logging.Nop{}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = awshttp.NewBuildableClient()
	}
	if o.Retryer == nil {
		n := o.RetryMaxAttempts
		attempts := func(so *retry.StandardOptions) {
			if n > 0 {
				so.MaxAttempts = n
			}
		}
		if o.RetryMode == aws.RetryModeAdaptive {
			o.Retryer = retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, attempts)
			})
		} else {
			o.Retryer = retry.NewStandard(attempts)
		}
	}
	applyMaxAttempts(o)
}

// applyMaxAttempts wraps the retryer with retry.AddWithMaxAttempts when
// RetryMaxAttempts asks for another number of attempts than it makes.
// Wrapping keeps the retryer's state, so its retry quota stays shared.
func applyMaxAttempts(o *Options) {
	if o.RetryMaxAttempts > 0 && o.Retryer.MaxAttempts() != o.RetryMaxAttempts {
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, o.RetryMaxAttempts)
	}
}

// callConfig is the resolved form of Options that one call runs with.
type callConfig struct {
	options Options

	// endpoint and endpointErr are the resolved endpoint or the
	// configuration error that every call reports.
	endpoint    endpoints.Endpoint
	endpointErr error

	userAgent []string
	signer    *v4.Signer

	// anonymous is true when Credentials is nil or aws.AnonymousCredentials.
	anonymous bool

	// maxAttempts is the retryer's MaxAttempts; attemptHeaders holds the
	// amz-sdk-request values for attempts 1..maxAttempts (a few at most).
	maxAttempts    int
	attemptHeaders []string
}

func newCallConfig(o Options) *callConfig {
	c := &callConfig{
		options:   o,
		userAgent: userAgent(o.AppID),
		// Signing is logged by sign.go, with secrets redacted; the signer's
		// own log would print the session token.
		signer:      v4.NewSigner(),
		maxAttempts: o.Retryer.MaxAttempts(),
		anonymous:   o.Credentials == nil || aws.IsCredentialsProvider(o.Credentials, (*aws.AnonymousCredentials)(nil)),
	}
	c.endpoint, c.endpointErr = endpoints.Resolve(o.Region, o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled, o.BaseEndpoint)
	if c.endpointErr != nil {
		c.endpointErr = endpointError(c.endpointErr)
	} else {
		warnIfPlaintext(o.Logger, &c.endpoint.URL)
	}
	n := max(0, min(c.maxAttempts, 10)) // zero or less means unlimited
	c.attemptHeaders = make([]string, n)
	for i := range n {
		c.attemptHeaders[i] = attemptHeader(i+1, c.maxAttempts)
	}
	return c
}

// forCall returns the configuration of one call: the client's own unless
// optFns change a copy of its options, as in the SDK.
func (c *Client) forCall(optFns []func(*Options)) *callConfig {
	if len(optFns) == 0 {
		return c.call
	}
	o := c.options.Copy()
	for _, fn := range optFns {
		fn(&o)
	}
	resolveDefaults(&o)
	cc := newCallConfig(o)
	cc.signer = c.call.signer
	return cc
}
