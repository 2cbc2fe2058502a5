package eksauth_test

import (
	"context"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
)

func TestAssumeRoleForPodIdentitySuccess(t *testing.T) {
	ts := newTestServer(t, answer{Header: map[string]string{"X-Amzn-Requestid": "rid-ok"}, Body: successBody(t)})
	out, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
	if err != nil {
		t.Fatalf("AssumeRoleForPodIdentity: %v", err)
	}
	if got, want := *out.Credentials.AccessKeyId, "ASIARESPONSEKEY"; got != want {
		t.Errorf("AccessKeyId = %q, want %q", got, want)
	}
	if got, want := *out.Credentials.Expiration, time.Unix(1764345600, 0).UTC(); !got.Equal(want) {
		t.Errorf("Expiration = %v, want %v", got, want)
	}
	if got, want := *out.Subject.ServiceAccount, "app"; got != want {
		t.Errorf("ServiceAccount = %q, want %q", got, want)
	}
	if got, want := *out.AssumedRoleUser.AssumeRoleId, "AROAEXAMPLE:eks-c1-pod-0123"; got != want {
		t.Errorf("AssumeRoleId = %q, want %q", got, want)
	}
	if got, want := *out.PodIdentityAssociation.AssociationId, "a-0123456789abcdef0"; got != want {
		t.Errorf("AssociationId = %q, want %q", got, want)
	}
	if got, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); got != "rid-ok" {
		t.Errorf("request ID = %q, want rid-ok", got)
	}
	reqs := ts.Requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	if got, want := reqs[0].Path, testBasePath+"/clusters/"+testCluster+"/assume-role-for-pod-identity"; got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
	if got, want := string(reqs[0].Body), `{"token":"`+testToken+`"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}
