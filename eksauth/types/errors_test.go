package types_test

import (
	"errors"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth/types"
)

func TestErrors(t *testing.T) {
	msg := "the message"
	tests := []struct {
		err   smithy.APIError
		code  string
		fault smithy.ErrorFault
	}{
		{&types.AccessDeniedException{Message: &msg}, "AccessDeniedException", smithy.FaultClient},
		{&types.ExpiredTokenException{Message: &msg}, "ExpiredTokenException", smithy.FaultClient},
		{&types.InternalServerException{Message: &msg}, "InternalServerException", smithy.FaultServer},
		{&types.InvalidParameterException{Message: &msg}, "InvalidParameterException", smithy.FaultClient},
		{&types.InvalidRequestException{Message: &msg}, "InvalidRequestException", smithy.FaultClient},
		{&types.InvalidTokenException{Message: &msg}, "InvalidTokenException", smithy.FaultClient},
		{&types.ResourceNotFoundException{Message: &msg}, "ResourceNotFoundException", smithy.FaultClient},
		{&types.ServiceUnavailableException{Message: &msg}, "ServiceUnavailableException", smithy.FaultServer},
		{&types.ThrottlingException{Message: &msg}, "ThrottlingException", smithy.FaultClient},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if got := tt.err.ErrorCode(); got != tt.code {
				t.Errorf("ErrorCode() = %q, want %q", got, tt.code)
			}
			if got := tt.err.ErrorMessage(); got != msg {
				t.Errorf("ErrorMessage() = %q, want %q", got, msg)
			}
			if got := tt.err.ErrorFault(); got != tt.fault {
				t.Errorf("ErrorFault() = %v, want %v", got, tt.fault)
			}
			if got, want := tt.err.Error(), tt.code+": "+msg; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestErrorWithoutMessageOrWithOverride(t *testing.T) {
	var e *types.ExpiredTokenException
	if got := e.ErrorCode(); got != "ExpiredTokenException" {
		t.Errorf("nil ErrorCode() = %q", got)
	}
	code := "expiredTokenException"
	e = &types.ExpiredTokenException{ErrorCodeOverride: &code}
	if got, want := e.Error(), "expiredTokenException: "; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ae smithy.APIError
	if !errors.As(error(e), &ae) {
		t.Error("errors.As(*ExpiredTokenException, *smithy.APIError) = false")
	}
}
