// Command official is the minimal program of the size and cold-start
// comparison, written against the official client: node credentials, region
// and endpoint from the environment, the official EKS Auth client and a
// token-file provider in an aws.Config, one retrieval, the access key ID
// printed. cmd/ours is the same program written against podidentity.
//
// Environment: AWS_REGION, AWS_ENDPOINT_URL_EKS_AUTH (optional),
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional),
// EKS_CLUSTER_NAME, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/internal/compare/officialcreds"
)

func main() {
	node := aws.Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
	}
	client := eksauth.New(eksauth.Options{
		Region:      os.Getenv("AWS_REGION"),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return node, nil }),
	}, func(o *eksauth.Options) {
		if ep := os.Getenv("AWS_ENDPOINT_URL_EKS_AUTH"); ep != "" {
			o.BaseEndpoint = &ep
		}
	})
	cfg := aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: aws.NewCredentialsCache(&officialcreds.Provider{
			Client:      client,
			ClusterName: os.Getenv("EKS_CLUSTER_NAME"),
			Token:       officialcreds.TokenFile(os.Getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")),
		}),
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "official:", err)
		os.Exit(1)
	}
	fmt.Println(creds.AccessKeyID)
}
