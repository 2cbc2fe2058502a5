package types

import (
	"fmt"

	smithy "github.com/aws/smithy-go"
)

// Each error below implements [smithy.APIError]. The client returns it inside
// a *smithy.OperationError and an *awshttp.ResponseError, so callers find it
// with errors.As.

// AccessDeniedException means you don't have the permissions for this action.
type AccessDeniedException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "AccessDeniedException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *AccessDeniedException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *AccessDeniedException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "AccessDeniedException" unless the service sent another spelling.
func (e *AccessDeniedException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "AccessDeniedException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *AccessDeniedException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ExpiredTokenException means the service-account token has expired.
type ExpiredTokenException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "ExpiredTokenException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *ExpiredTokenException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *ExpiredTokenException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "ExpiredTokenException" unless the service sent another spelling.
func (e *ExpiredTokenException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ExpiredTokenException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *ExpiredTokenException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InternalServerException means the service failed to process the request.
type InternalServerException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "InternalServerException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *InternalServerException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *InternalServerException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "InternalServerException" unless the service sent another spelling.
func (e *InternalServerException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InternalServerException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a server fault.
func (e *InternalServerException) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// InvalidParameterException means a parameter value is not valid.
type InvalidParameterException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "InvalidParameterException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *InvalidParameterException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *InvalidParameterException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "InvalidParameterException" unless the service sent another spelling.
func (e *InvalidParameterException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidParameterException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *InvalidParameterException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InvalidRequestException means the request is not valid.
type InvalidRequestException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "InvalidRequestException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *InvalidRequestException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *InvalidRequestException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "InvalidRequestException" unless the service sent another spelling.
func (e *InvalidRequestException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidRequestException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *InvalidRequestException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// InvalidTokenException means the service-account token is not valid.
type InvalidTokenException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "InvalidTokenException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *InvalidTokenException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *InvalidTokenException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "InvalidTokenException" unless the service sent another spelling.
func (e *InvalidTokenException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "InvalidTokenException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *InvalidTokenException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ResourceNotFoundException means the cluster or the association was not found.
type ResourceNotFoundException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "ResourceNotFoundException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *ResourceNotFoundException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *ResourceNotFoundException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "ResourceNotFoundException" unless the service sent another spelling.
func (e *ResourceNotFoundException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ResourceNotFoundException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *ResourceNotFoundException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

// ServiceUnavailableException means the service is unavailable; try again later.
type ServiceUnavailableException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "ServiceUnavailableException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *ServiceUnavailableException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *ServiceUnavailableException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "ServiceUnavailableException" unless the service sent another spelling.
func (e *ServiceUnavailableException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ServiceUnavailableException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a server fault.
func (e *ServiceUnavailableException) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

// ThrottlingException means the request was throttled; slow down.
type ThrottlingException struct {
	Message *string

	// ErrorCodeOverride, when set, is the code the service sent, if it differs
	// in case or form from "ThrottlingException".
	ErrorCodeOverride *string

	noSmithyDocumentSerde
}

func (e *ThrottlingException) Error() string {
	return fmt.Sprintf("%s: %s", e.ErrorCode(), e.ErrorMessage())
}

// ErrorMessage returns the service's message, or "".
func (e *ThrottlingException) ErrorMessage() string {
	if e.Message == nil {
		return ""
	}
	return *e.Message
}

// ErrorCode returns "ThrottlingException" unless the service sent another spelling.
func (e *ThrottlingException) ErrorCode() string {
	if e == nil || e.ErrorCodeOverride == nil {
		return "ThrottlingException"
	}
	return *e.ErrorCodeOverride
}

// ErrorFault reports a client fault.
func (e *ThrottlingException) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

var (
	_ smithy.APIError = (*AccessDeniedException)(nil)
	_ smithy.APIError = (*ExpiredTokenException)(nil)
	_ smithy.APIError = (*InternalServerException)(nil)
	_ smithy.APIError = (*InvalidParameterException)(nil)
	_ smithy.APIError = (*InvalidRequestException)(nil)
	_ smithy.APIError = (*InvalidTokenException)(nil)
	_ smithy.APIError = (*ResourceNotFoundException)(nil)
	_ smithy.APIError = (*ServiceUnavailableException)(nil)
	_ smithy.APIError = (*ThrottlingException)(nil)
)
