package endpoints

import (
	"context"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

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

// FIPSFromConfig returns the first FIPS setting that one of cfg's config
// sources has, stopping at the first error, as the SDK's clients do.
func FIPSFromConfig(cfg aws.Config) (value aws.FIPSEndpointState, found bool) {
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(useFIPSEndpointProvider); ok {
			v, found, err := p.GetUseFIPSEndpoint(context.Background())
			if err != nil || found {
				return v, found && err == nil
			}
		}
	}
	return value, false
}

// BaseEndpointFromConfig returns cfg.BaseEndpoint unless a config source
// names an endpoint for the service serviceID (AWS_ENDPOINT_URL_<SERVICE>,
// the shared config's services section). As in the SDK, a global
// AWS_ENDPOINT_URL without a service-specific one leaves cfg.BaseEndpoint
// alone (the config package has already copied it there), and
// ignore_configured_endpoint_urls turns the sources off.
func BaseEndpointFromConfig(cfg aws.Config, serviceID, envSuffix string) *string {
	base := cfg.BaseEndpoint
	_, global := os.LookupEnv("AWS_ENDPOINT_URL")
	_, service := os.LookupEnv("AWS_ENDPOINT_URL_" + envSuffix)
	if global && !service {
		return base
	}
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(ignoreConfiguredEndpointsProvider); ok {
			v, found, err := p.GetIgnoreConfiguredEndpoints(context.Background())
			if found && v {
				return base
			}
			if err != nil || found {
				break
			}
		}
	}
	for _, s := range cfg.ConfigSources {
		if p, ok := s.(serviceBaseEndpointProvider); ok {
			v, found, err := p.GetServiceBaseEndpoint(context.Background(), serviceID)
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

// Plaintext reports whether u is plain HTTP to another machine, where the
// token goes out and the credentials come back readable by anyone on the
// path. Loopback is this machine (an emulator, a test).
func Plaintext(u *url.URL) bool {
	if u.Scheme != "http" {
		return false
	}
	host := u.Hostname()
	ip := net.ParseIP(host)
	return !(ip != nil && ip.IsLoopback() || host == "localhost" || strings.HasSuffix(host, ".localhost"))
}
