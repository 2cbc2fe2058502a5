package compare_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// errorView is what a caller can learn from an error: the fields the two
// clients must agree on.
type errorView struct {
	Text      string // err.Error()
	Type      string // the first smithy.APIError's type name, e.g. InvalidTokenException
	Code      string
	Message   string
	Fault     smithy.ErrorFault
	Status    int
	RequestID string
	Operation string // ServiceID: OperationName of the *smithy.OperationError
}

func viewOf(err error) errorView {
	if err == nil {
		return errorView{}
	}
	v := errorView{Text: err.Error()}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		v.Operation = oe.ServiceID + ": " + oe.OperationName
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		v.Type = typeName(ae)
		v.Code, v.Message, v.Fault = ae.ErrorCode(), ae.ErrorMessage(), ae.ErrorFault()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		v.Status, v.RequestID = re.HTTPStatusCode(), re.ServiceRequestID()
	}
	return v
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// instantRetryer is the standard retryer without waiting, so that retry
// decisions can be compared quickly. Each client gets its own.
func instantRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// TestCannedErrors sends both clients the same error answer and checks that
// they return the same error chain: same text, same typed error, same code,
// message, fault, status and request ID, after the same number of attempts.
func TestCannedErrors(t *testing.T) {
	const rid = "rid-1"
	jsonHeader := func(kv ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, "X-Amzn-Requestid": {rid}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := map[string]struct {
		status   int
		header   http.Header
		body     string
		wantType string
		attempts int64
		// oursMessage, if set, is where ours differs on purpose: DESIGN.md
		// reads the message from "message" or "Message"; the official
		// client's typed errors read only "message".
		oursMessage string
	}{
		"AccessDenied":       {status: 400, header: jsonHeader("X-Amzn-Errortype", "AccessDeniedException"), body: `{"message":"no"}`, wantType: "AccessDeniedException", attempts: 1},
		"ExpiredToken":       {status: 400, header: jsonHeader("X-Amzn-Errortype", "ExpiredTokenException"), body: `{"message":"expired"}`, wantType: "ExpiredTokenException", attempts: 1},
		"InvalidParameter":   {status: 400, header: jsonHeader("X-Amzn-Errortype", "InvalidParameterException"), body: `{"message":"bad"}`, wantType: "InvalidParameterException", attempts: 1},
		"InvalidRequest":     {status: 400, header: jsonHeader("X-Amzn-Errortype", "InvalidRequestException"), body: `{"message":"bad"}`, wantType: "InvalidRequestException", attempts: 1},
		"InvalidToken":       {status: 400, header: jsonHeader("X-Amzn-Errortype", "InvalidTokenException"), body: `{"message":"bad token"}`, wantType: "InvalidTokenException", attempts: 1},
		"ResourceNotFound":   {status: 404, header: jsonHeader("X-Amzn-Errortype", "ResourceNotFoundException"), body: `{"message":"none"}`, wantType: "ResourceNotFoundException", attempts: 1},
		"Throttling":         {status: 429, header: jsonHeader("X-Amzn-Errortype", "ThrottlingException"), body: `{"message":"slow down"}`, wantType: "ThrottlingException", attempts: 3},
		"InternalServer":     {status: 500, header: jsonHeader("X-Amzn-Errortype", "InternalServerException"), body: `{"message":"oops"}`, wantType: "InternalServerException", attempts: 3},
		"ServiceUnavailable": {status: 503, header: jsonHeader("X-Amzn-Errortype", "ServiceUnavailableException"), body: `{"message":"later"}`, wantType: "ServiceUnavailableException", attempts: 3},
		"code in body":       {status: 400, header: jsonHeader(), body: `{"code":"InvalidTokenException","message":"bad token"}`, wantType: "InvalidTokenException", attempts: 1},
		"__type in body":     {status: 404, header: jsonHeader(), body: `{"__type":"com.amazonaws.eksauth#ResourceNotFoundException","message":"none"}`, wantType: "ResourceNotFoundException", attempts: 1},
		"header beats body":  {status: 400, header: jsonHeader("X-Amzn-Errortype", "ExpiredTokenException"), body: `{"code":"InvalidTokenException","message":"m"}`, wantType: "ExpiredTokenException", attempts: 1},
		"header suffix": {status: 400, header: jsonHeader("X-Amzn-Errortype", "InvalidTokenException:http://internal.amazon.com/coral/com.amazonaws.eksauth/"),
			body: `{"message":"bad token"}`, wantType: "InvalidTokenException", attempts: 1},
		"lower case code":  {status: 400, header: jsonHeader("X-Amzn-Errortype", "invalidtokenexception"), body: `{"message":"bad token"}`, wantType: "InvalidTokenException", attempts: 1},
		"unknown code":     {status: 400, header: jsonHeader("X-Amzn-Errortype", "SomethingNewException"), body: `{"message":"new"}`, wantType: "GenericAPIError", attempts: 1},
		"403 signature":    {status: 403, header: jsonHeader("X-Amzn-Errortype", "InvalidSignatureException"), body: `{"message":"Signature expired"}`, wantType: "GenericAPIError", attempts: 1},
		"unknown throttle": {status: 400, header: jsonHeader("X-Amzn-Errortype", "RequestLimitExceeded"), body: `{"message":"slow"}`, wantType: "GenericAPIError", attempts: 3},
		"no code":          {status: 400, header: jsonHeader(), body: `{"message":"who knows"}`, wantType: "GenericAPIError", attempts: 1},
		"empty body":       {status: 500, header: jsonHeader(), body: ``, wantType: "GenericAPIError", attempts: 3},
		"not JSON":         {status: 502, header: http.Header{"Content-Type": {"text/html"}}, body: `<html>Bad Gateway</html>`, wantType: "", attempts: 3},
		"not JSON 400":     {status: 400, header: http.Header{"Content-Type": {"text/html"}}, body: `<html>Bad Request</html>`, wantType: "", attempts: 1},
		"request ID fallback": {status: 400, header: http.Header{"X-Amz-Requestid": {"rid-2"}, "X-Amzn-Errortype": {"InvalidTokenException"}},
			body: `{"message":"m"}`, wantType: "InvalidTokenException", attempts: 1},
		"upper-case Message": {status: 400, header: jsonHeader("X-Amzn-Errortype", "InvalidTokenException"), body: `{"Message":"capital"}`,
			wantType: "InvalidTokenException", attempts: 1, oursMessage: "capital"},
		"generic upper-case M": {status: 400, header: jsonHeader(), body: `{"Code":"Nope","Message":"capital"}`, wantType: "GenericAPIError", attempts: 1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			oursDoer := &cannedDoer{status: tt.status, header: tt.header, body: []byte(tt.body)}
			offDoer := &cannedDoer{status: tt.status, header: tt.header, body: []byte(tt.body)}
			ours := newOurs(oursDoer, "", func(o *eksauth.Options) { o.Retryer = instantRetryer() })
			off := newOfficial(offDoer, "", func(o *official.Options) { o.Retryer = instantRetryer() })
			_, oursErr := ours.AssumeRoleForPodIdentity(ctx, oursInput())
			_, offErr := off.AssumeRoleForPodIdentity(ctx, officialInput())
			if oursErr == nil || offErr == nil {
				t.Fatalf("errors: ours %v, official %v; want both", oursErr, offErr)
			}
			got, want := viewOf(oursErr), viewOf(offErr)
			if tt.oursMessage != "" {
				if got.Message != tt.oursMessage || want.Message != "" {
					t.Errorf("message: ours %q, official %q; want %q and \"\"", got.Message, want.Message, tt.oursMessage)
				}
				got.Message, got.Text = want.Message, strings.TrimSuffix(got.Text, tt.oursMessage)
				want.Text = strings.TrimSuffix(want.Text, " ") // "Code: " + ""
				got.Text = strings.TrimSuffix(got.Text, " ")
			}
			if got != want {
				t.Errorf("ours and official differ:\n ours     %+v\n official %+v", got, want)
			}
			if want.Type != tt.wantType {
				t.Errorf("official error type = %q, want %q", want.Type, tt.wantType)
			}
			if tt.wantType == "" {
				var de *smithy.DeserializationError
				if !errors.As(oursErr, &de) || !errors.As(offErr, &de) {
					t.Errorf("want *smithy.DeserializationError from both: ours %T, official %T", errors.Unwrap(oursErr), errors.Unwrap(offErr))
				}
			}
			if got, want := oursDoer.calls.Load(), offDoer.calls.Load(); got != want || want != tt.attempts {
				t.Errorf("attempts: ours %d, official %d, want %d", got, want, tt.attempts)
			}
		})
	}
}

// TestMissingParams checks validation. Both clients refuse a missing
// cluster name or token before sending, as a smithy.InvalidParamsError
// inside the operation error. Beyond the official client (DESIGN.md), ours
// also refuses values outside the API's patterns before sending; the
// official client sends them and lets the service refuse, or fails to
// serialize an empty cluster name.
func TestMissingParams(t *testing.T) {
	s := aws.String
	tests := map[string]struct {
		cluster, token *string
		nilInput       bool
		officialSends  bool // the official client sends it anyway
		officialKind   string
	}{
		"nil input":          {nilInput: true, officialKind: "InvalidParamsError"},
		"no cluster":         {token: s(token), officialKind: "InvalidParamsError"},
		"no token":           {cluster: s(cluster), officialKind: "InvalidParamsError"},
		"neither":            {officialKind: "InvalidParamsError"},
		"empty cluster":      {cluster: s(""), token: s(token), officialKind: "SerializationError"},
		"empty token":        {cluster: s(cluster), token: s(""), officialSends: true},
		"cluster with slash": {cluster: s("a/b"), token: s(token), officialSends: true},
		"cluster too long":   {cluster: s(string(make101())), token: s(token), officialSends: true},
		"token not a JWT":    {cluster: s(cluster), token: s("not-a-jwt"), officialSends: true},
		"token with CRLF":    {cluster: s(cluster), token: s(token + "\r\nX-Injected: 1"), officialSends: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			oursDoer, offDoer := newCannedDoer(), newCannedDoer()
			var oursIn *eksauth.AssumeRoleForPodIdentityInput
			var offIn *official.AssumeRoleForPodIdentityInput
			if !tt.nilInput {
				oursIn = &eksauth.AssumeRoleForPodIdentityInput{ClusterName: tt.cluster, Token: tt.token}
				offIn = &official.AssumeRoleForPodIdentityInput{ClusterName: tt.cluster, Token: tt.token}
			}
			_, oursErr := newOurs(oursDoer, "").AssumeRoleForPodIdentity(ctx, oursIn)
			_, offErr := newOfficial(offDoer, "").AssumeRoleForPodIdentity(ctx, offIn)

			// The official client returns a smithy.InvalidParamsError value, so
			// that is what its callers' errors.As looks for.
			if !errors.As(oursErr, new(smithy.InvalidParamsError)) {
				t.Errorf("ours: error = %v (%T), want a smithy.InvalidParamsError in the chain, as the official client returns", oursErr, errors.Unwrap(oursErr))
			}
			if v := viewOf(oursErr); v.Operation != "EKS Auth: AssumeRoleForPodIdentity" {
				t.Errorf("ours: operation = %q, want the *smithy.OperationError of EKS Auth", v.Operation)
			}
			if n := oursDoer.calls.Load(); n != 0 {
				t.Errorf("ours: sent %d requests, want 0", n)
			}
			if tt.officialSends {
				if n := offDoer.calls.Load(); n != 1 {
					t.Errorf("official: sent %d requests, want 1", n)
				}
				return
			}
			if offErr == nil || offDoer.calls.Load() != 0 {
				t.Fatalf("official: error %v after %d requests, want an error before sending", offErr, offDoer.calls.Load())
			}
			switch tt.officialKind {
			case "InvalidParamsError":
				if !errors.As(offErr, new(smithy.InvalidParamsError)) {
					t.Errorf("official: error %T, want smithy.InvalidParamsError", errors.Unwrap(offErr))
				}
				// Same missing fields, same text.
				if got, want := oursErr.Error(), offErr.Error(); got != want {
					t.Errorf("error text:\n ours     %q\n official %q", got, want)
				}
			case "SerializationError":
				var se *smithy.SerializationError
				if !errors.As(offErr, &se) {
					t.Errorf("official: error %T, want *smithy.SerializationError", offErr)
				}
			}
		})
	}
}

func make101() []byte {
	b := make([]byte, 101)
	for i := range b {
		b[i] = 'a'
	}
	return b
}
