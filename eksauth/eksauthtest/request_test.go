package eksauthtest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRequestChecks(t *testing.T) {
	srv := newTestServer(t)
	token := srv.Token(testPod, time.Hour)
	fixture := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", "requests", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(strings.TrimSpace(string(b)), "$TOKEN", token)
	}

	tests := map[string]struct {
		req      rawRequest
		status   int
		code     string
		msgStart string
	}{
		"optional node fields": {
			req:    rawRequest{body: fixture("node-fields.json")},
			status: 200,
		},
		"content type with charset": {
			req:    rawRequest{token: token, before: func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }},
			status: 200,
		},
		"no content type": {
			req:    rawRequest{token: token, before: func(r *http.Request) { r.Header.Del("Content-Type") }},
			status: 200,
		},
		"not JSON": {
			req:    rawRequest{body: "token=abc"},
			status: 400, code: "InvalidRequestException", msgStart: "The request body is not a valid JSON object.",
		},
		"JSON then garbage": {
			req:    rawRequest{body: fixture("trailing-garbage.json")},
			status: 400, code: "InvalidRequestException", msgStart: "The request body is not a valid JSON object.",
		},
		"token of the wrong type": {
			req:    rawRequest{body: `{"token": 42}`},
			status: 400, code: "InvalidRequestException", msgStart: "The field 'token' has the wrong type.",
		},
		"no token": {
			req:    rawRequest{body: `{}`},
			status: 400, code: "InvalidParameterException", msgStart: "1 validation error detected: Value null at 'token'",
		},
		"member names are case-sensitive": {
			req:    rawRequest{body: `{"Token":"` + token + `"}`},
			status: 400, code: "InvalidParameterException", msgStart: "1 validation error detected: Value null at 'token'",
		},
		"a member in another case beside the real one": {
			req:    rawRequest{body: `{"TOKEN":"x.y.z","token":"` + token + `"}`},
			status: 200,
		},
		"an escaped slash stays in the cluster name": {
			req:    rawRequest{token: token, path: "/clusters/prod%2Fx/assume-role-for-pod-identity"},
			status: 400, code: "InvalidParameterException", msgStart: "1 validation error detected: Value 'prod/x' at 'clusterName'",
		},
		"escaped letters name the cluster they spell": {
			req:    rawRequest{token: token, path: "/clusters/pro%64/assume-role-for-pod-identity"},
			status: 200,
		},
		"a raw slash is another path": {
			req:    rawRequest{token: token, path: "/clusters/prod/x/assume-role-for-pod-identity"},
			status: 404, code: "UnknownOperationException", msgStart: "No operation matches POST /clusters/prod/x/assume-role-for-pod-identity.",
		},
		"token outside the pattern": {
			req:    rawRequest{body: `{"token":"not a jwt"}`},
			status: 400, code: "InvalidParameterException", msgStart: "1 validation error detected: Value at 'token' failed to satisfy constraint",
		},
		"token with a newline": {
			req:    rawRequest{token: token + "\n"},
			status: 400, code: "InvalidParameterException",
		},
		"cluster name outside the pattern": {
			req:    rawRequest{token: token, cluster: "-prod"},
			status: 400, code: "InvalidParameterException", msgStart: "1 validation error detected: Value '-prod' at 'clusterName'",
		},
		"cluster name too long": {
			req:    rawRequest{token: token, cluster: strings.Repeat("c", 101)},
			status: 400, code: "InvalidParameterException",
		},
		"wrong content type": {
			req:    rawRequest{token: token, before: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }},
			status: 400, code: "InvalidRequestException", msgStart: "The request's Content-Type must be application/json.",
		},
		"GET": {
			req:    rawRequest{token: token, method: http.MethodGet},
			status: 404, code: "UnknownOperationException", msgStart: "No operation matches GET /clusters/prod/assume-role-for-pod-identity.",
		},
		"unknown path": {
			req:    rawRequest{token: token, path: "/clusters/prod/describe"},
			status: 404, code: "UnknownOperationException",
		},
		"body too large": {
			req:    rawRequest{body: `{"token":"` + strings.Repeat("a", 1<<20) + `"}`},
			status: 413, code: "InvalidRequestException", msgStart: "The request body is too large.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			res := send(t, srv, tc.req)
			if res.status != tc.status || res.code != tc.code {
				t.Fatalf("got %d %q (%s), want %d %q", res.status, res.code, res.message, tc.status, tc.code)
			}
			if !strings.HasPrefix(res.message, tc.msgStart) {
				t.Errorf("message = %q, want it to start with %q", res.message, tc.msgStart)
			}
			checkCommonHeaders(t, res)
			assertNoSecrets(t, string(res.body), token)
		})
	}
}
