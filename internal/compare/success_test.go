package compare_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// TestCannedSuccess sends both clients the same 200 answer and checks they
// decode the same values. Beyond the official client (DESIGN.md), ours
// refuses an answer without complete credentials, which the official
// client returns as a success with nil fields.
func TestCannedSuccess(t *testing.T) {
	const creds = `"accessKeyId":"ASIAEXAMPLE123456789","secretAccessKey":"s","sessionToken":"t"`
	tests := map[string]struct {
		body       string
		oursRefuse bool
	}{
		"canned answer":       {body: string(successAnswer)},
		"integer expiration":  {body: `{"credentials":{` + creds + `,"expiration":4102444800}}`},
		"fractional":          {body: `{"credentials":{` + creds + `,"expiration":1767225600.25}}`},
		"exponent":            {body: `{"credentials":{` + creds + `,"expiration":1.7672256e9}}`},
		"unknown fields":      {body: `{"new":{"a":[1,2]},"credentials":{` + creds + `,"expiration":4102444800,"x":1}}`},
		"null shapes":         {body: `{"subject":null,"assumedRoleUser":null,"credentials":{` + creds + `,"expiration":4102444800}}`},
		"data after the JSON": {body: `{"credentials":{` + creds + `,"expiration":4102444800}} trailing`},
		"no credentials":      {body: `{"audience":"pods.eks.amazonaws.com"}`, oursRefuse: true},
		"no session token": {body: `{"credentials":{"accessKeyId":"ASIAEXAMPLE123456789","secretAccessKey":"s","expiration":4102444800}}`,
			oursRefuse: true},
		"no expiration": {body: `{"credentials":{` + creds + `}}`, oursRefuse: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mk := func() *cannedDoer { return &cannedDoer{status: 200, header: successHeader, body: []byte(tt.body)} }
			oursOut, oursErr := newOurs(mk(), "").AssumeRoleForPodIdentity(ctx, oursInput())
			offOut, offErr := newOfficial(mk(), "").AssumeRoleForPodIdentity(ctx, officialInput())
			if offErr != nil {
				t.Fatalf("official: %v", offErr)
			}
			if tt.oursRefuse {
				var de *smithy.DeserializationError
				if !errors.As(oursErr, &de) {
					t.Errorf("ours: error %v, want a *smithy.DeserializationError", oursErr)
				} else if strings.Contains(oursErr.Error(), `"s"`) || strings.Contains(oursErr.Error(), tt.body) {
					t.Errorf("ours: the error quotes the answer: %v", oursErr)
				}
				return
			}
			if oursErr != nil {
				t.Fatalf("ours: %v", oursErr)
			}
			got, want := flatOurs(oursOut), flatOfficial(offOut)
			if got != want {
				t.Errorf("decoded:\n ours     %+v\n official %+v", got, want)
			}
			oursRID, _ := awsmiddleware.GetRequestIDMetadata(oursOut.ResultMetadata)
			offRID, _ := awsmiddleware.GetRequestIDMetadata(offOut.ResultMetadata)
			if oursRID != offRID || offRID == "" {
				t.Errorf("request ID in ResultMetadata: ours %q, official %q", oursRID, offRID)
			}
		})
	}
}

// flat is an output with every pointer followed ("<nil>" where nil).
type flat struct {
	Namespace, ServiceAccount, Audience, AssociationArn, AssociationId string
	Arn, AssumeRoleId, AccessKeyId, SecretAccessKey, SessionToken      string
	Expiration                                                         string
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func timeStr(p *time.Time) string {
	if p == nil {
		return "<nil>"
	}
	return p.UTC().Format(time.RFC3339Nano)
}

func flatOurs(o *eksauth.AssumeRoleForPodIdentityOutput) flat {
	f := flat{Audience: str(o.Audience), Namespace: "<nil>", ServiceAccount: "<nil>", AssociationArn: "<nil>", AssociationId: "<nil>",
		Arn: "<nil>", AssumeRoleId: "<nil>", AccessKeyId: "<nil>", SecretAccessKey: "<nil>", SessionToken: "<nil>", Expiration: "<nil>"}
	if x := o.Subject; x != nil {
		f.Namespace, f.ServiceAccount = str(x.Namespace), str(x.ServiceAccount)
	}
	if x := o.PodIdentityAssociation; x != nil {
		f.AssociationArn, f.AssociationId = str(x.AssociationArn), str(x.AssociationId)
	}
	if x := o.AssumedRoleUser; x != nil {
		f.Arn, f.AssumeRoleId = str(x.Arn), str(x.AssumeRoleId)
	}
	if x := o.Credentials; x != nil {
		f.AccessKeyId, f.SecretAccessKey, f.SessionToken, f.Expiration = str(x.AccessKeyId), str(x.SecretAccessKey), str(x.SessionToken), timeStr(x.Expiration)
	}
	return f
}

func flatOfficial(o *official.AssumeRoleForPodIdentityOutput) flat {
	f := flat{Audience: str(o.Audience), Namespace: "<nil>", ServiceAccount: "<nil>", AssociationArn: "<nil>", AssociationId: "<nil>",
		Arn: "<nil>", AssumeRoleId: "<nil>", AccessKeyId: "<nil>", SecretAccessKey: "<nil>", SessionToken: "<nil>", Expiration: "<nil>"}
	if x := o.Subject; x != nil {
		f.Namespace, f.ServiceAccount = str(x.Namespace), str(x.ServiceAccount)
	}
	if x := o.PodIdentityAssociation; x != nil {
		f.AssociationArn, f.AssociationId = str(x.AssociationArn), str(x.AssociationId)
	}
	if x := o.AssumedRoleUser; x != nil {
		f.Arn, f.AssumeRoleId = str(x.Arn), str(x.AssumeRoleId)
	}
	if x := o.Credentials; x != nil {
		f.AccessKeyId, f.SecretAccessKey, f.SessionToken, f.Expiration = str(x.AccessKeyId), str(x.SecretAccessKey), str(x.SessionToken), timeStr(x.Expiration)
	}
	return f
}
