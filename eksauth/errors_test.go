package eksauth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth/types"
)

func TestErrorDecoding(t *testing.T) {
	tests := map[string]struct {
		status      int
		header      map[string]string
		body        string
		wantType    string // %T of the first smithy.APIError, or of the error under ResponseError
		wantCode    string
		wantMessage string
		wantID      string
		wantText    string // the whole error text, when given
		wantTries   int
	}{
		"header code with namespace and URL": {
			status: 400, header: map[string]string{"X-Amzn-ErrorType": "aws.protocols#InvalidTokenException:http://internal", "X-Amzn-Requestid": "rid-1"},
			body: `{"message":"bad token"}`, wantType: "*types.InvalidTokenException", wantCode: "InvalidTokenException", wantMessage: "bad token", wantID: "rid-1",
			wantText:  "operation error EKS Auth: AssumeRoleForPodIdentity, https response error StatusCode: 400, RequestID: rid-1, InvalidTokenException: bad token",
			wantTries: 1,
		},
		"header code wins over body": {
			status: 400, header: map[string]string{"X-Amzn-ErrorType": "ExpiredTokenException"}, body: `{"code":"InvalidTokenException","message":"m"}`,
			wantType: "*types.ExpiredTokenException", wantCode: "ExpiredTokenException", wantMessage: "m", wantTries: 1,
		},
		"body code lower case": {
			status: 400, body: `{"code":"accessdeniedexception","message":"no"}`,
			wantType: "*types.AccessDeniedException", wantCode: "AccessDeniedException", wantMessage: "no", wantTries: 1,
		},
		"body __type": {
			status: 404, header: map[string]string{"X-Amz-Requestid": "rid-3"}, body: `{"__type":"com.amazonaws.eksauth#ResourceNotFoundException","message":"nf"}`,
			wantType: "*types.ResourceNotFoundException", wantCode: "ResourceNotFoundException", wantMessage: "nf", wantID: "rid-3", wantTries: 1,
		},
		"code over __type": {
			status: 400, body: `{"code":"InvalidRequestException","__type":"InvalidParameterException"}`,
			wantType: "*types.InvalidRequestException", wantCode: "InvalidRequestException", wantTries: 1,
		},
		"Message capitalised, X-Amz-Request-Id": {
			status: 400, header: map[string]string{"X-Amz-Request-Id": "rid-4"}, body: `{"code":"InvalidParameterException","Message":"cap"}`,
			wantType: "*types.InvalidParameterException", wantCode: "InvalidParameterException", wantMessage: "cap", wantID: "rid-4", wantTries: 1,
		},
		"throttling retried": {
			status: 429, body: `{"code":"ThrottlingException","message":"slow"}`,
			wantType: "*types.ThrottlingException", wantCode: "ThrottlingException", wantMessage: "slow", wantTries: 3,
		},
		"internal server retried": {
			status: 500, body: `{"code":"InternalServerException","message":"x"}`,
			wantType: "*types.InternalServerException", wantCode: "InternalServerException", wantMessage: "x", wantTries: 3,
		},
		"service unavailable retried": {
			status: 503, header: map[string]string{"X-Amzn-ErrorType": "ServiceUnavailableException"},
			wantType: "*types.ServiceUnavailableException", wantCode: "ServiceUnavailableException", wantTries: 3,
		},
		"unknown code": {
			status: 400, body: `{"code":"SomethingNew","message":"hm"}`,
			wantType: "*smithy.GenericAPIError", wantCode: "SomethingNew", wantMessage: "hm", wantTries: 1,
			wantText: "operation error EKS Auth: AssumeRoleForPodIdentity, https response error StatusCode: 400, RequestID: , api error SomethingNew: hm",
		},
		"empty body, no code": {
			status: 418, wantType: "*smithy.GenericAPIError", wantCode: "UnknownError", wantMessage: "UnknownError", wantTries: 1,
		},
		"not JSON": {
			status: 400, body: `<html>`, wantType: "*smithy.DeserializationError", wantTries: 1,
		},
		"not JSON 502 retried": {
			status: 502, body: `bad gateway`, wantType: "*smithy.DeserializationError", wantTries: 3,
		},
		"JSON array": {
			status: 400, body: `[1]`, wantType: "*smithy.DeserializationError", wantTries: 1,
		},
		"message not a string": {
			status: 400, body: `{"code":"InvalidTokenException","message":5}`, wantType: "*smithy.DeserializationError", wantTries: 1,
		},
		"trailing data ignored": {
			status: 400, body: `{"code":"InvalidTokenException","message":"x"} trailing`,
			wantType: "*types.InvalidTokenException", wantCode: "InvalidTokenException", wantMessage: "x", wantTries: 1,
		},
		"oversized error body": {
			status: 400, body: `{"code":"InvalidTokenException","message":"` + strings.Repeat("a", 1<<20) + `"}`,
			wantType: "*smithy.DeserializationError", wantTries: 1,
		},
		"echoed token in an unknown code scrubbed": {
			status: 400, header: map[string]string{"X-Amzn-ErrorType": "Rejected." + testToken}, body: `{"message":"no"}`,
			wantType: "*smithy.GenericAPIError", wantCode: "Rejected.<redacted>", wantMessage: "no", wantTries: 1,
		},
		"echoed token scrubbed": {
			status: 400, body: `{"code":"InvalidTokenException","message":"bad ` + testToken + `"}`,
			wantType: "*types.InvalidTokenException", wantCode: "InvalidTokenException", wantMessage: "bad <redacted>", wantTries: 1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, answer{Status: tt.status, Header: tt.header, Body: tt.body})
			_, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
			if err == nil {
				t.Fatal("got no error")
			}
			var oe *smithy.OperationError
			if !errors.As(err, &oe) || oe.ServiceID != "EKS Auth" || oe.OperationName != "AssumeRoleForPodIdentity" {
				t.Fatalf("error %T %v is not the operation's *smithy.OperationError", err, err)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("error %v has no *awshttp.ResponseError", err)
			}
			if re.HTTPStatusCode() != tt.status || re.ServiceRequestID() != tt.wantID {
				t.Errorf("status, request ID = %d, %q; want %d, %q", re.HTTPStatusCode(), re.ServiceRequestID(), tt.status, tt.wantID)
			}
			var ae smithy.APIError
			if errors.As(err, &ae) {
				if got := typeName(ae); got != tt.wantType {
					t.Errorf("API error type = %s, want %s", got, tt.wantType)
				}
				if ae.ErrorCode() != tt.wantCode || ae.ErrorMessage() != tt.wantMessage {
					t.Errorf("code, message = %q, %q; want %q, %q", ae.ErrorCode(), ae.ErrorMessage(), tt.wantCode, tt.wantMessage)
				}
			} else {
				var de *smithy.DeserializationError
				if !errors.As(err, &de) || tt.wantType != "*smithy.DeserializationError" {
					t.Errorf("error %v: want %s", err, tt.wantType)
				}
			}
			if tt.wantText != "" && err.Error() != tt.wantText {
				t.Errorf("text:\n got  %s\n want %s", err, tt.wantText)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error text contains the token: %v", err)
			}
			if got := len(ts.Requests()); got != tt.wantTries {
				t.Errorf("sent %d requests, want %d", got, tt.wantTries)
			}
		})
	}
}

func typeName(v any) string {
	switch v.(type) {
	case *types.AccessDeniedException:
		return "*types.AccessDeniedException"
	case *types.ExpiredTokenException:
		return "*types.ExpiredTokenException"
	case *types.InternalServerException:
		return "*types.InternalServerException"
	case *types.InvalidParameterException:
		return "*types.InvalidParameterException"
	case *types.InvalidRequestException:
		return "*types.InvalidRequestException"
	case *types.InvalidTokenException:
		return "*types.InvalidTokenException"
	case *types.ResourceNotFoundException:
		return "*types.ResourceNotFoundException"
	case *types.ServiceUnavailableException:
		return "*types.ServiceUnavailableException"
	case *types.ThrottlingException:
		return "*types.ThrottlingException"
	case *smithy.GenericAPIError:
		return "*smithy.GenericAPIError"
	}
	return "other"
}

func TestSuccessDecoding(t *testing.T) {
	const creds = `"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T"`
	tests := map[string]struct {
		body    string
		wantExp int64 // Unix milliseconds; 0 means an error is wanted
	}{
		"integer":              {body: `{"credentials":{` + creds + `,"expiration":1700000000}}`, wantExp: 1700000000000},
		"fraction":             {body: `{"credentials":{` + creds + `,"expiration":1700000000.123}}`, wantExp: 1700000000123},
		"exponent":             {body: `{"credentials":{` + creds + `,"expiration":1.7E9}}`, wantExp: 1700000000000},
		"small exponent":       {body: `{"credentials":{` + creds + `,"expiration":17000000001e-1}}`, wantExp: 1700000000100},
		"trailing data":        {body: `{"credentials":{` + creds + `,"expiration":1}} junk`, wantExp: 1000},
		"string expiration":    {body: `{"credentials":{` + creds + `,"expiration":"1700000000"}}`},
		"huge expiration":      {body: `{"credentials":{` + creds + `,"expiration":1e400}}`},
		"no expiration":        {body: `{"credentials":{` + creds + `}}`},
		"null expiration":      {body: `{"credentials":{` + creds + `,"expiration":null}}`},
		"no session token":     {body: `{"credentials":{"accessKeyId":"A","secretAccessKey":"S","expiration":1}}`},
		"empty access key":     {body: `{"credentials":{"accessKeyId":"","secretAccessKey":"S","sessionToken":"T","expiration":1}}`},
		"no credentials":       {body: `{"audience":"pods.eks.amazonaws.com"}`},
		"empty body":           {body: ``},
		"null":                 {body: `null`},
		"not JSON":             {body: `nope`},
		"array":                {body: `[]`},
		"audience not string":  {body: `{"audience":5,"credentials":{` + creds + `,"expiration":1}}`},
		"credentials a string": {body: `{"credentials":"TOP-SECRET-VALUE"}`},
		"credentials in array": {body: `[{"secretAccessKey":"TOP-SECRET-VALUE"}]`},
		"oversized":            {body: `{"audience":"` + strings.Repeat("a", 1<<20) + `","credentials":{` + creds + `,"expiration":1}}`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, answer{Body: tt.body, Header: map[string]string{"X-Amzn-Requestid": "rid-s"}})
			out, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
			if tt.wantExp == 0 {
				var de *smithy.DeserializationError
				var re *awshttp.ResponseError
				if !errors.As(err, &de) || !errors.As(err, &re) || re.HTTPStatusCode() != 200 || re.ServiceRequestID() != "rid-s" {
					t.Fatalf("error = %v, want a *smithy.DeserializationError in a 200 *awshttp.ResponseError", err)
				}
				if strings.Contains(err.Error(), `"S"`) || strings.Contains(err.Error(), `"T"`) || strings.Contains(err.Error(), "TOP-SECRET") {
					t.Errorf("error quotes the body: %v", err)
				}
				if got := len(ts.Requests()); got != 1 {
					t.Errorf("sent %d requests, want 1", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Credentials.Expiration.UnixMilli(); got != tt.wantExp {
				t.Errorf("expiration = %d ms, want %d", got, tt.wantExp)
			}
			if out.Credentials.Expiration.Location() != time.UTC {
				t.Errorf("expiration not in UTC")
			}
		})
	}
}

// TestEchoedNodeSessionTokenScrubbed: a proxy or server that echoes the
// request's headers puts the node's session token (sent as
// X-Amz-Security-Token) in its answer; neither the error text nor the
// error value (a debug dump, the DeserializationError snapshot) may keep it.
func TestEchoedNodeSessionTokenScrubbed(t *testing.T) {
	tests := map[string]answer{
		"HTML page":    {Status: 400, Body: "<html>X-Amz-Security-Token: " + testSessionToken + "</html>"},
		"JSON message": {Status: 400, Body: `{"code":"InvalidTokenException","message":"echo ` + testSessionToken + `"}`},
		"unknown code": {Status: 400, Body: `{"code":"Echo` + testSessionToken + `","message":"echo ` + testSessionToken + `"}`},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t, a)
			_, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
			if err == nil {
				t.Fatal("got no error")
			}
			var de *smithy.DeserializationError
			if errors.As(err, &de) && strings.Contains(string(de.Snapshot), testSessionToken) {
				t.Errorf("snapshot %q holds the session token", de.Snapshot)
			}
			var ae smithy.APIError
			if errors.As(err, &ae) && (strings.Contains(ae.ErrorMessage(), testSessionToken) || strings.Contains(ae.ErrorCode(), testSessionToken)) {
				t.Errorf("API error %q / %q holds the session token", ae.ErrorCode(), ae.ErrorMessage())
			}
			if s := err.Error(); strings.Contains(s, testSessionToken) {
				t.Errorf("error text %q holds the session token", s)
			}
		})
	}
}
