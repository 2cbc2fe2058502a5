// Command eksauth is `aws eks-auth assume-role-for-pod-identity` as one
// static Go binary, built on this module's client: the same options, the
// same output byte for byte, the same error messages and exit statuses, so
// that scripts and habits written for the AWS CLI v2 carry over.
//
//	eksauth assume-role-for-pod-identity --cluster-name NAME \
//	    --token file:///var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token
//
// `eksauth eks-auth assume-role-for-pod-identity ...` works too, so an alias
// aws=eksauth runs an AWS CLI command line unchanged. Run `eksauth help` or
// `eksauth assume-role-for-pod-identity help`.
//
// # Output
//
// json (the default), text, table, yaml and yaml-stream, chosen by
// --output, AWS_DEFAULT_OUTPUT or the profile's output; --query takes a
// JMESPath expression applied before formatting. Every format matches the
// AWS CLI v2 byte for byte: internal/e2e/awscli runs both on the same
// command lines against one emulator, and the json, text and table golden
// files in testdata/ were written by the AWS CLI itself. The repository's
// README lists the few differences, each on purpose.
//
// # Configuration
//
// Region, profile, credentials, shared config and credentials files come
// from the AWS SDK for Go's config module, with the AWS CLI's precedence
// (option, environment, profile). Settings only the AWS CLI knows (output,
// cli_pager, cli_auto_prompt, cli_binary_format, ca_bundle) are read from
// the profile directly.
//
// # Errors and exit statuses
//
// As the AWS CLI v2: 252 for bad usage or parameters, 253 for a missing
// region or credentials, 254 for an error answered by the service
// ("An error occurred (Code) when calling the AssumeRoleForPodIdentity
// operation: message"), 255 for anything else, 130 when interrupted.
//
// # Secrets
//
// The --debug trace redacts the token, the caller's secret key and session
// token and the credentials answered; error messages never echo the input
// of --cli-input-json, which usually holds a token.
package main
