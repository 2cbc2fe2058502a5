// Package podidentity turns a Kubernetes service-account token into AWS
// credentials through EKS Pod Identity, the EKS Auth API's
// AssumeRoleForPodIdentity operation.
//
// The module has one package for each job:
//
//   - [github.com/podidentity/podidentity/credentials]: most programs want
//     this. Its Provider is an [aws.CredentialsProvider] for aws.Config that
//     re-reads the pod's rotating token file, refreshes ahead of expiry in the
//     background, and never makes callers wait while valid credentials exist.
//   - [github.com/podidentity/podidentity/eksauth]: the API client, for node
//     agents and tools that call AssumeRoleForPodIdentity themselves. It is
//     source-compatible with github.com/aws/aws-sdk-go-v2/service/eksauth:
//     change the import paths and the program compiles and behaves the same.
//   - [github.com/podidentity/podidentity/eksauth/types]: the API's shapes
//     and its nine typed errors.
//   - [github.com/podidentity/podidentity/eksauth/eksauthtest]: an in-process
//     EKS Auth emulator that checks SigV4 signatures and service-account
//     tokens like the real service, for tests that run offline.
//
// A program in a pod on a node that runs the EKS Pod Identity Agent needs
// none of this: the AWS SDKs' default credential chains get the pod's
// credentials from the agent. This module is for the programs that call EKS
// Auth themselves (node agents, tools, tests); the credentials that sign
// the call need the IAM permission eks-auth:AssumeRoleForPodIdentity.
//
// This package itself holds no code: it documents the module.
//
// [aws.CredentialsProvider]: https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/aws#CredentialsProvider
package podidentity
