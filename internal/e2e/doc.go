// Package e2e puts the whole Pod Identity path together as it runs on a
// node and asserts on what real clients see: the Go SDK, botocore, the JS
// SDK v3, the AWS CLI v1 and v2, and the official EKS Pod Identity Agent,
// all on the eksauthtest emulator. It is its own module because it drives
// programs and packages (Debian's awscli, npm packages, the official
// agent) that no user of the library needs; .ci/run installs them.
//
//   - awscli: the AWS CLI v2 and v1 beside our CLI, on the same requests.
//   - node: a node in a box (a network namespace of the test's own) with
//     our agent, then the official one, on 169.254.170.23 and
//     [fd00:ec2::23], and pods running the Go SDK, botocore and the JS SDK.
//   - signers: the emulator against botocore's and the JS SDK's SigV4.
//   - js: the pinned JS SDK packages (package.json and its lockfile).
package e2e
