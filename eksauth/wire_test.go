package eksauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
)

func TestRequestWireForm(t *testing.T) {
	tests := map[string]struct {
		in       *eksauth.AssumeRoleForPodIdentityInput
		appID    string
		wantBody string
		wantUA   []string
	}{
		"token only": {
			in:       input(),
			wantBody: `{"token":"` + testToken + `"}`,
			wantUA:   []string{"podidentity/" + eksauth.Version, "lang/go#", "md/GOARCH#" + runtime.GOARCH, "api/eksauth#" + eksauth.Version},
		},
		"optional fields and app ID": {
			in: &eksauth.AssumeRoleForPodIdentityInput{
				ClusterName: aws.String(testCluster), Token: aws.String(testToken),
				EksNodeName: aws.String("ip-10-0-0-1.ec2.internal"), InstanceId: aws.String("i-0123"), Zone: aws.String("us-west-2a"),
			},
			appID:    "my app/1",
			wantBody: `{"token":"` + testToken + `","eksNodeName":"ip-10-0-0-1.ec2.internal","instanceId":"i-0123","zone":"us-west-2a"}`,
			wantUA:   []string{"podidentity/" + eksauth.Version, "app/my-app-1"},
		},
		"only zone": {
			in:       &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(testCluster), Token: aws.String(testToken), Zone: aws.String("z")},
			wantBody: `{"token":"` + testToken + `","zone":"z"}`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, answer{Body: successBody(t)})
			c := newTestClient(ts, func(o *eksauth.Options) { o.AppID = tt.appID })
			if _, err := c.AssumeRoleForPodIdentity(context.Background(), tt.in); err != nil {
				t.Fatal(err)
			}
			r := ts.Requests()[0]
			if r.Method != http.MethodPost {
				t.Errorf("method = %s, want POST", r.Method)
			}
			if got, want := r.Path, testBasePath+"/clusters/"+testCluster+"/assume-role-for-pod-identity"; got != want {
				t.Errorf("path = %q, want %q", got, want)
			}
			if got := string(r.Body); got != tt.wantBody {
				t.Errorf("body = %s, want %s", got, tt.wantBody)
			}
			if got := r.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := r.Header.Get("X-Amz-Security-Token"); got != testSessionToken {
				t.Errorf("X-Amz-Security-Token = %q, want the session token", got)
			}
			ua := r.Header.Get("User-Agent")
			for _, part := range tt.wantUA {
				if !strings.Contains(ua, part) {
					t.Errorf("User-Agent %q lacks %q", ua, part)
				}
			}
			if tt.appID == "" && strings.Contains(ua, "app/") {
				t.Errorf("User-Agent %q has an app/ without AppID", ua)
			}
			if got, want := r.Header.Get("Amz-Sdk-Request"), "attempt=1; max=3"; got != want {
				t.Errorf("amz-sdk-request = %q, want %q", got, want)
			}
			uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
			if got := r.Header.Get("Amz-Sdk-Invocation-Id"); !uuid.MatchString(got) {
				t.Errorf("amz-sdk-invocation-id = %q, want a UUIDv4", got)
			}
			verifySignature(t, r, ts.Listener.Addr().String(), "us-west-2")
		})
	}
}

// verifySignature re-signs the received request with the test credentials
// at its X-Amz-Date and compares the Authorization headers.
func verifySignature(t *testing.T, r recorded, host, region string) {
	t.Helper()
	auth := r.Header.Get("Authorization")
	m := regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/eks-auth/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$`).FindStringSubmatch(auth)
	if m == nil {
		t.Fatalf("Authorization = %q, not a SigV4 eks-auth signature", auth)
	}
	if m[1] != testAccessKey || m[3] != region {
		t.Errorf("credential scope key/region = %s/%s, want %s/%s", m[1], m[3], testAccessKey, region)
	}
	signed := strings.Split(m[4], ";")
	for _, h := range []string{"content-type", "host", "x-amz-date", "x-amz-security-token", "amz-sdk-invocation-id", "amz-sdk-request"} {
		if !contains(signed, h) {
			t.Errorf("SignedHeaders %q lacks %s", m[4], h)
		}
	}
	date, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(r.Method, "http://"+host+r.Path, nil)
	req.ContentLength = int64(len(r.Body))
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			req.Header.Set(h, r.Header.Get(h))
		}
	}
	req.Header.Del("X-Amz-Security-Token") // the signer adds it back
	sum := sha256.Sum256(r.Body)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, hex.EncodeToString(sum[:]), "eks-auth", region, date); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Authorization"); got != auth {
		t.Errorf("signature does not verify:\n got  %s\n want %s", auth, got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestEveryInputMemberIsSent sets each member of the input and checks that
// the request carries it: a member added to the input type but not to the
// serializer fails here instead of being dropped in silence.
func TestEveryInputMemberIsSent(t *testing.T) {
	ts := newTestServer(t, answer{Body: successBody(t)})
	in := &eksauth.AssumeRoleForPodIdentityInput{}
	v := reflect.ValueOf(in).Elem()
	want := map[string]string{}
	for i := range v.NumField() {
		f := v.Type().Field(i)
		val := "value-of-" + f.Name
		switch f.Name {
		case "ClusterName":
			val = testCluster
		case "Token":
			val = testToken
		}
		v.Field(i).Set(reflect.ValueOf(&val))
		want[strings.ToLower(f.Name[:1])+f.Name[1:]] = val
	}
	if _, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	r := ts.Requests()[0]
	var body map[string]string
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	body["clusterName"], _ = strings.CutPrefix(strings.TrimSuffix(r.Path, "/assume-role-for-pod-identity"), testBasePath+"/clusters/")
	if !reflect.DeepEqual(body, want) {
		t.Errorf("sent %v, want every member %v", body, want)
	}
}

// A program may remove validation from the stack (the AWS CLI's way: the
// service judges the input). The serializer must still keep every name in
// its path segment and not panic on missing members.
func TestSerializeWithoutValidation(t *testing.T) {
	noValidation := eksauth.WithAPIOptions(func(st *middleware.Stack) error {
		_, err := st.Initialize.Remove("OperationInputValidation")
		return err
	})
	tests := map[string]struct {
		in                *eksauth.AssumeRoleForPodIdentityInput
		wantPath, wantRaw string
		wantBody          string
	}{
		"slash and dots": {
			in:       &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("../x/y"), Token: aws.String("t")},
			wantPath: testBasePath + "/clusters/../x/y/assume-role-for-pod-identity",
			wantRaw:  testBasePath + "/clusters/..%2Fx%2Fy/assume-role-for-pod-identity",
			wantBody: `{"token":"t"}`,
		},
		"space and percent": {
			in:       &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("a b%2F"), Token: aws.String("t")},
			wantPath: testBasePath + "/clusters/a b%2F/assume-role-for-pod-identity",
			wantRaw:  testBasePath + "/clusters/a%20b%252F/assume-role-for-pod-identity",
			wantBody: `{"token":"t"}`,
		},
		"no token": {
			in:       &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(testCluster)},
			wantPath: testBasePath + "/clusters/" + testCluster + "/assume-role-for-pod-identity",
			wantRaw:  testBasePath + "/clusters/" + testCluster + "/assume-role-for-pod-identity",
			wantBody: `{}`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, answer{Body: successBody(t)})
			c := newTestClient(ts, noValidation)
			if _, err := c.AssumeRoleForPodIdentity(context.Background(), tt.in); err != nil {
				t.Fatal(err)
			}
			r := ts.Requests()[0]
			if r.Path != tt.wantPath || r.EscapedPath != tt.wantRaw {
				t.Errorf("path = %q (sent %q), want %q (sent %q)", r.Path, r.EscapedPath, tt.wantPath, tt.wantRaw)
			}
			if string(r.Body) != tt.wantBody {
				t.Errorf("body = %s, want %s", r.Body, tt.wantBody)
			}
		})
	}
	t.Run("no cluster name", func(t *testing.T) {
		ts := newTestServer(t)
		c := newTestClient(ts, noValidation)
		_, err := c.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{Token: aws.String("t")})
		var se *smithy.SerializationError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "input member clusterName must not be empty") {
			t.Fatalf("err = %v, want the official serializer's SerializationError", err)
		}
		if n := len(ts.Requests()); n != 0 {
			t.Errorf("%d requests sent, want none", n)
		}
	})
}

// A success whose headers echo the token or the node's session token keeps
// neither in what the output holds: the request ID is read from them.
func TestSuccessEchoedSecretsScrubbed(t *testing.T) {
	ts := newTestServer(t, answer{Header: map[string]string{"X-Amzn-Requestid": "rid-" + testToken, "X-Echo": testSessionToken}, Body: successBody(t)})
	out, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
	if err != nil {
		t.Fatal(err)
	}
	id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	raw, _ := awsmiddleware.GetRawResponse(out.ResultMetadata).(*smithyhttp.Response)
	if raw == nil {
		t.Fatal("no raw response in the result metadata")
	}
	dump := fmt.Sprintf("%s %+v %v", id, raw.Header, out.ResultMetadata)
	for _, secret := range []string{testToken, testSessionToken} {
		if strings.Contains(dump, secret) {
			t.Errorf("a secret survives in the result metadata: %s", dump)
		}
	}
	if id != "rid-<redacted>" {
		t.Errorf("request ID = %q, want rid-<redacted>", id)
	}
}
