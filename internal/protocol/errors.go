package protocol

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// ErrorAnswer is an error answer read as the official client reads it.
type ErrorAnswer struct {
	// Code is from the X-Amzn-ErrorType header, else the body's code,
	// else its __type, sanitised (see SanitizeErrorCode); "UnknownError"
	// if none.
	Code string

	// Message is the body's message member matched in any case, or
	// "UnknownError": the message of an unmodeled error.
	Message string

	// ModeledMessage is the body's "message" member, else its "Message"
	// member, else nil: the Message of the nine modeled errors.
	ModeledMessage *string
}

// ReadError reads an error answer. Its error is encoding/json's for a body
// that is not JSON (empty is fine).
func ReadError(h http.Header, body []byte) (ErrorAnswer, error) {
	a := ErrorAnswer{Code: "UnknownError", Message: "UnknownError"}
	headerCode := h.Get("X-Amzn-ErrorType")
	if headerCode != "" {
		a.Code = SanitizeErrorCode(headerCode)
	}
	// Field names match case-insensitively, as in the SDK's restjson.
	var info struct {
		Code    string
		Type    string `json:"__type"`
		Message string
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&info); err != nil && err != io.EOF {
		return a, err
	}
	if jsonCode := cmp.Or(info.Code, info.Type); headerCode == "" && jsonCode != "" {
		a.Code = SanitizeErrorCode(jsonCode)
	}
	a.Message = cmp.Or(info.Message, a.Message)

	var members map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&members) == nil {
		for _, k := range [...]string{"message", "Message"} {
			var s *string
			if raw, ok := members[k]; ok && json.Unmarshal(raw, &s) == nil && s != nil {
				a.ModeledMessage = s
				break
			}
		}
	}
	return a, nil
}

// SanitizeErrorCode keeps what precedes the first ':' and then what
// follows the first '#' ("aws.protocols#Foo:http://..." is "Foo").
func SanitizeErrorCode(code string) string {
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.IndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	return code
}
