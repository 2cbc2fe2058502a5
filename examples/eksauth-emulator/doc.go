// Command eksauth-emulator serves the EKS Auth emulator of package
// eksauthtest on a local port, for trying pod-identity code, an AWS SDK or
// the AWS CLI without a cluster. README.md says how to run it, its flags,
// what a restart changes and how it differs from EKS Auth.
package main
