package eksauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/eksauth"
)

// Fakes of the config sources that the SDK's config package loads.
type fipsSource struct{ state aws.FIPSEndpointState }

func (s fipsSource) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	return s.state, true, nil
}

type endpointSource struct {
	urls map[string]string // by service ID
}

func (s endpointSource) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v, ok := s.urls[sdkID]
	return v, ok, nil
}

type ignoreEndpointsSource struct{}

func (ignoreEndpointsSource) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return true, true, nil
}

func TestNewFromConfig(t *testing.T) {
	logger := logging.Nop{}
	retryer := retry.NewStandard()
	cfg := aws.Config{
		Region:           "eu-west-1",
		Credentials:      credentials(testCreds),
		HTTPClient:       &captureClient{},
		BaseEndpoint:     aws.String("https://base.example"),
		Retryer:          func() aws.Retryer { return retryer },
		RetryMaxAttempts: 7,
		Logger:           logger,
		ClientLogMode:    aws.LogRetries,
		AppID:            "app1",
	}
	o := eksauth.NewFromConfig(cfg).Options()
	if o.Region != "eu-west-1" || o.AppID != "app1" || o.ClientLogMode != aws.LogRetries || o.Logger != logger || o.HTTPClient != cfg.HTTPClient {
		t.Errorf("options not taken from the config: %+v", o)
	}
	if o.BaseEndpoint == nil || *o.BaseEndpoint != "https://base.example" {
		t.Errorf("BaseEndpoint = %v, want https://base.example", o.BaseEndpoint)
	}
	if o.RetryMaxAttempts != 7 || o.Retryer.MaxAttempts() != 7 {
		t.Errorf("RetryMaxAttempts = %d, retryer max = %d; want 7", o.RetryMaxAttempts, o.Retryer.MaxAttempts())
	}
	if o.Credentials == nil {
		t.Error("Credentials not taken")
	}
}

func TestNewFromConfigEndpointSources(t *testing.T) {
	sources := []any{endpointSource{urls: map[string]string{"EKS Auth": "https://from-config.example"}}}
	tests := map[string]struct {
		env     map[string]string
		base    *string
		sources []any
		want    string
	}{
		"service section":             {sources: sources, want: "https://from-config.example"},
		"no source keeps cfg":         {base: aws.String("https://cfg.example"), want: "https://cfg.example"},
		"source beats cfg":            {base: aws.String("https://cfg.example"), sources: sources, want: "https://from-config.example"},
		"global env keeps cfg":        {env: map[string]string{"AWS_ENDPOINT_URL": "https://global.example"}, base: aws.String("https://global.example"), sources: sources, want: "https://global.example"},
		"service env uses the source": {env: map[string]string{"AWS_ENDPOINT_URL": "https://global.example", "AWS_ENDPOINT_URL_EKS_AUTH": "https://svc.example"}, sources: sources, want: "https://from-config.example"},
		"ignore configured endpoints": {base: aws.String("https://cfg.example"), sources: []any{ignoreEndpointsSource{}, sources[0]}, want: "https://cfg.example"},
		"other service only":          {sources: []any{endpointSource{urls: map[string]string{"STS": "https://sts.example"}}}, want: ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			o := eksauth.NewFromConfig(aws.Config{Region: "us-west-2", BaseEndpoint: tt.base, ConfigSources: tt.sources}).Options()
			got := ""
			if o.BaseEndpoint != nil {
				got = *o.BaseEndpoint
			}
			if got != tt.want {
				t.Errorf("BaseEndpoint = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewFromConfigFIPS(t *testing.T) {
	hc := &captureClient{}
	c := eksauth.NewFromConfig(aws.Config{
		Region: "us-west-2", Credentials: credentials(testCreds), HTTPClient: hc, RetryMaxAttempts: 1,
		ConfigSources: []any{struct{}{}, fipsSource{aws.FIPSEndpointStateEnabled}},
	})
	if got := c.Options().EndpointOptions.UseFIPSEndpoint; got != aws.FIPSEndpointStateEnabled {
		t.Fatalf("UseFIPSEndpoint = %v, want enabled", got)
	}
	c.AssumeRoleForPodIdentity(context.Background(), input())
	if hc.req == nil || hc.req.URL.Host != "eks-auth-fips.us-west-2.api.aws" {
		t.Errorf("request = %v, want the FIPS endpoint", hc.req)
	}
}

func TestPerCallOptions(t *testing.T) {
	ts := newTestServer(t, answer{Body: successBody(t)})
	c := newTestClient(ts)
	other := newTestServer(t, answer{Body: successBody(t)})
	_, err := c.AssumeRoleForPodIdentity(context.Background(), input(), func(o *eksauth.Options) {
		o.BaseEndpoint = aws.String(other.URL)
		o.HTTPClient = other.Client()
		o.AppID = "per-call"
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(other.Requests()); n != 1 {
		t.Fatalf("per-call endpoint got %d requests, want 1", n)
	}
	if ua := other.Requests()[0].Header.Get("User-Agent"); !strings.Contains(ua, "app/per-call") {
		t.Errorf("User-Agent %q lacks the per-call app ID", ua)
	}
	// The client's own options are untouched.
	if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	if n := len(ts.Requests()); n != 1 {
		t.Errorf("client endpoint got %d requests, want 1", n)
	}
	if ua := ts.Requests()[0].Header.Get("User-Agent"); strings.Contains(ua, "app/") {
		t.Errorf("per-call AppID leaked into the client: %q", ua)
	}
	if got := c.Options().AppID; got != "" {
		t.Errorf("client AppID = %q after a per-call change", got)
	}
}

func TestCredentialErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := map[string]struct {
		creds   aws.CredentialsProvider
		wantIs  error
		wantSub string
	}{
		"nil provider":      {creds: nil, wantIs: eksauth.ErrNoCredentials, wantSub: "Options.Credentials is nil"},
		"anonymous":         {creds: aws.AnonymousCredentials{}, wantIs: eksauth.ErrNoCredentials, wantSub: "anonymous credentials"},
		"anonymous pointer": {creds: &aws.AnonymousCredentials{}, wantIs: eksauth.ErrNoCredentials, wantSub: "anonymous credentials"},
		"no keys":           {creds: credentials(aws.Credentials{}), wantIs: eksauth.ErrNoCredentials},
		"provider error":    {creds: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return aws.Credentials{}, boom }), wantIs: boom, wantSub: "get identity: get credentials: boom"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, answer{Body: successBody(t)})
			_, err := newTestClient(ts, func(o *eksauth.Options) { o.Credentials = tt.creds }).AssumeRoleForPodIdentity(context.Background(), input())
			if !errors.Is(err, tt.wantIs) {
				t.Errorf("error = %v, want %v in its chain", err, tt.wantIs)
			}
			if !strings.Contains(fmtErr(err), tt.wantSub) {
				t.Errorf("error = %v, want %q", err, tt.wantSub)
			}
			if n := len(ts.Requests()); n != 0 {
				t.Errorf("sent %d requests without credentials", n)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
