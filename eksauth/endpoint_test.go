package eksauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// captureClient records the request it is given and fails it, so endpoint
// tests need no network.
type captureClient struct{ req *http.Request }

var errCaptured = errors.New("captured")

func (c *captureClient) Do(r *http.Request) (*http.Response, error) {
	c.req = r
	return nil, errCaptured
}

func TestEndpoints(t *testing.T) {
	tests := map[string]struct {
		region     string
		fips       bool
		base       *string
		wantURL    string // "" means a configuration error
		wantScope  string // the signing region
		wantErrSub string
	}{
		"aws":                     {region: "us-west-2", wantURL: "https://eks-auth.us-west-2.api.aws"},
		"aws new region":          {region: "ap-southeast-7", wantURL: "https://eks-auth.ap-southeast-7.api.aws"},
		"aws fips option":         {region: "us-east-1", fips: true, wantURL: "https://eks-auth-fips.us-east-1.api.aws"},
		"fips- prefix":            {region: "fips-us-east-1", wantURL: "https://eks-auth-fips.us-east-1.api.aws", wantScope: "us-east-1"},
		"-fips suffix":            {region: "us-east-1-fips", wantURL: "https://eks-auth-fips.us-east-1.api.aws", wantScope: "us-east-1"},
		"aws-us-gov":              {region: "us-gov-west-1", wantURL: "https://eks-auth.us-gov-west-1.api.aws"},
		"aws-us-gov fips":         {region: "us-gov-east-1", fips: true, wantURL: "https://eks-auth-fips.us-gov-east-1.api.aws"},
		"aws-cn":                  {region: "cn-north-1", wantURL: "https://eks-auth.cn-north-1.api.amazonwebservices.com.cn"},
		"aws-cn fips":             {region: "cn-northwest-1", fips: true, wantURL: "https://eks-auth-fips.cn-northwest-1.api.amazonwebservices.com.cn"},
		"aws-iso":                 {region: "us-iso-east-1", wantURL: "https://eks-auth.us-iso-east-1.api.aws.ic.gov"},
		"aws-iso-b":               {region: "us-isob-east-1", wantURL: "https://eks-auth.us-isob-east-1.api.aws.scloud"},
		"aws-iso-e":               {region: "eu-isoe-west-1", wantURL: "https://eks-auth.eu-isoe-west-1.api.cloud-aws.adc-e.uk"},
		"aws-iso-f":               {region: "us-isof-south-1", wantURL: "https://eks-auth.us-isof-south-1.api.aws.hci.ic.gov"},
		"aws-iso-f fips":          {region: "us-isof-east-1", fips: true, wantURL: "https://eks-auth-fips.us-isof-east-1.api.aws.hci.ic.gov"},
		"aws-eusc":                {region: "eusc-de-east-1", wantURL: "https://eks-auth.eusc-de-east-1.api.amazonwebservices.eu"},
		"global pseudo-region":    {region: "aws-iso-b-global", wantURL: "https://eks-auth.aws-iso-b-global.api.aws.scloud"},
		"unknown region is aws":   {region: "xx-future-1", wantURL: "https://eks-auth.xx-future-1.api.aws"},
		"custom endpoint":         {region: "us-west-2", base: aws.String("https://proxy.example:8443"), wantURL: "https://proxy.example:8443"},
		"custom with path":        {region: "us-west-2", base: aws.String("http://proxy.example/a/b/"), wantURL: "http://proxy.example/a/b"},
		"FIPS and custom":         {region: "us-west-2", fips: true, base: aws.String("https://proxy.example"), wantErrSub: "failed to resolve service endpoint, endpoint rule error, Invalid Configuration: FIPS and custom endpoint are not supported"},
		"fips- region and custom": {region: "fips-us-west-2", base: aws.String("https://proxy.example"), wantErrSub: "Invalid Configuration: FIPS and custom endpoint are not supported"},
		"missing region":          {region: "", wantErrSub: "failed to resolve service endpoint, endpoint rule error, Invalid Configuration: Missing Region"},
		"region with space":       {region: "us west 2", wantErrSub: "invalid input region us west 2"},
		"region with slash":       {region: "us-west-2/x", wantErrSub: "invalid input region"},
		"region with leading -":   {region: "-us-west-2", wantErrSub: "invalid input region"},
		"custom not a URL":        {region: "us-west-2", base: aws.String("://nope"), wantErrSub: "Failed to parse uri"},
		"custom without scheme":   {region: "us-west-2", base: aws.String("proxy.example"), wantErrSub: "Failed to parse uri"},
		"custom without region":   {base: aws.String("https://proxy.example"), wantErrSub: "sigv4 signing region is required"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			hc := &captureClient{}
			c := eksauth.New(eksauth.Options{Region: tt.region, BaseEndpoint: tt.base, Credentials: credentials(testCreds), HTTPClient: hc, RetryMaxAttempts: 1},
				func(o *eksauth.Options) {
					if tt.fips {
						o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
					}
				})
			_, err := c.AssumeRoleForPodIdentity(context.Background(), input())
			if tt.wantURL == "" {
				if hc.req != nil {
					t.Errorf("sent a request to %s despite a configuration error", hc.req.URL)
				}
				var oe *smithy.OperationError
				if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.wantErrSub) {
					t.Errorf("error = %v, want an OperationError containing %q", err, tt.wantErrSub)
				}
				return
			}
			if !errors.Is(err, errCaptured) {
				t.Fatalf("error = %v, want the capture", err)
			}
			want := tt.wantURL + "/clusters/" + testCluster + "/assume-role-for-pod-identity"
			if got := hc.req.URL.String(); got != want {
				t.Errorf("URL = %s, want %s", got, want)
			}
			scope := tt.wantScope
			if scope == "" {
				scope = tt.region
			}
			if auth := hc.req.Header.Get("Authorization"); !strings.Contains(auth, "/"+scope+"/eks-auth/aws4_request") {
				t.Errorf("Authorization %q does not sign for %s", auth, scope)
			}
		})
	}
}

func TestPlaintextEndpointWarns(t *testing.T) {
	for endpoint, warn := range map[string]bool{
		"http://10.0.0.7:8765":          true,
		"http://eks-auth.example.com":   true,
		"http://127.0.0.1:8765":         false,
		"http://127.9.9.9":              false,
		"http://[::1]:80":               false,
		"http://localhost:8765":         false,
		"http://emulator.localhost":     false,
		"https://eks-auth.example.com":  false,
		"https://10.0.0.7:8443/prefix/": false,
	} {
		logger := &recordingLogger{}
		eksauth.New(eksauth.Options{Region: "us-west-2", BaseEndpoint: aws.String(endpoint), Logger: logger})
		got := logger.String()
		if warn != (got != "") {
			t.Errorf("%s: logged %q, want a warning: %v", endpoint, got, warn)
		}
		if warn && (!strings.HasPrefix(got, "WARN ") || !strings.Contains(got, "plain HTTP")) {
			t.Errorf("%s: logged %q, want a WARN line about plain HTTP", endpoint, got)
		}
	}
	logger := &recordingLogger{}
	eksauth.New(eksauth.Options{Region: "us-west-2", Logger: logger})
	if got := logger.String(); got != "" {
		t.Errorf("the default endpoint logged %q", got)
	}
}
