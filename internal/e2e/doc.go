// Package e2e puts the whole Pod Identity path together as it runs on a
// node and asserts on what real clients see: the Go SDK, botocore, the JS
// SDK v3, the AWS CLI v1 and v2, and the official EKS Pod Identity Agent,
// all on the eksauthtest emulator. It is its own module because it drives
// programs and packages (Debian's awscli, npm packages, the official
// agent) that no user of the library needs; .ci/run installs them.
package e2e
