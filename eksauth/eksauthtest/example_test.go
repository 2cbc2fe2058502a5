package eksauthtest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

// A test exchanges a pod's token for credentials against the emulator,
// with a client built from srv.Config().
func Example() {
	srv := eksauthtest.NewServer()
	defer srv.Close()

	id := srv.Associate(eksauthtest.Association{
		Cluster: "prod", Namespace: "shop", ServiceAccount: "cart",
		RoleARN: "arn:aws:iam::111122223333:role/cart",
	})
	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", Name: "cart-0"}, time.Hour)

	client := eksauth.NewFromConfig(srv.Config())
	out, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"),
		Token:       aws.String(token),
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println("service account:", *out.Subject.Namespace+"/"+*out.Subject.ServiceAccount)
	fmt.Println("association matches:", *out.PodIdentityAssociation.AssociationId == id)
	fmt.Println("role:", strings.Split(*out.AssumedRoleUser.Arn, "/")[1])
	fmt.Println("session:", strings.Split(*out.AssumedRoleUser.Arn, "/")[2][:len("eks-prod-cart-0-")])
	fmt.Println("key:", (*out.Credentials.AccessKeyId)[:4]+"…")
	// Output:
	// service account: shop/cart
	// association matches: true
	// role: cart
	// session: eks-prod-cart-0-
	// key: ASIA…
}

// Faults script the next answers, here a throttling error, to test what
// the code under test does with them.
func ExampleServer_Inject() {
	srv := eksauthtest.NewServer()
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", RoleARN: "arn:aws:iam::111122223333:role/cart"})
	input := &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"),
		Token:       aws.String(srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)),
	}
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })

	srv.Inject(eksauthtest.Fault{Status: 429})
	_, err := client.AssumeRoleForPodIdentity(context.Background(), input)
	var throttled *types.ThrottlingException
	fmt.Println("first call throttled:", errors.As(err, &throttled))

	_, err = client.AssumeRoleForPodIdentity(context.Background(), input)
	fmt.Println("second call error:", err)

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Status, r.Code)
	}
	// Output:
	// first call throttled: true
	// second call error: <nil>
	// POST /clusters/prod/assume-role-for-pod-identity 429 ThrottlingException
	// POST /clusters/prod/assume-role-for-pod-identity 200
}

// A clock the test controls makes tokens expire without waiting.
func ExampleWithClock() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := eksauthtest.NewServer(eksauthtest.WithClock(func() time.Time { return now }))
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", RoleARN: "arn:aws:iam::111122223333:role/cart"})
	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)

	now = now.Add(2 * time.Hour) // the token expired an hour ago
	client := eksauth.NewFromConfig(srv.Config())
	_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"), Token: aws.String(token),
	})
	var expired *types.ExpiredTokenException
	if errors.As(err, &expired) {
		fmt.Println(expired.ErrorMessage())
	}
	// Output:
	// The token included in the request is expired: current date/time 2026-01-01T02:00:00Z must be before the expiration date/time 2026-01-01T01:00:00Z.
}

// Tokens carry the claims the kubelet puts in a pod-identity token.
func ExampleServer_Token() {
	srv := eksauthtest.NewServer()
	defer srv.Close()
	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", Name: "cart-0"}, time.Hour)

	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[1])
	var claims struct {
		Aud []string `json:"aud"`
		Iss string   `json:"iss"`
		Sub string   `json:"sub"`
		K8s struct {
			Pod struct{ Name string } `json:"pod"`
		} `json:"kubernetes.io"`
	}
	_ = json.Unmarshal(payload, &claims)
	fmt.Println(claims.Aud, claims.Sub, claims.K8s.Pod.Name)
	fmt.Println(claims.Iss == srv.Issuer("prod"), strings.HasPrefix(claims.Iss, "https://oidc.eks.us-west-2.amazonaws.com/id/"))
	// Output:
	// [pods.eks.amazonaws.com] system:serviceaccount:shop:cart cart-0
	// true true
}

// Requests signed with anything but the node credentials are refused, as
// AWS refuses them.
func ExampleServer_Config() {
	srv := eksauthtest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, nil
	})
	client := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"),
		Token:       aws.String(srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)),
	})
	fmt.Println(srv.Requests()[0].Status, srv.Requests()[0].Code)
	fmt.Println(err != nil)
	// Output:
	// 403 UnrecognizedClientException
	// true
}

// WithThrottling models the account's request rate: here a burst of 2 and
// almost no refill, so the third call in a row is throttled, as EKS Auth
// throttles, and recorded as such.
func ExampleWithThrottling() {
	srv := eksauthtest.NewServer(eksauthtest.WithThrottling(0.01, 2))
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", RoleARN: "arn:aws:iam::111122223333:role/cart"})
	input := &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"),
		Token:       aws.String(srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)),
	}
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	for range 3 {
		_, err := client.AssumeRoleForPodIdentity(context.Background(), input)
		var te *types.ThrottlingException
		fmt.Println("throttled:", errors.As(err, &te))
	}
	reqs := srv.Requests()
	fmt.Println("recorded:", reqs[2].Status, reqs[2].Code, reqs[2].Throttled)
	// Output:
	// throttled: false
	// throttled: false
	// throttled: true
	// recorded: 429 ThrottlingException true
}

// A third party verifies the emulator's tokens as it would a real
// cluster's: the issuer's JWKS, served by the emulator at the issuer's
// path, holds the key named by the token's kid.
func ExampleServer_Issuer() {
	srv := eksauthtest.NewServer()
	defer srv.Close()
	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)

	issuer := srv.Issuer("prod") // https://oidc.eks.us-west-2.amazonaws.com/id/<ID>
	path := issuer[strings.Index(issuer, "/id/"):]
	resp, err := srv.Client().Get(srv.URL + path + "/keys")
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct{ Kid string } `json:"keys"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&jwks)

	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var h struct{ Kid string }
	_ = json.Unmarshal(header, &h)
	fmt.Println("kid, 40 hex digits:", len(h.Kid) == 40)
	fmt.Println("published:", len(jwks.Keys) == 1 && jwks.Keys[0].Kid == h.Kid)
	// Output:
	// kid, 40 hex digits: true
	// published: true
}
