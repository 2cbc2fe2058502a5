package eksauth

import (
	"context"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
)

// AssumeRoleForPodIdentityInput is the operation's input.
type AssumeRoleForPodIdentityInput struct {
	// ClusterName is the name of the cluster: 1 to 100 characters of
	// ^[0-9A-Za-z][A-Za-z0-9\-_]*$. Required.
	ClusterName *string

	// Token is the pod's service-account token, a JWT. Required.
	Token *string

	// EksNodeName is the name of the node the pod runs on. Optional.
	EksNodeName *string

	// InstanceId is the EC2 instance ID of the node. Optional.
	InstanceId *string

	// Zone is the availability zone of the node. Optional.
	Zone *string
}

// AssumeRoleForPodIdentityOutput is the operation's output. Every call that
// succeeds returns complete Credentials (access key, secret key, session
// token and expiration).
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

	// ResultMetadata carries the request ID, as in the official client: read
	// it with awsmiddleware.GetRequestIDMetadata.
	ResultMetadata middleware.Metadata
}

// AssumeRoleForPodIdentity exchanges a pod's service-account token for
// temporary credentials of the IAM role associated with the token's service
// account. optFns change a copy of the client's options for this call only.
//
// Every error is a *smithy.OperationError. Bad input fails before anything
// is sent, as *smithy.InvalidParamsError; an answer of the service wraps an
// *awshttp.ResponseError (status code, request ID) around one of the nine
// errors of package types, a *smithy.GenericAPIError for other codes, or a
// *smithy.DeserializationError for an answer that cannot be read.
//
// API reference: https://docs.aws.amazon.com/eks/latest/APIReference/API_auth_AssumeRoleForPodIdentity.html
func (c *Client) AssumeRoleForPodIdentity(ctx context.Context, params *AssumeRoleForPodIdentityInput, optFns ...func(*Options)) (*AssumeRoleForPodIdentityOutput, error) {
	out, err := c.forCall(optFns).assumeRoleForPodIdentity(ctx, params)
	if err != nil {
		return nil, &smithy.OperationError{ServiceID: ServiceID, OperationName: protocol.OperationName, Err: err}
	}
	return out, nil
}

// assumeRoleForPodIdentity is the whole request path, one step per file:
// validate.go, sign.go (credentials), endpoint.go, request.go, retry.go
// (which signs, sends and decodes each attempt: sign.go, send.go,
// decode.go, decode_error.go).
func (c *callConfig) assumeRoleForPodIdentity(ctx context.Context, params *AssumeRoleForPodIdentityInput) (*AssumeRoleForPodIdentityOutput, error) {
	if err := validateInput(params); err != nil {
		return nil, err
	}
	creds, err := c.retrieveCredentials(ctx)
	if err != nil {
		return nil, err
	}
	if c.endpointErr != nil {
		return nil, c.endpointErr
	}
	op, err := c.newOperation(ctx, params)
	if err != nil {
		return nil, err
	}
	op.sessionToken = creds.SessionToken // sent as a header, so an answer may echo it
	return c.doWithRetries(ctx, op, creds)
}
