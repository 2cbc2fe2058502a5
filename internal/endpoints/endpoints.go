// Package endpoints resolves the EKS Auth endpoint for a region, FIPS
// setting and custom base endpoint, with the rules of the official client
// (its endpoint rule set over the SDK's partitions.json).
package endpoints

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/smithy-go/endpoints/private/rulesfn"
)

// Partition is an AWS partition: the regions it holds and its DNS suffix.
type Partition struct {
	// ID is the partition's name, e.g. "aws-cn".
	ID string

	// DualStackDNSSuffix ends every EKS Auth host name in the partition;
	// EKS Auth endpoints are always dual-stack.
	DualStackDNSSuffix string

	// regionPrefixes are the starts of the partition's region names: its
	// partitions.json regex is ^(prefix)-\w+-\d+$ for one of them, matched
	// by matchRegion without the regexp package (which would add a quarter
	// of a megabyte to every program).
	regionPrefixes []string

	// regions are names that belong to the partition without matching
	// regionPrefixes (its "-global" pseudo-regions).
	regions []string
}

// Partitions are the partitions of the SDK's partitions.json, in its order:
// a region is looked up in each partition's explicit regions, then matched
// against each region pattern in turn, and falls back to "aws".
var partitions = []Partition{
	{ID: "aws", DualStackDNSSuffix: "api.aws", regionPrefixes: []string{"us-", "eu-", "ap-", "sa-", "ca-", "me-", "af-", "il-", "mx-"}, regions: []string{"aws-global"}},
	{ID: "aws-cn", DualStackDNSSuffix: "api.amazonwebservices.com.cn", regionPrefixes: []string{"cn-"}, regions: []string{"aws-cn-global"}},
	{ID: "aws-eusc", DualStackDNSSuffix: "api.amazonwebservices.eu", regionPrefixes: []string{"eusc-de-"}},
	{ID: "aws-iso", DualStackDNSSuffix: "api.aws.ic.gov", regionPrefixes: []string{"us-iso-"}, regions: []string{"aws-iso-global"}},
	{ID: "aws-iso-b", DualStackDNSSuffix: "api.aws.scloud", regionPrefixes: []string{"us-isob-"}, regions: []string{"aws-iso-b-global"}},
	{ID: "aws-iso-e", DualStackDNSSuffix: "api.cloud-aws.adc-e.uk", regionPrefixes: []string{"eu-isoe-"}, regions: []string{"aws-iso-e-global"}},
	{ID: "aws-iso-f", DualStackDNSSuffix: "api.aws.hci.ic.gov", regionPrefixes: []string{"us-isof-"}, regions: []string{"aws-iso-f-global"}},
	{ID: "aws-us-gov", DualStackDNSSuffix: "api.aws", regionPrefixes: []string{"us-gov-"}, regions: []string{"aws-us-gov-global"}},
}

// PartitionOf returns the partition of region; unknown regions belong to
// "aws", as in the SDK.
func PartitionOf(region string) Partition {
	for _, p := range partitions {
		for _, r := range p.regions {
			if r == region {
				return p
			}
		}
	}
	for _, p := range partitions {
		if p.matchRegion(region) {
			return p
		}
	}
	return partitions[0]
}

// matchRegion reports whether region is one of p's prefixes followed by
// \w+-\d+, as p's region regex would.
func (p Partition) matchRegion(region string) bool {
	for _, prefix := range p.regionPrefixes {
		if rest, ok := strings.CutPrefix(region, prefix); ok && wordDashDigits(rest) {
			return true
		}
	}
	return false
}

// wordDashDigits reports whether s is \w+-\d+ (\w being [0-9A-Za-z_]).
func wordDashDigits(s string) bool {
	i := strings.IndexByte(s, '-')
	if i <= 0 || i == len(s)-1 {
		return false
	}
	for j := 0; j < i; j++ {
		if c := s[j]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
			return false
		}
	}
	for j := i + 1; j < len(s); j++ {
		if c := s[j]; c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// The configuration errors of the endpoint rules, with the official text.
var (
	ErrFIPSWithCustomEndpoint = errors.New("endpoint rule error, Invalid Configuration: FIPS and custom endpoint are not supported")
	ErrMissingRegion          = errors.New("endpoint rule error, Invalid Configuration: Missing Region")
)

// InvalidRegionError reports a region that is not a valid host name.
type InvalidRegionError struct{ Region string }

func (e *InvalidRegionError) Error() string { return "invalid input region " + e.Region }

// Endpoint is a resolved endpoint.
type Endpoint struct {
	// URL holds the scheme, the host and the path prefix that the operation's
	// path is appended to ("" or a path without a trailing slash).
	URL url.URL

	// SigningRegion is the region to sign with (the region without its
	// fips- prefix or -fips suffix).
	SigningRegion string

	// Custom is true when the endpoint came from a base endpoint.
	Custom bool
}

// Resolve returns the endpoint for region, useFIPS and an optional base
// endpoint. A region named fips-X, X-fips or X-fips-Y means region X (X-Y)
// with FIPS on. It fails, before anything is sent, on a region that is not a
// host name, on FIPS with a base endpoint, on a base endpoint that is not an
// http(s) URL with a host, and on no region without a base endpoint.
func Resolve(region string, useFIPS bool, baseEndpoint *string) (Endpoint, error) {
	if region != "" && !ValidRegion(region) {
		return Endpoint{}, &InvalidRegionError{Region: region}
	}
	region, fipsRegion := MapFIPSRegion(region)
	useFIPS = useFIPS || fipsRegion

	if baseEndpoint != nil {
		if useFIPS {
			return Endpoint{}, ErrFIPSWithCustomEndpoint
		}
		u, err := url.Parse(*baseEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Endpoint{}, fmt.Errorf("Failed to parse uri: %s", *baseEndpoint)
		}
		ep := Endpoint{SigningRegion: region, Custom: true}
		ep.URL = url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}
		if u.RawPath != "" {
			ep.URL.RawPath = strings.TrimSuffix(u.RawPath, "/")
		}
		return ep, nil
	}
	if region == "" {
		return Endpoint{}, ErrMissingRegion
	}
	host := "eks-auth."
	if useFIPS {
		host = "eks-auth-fips."
	}
	host += region + "." + PartitionOf(region).DualStackDNSSuffix
	return Endpoint{URL: url.URL{Scheme: "https", Host: host}, SigningRegion: region}, nil
}

// MapFIPSRegion strips the FIPS markers of a region name, as the SDK does,
// and reports whether there were any.
func MapFIPSRegion(region string) (string, bool) {
	const infix, prefix, suffix = "-fips-", "fips-", "-fips"
	if !strings.Contains(region, infix) && !strings.Contains(region, prefix) && !strings.Contains(region, suffix) {
		return region, false
	}
	region = strings.ReplaceAll(region, infix, "-")
	region = strings.ReplaceAll(region, prefix, "")
	region = strings.ReplaceAll(region, suffix, "")
	return region, true
}

// ValidRegion is the one region-name check of the library and the
// examples, the one that agrees with the service: every generated AWS SDK
// client binds its Region endpoint parameter only if smithy-go's
// rulesfn.IsValidHostLabel(region, true) holds (else "invalid input
// region"), so a name it refuses never reaches EKS Auth. That is one or
// more dot-separated labels of 1 to 63 ASCII letters, digits or '-', none
// starting or ending with '-'. It does not say the region exists: unknown
// names resolve in the "aws" partition, as in the SDK.
func ValidRegion(region string) bool { return rulesfn.IsValidHostLabel(region, true) }
