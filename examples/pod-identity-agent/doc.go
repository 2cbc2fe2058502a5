// Command pod-identity-agent is a node agent for EKS Pod Identity: it serves
// pods the container-credentials endpoint that the AWS SDKs call, and gets
// the credentials from EKS Auth (AssumeRoleForPodIdentity) with the
// podidentity client, caching them per pod token.
//
// # Protocol
//
// A pod's SDK, given AWS_CONTAINER_CREDENTIALS_FULL_URI and
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, sends
//
//	GET /v1/credentials
//	Authorization: <the pod's service-account token, as it is, no "Bearer">
//
// and gets
//
//	{"AccessKeyId":"ASIA…","SecretAccessKey":"…","Token":"…","AccountId":"111122223333","Expiration":"2026-11-29T04:03:45Z"}
//
// Expiration (RFC 3339) is EKS Auth's own, as the official agent sends it:
// each SDK subtracts its own early-refresh window. No answer leaves less
// than 15 minutes before it (botocore's advisory window).
//
// Every other answer is {"Code":"…","Message":"…"} with Content-Type
// application/json, which the SDKs parse into an API error (the JS SDK v3
// reads exactly these keys):
//
//   - 400 InvalidRequestException: no Authorization header (or several);
//   - 400 InvalidTokenException: not a JWT with a pod UID claim (checked
//     before anything is sent upstream);
//   - 400 ExpiredTokenException: the token's exp has passed;
//   - EKS Auth's own errors with EKS Auth's status: 400 AccessDenied,
//     ExpiredToken, InvalidParameter, InvalidRequest, InvalidToken; 404
//     ResourceNotFound (no association); 429 Throttling; 500
//     InternalServer; 503 ServiceUnavailable;
//   - 429 ThrottlingException with Retry-After: the pod exceeded -rate, or
//     its address has -max-pending-per-source new tokens under exchange;
//   - 502 with EKS Auth's code (or UpstreamError): an answer the agent
//     cannot pass on, such as a 403 for the node's own credentials;
//   - 503 ServiceUnavailableException: EKS Auth unreachable, or -max-pending
//     new tokens under exchange already (with Retry-After);
//   - 504 UpstreamTimeout: no answer within -upstream-timeout.
//
// A request whose Host is not the address it arrived on (a name, as a
// DNS-rebinding page sends) gets 403 ForbiddenHost.
//
// /healthz, /readyz and /metrics are served on a port of their own on
// 127.0.0.1 (-probe-port), never on the credentials port: /healthz answers
// 200 while the process runs; /readyz answers 200 when every listener
// answers and EKS Auth accepts the node's credentials, 503 with the reasons
// otherwise and during shutdown (probes.go, nodeauth.go); /metrics serves
// Prometheus metrics (README.md lists them).
//
// # Caching
//
// A token's first exchange runs in a small table of tokens under exchange
// (-max-pending, of which -max-pending-per-source from one address): one
// call for all the requests presenting the token, cancelled when they all
// leave. Only when EKS Auth returns credentials does the token enter the
// cache: one entry per token, keyed by SHA-256 of the token, in an LRU
// bounded by -cache-size; an entry not asked for during -idle-ttl is
// forgotten, and nothing is ever refreshed for a pod that stopped asking.
// An entry refreshes in the background once about half of its servable
// life has passed (jittered); the refresh is shared and outlives the
// request that started it. A refresh failing with throttling, a 5xx or a
// timeout keeps valid credentials in service, so an EKS Auth outage does
// not reach pods; one refused with ResourceNotFound, AccessDenied,
// InvalidToken or ExpiredToken drops the entry at once (the pod's access is
// gone), and the pod's next request gets EKS Auth's answer.
//
// The pod UID is read from the token without checking its signature (EKS
// Auth checks it), so it cannot be trusted as a key: a token forged with
// pod X's UID would otherwise be answered with X's credentials. Keyed by
// the whole token, an entry only ever serves the token EKS Auth accepted.
// When the kubelet rotates a pod's token, the new token's admission retires
// the entries of that pod's older tokens, so a pod has one entry once its
// new token is in use.
//
// Calls to EKS Auth from all pods share a node-wide budget (budget.go):
// -max-inflight slots and one rate limit, -eksauth-rate and -eksauth-burst,
// over every call and retry; first fetches go ahead of background
// refreshes, and a ThrottlingException slows the whole node down. Each
// call is logged on one line (pod UID, namespace/pod, service account,
// duration, status, code and message of a failure, request ID, role,
// expiry), never with a token or a key. A missing node credential is also logged at start.
//
// # Running on a node
//
// The SDKs accept plain http only to loopback and the link-local addresses
// of the EKS and ECS agents, so the agent listens by default on
//
//	169.254.170.23:80 and [fd00:ec2::23]:80
//
// which "pod-identity-agent init" puts on the node (the dummy link
// pod-id-link0, both addresses and their routes, with netlink), as the
// chart's init container does (deploy/). Any other address, a wildcard
// above all, is refused unless -allow-any-listen-address: the listener is
// the only thing that keeps credentials to the node. Pods get
// AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials and
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE pointing at the projected token
// (/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token).
// The node's own credentials, which sign the calls to EKS Auth, come from
// the SDK's default chain (instance profile on EC2), or, with
// -rotate-credentials on hybrid nodes, from the shared credentials file,
// re-read as nodeadm rewrites it. The node's instance ID and
// availability-zone ID come from IMDS at start, unless flags give them.
//
// # Running on a laptop
//
// Point -endpoint at an EKS Auth emulator (package eksauthtest), export
// node credentials the emulator accepts, and point any SDK at the agent on
// loopback; see README.md.
package main
