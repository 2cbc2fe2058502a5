package compare_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
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
	}{
		"AccessDenied":       {400, jsonHeader("X-Amzn-Errortype", "AccessDeniedException"), `{"message":"no"}`, "AccessDeniedException", 1},
		"ExpiredToken":       {400, jsonHeader("X-Amzn-Errortype", "ExpiredTokenException"), `{"message":"expired"}`, "ExpiredTokenException", 1},
		"InvalidParameter":   {400, jsonHeader("X-Amzn-Errortype", "InvalidParameterException"), `{"message":"bad"}`, "InvalidParameterException", 1},
		"InvalidRequest":     {400, jsonHeader("X-Amzn-Errortype", "InvalidRequestException"), `{"message":"bad"}`, "InvalidRequestException", 1},
		"InvalidToken":       {400, jsonHeader("X-Amzn-Errortype", "InvalidTokenException"), `{"message":"bad token"}`, "InvalidTokenException", 1},
		"ResourceNotFound":   {404, jsonHeader("X-Amzn-Errortype", "ResourceNotFoundException"), `{"message":"none"}`, "ResourceNotFoundException", 1},
		"Throttling":         {429, jsonHeader("X-Amzn-Errortype", "ThrottlingException"), `{"message":"slow down"}`, "ThrottlingException", 3},
		"InternalServer":     {500, jsonHeader("X-Amzn-Errortype", "InternalServerException"), `{"message":"oops"}`, "InternalServerException", 3},
		"ServiceUnavailable": {503, jsonHeader("X-Amzn-Errortype", "ServiceUnavailableException"), `{"message":"later"}`, "ServiceUnavailableException", 3},
		"code in body":       {400, jsonHeader(), `{"code":"InvalidTokenException","message":"bad token"}`, "InvalidTokenException", 1},
		"__type in body":     {404, jsonHeader(), `{"__type":"com.amazonaws.eksauth#ResourceNotFoundException","message":"none"}`, "ResourceNotFoundException", 1},
		"header beats body":  {400, jsonHeader("X-Amzn-Errortype", "ExpiredTokenException"), `{"code":"InvalidTokenException","message":"m"}`, "ExpiredTokenException", 1},
		"header suffix": {400, jsonHeader("X-Amzn-Errortype", "InvalidTokenException:http://internal.amazon.com/coral/com.amazonaws.eksauth/"),
			`{"message":"bad token"}`, "InvalidTokenException", 1},
		"lower case code":      {400, jsonHeader("X-Amzn-Errortype", "invalidtokenexception"), `{"message":"bad token"}`, "InvalidTokenException", 1},
		"unknown code":         {400, jsonHeader("X-Amzn-Errortype", "SomethingNewException"), `{"message":"new"}`, "GenericAPIError", 1},
		"403 signature":        {403, jsonHeader("X-Amzn-Errortype", "InvalidSignatureException"), `{"message":"Signature expired"}`, "GenericAPIError", 1},
		"unknown throttle":     {400, jsonHeader("X-Amzn-Errortype", "RequestLimitExceeded"), `{"message":"slow"}`, "GenericAPIError", 3},
		"no code":              {400, jsonHeader(), `{"message":"who knows"}`, "GenericAPIError", 1},
		"empty body":           {500, jsonHeader(), ``, "GenericAPIError", 3},
		"not JSON":             {502, http.Header{"Content-Type": {"text/html"}}, `<html>Bad Gateway</html>`, "", 3},
		"not JSON 400":         {400, http.Header{"Content-Type": {"text/html"}}, `<html>Bad Request</html>`, "", 1},
		"request ID fallback":  {400, http.Header{"X-Amz-Requestid": {"rid-2"}, "X-Amzn-Errortype": {"InvalidTokenException"}}, `{"message":"m"}`, "InvalidTokenException", 1},
		"upper-case Message":   {400, jsonHeader("X-Amzn-Errortype", "InvalidTokenException"), `{"Message":"capital"}`, "InvalidTokenException", 1},
		"generic upper-case M": {400, jsonHeader(), `{"Code":"Nope","Message":"capital"}`, "GenericAPIError", 1},
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
// cluster name or token before sending, as *smithy.InvalidParamsError
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

			var ipe *smithy.InvalidParamsError
			if !errors.As(oursErr, &ipe) {
				t.Errorf("ours: error = %v (%T), want *smithy.InvalidParamsError", oursErr, oursErr)
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
				if !errors.As(offErr, &ipe) {
					t.Errorf("official: error %T, want *smithy.InvalidParamsError", offErr)
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
