package eksauth

import (
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/internal/protocol"
)

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
