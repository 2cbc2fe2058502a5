package protocol_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
)

// The table of DESIGN.md: code, status, fault.
func TestModeledErrors(t *testing.T) {
	want := map[string]struct {
		status int
		fault  smithy.ErrorFault
	}{
		"AccessDeniedException":       {400, smithy.FaultClient},
		"ExpiredTokenException":       {400, smithy.FaultClient},
		"InvalidParameterException":   {400, smithy.FaultClient},
		"InvalidRequestException":     {400, smithy.FaultClient},
		"InvalidTokenException":       {400, smithy.FaultClient},
		"ResourceNotFoundException":   {404, smithy.FaultClient},
		"ThrottlingException":         {429, smithy.FaultClient},
		"InternalServerException":     {500, smithy.FaultServer},
		"ServiceUnavailableException": {503, smithy.FaultServer},
	}
	got := protocol.ModeledErrors()
	if len(got) != len(want) {
		t.Fatalf("%d modeled errors, want %d", len(got), len(want))
	}
	for _, e := range got {
		w, ok := want[e.Code]
		if !ok || e.Status != w.status || e.Fault != w.fault {
			t.Errorf("%s: status %d, fault %v; want %+v", e.Code, e.Status, e.Fault, w)
		}
		msg := "m"
		if ae := e.New(&msg); ae.ErrorCode() != e.Code || ae.ErrorMessage() != "m" {
			t.Errorf("%s: New gives %T %q", e.Code, ae, ae.ErrorMessage())
		}
		l, ok := protocol.LookupError(strings.ToLower(e.Code))
		if !ok || l.Code != e.Code {
			t.Errorf("LookupError(%q) = %q, %v", strings.ToLower(e.Code), l.Code, ok)
		}
	}
	if _, ok := protocol.LookupError("UnrecognizedClientException"); ok {
		t.Error("an unmodeled code was found")
	}
	var te *types.ThrottlingException
	if e, _ := protocol.LookupError(protocol.CodeThrottling); !errors.As(e.New(nil), &te) {
		t.Errorf("CodeThrottling's New gives %T", e.New(nil))
	}
}

func TestCheckCredentials(t *testing.T) {
	s, empty, exp := "x", "", time.Unix(1, 0)
	for name, tt := range map[string]struct {
		c    *types.Credentials
		want string // "" for no error
	}{
		"complete":        {&types.Credentials{AccessKeyId: &s, SecretAccessKey: &s, SessionToken: &s, Expiration: &exp}, ""},
		"nil":             {nil, "missing credentials"},
		"empty":           {&types.Credentials{}, "missing accessKeyId, secretAccessKey, sessionToken, expiration"},
		"empty secret":    {&types.Credentials{AccessKeyId: &s, SecretAccessKey: &empty, SessionToken: &s, Expiration: &exp}, "missing secretAccessKey"},
		"zero expiration": {&types.Credentials{AccessKeyId: &s, SecretAccessKey: &s, SessionToken: &s, Expiration: &time.Time{}}, "missing expiration"},
	} {
		err := protocol.CheckCredentials(tt.c)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "incomplete credentials")):
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}
