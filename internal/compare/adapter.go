package compare

import (
	"context"

	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	officialtypes "github.com/aws/aws-sdk-go-v2/service/eksauth/types"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// OfficialClient adapts the official client to the AssumeRoleForPodIdentity
// method that credentials.New accepts: the two methods have the same shape
// but different Go types. Per-call options are ignored, because ours cannot
// be translated into the official client's; the optional node fields
// (EksNodeName, InstanceId, Zone) are dropped, because the official client
// v1.1.0 predates them.
type OfficialClient struct {
	Client *official.Client
}

var _ credentials.APIClient = OfficialClient{}

// AssumeRoleForPodIdentity calls the official client and converts its
// answer. Errors are returned unchanged, so errors.As finds the official
// typed errors.
func (a OfficialClient) AssumeRoleForPodIdentity(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	var oin *official.AssumeRoleForPodIdentityInput
	if in != nil {
		oin = &official.AssumeRoleForPodIdentityInput{ClusterName: in.ClusterName, Token: in.Token}
	}
	out, err := a.Client.AssumeRoleForPodIdentity(ctx, oin)
	if err != nil {
		return nil, err
	}
	return &eksauth.AssumeRoleForPodIdentityOutput{
		AssumedRoleUser:        convertUser(out.AssumedRoleUser),
		Audience:               out.Audience,
		Credentials:            convertCredentials(out.Credentials),
		PodIdentityAssociation: convertAssociation(out.PodIdentityAssociation),
		Subject:                convertSubject(out.Subject),
		ResultMetadata:         out.ResultMetadata,
	}, nil
}

func convertUser(u *officialtypes.AssumedRoleUser) *types.AssumedRoleUser {
	if u == nil {
		return nil
	}
	return &types.AssumedRoleUser{Arn: u.Arn, AssumeRoleId: u.AssumeRoleId}
}

func convertCredentials(c *officialtypes.Credentials) *types.Credentials {
	if c == nil {
		return nil
	}
	return &types.Credentials{
		AccessKeyId:     c.AccessKeyId,
		Expiration:      c.Expiration,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
	}
}

func convertAssociation(a *officialtypes.PodIdentityAssociation) *types.PodIdentityAssociation {
	if a == nil {
		return nil
	}
	return &types.PodIdentityAssociation{AssociationArn: a.AssociationArn, AssociationId: a.AssociationId}
}

func convertSubject(s *officialtypes.Subject) *types.Subject {
	if s == nil {
		return nil
	}
	return &types.Subject{Namespace: s.Namespace, ServiceAccount: s.ServiceAccount}
}
