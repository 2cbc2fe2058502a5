// Command pod-identity-agent is a node agent for EKS Pod Identity: it serves
// pods the container-credentials endpoint that the AWS SDKs call, and gets
// the credentials from EKS Auth (AssumeRoleForPodIdentity) with the
// podidentity client and one [credentials.Provider] per pod token.
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
// Expiration (RFC 3339) is 5 minutes before the real expiry, so that the
// pod comes back while the agent still holds valid credentials; for
// credentials that live shorter than that (an emulator's), it is the real
// expiry, never a time already past.
//
// Every other answer is {"code":"…","message":"…"} with Content-Type
// application/json, which the SDKs parse into an API error:
//
//   - 400 InvalidRequestException: no Authorization header (or several);
//   - 400 InvalidTokenException: not a JWT with a pod UID claim (checked
//     before anything is sent upstream);
//   - 400 ExpiredTokenException: the token's exp has passed;
//   - EKS Auth's own errors with EKS Auth's status: 400 AccessDenied,
//     ExpiredToken, InvalidParameter, InvalidRequest, InvalidToken; 404
//     ResourceNotFound (no association); 429 Throttling; 500
//     InternalServer; 503 ServiceUnavailable;
//   - 429 ThrottlingException with Retry-After: the pod exceeded -rate;
//   - 502 with EKS Auth's code (or UpstreamError): an answer the agent
//     cannot pass on, such as a 403 for the node's own credentials;
//   - 503 ServiceUnavailableException: EKS Auth unreachable;
//   - 504 UpstreamTimeout: no answer within -upstream-timeout.
//
// /healthz answers 200 while the process runs; /readyz answers 200 when the
// node's credentials can be had, 503 otherwise and during shutdown.
//
// # Caching
//
// The agent keeps one entry per token, keyed by SHA-256 of the token, in an
// LRU bounded by -cache-size; an entry not asked for during -idle-ttl is
// forgotten, and nothing is ever refreshed for a pod that stopped asking.
// Each entry's provider makes one upstream call for any number of
// concurrent requests, refreshes in the background once about half of the
// credentials' lifetime has passed (jittered), and keeps serving valid
// credentials when a refresh fails, so an EKS Auth outage does not reach
// pods whose credentials are still valid.
//
// The pod UID is read from the token without checking its signature (EKS
// Auth checks it), so it cannot be trusted as a key: a token forged with
// pod X's UID would otherwise be answered with X's credentials. Keyed by
// the whole token, an entry only ever serves the token EKS Auth accepted.
// When the kubelet rotates a pod's token, the new token's first successful
// exchange retires the entries of that pod's older tokens, so a pod has
// one entry once its new token is in use.
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
// of the EKS and ECS agents, so on a node the agent listens on
//
//	-listen 169.254.170.23:80,[fd00:ec2::23]:80
//
// (as a host-network DaemonSet with those addresses on a link), and pods get
// AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials and
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE pointing at the projected token
// (/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token).
// The node's own credentials, which sign the calls to EKS Auth, come from
// the SDK's default chain (instance profile on EC2).
//
// # Running on a laptop
//
// Point -endpoint at an EKS Auth emulator (package eksauthtest), export
// node credentials the emulator accepts, and point any SDK at the agent on
// loopback; see README.md.
package main
