package protocol

import (
	"net/http"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth/types"
)

// The nine error codes of the API, as eksauth/types spells them.
var (
	CodeAccessDenied       = (*types.AccessDeniedException)(nil).ErrorCode()
	CodeExpiredToken       = (*types.ExpiredTokenException)(nil).ErrorCode()
	CodeInternalServer     = (*types.InternalServerException)(nil).ErrorCode()
	CodeInvalidParameter   = (*types.InvalidParameterException)(nil).ErrorCode()
	CodeInvalidRequest     = (*types.InvalidRequestException)(nil).ErrorCode()
	CodeInvalidToken       = (*types.InvalidTokenException)(nil).ErrorCode()
	CodeResourceNotFound   = (*types.ResourceNotFoundException)(nil).ErrorCode()
	CodeServiceUnavailable = (*types.ServiceUnavailableException)(nil).ErrorCode()
	CodeThrottling         = (*types.ThrottlingException)(nil).ErrorCode()
)

// ModeledError is one of the API's nine errors: the home of the code →
// HTTP status → fault table that the client, the emulator and the agent
// share. The code and the fault come from the eksauth/types value; only
// the status is stated here.
type ModeledError struct {
	Code   string
	Status int // what the service answers with
	Fault  smithy.ErrorFault
	// New returns the error's eksauth/types value with message.
	New func(message *string) smithy.APIError
}

func modeled(status int, newErr func(*string) smithy.APIError) ModeledError {
	e := newErr(nil)
	return ModeledError{Code: e.ErrorCode(), Status: status, Fault: e.ErrorFault(), New: newErr}
}

var modeledErrors = [...]ModeledError{
	modeled(http.StatusBadRequest, func(m *string) smithy.APIError { return &types.AccessDeniedException{Message: m} }),
	modeled(http.StatusBadRequest, func(m *string) smithy.APIError { return &types.ExpiredTokenException{Message: m} }),
	modeled(http.StatusInternalServerError, func(m *string) smithy.APIError { return &types.InternalServerException{Message: m} }),
	modeled(http.StatusBadRequest, func(m *string) smithy.APIError { return &types.InvalidParameterException{Message: m} }),
	modeled(http.StatusBadRequest, func(m *string) smithy.APIError { return &types.InvalidRequestException{Message: m} }),
	modeled(http.StatusBadRequest, func(m *string) smithy.APIError { return &types.InvalidTokenException{Message: m} }),
	modeled(http.StatusNotFound, func(m *string) smithy.APIError { return &types.ResourceNotFoundException{Message: m} }),
	modeled(http.StatusServiceUnavailable, func(m *string) smithy.APIError { return &types.ServiceUnavailableException{Message: m} }),
	modeled(http.StatusTooManyRequests, func(m *string) smithy.APIError { return &types.ThrottlingException{Message: m} }),
}

// LookupError returns the modeled error with code, matched
// case-insensitively as the official client matches it.
func LookupError(code string) (ModeledError, bool) {
	for _, e := range modeledErrors {
		if strings.EqualFold(e.Code, code) {
			return e, true
		}
	}
	return ModeledError{}, false
}

// ModeledErrors returns the nine modeled errors, in code order.
func ModeledErrors() []ModeledError { return modeledErrors[:] }
