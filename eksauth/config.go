package eksauth

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// NewFromConfig returns a client configured from cfg, after applying optFns.
// It takes cfg's Region, Credentials, HTTPClient, BaseEndpoint, Retryer,
// RetryMaxAttempts, Logger, ClientLogMode and AppID, and, as the SDK's own
// clients do, the FIPS setting and the service endpoint
// (AWS_ENDPOINT_URL_EKS_AUTH, AWS_ENDPOINT_URL, the shared config's
// services section) from cfg.ConfigSources, so that a cfg loaded by the
// SDK's config package works without this package importing it.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	o := Options{
		Region:           cfg.Region,
		Credentials:      cfg.Credentials,
		Logger:           cfg.Logger,
		ClientLogMode:    cfg.ClientLogMode,
		AppID:            cfg.AppID,
		RetryMaxAttempts: cfg.RetryMaxAttempts,
		RetryMode:        cfg.RetryMode,
	}
	if cfg.HTTPClient != nil {
		o.HTTPClient = cfg.HTTPClient
	}
	if cfg.Retryer != nil {
		o.Retryer = cfg.Retryer()
	}
	if v, found, err := resolveUseFIPSEndpoint(cfg.ConfigSources); err == nil && found {
		o.EndpointOptions.UseFIPSEndpoint = v
	}
	o.BaseEndpoint = resolveBaseEndpoint(cfg)
	return New(o, optFns...)
}

// The config sources' interfaces, as declared by the SDK's
// internal/configsources package (which other modules cannot import): the
// SDK's config package loads values that satisfy them.
type (
	useFIPSEndpointProvider interface {
		GetUseFIPSEndpoint(context.Context) (value aws.FIPSEndpointState, found bool, err error)
	}
	serviceBaseEndpointProvider interface {
		GetServiceBaseEndpoint(ctx context.Context, sdkID string) (string, bool, error)
	}
	ignoreConfiguredEndpointsProvider interface {
		GetIgnoreConfiguredEndpoints(ctx context.Context) (bool, bool, error)
	}
)

// resolveUseFIPSEndpoint returns the first FIPS setting that a config
// source has, stopping at the first error.
func resolveUseFIPSEndpoint(sources []any) (value aws.FIPSEndpointState, found bool, err error) {
	for _, s := range sources {
		if p, ok := s.(useFIPSEndpointProvider); ok {
			value, found, err = p.GetUseFIPSEndpoint(context.Background())
			if err != nil || found {
				break
			}
		}
	}
	return value, found, err
}

// resolveBaseEndpoint returns cfg.BaseEndpoint unless a config source names
// an endpoint for EKS Auth. As in the SDK, a global AWS_ENDPOINT_URL without
// a service-specific AWS_ENDPOINT_URL_EKS_AUTH leaves cfg.BaseEndpoint alone
// (the config package has already copied it there), and
// ignore_configured_endpoint_urls turns the sources off.
func resolveBaseEndpoint(cfg aws.Config) *string {
	base := cfg.BaseEndpoint
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, service := os.LookupEnv("AWS_ENDPOINT_URL_EKS_AUTH")
	if global && !service {
		return base
	}
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(ignoreConfiguredEndpointsProvider); ok {
			v, found, err := p.GetIgnoreConfiguredEndpoints(context.Background())
			if err != nil || found {
				if found && v {
					return base
				}
				break
			}
		}
	}
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(serviceBaseEndpointProvider); ok {
			v, found, err := p.GetServiceBaseEndpoint(context.Background(), ServiceID)
			if err != nil {
				return base
			}
			if found {
				return &v
			}
		}
	}
	return base
}
