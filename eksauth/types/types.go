// Package types holds the shapes and the typed errors of the EKS Auth API,
// with the names and fields of github.com/aws/aws-sdk-go-v2/service/eksauth/types.
package types

import (
	"strconv"
	"time"

	smithydocument "github.com/aws/smithy-go/document"
	"github.com/podidentity/podidentity/internal/redact"
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

// String shows AccessKeyId and Expiration, and SecretAccessKey and
// SessionToken as "<redacted>" when set, so that printing credentials
// (%v, %+v, or as a field of an output) does not leak them. The fields and
// their JSON encoding are unchanged.
func (c Credentials) String() string {
	return "{AccessKeyId:" + ptrString(c.AccessKeyId, false, false) +
		" Expiration:" + ptrTime(c.Expiration, false) +
		" SecretAccessKey:" + ptrString(c.SecretAccessKey, true, false) +
		" SessionToken:" + ptrString(c.SessionToken, true, false) + "}"
}

// GoString is String for %#v, with Go syntax.
func (c Credentials) GoString() string {
	return "types.Credentials{AccessKeyId:" + ptrString(c.AccessKeyId, false, true) +
		", Expiration:" + ptrTime(c.Expiration, true) +
		", SecretAccessKey:" + ptrString(c.SecretAccessKey, true, true) +
		", SessionToken:" + ptrString(c.SessionToken, true, true) + "}"
}

func ptrString(p *string, secret, quote bool) string {
	switch {
	case p == nil && quote:
		return "nil"
	case p == nil:
		return "<nil>"
	case secret && quote:
		return strconv.Quote(redact.Placeholder)
	case secret:
		return redact.Placeholder
	case quote:
		return strconv.Quote(*p)
	}
	return *p
}

func ptrTime(p *time.Time, quote bool) string {
	switch {
	case p == nil && quote:
		return "nil"
	case p == nil:
		return "<nil>"
	case quote:
		return strconv.Quote(p.Format(time.RFC3339Nano))
	}
	return p.String()
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
