package credentials_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

// A Provider goes into aws.Config; every client built from that config
// signs with its credentials. Here a fake stands in for eksauth.Client.
func ExampleNew() {
	fake := credentials.APIClientFunc(func(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		return &eksauth.AssumeRoleForPodIdentityOutput{
			AssumedRoleUser: &types.AssumedRoleUser{Arn: aws.String("arn:aws:sts::111122223333:assumed-role/app/eks-" + *in.ClusterName + "-pod")},
			Credentials: &types.Credentials{
				AccessKeyId:     aws.String("ASIAEXAMPLE"),
				SecretAccessKey: aws.String("secret"),
				SessionToken:    aws.String("session"),
				Expiration:      aws.Time(time.Now().Add(6 * time.Hour)),
			},
		}, nil
	})
	token := credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return "header.payload.signature", nil })

	provider := credentials.New(fake, "my-cluster", token, func(o *credentials.Options) {
		o.ExpiryWindow = 10 * time.Minute
	})
	cfg := aws.Config{Region: "us-west-2", Credentials: provider}

	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(creds.Source, creds.AccessKeyID, creds.AccountID, creds.CanExpire)
	fmt.Println("usable for about", time.Until(creds.Expires).Round(time.Hour))
	// Output:
	// EKSPodIdentityProvider ASIAEXAMPLE 111122223333 true
	// usable for about 6h0m0s
}

// TokenFile reads the file on every call, so a token the kubelet has
// rotated is picked up by the next refresh.
func ExampleTokenFile() {
	dir, err := os.MkdirTemp("", "token")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "eks-pod-identity-token")
	token := credentials.TokenFile(path)

	for _, content := range []string{"first.jwt.token\n", "rotated.jwt.token\n"} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			fmt.Println(err)
			return
		}
		tok, err := token.GetToken(context.Background())
		fmt.Println(tok, err)
	}

	os.WriteFile(path, nil, 0o600)
	_, err = token.GetToken(context.Background())
	fmt.Println(errors.Is(err, credentials.ErrEmptyToken))
	// Output:
	// first.jwt.token <nil>
	// rotated.jwt.token <nil>
	// true
}

// A failed refresh keeps the API's typed error in the chain.
func ExampleProvider_Retrieve_error() {
	// What the service answers for a service account without an association.
	denied := credentials.APIClientFunc(func(context.Context, *eksauth.AssumeRoleForPodIdentityInput, ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("No Pod Identity Association found for cluster my-cluster, namespace default and service account app.")}
	})
	token := credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return "header.payload.signature", nil })
	provider := credentials.New(denied, "my-cluster", token)

	_, err := provider.Retrieve(context.Background())
	fmt.Println(err)
	var notFound *types.ResourceNotFoundException
	fmt.Println(errors.As(err, &notFound))
	// Output:
	// credentials: refresh: ResourceNotFoundException: No Pod Identity Association found for cluster my-cluster, namespace default and service account app.
	// true
}

// The whole stack on the in-process emulator: the client signs with the
// node's credentials, the Provider reads the pod's token file.
func ExampleProvider_Retrieve() {
	srv := eksauthtest.NewServer()
	defer srv.Close()
	srv.Associate(eksauthtest.Association{
		Cluster: "prod", Namespace: "shop", ServiceAccount: "cart",
		RoleARN: "arn:aws:iam::111122223333:role/cart",
	})

	// The kubelet's part: the pod's token in a file.
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "eks-pod-identity-token")
	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		fmt.Println(err)
		return
	}

	provider := credentials.New(eksauth.NewFromConfig(srv.Config()), "prod", credentials.TokenFile(path))
	cfg := aws.Config{Region: "us-west-2", Credentials: provider}

	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(creds.Source, creds.AccountID, creds.CanExpire, creds.AccessKeyID[:4])
	fmt.Println("usable for about", time.Until(creds.Expires).Round(time.Hour))
	// Output:
	// EKSPodIdentityProvider 111122223333 true ASIA
	// usable for about 6h0m0s
}
