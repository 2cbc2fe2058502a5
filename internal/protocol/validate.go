package protocol

import (
	"strings"
	"unicode/utf8"

	"github.com/aws/smithy-go"
)

// The patterns the API documents, named in validation errors.
const (
	clusterNamePattern = `^[0-9A-Za-z][A-Za-z0-9\-_]*$`
	tokenPattern       = `^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$`
)

// ValidateInput checks the operation's input members before anything is
// sent, with smithy's error types and texts: the official client checks
// only that ClusterName and Token are set; a value the service would
// refuse, or one that could break the request line, is refused here too.
// Error texts never contain the values.
func ValidateInput(clusterName, token, eksNodeName, instanceID, zone *string) error {
	invalid := smithy.InvalidParamsError{Context: "AssumeRoleForPodIdentityInput"}
	switch name := clusterName; {
	case name == nil:
		invalid.Add(smithy.NewErrParamRequired("ClusterName"))
	case len(*name) == 0:
		invalid.Add(newParamError("ClusterName", "minimum field size of 1"))
	case len(*name) > MaxClusterNameLen:
		invalid.Add(newParamError("ClusterName", "maximum field size of 100"))
	case !ValidClusterName(*name):
		invalid.Add(newParamError("ClusterName", "value does not match pattern "+clusterNamePattern))
	}

	switch token := token; {
	case token == nil:
		invalid.Add(smithy.NewErrParamRequired("Token"))
	case len(*token) == 0:
		invalid.Add(newParamError("Token", "minimum field size of 1"))
	case !ValidToken(*token):
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
	}{{"EksNodeName", eksNodeName}, {"InstanceId", instanceID}, {"Zone", zone}} {
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
