package eksauth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// exampleServer stands in for EKS Auth: it answers with status and body.
func exampleServer(status int, body string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-Requestid", "example-request-id")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
}

// The node's credentials sign the request; the pod's token names the role.
var nodeCredentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDNODE", SecretAccessKey: "node-secret", SessionToken: "node-session"}, nil
})

func ExampleClient_AssumeRoleForPodIdentity() {
	srv := exampleServer(200, `{"subject":{"namespace":"default","serviceAccount":"app"},
		"credentials":{"accessKeyId":"ASIAPOD","secretAccessKey":"pod-secret","sessionToken":"pod-session","expiration":1767225600}}`)
	defer srv.Close()

	client := eksauth.New(eksauth.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(srv.URL), // omit to call https://eks-auth.us-west-2.api.aws
		Credentials:  nodeCredentials,
	})
	out, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("my-cluster"),
		Token:       aws.String("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2ln"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	requestID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	fmt.Println(*out.Subject.Namespace, *out.Subject.ServiceAccount)
	fmt.Println(*out.Credentials.AccessKeyId, out.Credentials.Expiration.Format("2006-01-02T15:04:05Z"))
	fmt.Println(requestID)
	// Output:
	// default app
	// ASIAPOD 2026-01-01T00:00:00Z
	// example-request-id
}

func ExampleClient_AssumeRoleForPodIdentity_errors() {
	srv := exampleServer(400, `{"code":"ExpiredTokenException","message":"Token has expired"}`)
	defer srv.Close()

	client := eksauth.New(eksauth.Options{Region: "us-west-2", BaseEndpoint: aws.String(srv.URL), Credentials: nodeCredentials})
	_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("my-cluster"),
		Token:       aws.String("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2ln"),
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.(type) {
		case *types.ExpiredTokenException:
			fmt.Println("re-read the token file:", apiErr.ErrorMessage())
		case *types.ResourceNotFoundException:
			fmt.Println("no association for the service account")
		}
	}
	fmt.Println(err)
	// Output:
	// re-read the token file: Token has expired
	// operation error EKS Auth: AssumeRoleForPodIdentity, https response error StatusCode: 400, RequestID: example-request-id, ExpiredTokenException: Token has expired
}

func ExampleClient_AssumeRoleForPodIdentity_validation() {
	client := eksauth.New(eksauth.Options{Region: "us-west-2", Credentials: nodeCredentials})
	// Nothing is sent: the token has a line break.
	_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("my-cluster"),
		Token:       aws.String("a.b.c\n"),
	})
	var invalid *smithy.InvalidParamsError
	fmt.Println(errors.As(err, &invalid))
	fmt.Println(err)
	// Output:
	// true
	// operation error EKS Auth: AssumeRoleForPodIdentity, 1 validation error(s) found.
	// - value contains a CR or LF, AssumeRoleForPodIdentityInput.Token.
}

func ExampleNewFromConfig() {
	srv := exampleServer(200, `{"credentials":{"accessKeyId":"ASIAPOD","secretAccessKey":"s","sessionToken":"t","expiration":1767225600}}`)
	defer srv.Close()

	// Usually cfg comes from config.LoadDefaultConfig(ctx), which also
	// carries AWS_ENDPOINT_URL_EKS_AUTH and the FIPS setting.
	cfg := aws.Config{Region: "us-west-2", Credentials: nodeCredentials, BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 5}
	client := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) { o.AppID = "my-agent" })
	out, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("my-cluster"),
		Token:       aws.String("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2ln"),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(*out.Credentials.AccessKeyId, client.Options().Retryer.MaxAttempts())
	// Output: ASIAPOD 5
}

// Middleware written for any SDK client works unchanged: here one that
// adds a header to every request and one that reads the operation's name.
func ExampleWithAPIOptions() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("server saw X-Team:", r.Header.Get("X-Team"))
		io.WriteString(w, `{"credentials":{"accessKeyId":"ASIAPOD","secretAccessKey":"s","sessionToken":"t","expiration":1767225600}}`)
	}))
	defer srv.Close()

	addHeader := func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("addTeam", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			in.Request.(*smithyhttp.Request).Header.Set("X-Team", "payments")
			fmt.Println("calling", awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx))
			return next.HandleBuild(ctx, in)
		}), middleware.After)
	}
	client := eksauth.New(eksauth.Options{Region: "us-west-2", BaseEndpoint: aws.String(srv.URL), Credentials: nodeCredentials})
	_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("my-cluster"),
		Token:       aws.String("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhcHAifQ.c2ln"),
	}, eksauth.WithAPIOptions(addHeader))
	fmt.Println(err)
	// Output:
	// calling EKS Auth AssumeRoleForPodIdentity
	// server saw X-Team: payments
	// <nil>
}
