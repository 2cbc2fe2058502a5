// Package officialcreds is what a user of the official
// github.com/aws/aws-sdk-go-v2/service/eksauth client writes to get pod
// credentials: a small [aws.CredentialsProvider] that reads the token, calls
// the client and converts the answer, to be wrapped in
// [aws.NewCredentialsCache]. It is the official side of the comparison.
//
// It imports nothing from podidentity, so that the official program's
// binary size measures the official client alone.
package officialcreds

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eksauth"
)

// ProviderName is the Source of the credentials Provider returns.
const ProviderName = "OfficialEKSAuthProvider"

// API is the operation Provider needs; *eksauth.Client satisfies it.
type API interface {
	AssumeRoleForPodIdentity(context.Context, *eksauth.AssumeRoleForPodIdentityInput, ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error)
}

// Provider exchanges a service-account token for credentials on every
// Retrieve. It does not cache: wrap it in aws.NewCredentialsCache.
type Provider struct {
	Client      API
	ClusterName string
	// Token returns the current service-account token.
	Token func(context.Context) (string, error)
}

var _ aws.CredentialsProvider = (*Provider)(nil)

// TokenFile returns a Token func that re-reads path on every call.
func TokenFile(path string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("officialcreds: read token: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
}

// Retrieve calls AssumeRoleForPodIdentity with the current token.
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	token, err := p.Token(ctx)
	if err != nil {
		return aws.Credentials{}, err
	}
	out, err := p.Client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: &p.ClusterName,
		Token:       &token,
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("officialcreds: %w", err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return aws.Credentials{}, errors.New("officialcreds: answer without complete credentials")
	}
	return aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    *c.SessionToken,
		Source:          ProviderName,
		CanExpire:       true,
		Expires:         *c.Expiration,
	}, nil
}
