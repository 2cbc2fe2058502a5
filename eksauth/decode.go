package eksauth

import (
	"bytes"
	"encoding/json"
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
	"github.com/podidentity/podidentity/internal/jsonscan"
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
	echoed := echoable(resp, op)
	secrets := echoed[:]
	requestID := redact.Scrub(requestIDOf(resp.Header), secrets...)
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
		err = decodeError(resp.Header, buf.Bytes(), secrets...)
	}
	if err != nil {
		detachSecrets(resp, secrets)
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

// detachSecrets keeps the signed request out of the response that an error
// carries, so that a dump of the error shows no session token or
// signature: the request becomes a copy with those headers redacted and no
// body, and the consumed body stops pointing at the connection (whose
// write buffer still holds the request). Header values that echo secrets
// are scrubbed too.
func detachSecrets(resp *http.Response, secrets []string) {
	resp.Body = http.NoBody
	for _, v := range resp.Header {
		for i := range v {
			v[i] = redact.Scrub(v[i], secrets...)
		}
	}
	r := resp.Request
	if r == nil {
		return
	}
	c := r.WithContext(r.Context())
	c.Body, c.GetBody = nil, nil
	c.Header = make(http.Header, len(r.Header))
	for k, v := range r.Header {
		switch {
		case k == "Authorization":
			c.Header[k] = []string{redact.Authorization(r.Header.Get(k))}
		case redact.SecretKey(k):
			c.Header[k] = []string{redact.Placeholder}
		default:
			c.Header[k] = v
		}
	}
	resp.Request = c
}

// echoable are the secrets of the request that an answer may echo: the
// token (in the body), the session token and the SigV4 signature (in
// headers). An array, so that the success path allocates nothing for it.
func echoable(resp *http.Response, op *operation) [3]string {
	secrets := [3]string{op.token, op.sessionToken}
	if resp.Request != nil {
		_, secrets[2], _ = strings.Cut(resp.Request.Header.Get("Authorization"), "Signature=")
	}
	return secrets
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

// decodeSuccess decodes a 2xx body with the official client's rules: the
// first JSON value is read and what follows ignored; member names match
// exactly; the last of duplicate members wins; null means absent; a member
// of the wrong type is an error. Unlike the official client, an answer
// without complete credentials is an error too. Errors never quote the
// credentials.
func decodeSuccess(body []byte) (*AssumeRoleForPodIdentityOutput, error) {
	doc, err := jsonscan.First(body)
	if err == jsonscan.ErrEmpty {
		return nil, incomplete([]string{"credentials"})
	}
	if err != nil {
		// Slow path: let encoding/json describe the syntax error, so that
		// its type and text are the official client's.
		var generic any
		if jsonErr := json.NewDecoder(bytes.NewReader(body)).Decode(&generic); jsonErr != nil {
			err = jsonErr
		}
		return nil, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
	}
	if doc.Kind == jsonscan.Null {
		return nil, incomplete([]string{"credentials"})
	}
	s := new(successShape)
	if err := s.read(doc); err != nil {
		return nil, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body with invalid JSON, %w", err)}
	}
	if missing := s.missing(); missing != nil {
		return nil, incomplete(missing)
	}
	return &s.out, nil
}

func incomplete(missing []string) error {
	return &smithy.DeserializationError{Err: fmt.Errorf("incomplete credentials in response: missing %s", strings.Join(missing, ", "))}
}

// successShape holds a decoded answer in one allocation: the output and
// everything its pointers point to.
type successShape struct {
	out     AssumeRoleForPodIdentityOutput
	user    types.AssumedRoleUser
	creds   types.Credentials
	assoc   types.PodIdentityAssociation
	subject types.Subject

	expiration time.Time
	strs       [10]string // the string members, in the order of read
	n          int        // strings used
}

// read fills s from the top-level object doc.
func (s *successShape) read(doc jsonscan.Value) error {
	if doc.Kind != jsonscan.Object {
		return unexpectedType(doc)
	}
	// The last duplicate wins: collect the members first.
	var audience, user, creds, assoc, subject jsonscan.Value
	jsonscan.Members(doc, func(name []byte, v jsonscan.Value) {
		switch string(name) {
		case "assumedRoleUser":
			user = v
		case "audience":
			audience = v
		case "credentials":
			creds = v
		case "podIdentityAssociation":
			assoc = v
		case "subject":
			subject = v
		}
	})
	var err error
	if s.out.Audience, err = s.str(audience); err != nil {
		return err
	}
	if present(user) {
		if s.out.AssumedRoleUser, err = s.readAssumedRoleUser(user); err != nil {
			return err
		}
	}
	if present(creds) {
		if s.out.Credentials, err = s.readCredentials(creds); err != nil {
			return err
		}
	}
	if present(assoc) {
		if s.out.PodIdentityAssociation, err = s.readAssociation(assoc); err != nil {
			return err
		}
	}
	if present(subject) {
		if s.out.Subject, err = s.readSubject(subject); err != nil {
			return err
		}
	}
	return nil
}

// present reports whether a member was sent and is not null.
func present(v jsonscan.Value) bool { return v.Kind != 0 && v.Kind != jsonscan.Null }

func (s *successShape) readAssumedRoleUser(v jsonscan.Value) (*types.AssumedRoleUser, error) {
	if v.Kind != jsonscan.Object {
		return nil, unexpectedType(v)
	}
	var arn, id jsonscan.Value
	jsonscan.Members(v, func(name []byte, v jsonscan.Value) {
		switch string(name) {
		case "arn":
			arn = v
		case "assumeRoleId":
			id = v
		}
	})
	var err error
	if s.user.Arn, err = s.str(arn); err != nil {
		return nil, err
	}
	if s.user.AssumeRoleId, err = s.str(id); err != nil {
		return nil, err
	}
	return &s.user, nil
}

func (s *successShape) readCredentials(v jsonscan.Value) (*types.Credentials, error) {
	if v.Kind != jsonscan.Object {
		return nil, unexpectedType(v)
	}
	var key, secret, session, expiration jsonscan.Value
	jsonscan.Members(v, func(name []byte, v jsonscan.Value) {
		switch string(name) {
		case "accessKeyId":
			key = v
		case "secretAccessKey":
			secret = v
		case "sessionToken":
			session = v
		case "expiration":
			expiration = v
		}
	})
	var err error
	if s.creds.AccessKeyId, err = s.str(key); err != nil {
		return nil, err
	}
	if s.creds.SecretAccessKey, err = s.str(secret); err != nil {
		return nil, err
	}
	if s.creds.SessionToken, err = s.str(session); err != nil {
		return nil, err
	}
	if present(expiration) {
		if expiration.Kind != jsonscan.Number {
			return nil, fmt.Errorf("expected Timestamp to be a JSON Number, got %s instead", goType(expiration))
		}
		f, err := strconv.ParseFloat(string(expiration.Raw), 64)
		if err != nil {
			return nil, err
		}
		s.expiration = parseEpochSeconds(f)
		s.creds.Expiration = &s.expiration
	}
	return &s.creds, nil
}

func (s *successShape) readAssociation(v jsonscan.Value) (*types.PodIdentityAssociation, error) {
	if v.Kind != jsonscan.Object {
		return nil, unexpectedType(v)
	}
	var arn, id jsonscan.Value
	jsonscan.Members(v, func(name []byte, v jsonscan.Value) {
		switch string(name) {
		case "associationArn":
			arn = v
		case "associationId":
			id = v
		}
	})
	var err error
	if s.assoc.AssociationArn, err = s.str(arn); err != nil {
		return nil, err
	}
	if s.assoc.AssociationId, err = s.str(id); err != nil {
		return nil, err
	}
	return &s.assoc, nil
}

func (s *successShape) readSubject(v jsonscan.Value) (*types.Subject, error) {
	if v.Kind != jsonscan.Object {
		return nil, unexpectedType(v)
	}
	var ns, sa jsonscan.Value
	jsonscan.Members(v, func(name []byte, v jsonscan.Value) {
		switch string(name) {
		case "namespace":
			ns = v
		case "serviceAccount":
			sa = v
		}
	})
	var err error
	if s.subject.Namespace, err = s.str(ns); err != nil {
		return nil, err
	}
	if s.subject.ServiceAccount, err = s.str(sa); err != nil {
		return nil, err
	}
	return &s.subject, nil
}

// str returns a string member, stored in s, or nil if absent or null.
func (s *successShape) str(v jsonscan.Value) (*string, error) {
	if !present(v) {
		return nil, nil
	}
	if v.Kind != jsonscan.String {
		return nil, fmt.Errorf("expected String to be of type string, got %s instead", goType(v))
	}
	p := &s.strs[s.n]
	s.n++
	*p = jsonscan.Str(v)
	return p, nil
}

// missing names the credential members that are absent or empty.
func (s *successShape) missing() []string {
	c := s.out.Credentials
	if c == nil {
		return []string{"credentials"}
	}
	var missing []string
	if isEmpty(c.AccessKeyId) {
		missing = append(missing, "accessKeyId")
	}
	if isEmpty(c.SecretAccessKey) {
		missing = append(missing, "secretAccessKey")
	}
	if isEmpty(c.SessionToken) {
		missing = append(missing, "sessionToken")
	}
	if c.Expiration == nil {
		missing = append(missing, "expiration")
	}
	return missing
}

func isEmpty(s *string) bool { return s == nil || *s == "" }

// goType is the Go type that the official client's generic decoding gives
// a value of v's kind, for its error texts.
func goType(v jsonscan.Value) string {
	switch v.Kind {
	case jsonscan.Object:
		return "map[string]interface {}"
	case jsonscan.Array:
		return "[]interface {}"
	case jsonscan.String:
		return "string"
	case jsonscan.Number:
		return "json.Number"
	default:
		return "bool"
	}
}

// unexpectedType reports a member that should be an object. The official
// client prints the value itself; a body that carries credentials in the
// wrong shape must not put them in an error, so only its type is named.
func unexpectedType(v jsonscan.Value) error {
	return fmt.Errorf("unexpected JSON type %s", goType(v))
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
