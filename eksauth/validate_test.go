package eksauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

func TestValidation(t *testing.T) {
	tests := map[string]struct {
		in      *eksauth.AssumeRoleForPodIdentityInput
		wantErr string // "" means valid
	}{
		"valid":               {in: input()},
		"nil input":           {wantErr: "2 validation error(s) found.\n- missing required field, AssumeRoleForPodIdentityInput.ClusterName.\n- missing required field, AssumeRoleForPodIdentityInput.Token.\n"},
		"nil cluster":         {in: &eksauth.AssumeRoleForPodIdentityInput{Token: aws.String(testToken)}, wantErr: "missing required field, AssumeRoleForPodIdentityInput.ClusterName."},
		"nil token":           {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c")}, wantErr: "missing required field, AssumeRoleForPodIdentityInput.Token."},
		"empty cluster":       {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(""), Token: aws.String(testToken)}, wantErr: "minimum field size of 1, AssumeRoleForPodIdentityInput.ClusterName."},
		"100-char cluster":    {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(strings.Repeat("a", 100)), Token: aws.String(testToken)}},
		"101-char cluster":    {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(strings.Repeat("a", 101)), Token: aws.String(testToken)}, wantErr: "maximum field size of 100"},
		"cluster with /":      {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("a/b"), Token: aws.String(testToken)}, wantErr: "value does not match pattern"},
		"cluster with ..":     {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(".."), Token: aws.String(testToken)}, wantErr: "value does not match pattern"},
		"cluster leading -":   {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("-a"), Token: aws.String(testToken)}, wantErr: "value does not match pattern"},
		"cluster _ and -":     {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("a_b-C9"), Token: aws.String(testToken)}},
		"empty token":         {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String("")}, wantErr: "minimum field size of 1, AssumeRoleForPodIdentityInput.Token."},
		"two-part token":      {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String("a.b")}, wantErr: "value does not match pattern"},
		"token with LF":       {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String(testToken + "\n")}, wantErr: "value contains a CR or LF"},
		"token with CR":       {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String("a.b\r.c")}, wantErr: "value contains a CR or LF"},
		"token with space":    {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String("a.b c.d")}, wantErr: "value does not match pattern"},
		"token with quote":    {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String(`a.b".c`)}, wantErr: "value does not match pattern"},
		"padded token":        {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String("a=.b-_.c==")}},
		"node name not UTF-8": {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String(testToken), EksNodeName: aws.String("ip-\xab")}, wantErr: "value is not valid UTF-8, AssumeRoleForPodIdentityInput.EksNodeName."},
		"zone not UTF-8":      {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String(testToken), Zone: aws.String("\xff"), InstanceId: aws.String("i-\xc0")}, wantErr: "2 validation error(s) found."},
		"UTF-8 node name":     {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("c"), Token: aws.String(testToken), EksNodeName: aws.String("nœud-\u2028\"")}},
		"both bad":            {in: &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(""), Token: aws.String("x")}, wantErr: "2 validation error(s) found."},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, answer{Body: successBody(t)})
			_, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("valid input refused: %v", err)
				}
				return
			}
			if n := len(ts.Requests()); n != 0 {
				t.Errorf("sent %d requests for invalid input", n)
			}
			var oe *smithy.OperationError
			var ipe *smithy.InvalidParamsError
			var ipeValue smithy.InvalidParamsError
			if !errors.As(err, &oe) || !errors.As(err, &ipe) || !errors.As(err, &ipeValue) {
				t.Fatalf("error %T %v: want an OperationError around a smithy.InvalidParamsError (pointer and value)", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.in != nil && tt.in.Token != nil && len(*tt.in.Token) > 3 && strings.Contains(err.Error(), *tt.in.Token) {
				t.Errorf("error text contains the token")
			}
		})
	}
}
