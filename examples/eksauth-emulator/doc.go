// Command eksauth-emulator serves the EKS Auth emulator of package
// eksauthtest on a local port, for trying pod-identity code, an AWS SDK or
// the AWS CLI without a cluster.
//
// # Usage
//
//	go run ./examples/eksauth-emulator \
//		-associate prod/shop/cart=arn:aws:iam::111122223333:role/cart
//
// It prints the environment that points an SDK or the AWS CLI at it
// (AWS_ENDPOINT_URL_EKS_AUTH, AWS_REGION and the node credentials it
// accepts) and a service-account token for each association, then serves
// until SIGINT or SIGTERM.
//
// Flags:
//
//	-addr host:port          listen address (default 127.0.0.1:8765; port 0 picks one)
//	-region name             region to answer for (default us-west-2)
//	-account id              account of ARNs (default 111122223333)
//	-associate c/ns/sa=role[,targetRole]   an association; repeatable
//	-config file.json        associations (and region, account) from a file
//	-token-ttl duration      lifetime of printed and minted tokens (default 24h)
//	-credential-lifetime d   lifetime of issued credentials (default: as EKS, 6h or 59m;
//	                         the agent and the SDKs count them expired 5 minutes early)
//	-access-key-id, -secret-access-key, -session-token   fixed node credentials
//	-env-file path           also write the export lines to path (mode 0600)
//	-quiet                   do not log requests to stderr
//	-request-log n           keep the newest n requests for GET /emulator/requests
//	                         (default 0: none, so a long run holds no record)
//	-fault-rate p            answer a fraction p (0 to 1) of API requests with a random
//	                         transient fault (500, 503, 429, dropped connection), for
//	                         testing a client's retries; -fault-seed n repeats a run
//	-throttle-rate r         account-wide API rate in requests per second (token bucket);
//	                         beyond it, ThrottlingException (429) as EKS Auth sends it
//	-throttle-burst n        the bucket's size (default: the rate rounded up, at least 1)
//
// It exits with 0 after SIGINT or SIGTERM, 2 for a bad command line or
// config file, and 1 when it cannot start (the address is in use, the
// -env-file cannot be written).
//
// The config file is JSON:
//
//	{"region": "us-west-2", "accountId": "111122223333",
//	 "associations": [{"cluster": "prod", "namespace": "shop",
//	   "serviceAccount": "cart", "roleArn": "arn:aws:iam::111122223333:role/cart",
//	   "targetRoleArn": ""}]}
//
// # Minting tokens
//
// Besides the EKS Auth API, the server answers unauthenticated helper
// routes:
//
//	GET /emulator/token?cluster=prod&namespace=shop&serviceAccount=cart[&pod=name][&ttl=1h]
//	GET /emulator/associations
//	GET /emulator/requests
//
// The first returns a fresh token as text, the second the associations as
// JSON, the third the requests kept by -request-log (time, method, path as
// sent, status, code, request ID; never a header or a body) as JSON.
//
// Each cluster's OIDC discovery document and keys are served at its
// issuer's paths, /id/<ID>/.well-known/openid-configuration and
// /id/<ID>/keys, as EKS serves them; the setup prints the issuer of each
// association's cluster and those two URLs.
package main
