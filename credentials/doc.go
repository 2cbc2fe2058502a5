// Package credentials provides an [aws.CredentialsProvider] for EKS Pod
// Identity: a [Provider] exchanges the pod's service-account token for
// temporary credentials through the EKS Auth API and refreshes them ahead
// of expiry, so that callers never wait while valid credentials exist.
//
// # Usage
//
// On EKS the Pod Identity Agent usually does the exchange and the SDK's
// default chain picks up its credentials. Use this package where you call
// EKS Auth yourself (a node agent, a test, a cluster-side tool):
//
//	client := eksauth.NewFromConfig(nodeCfg)
//	provider := credentials.New(client, "my-cluster", credentials.TokenFile(credentials.DefaultTokenPath))
//	cfg := aws.Config{Region: "us-west-2", Credentials: provider}
//
// The Provider does its own caching; it needs no aws.CredentialsCache.
// Wrapping it in one still works, but the cache calls Retrieve only once
// its copy has expired (at Expires), so the refresh then happens while the
// caller waits. config.WithCredentialsProvider wraps what it is given; to
// keep refreshes in the background, assign the Provider after loading:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	...
//	cfg.Credentials = provider
//
// # Refresh policy
//
// Let the usable lifetime of a set of credentials run from their arrival
// to their real expiry minus [Options].ExpiryWindow (5 minutes by default).
//
//   - The first Retrieve fetches. Concurrent callers share one upstream
//     call; a caller whose context ends returns with its context's error at
//     once while the shared call goes on for the others.
//   - While more than about half of the usable lifetime remains, Retrieve
//     returns the credentials from memory: one atomic load, no lock, no
//     allocation.
//   - Then Retrieve still returns them at once, and starts one background
//     refresh. The point is drawn per set of credentials between 40% and
//     60% of the usable lifetime remaining ([Options].RefreshFraction and
//     RefreshJitter), so that pods started together do not refresh
//     together.
//   - A failed background refresh is logged and leaves the credentials in
//     service; a later Retrieve tries again after a jittered exponential
//     backoff (1 s doubling to 5 min by default). No goroutine loops: a
//     refresh runs in a goroutine that ends with it, so there is nothing
//     to close.
//   - Within ExpiryWindow of the real expiry, Retrieve waits for a refresh
//     (joining one already running). If it fails, Retrieve returns the
//     error wrapped as "credentials: refresh: ...", in which errors.As
//     finds the client's typed error (such as *types.ExpiredTokenException)
//     and errors.Is the context error.
//   - The token is read again for every refresh, since the kubelet rotates
//     it; [TokenFile] never caches the file's content.
//   - [Provider.Invalidate] makes the next Retrieve fetch.
//
// The credentials returned have Source [ProviderName], CanExpire true,
// Expires equal to the real expiry minus ExpiryWindow (as
// aws.CredentialsCache would report them), and AccountID taken from the
// assumed-role ARN. An answer without an access key, secret key, session
// token or expiration is an error, never empty credentials.
//
// # Clients
//
// [New] accepts any [APIClient]: [*eksauth.Client], or a fake built with
// [APIClientFunc]. The official client
// (github.com/aws/aws-sdk-go-v2/service/eksauth) has the same method over
// its own types, so Go cannot take it as is; an [APIClientFunc] copies the
// fields across (awseksauth is the official package, official its client,
// eksauth and types are this module's):
//
//	credentials.APIClientFunc(func(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
//		out, err := official.AssumeRoleForPodIdentity(ctx, &awseksauth.AssumeRoleForPodIdentityInput{
//			ClusterName: in.ClusterName, Token: in.Token,
//		})
//		if err != nil || out.Credentials == nil {
//			return nil, err // the Provider reports missing credentials
//		}
//		res := &eksauth.AssumeRoleForPodIdentityOutput{Credentials: &types.Credentials{
//			AccessKeyId: out.Credentials.AccessKeyId, SecretAccessKey: out.Credentials.SecretAccessKey,
//			SessionToken: out.Credentials.SessionToken, Expiration: out.Credentials.Expiration,
//		}}
//		if out.AssumedRoleUser != nil {
//			res.AssumedRoleUser = &types.AssumedRoleUser{Arn: out.AssumedRoleUser.Arn}
//		}
//		return res, nil
//	})
//
// # Logging
//
// [Options].Logger receives a DEBUG line when a background refresh starts
// and ends and a WARN line for each failed refresh. No token, secret key or
// session token is ever logged or put in an error.
package credentials
