// Package types holds the shapes and the typed errors of the EKS Auth API,
// with the names and fields of github.com/aws/aws-sdk-go-v2/service/eksauth/types.
package types

import (
	"time"

	smithydocument "github.com/aws/smithy-go/document"
)

// AssumedRoleUser is the IAM role identity and the STS session that the
// credentials authenticate as.
type AssumedRoleUser struct {
	// Arn is the assumed-role ARN,
	// arn:aws:sts::<account>:assumed-role/<role>/eks-<cluster>-<pod>-<uuid>.
	Arn *string

	// AssumeRoleId is the role ID, a colon and the role session name.
	AssumeRoleId *string

	noSmithyDocumentSerde
}

// Credentials are temporary AWS credentials for SigV4 signing.
type Credentials struct {
	// AccessKeyId identifies the temporary credentials.
	AccessKeyId *string

	// Expiration is when the credentials expire.
	Expiration *time.Time

	// SecretAccessKey signs requests.
	SecretAccessKey *string

	// SessionToken is sent with every request signed by these credentials.
	SessionToken *string

	noSmithyDocumentSerde
}

// PodIdentityAssociation names the EKS Pod Identity association that matched.
type PodIdentityAssociation struct {
	// AssociationArn is the association's ARN.
	AssociationArn *string

	// AssociationId is the association's ID.
	AssociationId *string

	noSmithyDocumentSerde
}

// Subject is the Kubernetes service account the token was issued to.
type Subject struct {
	// Namespace is the service account's namespace.
	Namespace *string

	// ServiceAccount is the service account's name.
	ServiceAccount *string

	noSmithyDocumentSerde
}

type noSmithyDocumentSerde = smithydocument.NoSerde
