// Package deploy holds what installs the pod-identity-agent on a cluster:
// the Helm chart (chart/pod-identity-agent) and the Dockerfile of its
// image, with tests that render the chart through Helm's own engine,
// decode it into k8s.io/api types and hold it against the binary's flags.
// It is a module of its own so that the examples module does not depend on
// Helm and Kubernetes.
package deploy
