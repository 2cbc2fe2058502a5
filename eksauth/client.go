package eksauth

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/podidentity/podidentity/eksauth/types"
)

// ServiceID is the service's name in errors.
const ServiceID = "EKS Auth"

// ServiceAPIVersion is the EKS Auth API version.
const ServiceAPIVersion = "2023-11-26"

// Client calls the EKS Auth API. It is safe for concurrent use.
type Client struct {
	options Options
}

// New returns a client for options, after applying optFns.
func New(options Options, optFns ...func(*Options)) *Client {
	for _, fn := range optFns {
		fn(&options)
	}
	return &Client{options: options}
}

// NewFromConfig returns a client configured from cfg, after applying optFns.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	return New(Options{Region: cfg.Region, Credentials: cfg.Credentials}, optFns...)
}

// Options returns a copy of the client's options.
func (c *Client) Options() Options { return c.options.Copy() }

// AssumeRoleForPodIdentityInput is the operation's input.
type AssumeRoleForPodIdentityInput struct {
	// ClusterName is the name of the cluster. Required.
	ClusterName *string

	// Token is the pod's service-account token. Required.
	Token *string

	// EksNodeName is the name of the node the pod runs on. Optional.
	EksNodeName *string

	// InstanceId is the EC2 instance ID of the node. Optional.
	InstanceId *string

	// Zone is the availability zone of the node. Optional.
	Zone *string
}

// AssumeRoleForPodIdentityOutput is the operation's output.
type AssumeRoleForPodIdentityOutput struct {
	// AssumedRoleUser is the role and the STS session of the credentials.
	AssumedRoleUser *types.AssumedRoleUser

	// Audience is always pods.eks.amazonaws.com.
	Audience *string

	// Credentials are the temporary credentials.
	Credentials *types.Credentials

	// PodIdentityAssociation is the association that matched.
	PodIdentityAssociation *types.PodIdentityAssociation

	// Subject is the token's service account.
	Subject *types.Subject

	// ResultMetadata carries the request ID, as in the official client.
	ResultMetadata middleware.Metadata
}

// AssumeRoleForPodIdentity exchanges a service-account token for temporary
// credentials of the role associated with the token's service account.
func (c *Client) AssumeRoleForPodIdentity(ctx context.Context, params *AssumeRoleForPodIdentityInput, optFns ...func(*Options)) (*AssumeRoleForPodIdentityOutput, error) {
	return nil, errors.New("eksauth: not implemented yet")
}
