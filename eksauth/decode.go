package eksauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
	"github.com/podidentity/podidentity/internal/redact"
)

// MaxResponseBodySize caps every response body read, success or error: an
// answer of the service is about 2 KiB; a larger one is an error, so an
// endless body cannot exhaust memory.
const MaxResponseBodySize = 1 << 20

// errBodyTooLarge reports a body over MaxResponseBodySize.
var errBodyTooLarge = fmt.Errorf("response body exceeds %d bytes", MaxResponseBodySize)

// decode reads and closes resp's body and turns it into the output or into
// the error of the official client's chain: *awshttp.ResponseError (status,
// request ID) around an API error or a *smithy.DeserializationError.
func decode(resp *http.Response, op *operation) (*AssumeRoleForPodIdentityOutput, error) {
	requestID := requestIDOf(resp.Header)
	buf := getBuffer()
	defer putBuffer(buf)
	_, readErr := buf.ReadFrom(io.LimitReader(resp.Body, MaxResponseBodySize+1))
	resp.Body.Close()
	if readErr == nil && buf.Len() > MaxResponseBodySize {
		readErr = errBodyTooLarge
	}

	var out *AssumeRoleForPodIdentityOutput
	var err error
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300 && readErr != nil:
		err = &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", readErr)}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		out, err = decodeSuccess(buf.Bytes())
	case readErr != nil:
		err = &smithy.DeserializationError{Err: fmt.Errorf("failed to copy error response body, %w", readErr)}
	default:
		err = decodeError(resp.Header, buf.Bytes(), op.token)
	}
	if err != nil {
		return nil, &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: err},
			RequestID:     requestID,
		}
	}
	if requestID != "" {
		awsmiddleware.SetRequestIDMetadata(&out.ResultMetadata, requestID)
	}
	return out, nil
}

// requestIDOf returns the request ID of an answer, from the headers the
// official client reads, then X-Amz-Request-Id.
func requestIDOf(h http.Header) string {
	for _, k := range [...]string{"X-Amzn-Requestid", "X-Amz-Requestid", "X-Amz-Request-Id"} {
		if v := h.Get(k); v != "" {
			return v
		}
	}
	return ""
}

// wireOutput is the success body. The shapes of package types decode
// directly (their field names match the JSON names); the credentials need
// their own shape for the epoch-seconds expiration.
type wireOutput struct {
	AssumedRoleUser        *types.AssumedRoleUser        `json:"assumedRoleUser"`
	Audience               *string                       `json:"audience"`
	Credentials            *wireCredentials              `json:"credentials"`
	PodIdentityAssociation *types.PodIdentityAssociation `json:"podIdentityAssociation"`
	Subject                *types.Subject                `json:"subject"`
}

type wireCredentials struct {
	AccessKeyId     *string      `json:"accessKeyId"`
	Expiration      epochSeconds `json:"expiration"`
	SecretAccessKey *string      `json:"secretAccessKey"`
	SessionToken    *string      `json:"sessionToken"`
}

// decodeSuccess decodes a 2xx body. Like the official client it reads the
// first JSON value and ignores what follows; unlike it, it refuses an answer
// without complete credentials. Errors never quote the body.
func decodeSuccess(body []byte) (*AssumeRoleForPodIdentityOutput, error) {
	var w wireOutput
	if err := json.Unmarshal(body, &w); err != nil {
		// Slow path, for fidelity: json.Unmarshal refuses data after the
		// first value, which the official client's json.Decoder ignores.
		w = wireOutput{}
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&w); err != nil && err != io.EOF {
			return nil, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
		}
	}
	out := &AssumeRoleForPodIdentityOutput{
		AssumedRoleUser:        w.AssumedRoleUser,
		Audience:               w.Audience,
		PodIdentityAssociation: w.PodIdentityAssociation,
		Subject:                w.Subject,
	}
	var missing []string
	if wc := w.Credentials; wc == nil {
		missing = append(missing, "credentials")
	} else {
		if isEmpty(wc.AccessKeyId) {
			missing = append(missing, "accessKeyId")
		}
		if isEmpty(wc.SecretAccessKey) {
			missing = append(missing, "secretAccessKey")
		}
		if isEmpty(wc.SessionToken) {
			missing = append(missing, "sessionToken")
		}
		if !wc.Expiration.set {
			missing = append(missing, "expiration")
		}
		out.Credentials = &types.Credentials{
			AccessKeyId:     wc.AccessKeyId,
			SecretAccessKey: wc.SecretAccessKey,
			SessionToken:    wc.SessionToken,
		}
		if wc.Expiration.set {
			t := wc.Expiration.t
			out.Credentials.Expiration = &t
		}
	}
	if missing != nil {
		return nil, &smithy.DeserializationError{Err: fmt.Errorf("incomplete credentials in response: missing %s", strings.Join(missing, ", "))}
	}
	return out, nil
}

func isEmpty(s *string) bool { return s == nil || *s == "" }

// epochSeconds is a timestamp sent as a JSON number of seconds since the
// epoch, in any number form (integer, fraction, exponent).
type epochSeconds struct {
	t   time.Time
	set bool
}

func (e *epochSeconds) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*e = epochSeconds{}
		return nil
	}
	if len(b) == 0 || b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return errors.New("expected Timestamp to be a JSON Number")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*e = epochSeconds{t: parseEpochSeconds(f), set: true}
	return nil
}

// parseEpochSeconds is smithy-go's ParseEpochSeconds (millisecond
// precision, truncated toward zero, clamped to int64) without big.Float.
func parseEpochSeconds(sec float64) time.Time {
	ms := sec * 1e3
	var i int64
	switch {
	case ms >= math.MaxInt64:
		i = math.MaxInt64
	case ms <= math.MinInt64:
		i = math.MinInt64
	default:
		i = int64(ms)
	}
	return time.Unix(0, i*1e6).UTC()
}

// decodeError turns an error answer into an API error as the official
// client does: the code from X-Amzn-ErrorType, else the body's code, else
// its __type, sanitised and matched case-insensitively; the message from
// the body. A body that is not JSON is a *smithy.DeserializationError.
// The request's token is scrubbed from anything the service echoes.
func decodeError(h http.Header, body []byte, token string) error {
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
			Snapshot: snapshot(body, token),
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
		message = redact.Scrub(info.Message, token)
	}

	for _, e := range apiErrors {
		if strings.EqualFold(e.code, code) {
			return e.new(modeledMessage(body, token))
		}
	}
	return &smithy.GenericAPIError{Code: code, Message: message}
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
func modeledMessage(body []byte, token string) *string {
	var members map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&members) != nil {
		return nil
	}
	for _, k := range [...]string{"message", "Message"} {
		var s *string
		if raw, ok := members[k]; ok && json.Unmarshal(raw, &s) == nil && s != nil {
			v := redact.Scrub(*s, token)
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
// official client does, without the request's token.
func snapshot(body []byte, token string) []byte {
	const max = 1024
	if len(body) > max {
		body = body[len(body)-max:]
	}
	return []byte(redact.Scrub(string(body), token))
}

// bufferPool recycles response-body buffers; bodies are copied out by
// json, so a buffer is free again once decode returns.
var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bytes.Buffer { return bufferPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > 64<<10 {
		return // let an unusually large buffer go
	}
	b.Reset()
	bufferPool.Put(b)
}
