package eksauthtest_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// BenchmarkExchange measures one full exchange through our client: sign,
// send, SigV4 and RS256 verification, answer, decode.
func BenchmarkExchange(b *testing.B) {
	srv := newTestServer(b)
	client := eksauth.NewFromConfig(srv.Config())
	input := &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(testCluster), Token: aws.String(srv.Token(testPod, time.Hour))}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.AssumeRoleForPodIdentity(ctx, input); err != nil {
			b.Fatal(err)
		}
	}
	srv.ResetRequests()
}

// BenchmarkToken measures minting a token (RS256 signing).
func BenchmarkToken(b *testing.B) {
	srv := newTestServer(b)
	pod := eksauthtest.Pod{Cluster: testCluster, Namespace: "shop", ServiceAccount: "cart", Name: "p"}
	b.ReportAllocs()
	for b.Loop() {
		srv.Token(pod, time.Hour)
	}
}

// BenchmarkNewServer measures starting and closing a server with one
// cluster, whose key comes from the process-wide cache after the first.
func BenchmarkNewServer(b *testing.B) {
	for b.Loop() {
		srv := eksauthtest.NewServer()
		srv.Associate(eksauthtest.Association{Cluster: "c", Namespace: "n", ServiceAccount: "s", RoleARN: testRole})
		srv.Close()
	}
}
