package compare_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// FuzzDecodeSuccessMatchesOfficial sends both clients the same 200 answer
// and checks that ours accepts, refuses and reads exactly what the official
// client does, apart from refusing incomplete credentials, on purpose.
func FuzzDecodeSuccessMatchesOfficial(f *testing.F) {
	f.Add(successAnswer)
	for _, s := range []string{
		``, ` `, `null`, `[]`, `"x"`, `5`, `{}`, `{"credentials":null}`, `{"credentials":5}`, `{"audience":true}`,
		`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1.5e9}} x`,
		`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"1"}}`,
		`{"credentials":{"accessKeyId":"A\u00e9\n","secretAccessKey":"S","sessionToken":"T","expiration":-0.5}}`,
		`{"Credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1}}`,
		`{"credentials":{"accessKeyId":5,"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1}}`,
		`{"cred\u0065ntials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1e400}}`,
		`{"a":[1,{"b":null}],"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1}}`,
		`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":9.3e15},"subject":{"namespace":"\ud800"}}`,
		`{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"\x"}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `{"a":tru}`, "{\"a\":\"\x01\"}", "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	h := http.Header{"Content-Type": {"application/json"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		ours, oursErr := newOurs(&cannedDoer{status: 200, header: h, body: body}, "", func(o *eksauth.Options) { o.Retryer = aws.NopRetryer{} }).
			AssumeRoleForPodIdentity(context.Background(), oursInput())
		off, offErr := newOfficial(&cannedDoer{status: 200, header: h, body: body}, "", func(o *official.Options) { o.Retryer = aws.NopRetryer{} }).
			AssumeRoleForPodIdentity(context.Background(), officialInput())
		var de *smithy.DeserializationError
		switch {
		case offErr != nil:
			if oursErr == nil || !errors.As(oursErr, &de) {
				t.Fatalf("official refuses (%v), ours: %v", offErr, oursErr)
			}
		case !complete(off):
			if oursErr == nil || !strings.Contains(oursErr.Error(), "incomplete credentials") {
				t.Fatalf("incomplete credentials accepted or misreported: %v", oursErr)
			}
		case oursErr != nil:
			t.Fatalf("official accepts, ours: %v", oursErr)
		case flatOurs(ours) != flatOfficial(off):
			t.Fatalf("decoded differently:\n ours     %+v\n official %+v", flatOurs(ours), flatOfficial(off))
		}
	})
}

func complete(o *official.AssumeRoleForPodIdentityOutput) bool {
	c := o.Credentials
	return c != nil && c.AccessKeyId != nil && *c.AccessKeyId != "" && c.SecretAccessKey != nil && *c.SecretAccessKey != "" &&
		c.SessionToken != nil && *c.SessionToken != "" && c.Expiration != nil
}
