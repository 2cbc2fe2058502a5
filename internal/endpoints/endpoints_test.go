package endpoints_test

import (
	"errors"
	"regexp"
	"strings"
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

// The region patterns of the SDK's partitions.json, in its order: the
// hand-written matcher must agree with them on every input.
var partitionRegexes = []struct {
	id string
	re *regexp.Regexp
}{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`)},
	{"aws-cn", regexp.MustCompile(`^cn\-\w+\-\d+$`)},
	{"aws-eusc", regexp.MustCompile(`^eusc\-(de)\-\w+\-\d+$`)},
	{"aws-iso", regexp.MustCompile(`^us\-iso\-\w+\-\d+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us\-isob\-\w+\-\d+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu\-isoe\-\w+\-\d+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us\-isof\-\w+\-\d+$`)},
	{"aws-us-gov", regexp.MustCompile(`^us\-gov\-\w+\-\d+$`)},
}

func partitionByRegex(region string) string {
	if strings.HasSuffix(region, "-global") && strings.HasPrefix(region, "aws") {
		return "" // explicit pseudo-regions, not the patterns' business
	}
	for _, p := range partitionRegexes {
		if p.re.MatchString(region) {
			return p.id
		}
	}
	return "aws"
}

func FuzzPartitionOfMatchesRegex(f *testing.F) {
	for _, s := range []string{"us-east-1", "us-gov-west-1", "us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1",
		"us-isof-south-1", "eusc-de-east-1", "eusc-fr-east-1", "cn-north-1", "us-east-", "us--1", "us-east-1a", "us-ea_st-12", "us-gov-x-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, region string) {
		want := partitionByRegex(region)
		if want == "" {
			return
		}
		if got := endpoints.PartitionOf(region).ID; got != want {
			t.Errorf("PartitionOf(%q) = %s, the partitions.json patterns say %s", region, got, want)
		}
	})
}

// ValidRegion is the SDK's own check: the names the five old checks
// disagreed on get the SDK's answer.
func TestValidRegion(t *testing.T) {
	for r, want := range map[string]bool{
		"us-west-2": true, "eu-isoe-west-1": true, "fips-us-gov-west-1": true,
		"US-WEST-2": true, "a.b": true, strings.Repeat("a", 63): true,
		"": false, "-us-west-2": false, "us-west-2-": false, "us_west_2": false,
		"a..b": false, ".a": false, "a b": false, "a/b": false, "é": false,
		strings.Repeat("a", 64): false,
	} {
		if got := endpoints.ValidRegion(r); got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", r, got, want)
		}
	}
}
