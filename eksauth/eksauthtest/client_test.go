package eksauthtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

// TestThroughClient calls the emulator with our eksauth client built from
// srv.Config(), as a test author would.
func TestThroughClient(t *testing.T) {
	srv := newTestServer(t)
	client := eksauth.NewFromConfig(srv.Config())
	out, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String(testCluster),
		Token:       aws.String(srv.Token(testPod, time.Hour)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Subject.ServiceAccount) != "cart" || aws.ToString(out.Audience) != "pods.eks.amazonaws.com" {
		t.Errorf("subject %q, audience %q", aws.ToString(out.Subject.ServiceAccount), aws.ToString(out.Audience))
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || c.Expiration == nil ||
		c.Expiration.Sub(time.Now()) < 5*time.Hour {
		t.Errorf("credentials %q expiring %v, want ASIA… for about 6 h", aws.ToString(c.AccessKeyId), c.Expiration)
	}
	rec := srv.Requests()
	if len(rec) != 1 || rec[0].Header.Get("X-Amz-Security-Token") != srv.NodeCredentials().SessionToken {
		t.Errorf("the client did not send the node session token")
	}
}

func TestThroughClientErrors(t *testing.T) {
	srv := newTestServer(t)
	expired := srv.Token(testPod, -time.Hour)
	good := srv.Token(testPod, time.Hour)

	tests := map[string]struct {
		cluster string
		token   string
		faults  []eksauthtest.Fault
		creds   *aws.Credentials
		status  int
		check   func(error) bool
		want    string
	}{
		"expired token": {token: expired, status: 400, want: "*types.ExpiredTokenException",
			check: func(err error) bool { var e *types.ExpiredTokenException; return errors.As(err, &e) }},
		"invalid token": {token: good[:len(good)-4] + "AAAA", status: 400, want: "*types.InvalidTokenException",
			check: func(err error) bool { var e *types.InvalidTokenException; return errors.As(err, &e) }},
		"unknown cluster": {cluster: "nope", token: good, status: 404, want: "*types.ResourceNotFoundException",
			check: func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) }},
		"throttled": {token: good, faults: []eksauthtest.Fault{{Status: 429}}, status: 429, want: "*types.ThrottlingException",
			check: func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		"unavailable": {token: good, faults: []eksauthtest.Fault{{Status: 503}}, status: 503, want: "*types.ServiceUnavailableException",
			check: func(err error) bool { var e *types.ServiceUnavailableException; return errors.As(err, &e) }},
		"wrong node secret": {token: good, creds: &aws.Credentials{AccessKeyID: srv.NodeCredentials().AccessKeyID, SecretAccessKey: strings.Repeat("w", 40), SessionToken: srv.NodeCredentials().SessionToken},
			status: 403, want: "InvalidSignatureException",
			check: func(err error) bool {
				var e smithy.APIError
				return errors.As(err, &e) && e.ErrorCode() == "InvalidSignatureException"
			}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv.Inject(tc.faults...)
			cfg := srv.Config()
			if tc.creds != nil {
				creds := *tc.creds
				cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
			}
			cluster := tc.cluster
			if cluster == "" {
				cluster = testCluster
			}
			client := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
			_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
				ClusterName: aws.String(cluster), Token: aws.String(tc.token),
			})
			if err == nil || !tc.check(err) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != tc.status || re.ServiceRequestID() == "" {
				t.Errorf("err = %v, want status %d with a request ID", err, tc.status)
			}
		})
	}
	if n := len(srv.Requests()); n != len(tests) {
		t.Errorf("%d requests for %d cases: the client retried with RetryMaxAttempts 1", n, len(tests))
	}
}

// TestClientRetriesFaults shows retries against scripted faults.
func TestClientRetriesFaults(t *testing.T) {
	srv := newTestServer(t)
	srv.Inject(eksauthtest.Fault{Status: http.StatusServiceUnavailable}, eksauthtest.Fault{Drop: true})
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 3 })
	_, err := client.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String(testCluster), Token: aws.String(srv.Token(testPod, time.Hour)),
	})
	if err != nil {
		t.Fatalf("after a 503 and a dropped connection: %v", err)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	if want := []int{503, 0, 200}; !equalInts(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
}
