// Package eksauthtest runs an in-process EKS Auth emulator for tests, like
// net/http/httptest does for HTTP servers.
//
// The emulator behaves like the service, not like a mock that accepts
// anything: it verifies the SigV4 signature of every request, verifies the
// service-account token against the cluster that issued it, and answers
// with the service's success shape or its errors. Code under test talks to
// it over real HTTP, so its signing, retries and decoding are exercised.
//
// # Getting started
//
//	srv := eksauthtest.NewServer()
//	defer srv.Close()
//	srv.Associate(eksauthtest.Association{
//		Cluster: "prod", Namespace: "shop", ServiceAccount: "cart",
//		RoleARN: "arn:aws:iam::111122223333:role/cart",
//	})
//	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", Name: "cart-0"}, time.Hour)
//	client := eksauth.NewFromConfig(srv.Config())
//
// [Server.Config] carries the region, the endpoint, the node credentials
// the server accepts and an HTTP client, so any SDK client built from an
// aws.Config (ours or the official one) calls the emulator.
//
// # Clusters and tokens
//
// A cluster exists once it is named in [Server.Associate] or
// [Server.Token]. Each has its own RSA-2048 key and OIDC issuer
// (https://oidc.eks.<region>.amazonaws.com/id/<32 hex digits>).
// [Server.Token] mints the RS256 JWT the kubelet projects into a pod
// (audience pods.eks.amazonaws.com, subject
// system:serviceaccount:<namespace>:<name>, the kubernetes.io claims with
// stable service-account and pod UIDs, and a kid header of 40 lowercase
// hex digits, as EKS's). Generating RSA keys is slow, so keys are cached
// for the whole process: the n-th cluster of every Server reuses the same
// key, while issuers stay distinct.
//
// Like EKS, the server publishes each cluster's OIDC discovery document and
// JWKS at the issuer's paths, on its own URL and without authentication:
// GET /id/<ID>/.well-known/openid-configuration and GET /id/<ID>/keys, for
// a third party that verifies tokens the way it would a real cluster's.
//
// A cluster can also trust a real Kubernetes cluster's service-account
// issuer ([Server.TrustIssuer]): the tokens the kubelet projects into
// real pods (kind, minikube, a test cluster) are then checked against the
// keys its API server publishes, and their kubernetes.io claims select the
// association, as on EKS.
//
// # What the server checks
//
// In this order, each failure answered as AWS does:
//
//   - SigV4 (status 403): a missing Authorization header is
//     MissingAuthenticationTokenException; a malformed one
//     IncompleteSignatureException; a credential scope for another
//     region, service or date, or a wrong signature,
//     InvalidSignatureException ("Signature expired: ..." when X-Amz-Date is
//     more than 5 minutes from the wall clock); an unknown access key or a
//     wrong X-Amz-Security-Token UnrecognizedClientException. The signed
//     headers must include host and x-amz-date.
//   - The request: POST /clusters/{name}/assume-role-for-pod-identity
//     (else 404 UnknownOperationException), JSON body with a token
//     (InvalidRequestException, InvalidParameterException).
//   - The cluster must exist (ResourceNotFoundException, 404).
//   - The token: signed by that cluster's key, with its issuer and the
//     pod-identity audience (InvalidTokenException, 400), not expired
//     (ExpiredTokenException, 400), within a leeway of [TokenLeeway].
//   - The token's service account must have an association
//     (ResourceNotFoundException).
//
// Errors carry the code in X-Amzn-ErrorType and {"message": "..."} as the
// body; every answer carries X-Amzn-Requestid and Date.
//
// # Answers
//
// A success carries the association's ID and ARN, the assumed-role user
// arn:<partition>:sts::<account>:assumed-role/<role>/eks-<cluster>-<pod>-<uuid>
// (at most 64 characters of session name) with its AROA… ID, and fresh
// ASIA… credentials that expire after 6 hours, 59 minutes with a target
// role, or [WithCredentialLifetime].
//
// # Faults and records
//
// [Server.Inject] queues [Fault] values, consumed one per request: throttling,
// server errors, delays, dropped connections and truncated bodies, to test
// retries and refreshes against a real server. [WithRandomFaults] makes the
// server unreliable instead, for chaos and soak tests: each request gets,
// with a given probability, one of a set of faults drawn at random
// ([WithFaultSeed] repeats a run). [WithThrottling] models the account's
// request rate, a token bucket shared by every call, beyond which the server
// answers ThrottlingException (429) as EKS Auth does, to test how a node's
// clients share that rate. [Server.Requests] returns
// what the server received and what it answered; a request appears as soon
// as it arrives, so a test can wait for it while a Delay holds it. The
// record keeps the newest requests within a count and a size
// ([WithRequestLog]), so a long or hostile run cannot grow it without
// bound.
//
// The body is read as the service reads it: member names are matched
// exactly ({"Token": ...} is an unknown member, so the request has no
// token), and the route is matched on the path as sent, so a cluster name
// with an escaped slash (%2F) reaches the operation and fails its pattern.
//
// # Clocks
//
// [WithClock] moves the clock of tokens and credential expirations, so that
// expiry can be tested without waiting. The SigV4 date check keeps the wall
// clock, because SDK clients sign with it.
//
// # Limits
//
// Only header-signed SigV4 (AWS4-HMAC-SHA256) with a signed X-Amz-Date is
// accepted: no presigned query strings, no SigV4a, no Date header in place
// of X-Amz-Date. The signature is recomputed with the SDK's
// signer, which never signs User-Agent, Expect, Transfer-Encoding,
// X-Amzn-Trace-Id or Authorization, so a request from another signer that
// signed one of those fails to verify. State lives in memory and ends with
// Close.
//
// The standalone program examples/eksauth-emulator serves this emulator on
// a local port for SDKs in any language and the AWS CLI.
package eksauthtest
