package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// nodeCredentials is the provider the agent signs with: the SDK's chain (or
// fileCredentials), whose failures it types, so that a pod whose call could
// not even be signed is told the node has no credentials, not that EKS
// Auth failed.
type nodeCredentials struct{ aws.CredentialsProvider }

// nodeCredentialsError is a failure to get the node's credentials: nothing
// was sent to EKS Auth.
type nodeCredentialsError struct{ err error }

func (e *nodeCredentialsError) Error() string {
	return fmt.Sprintf("no node credentials: %v", e.err)
}

func (e *nodeCredentialsError) Unwrap() error { return e.err }

func (p nodeCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := p.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &nodeCredentialsError{err}
	}
	return c, nil
}

// reload passes on to providers that can re-read their source
// (fileCredentials) the news that EKS Auth refused what they gave.
func (p nodeCredentials) reload() {
	if r, ok := p.CredentialsProvider.(interface{ reload() }); ok {
		r.reload()
	}
}
