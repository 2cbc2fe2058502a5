package eksauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/tracing"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/internal/endpoints"
	"github.com/podidentity/podidentity/internal/protocol"
)

// ServiceID is the service's name in errors, spans and metrics.
const ServiceID = protocol.ServiceID

// ServiceAPIVersion is the EKS Auth API version.
const ServiceAPIVersion = protocol.APIVersion

// Version is this library's version, sent in the User-Agent.
const Version = "0.1.0"

// scope names this package to tracers and meters, as the SDK names its clients.
const scope = "github.com/podidentity/podidentity/eksauth"

// Client calls the EKS Auth API. It is safe for concurrent use: one Client
// should serve a whole program.
type Client struct {
	options Options

	// timeOffset is the service's clock minus ours, in nanoseconds, as the
	// last call measured it: the next call signs at that offset from its
	// first attempt on, as the SDK's clients do.
	timeOffset *atomic.Int64
	signer     *v4.Signer // keeps the signing keys it derives
}

// New returns a client for options, after applying optFns; the defaults of
// the fields left zero (see [Options]) are filled after optFns run.
//
// Configuration errors (no region, FIPS with a base endpoint, an invalid
// region) are returned by each call, before anything is sent, as the
// official client does.
func New(options Options, optFns ...func(*Options)) *Client {
	options = options.Copy()
	for _, fn := range optFns {
		fn(&options)
	}
	if options.Logger == nil {
		options.Logger = logging.Nop{}
	}
	if options.HTTPClient == nil {
		options.HTTPClient = awshttp.NewBuildableClient()
	}
	if options.TracerProvider == nil {
		options.TracerProvider = &tracing.NopTracerProvider{}
	}
	if options.MeterProvider == nil {
		options.MeterProvider = metrics.NopMeterProvider{}
	}
	if options.Retryer == nil {
		attempts := func(so *retry.StandardOptions) { so.MaxAttempts = cmp.Or(options.RetryMaxAttempts, so.MaxAttempts) }
		if options.RetryMode == aws.RetryModeAdaptive {
			options.Retryer = retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
				ao.StandardOptions = append(ao.StandardOptions, attempts)
			})
		} else {
			options.Retryer = retry.NewStandard(attempts)
		}
	}
	// Wrapping keeps the retryer's state, so its retry quota stays shared.
	if n := options.RetryMaxAttempts; n > 0 && options.Retryer.MaxAttempts() != n {
		options.Retryer = retry.AddWithMaxAttempts(options.Retryer, n)
	}
	if ep, err := resolveEndpoint(options); err == nil && endpoints.Plaintext(&ep.URL) {
		options.Logger.Logf(logging.Warn, "eksauth: the endpoint %s is plain HTTP to another machine: the token and the credentials cross the network unencrypted; use https", ep.URL.Host)
	}
	return &Client{options: options, timeOffset: new(atomic.Int64), signer: v4.NewSigner()}
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.options.Copy() }

// invokeOperation runs one call through its middleware stack, with the
// official client's span, metric and error chain around it.
func (c *Client) invokeOperation(ctx context.Context, params any, optFns []func(*Options)) (any, middleware.Metadata, error) {
	const opID = protocol.OperationName
	ctx = middleware.ClearStackValues(ctx)
	ctx = middleware.WithServiceID(ctx, ServiceID)
	ctx = middleware.WithOperationName(ctx, opID)

	options := c.options.Copy()
	for _, fn := range optFns {
		fn(&options)
	}
	if n := options.RetryMaxAttempts; n > 0 && n != c.options.RetryMaxAttempts {
		options.Retryer = retry.AddWithMaxAttempts(options.Retryer, n)
	}
	stack := middleware.NewStack(opID, smithyhttp.NewStackRequest)
	err := c.addOperationMiddlewares(stack, options)
	for _, fn := range options.APIOptions {
		if err == nil {
			err = fn(stack)
		}
	}
	if err != nil {
		return nil, middleware.Metadata{}, &smithy.OperationError{ServiceID: ServiceID, OperationName: opID, Err: err}
	}

	tracer := options.TracerProvider.Tracer(scope)
	ctx = tracing.WithOperationTracer(ctx, tracer)
	ctx, span := tracer.StartSpan(ctx, ServiceID+"."+opID, func(o *tracing.SpanOptions) {
		o.Kind = tracing.SpanKindClient
		o.Properties.Set("rpc.system", "aws-api")
		o.Properties.Set("rpc.method", opID)
		o.Properties.Set("rpc.service", ServiceID)
	})
	defer span.End()
	meter := options.MeterProvider.Meter(scope)
	defer recordCallDuration(ctx, options.MeterProvider, meter)()

	handler := smithyhttp.NewClientHandlerWithOptions(options.HTTPClient, func(h *smithyhttp.ClientHandler) { h.Meter = meter })
	result, metadata, err := middleware.DecorateHandler(handler, stack).Handle(ctx, params)
	if err != nil {
		span.SetProperty("exception.type", fmt.Sprintf("%T", err))
		span.SetProperty("exception.message", err.Error())
		var ae smithy.APIError
		if errors.As(err, &ae) {
			span.SetProperty("api.error_code", ae.ErrorCode())
			span.SetProperty("api.error_message", ae.ErrorMessage())
			span.SetProperty("api.error_fault", ae.ErrorFault().String())
		}
		err = &smithy.OperationError{ServiceID: ServiceID, OperationName: opID, Err: err}
	}
	span.SetProperty("error", err != nil)
	status := tracing.SpanStatusOK
	if err != nil {
		status = tracing.SpanStatusError
	}
	span.SetStatus(status)
	return result, metadata, err
}

// recordCallDuration starts the SDK's client.call.duration timer; the
// function it returns records it.
func recordCallDuration(ctx context.Context, mp metrics.MeterProvider, meter metrics.Meter) func() {
	if _, ok := mp.(metrics.NopMeterProvider); ok {
		return func() {}
	}
	h, err := meter.Float64Histogram("client.call.duration", func(o *metrics.InstrumentOptions) {
		o.UnitLabel = "s"
		o.Description = "Overall call duration (including retries and time to send or receive request and response body)"
	})
	if err != nil {
		return func() {}
	}
	start := time.Now()
	return func() {
		h.Record(ctx, time.Since(start).Seconds(), func(o *metrics.RecordMetricOptions) {
			o.Properties.Set("rpc.service", ServiceID)
			o.Properties.Set("rpc.method", protocol.OperationName)
		})
	}
}

// resolveEndpoint resolves the options' endpoint with the official
// client's rules and error texts.
func resolveEndpoint(o Options) (endpoints.Endpoint, error) {
	ep, err := endpoints.Resolve(o.Region, o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled, o.BaseEndpoint)
	var invalidRegion *endpoints.InvalidRegionError
	switch {
	case errors.As(err, &invalidRegion):
		return ep, fmt.Errorf("failed to bind endpoint params, %w", err)
	case err != nil:
		return ep, fmt.Errorf("failed to resolve service endpoint, %w", err)
	}
	return ep, nil
}

// NewFromConfig returns a client configured from cfg, after applying optFns.
// It takes what the official client takes (APIOptions, Interceptors and
// ServiceOptions included), and from cfg.ConfigSources, as loaded by the
// SDK's config package, the FIPS setting and AWS_ENDPOINT_URL_EKS_AUTH or
// the shared config's services section.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	o := Options{
		Region:           cfg.Region,
		Credentials:      cfg.Credentials,
		HTTPClient:       cfg.HTTPClient,
		APIOptions:       cfg.APIOptions,
		Interceptors:     cfg.Interceptors.Copy(),
		Logger:           cfg.Logger,
		ClientLogMode:    cfg.ClientLogMode,
		AppID:            cfg.AppID,
		RetryMaxAttempts: cfg.RetryMaxAttempts,
		RetryMode:        cfg.RetryMode,
		BaseEndpoint:     endpoints.BaseEndpointFromConfig(cfg, ServiceID, "EKS_AUTH"),
	}
	if cfg.Retryer != nil {
		o.Retryer = cfg.Retryer()
	}
	if v, found := endpoints.FIPSFromConfig(cfg); found {
		o.EndpointOptions.UseFIPSEndpoint = v
	}
	return New(o, func(o *Options) {
		for _, fn := range cfg.ServiceOptions {
			fn(ServiceID, o)
		}
		for _, fn := range optFns {
			fn(o)
		}
	})
}
