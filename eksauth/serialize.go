package eksauth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/internal/protocol"
)

// validate is the Initialize middleware that refuses bad input before
// anything is sent (the official client only checks that ClusterName and
// Token are set).
type validate struct{}

func (validate) ID() string { return "OperationInputValidation" }

func (validate) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	params, ok := in.Parameters.(*AssumeRoleForPodIdentityInput)
	if !ok {
		return middleware.InitializeOutput{}, middleware.Metadata{}, fmt.Errorf("unknown input parameters type %T", in.Parameters)
	}
	if err := validateInput(params); err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	return next.HandleInitialize(ctx, in)
}

// serialize is the Serialize middleware that writes the input as the
// operation's HTTP request, below the endpoint that resolveEndpointV2 sets.
type serialize struct{}

func (serialize) ID() string { return "OperationSerializer" }

func (serialize) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("unknown transport type %T", in.Request)}
	}
	params, ok := in.Parameters.(*AssumeRoleForPodIdentityInput)
	if !ok {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: fmt.Errorf("unknown input parameters type %T", in.Parameters)}
	}
	body, err := json.Marshal(protocol.Request{Token: *params.Token, EksNodeName: params.EksNodeName, InstanceId: params.InstanceId, Zone: params.Zone})
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	req.Method = "POST"
	req.URL.Path = protocol.Path(*params.ClusterName) // validated: nothing to escape
	req.Header.Set("Content-Type", protocol.ContentType)
	if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, &smithy.SerializationError{Err: err}
	}
	in.Request = req
	// What an answer may echo of the request, for deserialize and the logger to scrub.
	return next.HandleSerialize(withSecrets(ctx, *params.Token), in)
}

// secretsKey holds, as a stack value, the secrets of the call that an
// answer or a log line could show: the token, then the credentials.
type secretsKey struct{}

func withSecrets(ctx context.Context, secrets ...string) context.Context {
	old := secretsOf(ctx)
	return middleware.WithStackValue(ctx, secretsKey{}, append(old[:len(old):len(old)], secrets...))
}

func secretsOf(ctx context.Context) []string {
	s, _ := middleware.GetStackValue(ctx, secretsKey{}).([]string)
	return s
}

// The patterns the API documents, named in validation errors.
const (
	clusterNamePattern = `^[0-9A-Za-z][A-Za-z0-9\-_]*$`
	tokenPattern       = `^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$`
)

// validateInput checks params before anything is sent: the official client
// checks only that ClusterName and Token are set; a value the service would
// refuse, or one that could break the request line, is refused here too.
// Error texts never contain the values.
func validateInput(params *AssumeRoleForPodIdentityInput) error {
	invalid := smithy.InvalidParamsError{Context: "AssumeRoleForPodIdentityInput"}
	if params == nil {
		invalid.Add(smithy.NewErrParamRequired("ClusterName"))
		invalid.Add(smithy.NewErrParamRequired("Token"))
		return &validationError{invalid}
	}

	switch name := params.ClusterName; {
	case name == nil:
		invalid.Add(smithy.NewErrParamRequired("ClusterName"))
	case len(*name) == 0:
		invalid.Add(newParamError("ClusterName", "minimum field size of 1"))
	case len(*name) > protocol.MaxClusterNameLen:
		invalid.Add(newParamError("ClusterName", "maximum field size of 100"))
	case !protocol.ValidClusterName(*name):
		invalid.Add(newParamError("ClusterName", "value does not match pattern "+clusterNamePattern))
	}

	switch token := params.Token; {
	case token == nil:
		invalid.Add(smithy.NewErrParamRequired("Token"))
	case len(*token) == 0:
		invalid.Add(newParamError("Token", "minimum field size of 1"))
	case !protocol.ValidToken(*token):
		// The pattern rules out CR and LF; name them, since a token file
		// read with its newline is the usual cause.
		reason := "value does not match pattern " + tokenPattern
		if strings.ContainsAny(*token, "\r\n") {
			reason = "value contains a CR or LF"
		}
		invalid.Add(newParamError("Token", reason))
	}

	// JSON cannot carry invalid UTF-8: encoders would send U+FFFD instead,
	// a value the caller never gave.
	for _, f := range []struct {
		name  string
		value *string
	}{{"EksNodeName", params.EksNodeName}, {"InstanceId", params.InstanceId}, {"Zone", params.Zone}} {
		if f.value != nil && !utf8.ValidString(*f.value) {
			invalid.Add(newParamError(f.name, "value is not valid UTF-8"))
		}
	}

	if invalid.Len() > 0 {
		return &validationError{invalid}
	}
	return nil
}

// validationError carries the smithy.InvalidParamsError so that errors.As
// finds it both as *smithy.InvalidParamsError (the documented form) and as
// smithy.InvalidParamsError (the value the official client returns).
type validationError struct {
	err smithy.InvalidParamsError
}

func (e *validationError) Error() string { return e.err.Error() }

// Unwrap exposes the error as *smithy.InvalidParamsError.
func (e *validationError) Unwrap() error { return &e.err }

// As fills a smithy.InvalidParamsError target, which Unwrap cannot.
func (e *validationError) As(target any) bool {
	if t, ok := target.(*smithy.InvalidParamsError); ok {
		*t = e.err
		return true
	}
	return false
}

// paramError is a smithy.InvalidParamError for a value that is set but
// invalid; smithy-go only has a constructor for missing values. Its text has
// smithy's form: "<reason>, <Context>.<Field>.".
type paramError struct {
	context, field, reason string
}

func newParamError(field, reason string) *paramError {
	return &paramError{field: field, reason: reason}
}

func (e *paramError) Error() string { return e.reason + ", " + e.Field() + "." }

func (e *paramError) Field() string {
	if e.context == "" {
		return e.field
	}
	return e.context + "." + e.field
}

func (e *paramError) SetContext(ctx string) { e.context = ctx }

func (e *paramError) AddNestedContext(ctx string) { e.field = ctx + "." + e.field }
