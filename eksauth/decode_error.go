package eksauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
	"github.com/podidentity/podidentity/internal/redact"
)

// decodeError turns an error answer into an API error as the official
// client does: the code from X-Amzn-ErrorType, else the body's code, else
// its __type, sanitised and matched case-insensitively; the message from
// the body. A body that is not JSON is a *smithy.DeserializationError.
// The request's secrets (its token, the session token of its signing
// credentials) are scrubbed from anything the service or a proxy echoes.
func decodeError(h http.Header, body []byte, secrets ...string) error {
	code, message := "UnknownError", "UnknownError"
	headerCode := h.Get("X-Amzn-ErrorType")
	if headerCode != "" {
		code = sanitizeErrorCode(headerCode)
	}

	// Field names match case-insensitively, as in the SDK's restjson.
	var info struct {
		Code    string
		Type    string `json:"__type"`
		Message string
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&info); err != nil && err != io.EOF {
		return &smithy.DeserializationError{
			Err:      fmt.Errorf("failed to decode response body, %w", err),
			Snapshot: snapshot(body, secrets),
		}
	}
	jsonCode := info.Code
	if jsonCode == "" {
		jsonCode = info.Type
	}
	if headerCode == "" && jsonCode != "" {
		code = sanitizeErrorCode(jsonCode)
	}
	if info.Message != "" {
		message = redact.Scrub(info.Message, secrets...)
	}

	for _, e := range apiErrors {
		if strings.EqualFold(e.code, code) {
			return e.new(modeledMessage(body, secrets))
		}
	}
	return &smithy.GenericAPIError{Code: redact.Scrub(code, secrets...), Message: message}
}

// apiErrors are the modeled errors of the API, matched with
// strings.EqualFold as in the official client.
var apiErrors = [...]struct {
	code string
	new  func(msg *string) error
}{
	{protocol.CodeAccessDenied, func(m *string) error { return &types.AccessDeniedException{Message: m} }},
	{protocol.CodeExpiredToken, func(m *string) error { return &types.ExpiredTokenException{Message: m} }},
	{protocol.CodeInternalServer, func(m *string) error { return &types.InternalServerException{Message: m} }},
	{protocol.CodeInvalidParameter, func(m *string) error { return &types.InvalidParameterException{Message: m} }},
	{protocol.CodeInvalidRequest, func(m *string) error { return &types.InvalidRequestException{Message: m} }},
	{protocol.CodeInvalidToken, func(m *string) error { return &types.InvalidTokenException{Message: m} }},
	{protocol.CodeResourceNotFound, func(m *string) error { return &types.ResourceNotFoundException{Message: m} }},
	{protocol.CodeServiceUnavailable, func(m *string) error { return &types.ServiceUnavailableException{Message: m} }},
	{protocol.CodeThrottling, func(m *string) error { return &types.ThrottlingException{Message: m} }},
}

// modeledMessage is the Message of a modeled error: the body's "message"
// member, else its "Message" member, else nil. The body has already been
// read as one JSON object (or nothing) by decodeError.
func modeledMessage(body []byte, secrets []string) *string {
	var members map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&members) != nil {
		return nil
	}
	for _, k := range [...]string{"message", "Message"} {
		var s *string
		if raw, ok := members[k]; ok && json.Unmarshal(raw, &s) == nil && s != nil {
			v := redact.Scrub(*s, secrets...)
			return &v
		}
	}
	return nil
}

// sanitizeErrorCode keeps what precedes the first ':' and then what
// follows the first '#' ("aws.protocols#Foo:http://..." is "Foo").
func sanitizeErrorCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.IndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return code
}

// snapshot keeps the end of an unreadable error body for debugging, as the
// official client does, without the request's secrets: scrubbed before it
// is cut, so that no part of a secret survives at the cut.
func snapshot(body []byte, secrets []string) []byte {
	const max = 1024
	s := redact.Scrub(string(body), secrets...)
	if len(s) > max {
		s = s[len(s)-max:]
	}
	return []byte(s)
}
