// Package eksauth is a client for the EKS Auth API, whose one operation,
// AssumeRoleForPodIdentity, exchanges a pod's service-account token for
// temporary AWS credentials (EKS Pod Identity).
//
// It is source-compatible with github.com/aws/aws-sdk-go-v2/service/eksauth
// for New, NewFromConfig, Options, the operation, its input and output, and
// the errors of package types, so programs written for the official client
// work after changing their import paths.
package eksauth
