package eksauthtest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// editAuthorization rewrites the signed Authorization header.
func editAuthorization(old, new string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
}

func TestSignatureChecks(t *testing.T) {
	srv := newTestServer(t)
	node := srv.NodeCredentials()
	token := srv.Token(testPod, time.Hour)
	wrongSecret := node
	wrongSecret.SecretAccessKey = strings.Repeat("x", 40)
	wrongKey := node
	wrongKey.AccessKeyID = "ASIAWRONGWRONGWRONG0"
	wrongSession := node
	wrongSession.SessionToken = "bm90IHRoZSBzZXNzaW9uIHRva2Vu"
	noSession := node
	noSession.SessionToken = ""

	tests := map[string]struct {
		req      rawRequest
		status   int
		code     string
		msgStart string
	}{
		"valid": {
			req:    rawRequest{},
			status: http.StatusOK,
		},
		"valid with x-amz-content-sha256": {
			req: rawRequest{before: func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", sha256Hex(`{"token":"`+token+`"}`))
			}},
			status: http.StatusOK,
		},
		"valid with a signed extra header": {
			req:    rawRequest{before: func(r *http.Request) { r.Header.Set("X-Custom", "a  b") }},
			status: http.StatusOK,
		},
		"missing authentication": {
			req:    rawRequest{unsigned: true},
			status: 403, code: "MissingAuthenticationTokenException", msgStart: "Missing Authentication Token",
		},
		"wrong secret key": {
			req:    rawRequest{creds: &wrongSecret},
			status: 403, code: "InvalidSignatureException", msgStart: "The request signature we calculated does not match the signature you provided.",
		},
		"unknown access key": {
			req:    rawRequest{creds: &wrongKey},
			status: 403, code: "UnrecognizedClientException", msgStart: "The security token included in the request is invalid.",
		},
		"wrong region": {
			req:    rawRequest{region: "eu-west-1"},
			status: 403, code: "InvalidSignatureException", msgStart: "Credential should be scoped to a valid region, not 'eu-west-1'.",
		},
		"wrong service": {
			req:    rawRequest{service: "eks"},
			status: 403, code: "InvalidSignatureException", msgStart: "Credential should be scoped to correct service: 'eks-auth'.",
		},
		"wrong terminator": {
			req:    rawRequest{after: editAuthorization("/aws4_request", "/aws5_request")},
			status: 403, code: "InvalidSignatureException", msgStart: "Credential should be scoped with a valid terminator",
		},
		"scope date differs from X-Amz-Date": {
			req: rawRequest{signedAt: time.Now().UTC(), after: func(r *http.Request) {
				day := time.Now().UTC().Format("20060102")
				editAuthorization("/"+day+"/", "/20200101/")(r)
			}},
			status: 403, code: "InvalidSignatureException", msgStart: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20200101' != '",
		},
		"host not signed": {
			req:    rawRequest{after: editAuthorization("host;", "")},
			status: 403, code: "IncompleteSignatureException", msgStart: "'Host' or ':authority' must be a 'SignedHeader'",
		},
		"x-amz-date not signed": {
			req:    rawRequest{after: editAuthorization(";x-amz-date", "")},
			status: 403, code: "IncompleteSignatureException", msgStart: "'X-Amz-Date' must be a 'SignedHeader'",
		},
		"stale date": {
			req:    rawRequest{signedAt: time.Now().Add(-10 * time.Minute)},
			status: 403, code: "InvalidSignatureException", msgStart: "Signature expired: ",
		},
		"date in the future": {
			req:    rawRequest{signedAt: time.Now().Add(10 * time.Minute)},
			status: 403, code: "InvalidSignatureException", msgStart: "Signature not yet current: ",
		},
		"wrong session token": {
			req:    rawRequest{creds: &wrongSession},
			status: 403, code: "UnrecognizedClientException", msgStart: "The security token included in the request is invalid.",
		},
		"no session token": {
			req:    rawRequest{creds: &noSession},
			status: 403, code: "UnrecognizedClientException", msgStart: "The security token included in the request is invalid.",
		},
		"session token sent twice": {
			req:    rawRequest{after: func(r *http.Request) { r.Header.Add("X-Amz-Security-Token", node.SessionToken) }},
			status: 403, code: "UnrecognizedClientException", msgStart: "The security token included in the request is invalid.",
		},
		"body changed after signing": {
			req: rawRequest{after: func(r *http.Request) {
				setBody(r, `{"Token":"`+token+`"}`) // same length, other bytes
			}},
			status: 403, code: "InvalidSignatureException", msgStart: "The request signature we calculated does not match",
		},
		"X-Amz-Date sent twice": {
			req: rawRequest{after: func(r *http.Request) {
				r.Header.Add("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			}},
			status: 403, code: "InvalidSignatureException", msgStart: "The request signature we calculated does not match",
		},
		"signed header changed after signing": {
			req:    rawRequest{after: func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }},
			status: 403, code: "InvalidSignatureException", msgStart: "The request signature we calculated does not match",
		},
		"query added after signing": {
			req:    rawRequest{after: func(r *http.Request) { r.URL.RawQuery = "x=1" }},
			status: 403, code: "InvalidSignatureException", msgStart: "The request signature we calculated does not match",
		},
		"signature of another request": {
			req: rawRequest{after: func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:len(a)-64]+strings.Repeat("0", 64))
			}},
			status: 403, code: "InvalidSignatureException", msgStart: "The request signature we calculated does not match",
		},
		"signature too long": {
			req:    rawRequest{after: editAuthorization("Signature=", "Signature=0")},
			status: 403, code: "IncompleteSignatureException", msgStart: "Signature must be 64 lowercase hexadecimal digits.",
		},
		"x-amz-content-sha256 not the body's": {
			req:    rawRequest{before: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", sha256Hex("other")) }},
			status: 403, code: "InvalidSignatureException", msgStart: "The provided 'x-amz-content-sha256' header does not match",
		},
		"another algorithm": {
			req:    rawRequest{after: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }},
			status: 403, code: "IncompleteSignatureException", msgStart: "Unsupported authorization algorithm",
		},
		"missing signature parameter": {
			req: rawRequest{after: func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			}},
			status: 403, code: "IncompleteSignatureException", msgStart: "Authorization header requires 'Signature' parameter.",
		},
		"two Authorization headers": {
			req:    rawRequest{after: func(r *http.Request) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }},
			status: 403, code: "IncompleteSignatureException", msgStart: "Only one Authorization header is allowed.",
		},
		"no X-Amz-Date": {
			req:    rawRequest{after: func(r *http.Request) { r.Header.Del("X-Amz-Date") }},
			status: 403, code: "IncompleteSignatureException", msgStart: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
		},
		"malformed X-Amz-Date": {
			req:    rawRequest{after: func(r *http.Request) { r.Header.Set("X-Amz-Date", "yesterday") }},
			status: 403, code: "IncompleteSignatureException", msgStart: "X-Amz-Date must be in the ISO 8601 basic format",
		},
		"credential with four parts": {
			req:    rawRequest{after: editAuthorization("/eks-auth/", "/")},
			status: 403, code: "IncompleteSignatureException", msgStart: "Credential must have exactly 5 slash-delimited elements",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.req.token = token
			res := send(t, srv, tc.req)
			if res.status != tc.status || res.code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", res.status, res.code, res.message, tc.status, tc.code)
			}
			if !strings.HasPrefix(res.message, tc.msgStart) {
				t.Errorf("message = %q, want it to start with %q", res.message, tc.msgStart)
			}
			if tc.code != "" {
				if want := tc.code + ":http://internal.amazon.com/coral/com.amazon.coral.service/"; res.errType != want {
					t.Errorf("X-Amzn-ErrorType = %q, want %q", res.errType, want)
				}
				if ct := res.header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
			}
			checkCommonHeaders(t, res)
			assertNoSecrets(t, string(res.body), node.SecretAccessKey, node.SessionToken, token)
		})
	}
}

func TestStaticNodeCredentialsWithoutSessionToken(t *testing.T) {
	node := aws.Credentials{AccessKeyID: "AKIAEXAMPLEEXAMPLE01", SecretAccessKey: strings.Repeat("s", 40)}
	srv := newTestServer(t, eksauthtest.WithNodeCredentials(node))
	if got := srv.NodeCredentials(); got.AccessKeyID != node.AccessKeyID || got.SessionToken != "" {
		t.Fatalf("NodeCredentials() = %q/%q, want the given ones", got.AccessKeyID, got.SessionToken)
	}
	token := srv.Token(testPod, time.Hour)
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", res.status, res.message)
	}
	withToken := node
	withToken.SessionToken = "dW5leHBlY3RlZA=="
	if res := send(t, srv, rawRequest{token: token, creds: &withToken}); res.code != "UnrecognizedClientException" {
		t.Errorf("an unexpected session token: code = %q, want UnrecognizedClientException", res.code)
	}
}

func TestSignatureRegionOfServer(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithRegion("eu-central-1"))
	token := srv.Token(testPod, time.Hour)
	if res := send(t, srv, rawRequest{token: token, region: "eu-central-1"}); res.status != http.StatusOK {
		t.Errorf("signed for the server's region: status = %d (%s), want 200", res.status, res.message)
	}
	if res := send(t, srv, rawRequest{token: token, region: "us-west-2"}); res.code != "InvalidSignatureException" {
		t.Errorf("signed for us-west-2: code = %q, want InvalidSignatureException", res.code)
	}
}

func assertNoSecrets(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			t.Errorf("%q contains a secret or token", s)
		}
	}
}
