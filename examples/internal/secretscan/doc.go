// Package secretscan holds no code, only a test: TestNoSecretLeaks drives
// every place this repository prints or returns text (the eksauth client's
// log modes and errors, the credentials Provider's logger, the eksauth
// CLI's --debug trace, the pod-identity-agent's logs and answers) with
// known secrets (a pod's token, the node's secret key and session token,
// the credentials issued) and fails if any of them, or a distinctive part
// of one, shows up. It lives in the examples module because it spans both
// modules: it builds the two example binaries and runs them against the
// eksauthtest emulator.
package secretscan
