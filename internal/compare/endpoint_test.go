package compare_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/eksauth"
)

// sent is where a client sent its request, and the region it signed for.
type sent struct {
	URL           string
	SigningRegion string
}

func sentOf(req *http.Request) sent {
	if req == nil {
		return sent{}
	}
	// Credential=AKID/20060102/<region>/eks-auth/aws4_request
	var scope string
	if _, rest, ok := strings.Cut(req.Header.Get("Authorization"), "Credential="); ok {
		if parts := strings.Split(strings.SplitN(rest, ",", 2)[0], "/"); len(parts) == 5 {
			scope = parts[2]
		}
	}
	return sent{URL: req.URL.String(), SigningRegion: scope}
}

// TestEndpoints checks that both clients send to the same URL, signed for
// the same region, for every partition and every way of asking for FIPS,
// and refuse the same configurations.
func TestEndpoints(t *testing.T) {
	path := "/clusters/demo/assume-role-for-pod-identity"
	tests := map[string]struct {
		region  string
		base    string
		fips    bool
		want    sent
		wantErr string // in both errors; empty means success
		// official, if set, is where the official client sends where ours
		// fails with wantErr on purpose (DESIGN.md "Beyond the official client").
		official *sent
		// officialSigning, if set, is the signing region of the official
		// client v1.1.0 where it differs: it signs for the pseudo-region
		// (fips-X, X-fips), which AWS refuses; ours signs for X.
		officialSigning string
	}{
		"aws":         {region: "us-west-2", want: sent{"https://eks-auth.us-west-2.api.aws" + path, "us-west-2"}},
		"aws other":   {region: "ap-southeast-4", want: sent{"https://eks-auth.ap-southeast-4.api.aws" + path, "ap-southeast-4"}},
		"aws-cn":      {region: "cn-north-1", want: sent{"https://eks-auth.cn-north-1.api.amazonwebservices.com.cn" + path, "cn-north-1"}},
		"aws-us-gov":  {region: "us-gov-west-1", want: sent{"https://eks-auth.us-gov-west-1.api.aws" + path, "us-gov-west-1"}},
		"aws-iso":     {region: "us-iso-east-1", want: sent{"https://eks-auth.us-iso-east-1.api.aws.ic.gov" + path, "us-iso-east-1"}},
		"aws-iso-b":   {region: "us-isob-east-1", want: sent{"https://eks-auth.us-isob-east-1.api.aws.scloud" + path, "us-isob-east-1"}},
		"aws-iso-e":   {region: "eu-isoe-west-1", want: sent{"https://eks-auth.eu-isoe-west-1.api.cloud-aws.adc-e.uk" + path, "eu-isoe-west-1"}},
		"aws-iso-f":   {region: "us-isof-south-1", want: sent{"https://eks-auth.us-isof-south-1.api.aws.hci.ic.gov" + path, "us-isof-south-1"}},
		"aws-eusc":    {region: "eusc-de-east-1", want: sent{"https://eks-auth.eusc-de-east-1.api.amazonwebservices.eu" + path, "eusc-de-east-1"}},
		"unknown":     {region: "mars-west-1", want: sent{"https://eks-auth.mars-west-1.api.aws" + path, "mars-west-1"}},
		"fips option": {region: "us-east-1", fips: true, want: sent{"https://eks-auth-fips.us-east-1.api.aws" + path, "us-east-1"}},
		"fips-X": {region: "fips-us-west-2", want: sent{"https://eks-auth-fips.us-west-2.api.aws" + path, "us-west-2"},
			officialSigning: "fips-us-west-2"},
		"X-fips": {region: "us-west-2-fips", want: sent{"https://eks-auth-fips.us-west-2.api.aws" + path, "us-west-2"},
			officialSigning: "us-west-2-fips"},
		"fips cn": {region: "cn-northwest-1", fips: true, want: sent{"https://eks-auth-fips.cn-northwest-1.api.amazonwebservices.com.cn" + path, "cn-northwest-1"}},
		"fips gov": {region: "us-gov-east-1-fips", want: sent{"https://eks-auth-fips.us-gov-east-1.api.aws" + path, "us-gov-east-1"},
			officialSigning: "us-gov-east-1-fips"},
		"fips iso-b":         {region: "us-isob-east-1", fips: true, want: sent{"https://eks-auth-fips.us-isob-east-1.api.aws.scloud" + path, "us-isob-east-1"}},
		"aws-global":         {region: "aws-global", want: sent{"https://eks-auth.aws-global.api.aws" + path, "aws-global"}},
		"aws-cn-global":      {region: "aws-cn-global", want: sent{"https://eks-auth.aws-cn-global.api.amazonwebservices.com.cn" + path, "aws-cn-global"}},
		"fips unknown":       {region: "fips-mars-west-1", want: sent{"https://eks-auth-fips.mars-west-1.api.aws" + path, "mars-west-1"}, officialSigning: "fips-mars-west-1"},
		"region with a port": {region: "us-west-2:8080", wantErr: "operation error EKS Auth: AssumeRoleForPodIdentity, failed to"},
		// The official client builds https://eks-auth.us-west-2/evil.api.aws
		// and sends to host eks-auth.us-west-2: ours refuses the region.
		"region with a slash": {region: "us-west-2/evil", wantErr: "invalid input region",
			official: &sent{"https://eks-auth.us-west-2/evil.api.aws" + path, ""}},
		"base endpoint": {region: "us-west-2", base: "http://127.0.0.1:8080", want: sent{"http://127.0.0.1:8080" + path, "us-west-2"}},
		"base with path": {region: "eu-west-1", base: "https://proxy.example.com/eks-auth",
			want: sent{"https://proxy.example.com/eks-auth" + path, "eu-west-1"}},
		"base beats partition": {region: "cn-north-1", base: "https://vpce.example.cn", want: sent{"https://vpce.example.cn" + path, "cn-north-1"}},
		"base and fips":        {region: "us-west-2", base: "https://proxy.example.com", fips: true, wantErr: "Invalid Configuration: FIPS and custom endpoint are not supported"},
		"base and fips-X":      {region: "fips-us-west-2", base: "https://proxy.example.com", wantErr: "Invalid Configuration: FIPS and custom endpoint are not supported"},
		// The official client v1.1.0 resolves "https://eks-auth..api.aws" and
		// signs for region "": ours refuses before sending.
		"no region": {wantErr: "Invalid Configuration: Missing Region",
			official: &sent{"https://eks-auth..api.aws" + path, ""}},
		// With a base endpoint and no region, the official client signs for
		// region "", which AWS refuses: ours refuses before sending.
		"base endpoint, no region": {base: "http://127.0.0.1:8080", wantErr: "region is required",
			official: &sent{"http://127.0.0.1:8080" + path, ""}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			fips := aws.FIPSEndpointStateUnset
			if tt.fips {
				fips = aws.FIPSEndpointStateEnabled
			}

			oursDoer := newCannedDoer()
			ours := eksauth.New(eksauth.Options{Region: tt.region, Credentials: staticProvider, HTTPClient: oursDoer},
				func(o *eksauth.Options) {
					if tt.base != "" {
						o.BaseEndpoint = aws.String(tt.base)
					}
					o.EndpointOptions.UseFIPSEndpoint = fips
				})
			_, oursErr := ours.AssumeRoleForPodIdentity(ctx, oursInput())

			offDoer := newCannedDoer()
			off := official.New(official.Options{Region: tt.region, Credentials: staticProvider, HTTPClient: offDoer},
				func(o *official.Options) {
					if tt.base != "" {
						o.BaseEndpoint = aws.String(tt.base)
					}
					o.EndpointOptions.UseFIPSEndpoint = fips
				})
			_, offErr := off.AssumeRoleForPodIdentity(ctx, officialInput())

			if tt.wantErr != "" {
				errs := map[string]error{"ours": oursErr, "official": offErr}
				if tt.official != nil {
					delete(errs, "official")
					if offErr != nil || sentOf(offDoer.last.Load()) != *tt.official {
						t.Errorf("official: error %v; want it to send to %+v", offErr, *tt.official)
					}
				} else if n := offDoer.calls.Load(); n != 0 {
					t.Errorf("official: sent %d requests, want 0", n)
				}
				for side, err := range errs {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Errorf("%s: error = %v, want one containing %q", side, err, tt.wantErr)
					}
				}
				if n := oursDoer.calls.Load(); n != 0 {
					t.Errorf("ours: sent %d requests, want 0", n)
				}
				return
			}
			if oursErr != nil || offErr != nil {
				t.Fatalf("errors: ours %v, official %v; want none", oursErr, offErr)
			}
			wantOfficial := tt.want
			if tt.officialSigning != "" {
				wantOfficial.SigningRegion = tt.officialSigning
			}
			if got := sentOf(offDoer.last.Load()); got != wantOfficial {
				t.Errorf("official sent %+v, want %+v", got, wantOfficial)
			}
			if got := sentOf(oursDoer.last.Load()); got != tt.want {
				t.Errorf("ours sent %+v, want %+v", got, tt.want)
			}
		})
	}
}
