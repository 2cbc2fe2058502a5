package eksauth_test

import (
	"context"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
)

// BenchmarkAssumeRoleForPodIdentity measures one call: over an in-memory
// HTTP client with a canned answer (the client's own cost), and over
// loopback to an httptest server (with net/http's).
func BenchmarkAssumeRoleForPodIdentity(b *testing.B) {
	body, err := os.ReadFile("testdata/success.json")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	in := input()

	b.Run("in-memory", func(b *testing.B) {
		c := eksauth.New(eksauth.Options{
			Region: "us-west-2", Credentials: credentials(testCreds),
			HTTPClient: &cannedClient{status: 200, header: http.Header{"X-Amzn-Requestid": {"rid"}}, body: body},
		})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.AssumeRoleForPodIdentity(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("loopback", func(b *testing.B) {
		ts := newTestServer(b, answer{Header: map[string]string{"X-Amzn-Requestid": "rid"}, Body: string(body)})
		c := eksauth.New(eksauth.Options{
			Region: "us-west-2", Credentials: credentials(testCreds),
			BaseEndpoint: aws.String(ts.URL), HTTPClient: ts.Client(),
		})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.AssumeRoleForPodIdentity(ctx, in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
