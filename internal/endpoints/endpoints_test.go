package endpoints_test

import (
	"errors"
	"testing"

	"github.com/podidentity/podidentity/internal/endpoints"
)

func TestPartitionOf(t *testing.T) {
	tests := map[string]string{
		"us-east-1": "aws", "mx-central-1": "aws", "il-central-1": "aws", "aws-global": "aws",
		"cn-north-1": "aws-cn", "aws-cn-global": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "aws-us-gov-global": "aws-us-gov",
		"us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b", "eu-isoe-west-1": "aws-iso-e",
		"us-isof-south-1": "aws-iso-f", "eusc-de-east-1": "aws-eusc",
		"eusc-fr-east-1": "aws", "zz-new-1": "aws", "localhost": "aws",
	}
	for region, want := range tests {
		if got := endpoints.PartitionOf(region).ID; got != want {
			t.Errorf("PartitionOf(%q) = %s, want %s", region, got, want)
		}
	}
}

func TestMapFIPSRegion(t *testing.T) {
	tests := []struct {
		in, want string
		fips     bool
	}{
		{"us-west-2", "us-west-2", false},
		{"fips-us-west-2", "us-west-2", true},
		{"us-west-2-fips", "us-west-2", true},
		{"us-fips-west-2", "us-west-2", true},
	}
	for _, tt := range tests {
		got, fips := endpoints.MapFIPSRegion(tt.in)
		if got != tt.want || fips != tt.fips {
			t.Errorf("MapFIPSRegion(%q) = %q, %v; want %q, %v", tt.in, got, fips, tt.want, tt.fips)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	base := "https://x.example"
	if _, err := endpoints.Resolve("", false, nil); !errors.Is(err, endpoints.ErrMissingRegion) {
		t.Errorf("no region: %v", err)
	}
	if _, err := endpoints.Resolve("us-west-2", true, &base); !errors.Is(err, endpoints.ErrFIPSWithCustomEndpoint) {
		t.Errorf("FIPS and custom: %v", err)
	}
	var ire *endpoints.InvalidRegionError
	for _, r := range []string{"us_west_2", "a..b", "-a", "a-", "a b", "a/b"} {
		if _, err := endpoints.Resolve(r, false, nil); !errors.As(err, &ire) {
			t.Errorf("Resolve(%q) = %v, want an InvalidRegionError", r, err)
		}
	}
	ep, err := endpoints.Resolve("", false, &base)
	if err != nil || ep.URL.String() != base || !ep.Custom {
		t.Errorf("custom without region = %+v, %v", ep, err)
	}
}
