// Package awscli runs the AWS CLI v2 (Debian's awscli package, with
// botocore's eks-auth model added), the AWS CLI v1 and this repository's
// CLI (examples/eksauth) on the same command lines against one emulator,
// and compares what each prints on stdout and stderr and its exit status,
// with the values that change from call to call masked.
//
// .ci/run installs awscli. Where a client is missing the suite skips, or
// fails when CI=true.
package awscli
