package eksauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/podidentity/podidentity/internal/protocol"
)

// operation is one call's request, built once and replayed by every
// attempt: only the signature and the attempt header change.
type operation struct {
	url          *url.URL
	body         []byte
	payloadHash  string   // hex SHA-256 of body, for SigV4
	invocationID []string // amz-sdk-invocation-id, one per operation
	traceID      []string // X-Amzn-Trace-Id inside AWS Lambda, else nil
	token        string   // for redaction only
	sessionToken string   // the signing credentials', for redaction only
}

// newOperation builds the request of params (already validated).
func (c *callConfig) newOperation(ctx context.Context, params *AssumeRoleForPodIdentityInput) (*operation, error) {
	body, err := requestBody(params)
	if err != nil {
		return nil, fmt.Errorf("serialization failed: %w", err)
	}
	id, err := newInvocationID()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	op := &operation{
		url:          c.requestURL(*params.ClusterName),
		body:         body,
		payloadHash:  hex.EncodeToString(sum[:]),
		invocationID: []string{id},
		token:        *params.Token,
	}
	if v := lambdaTraceID(); v != "" {
		op.traceID = []string{v}
	}
	return op, nil
}

// requestBody is the JSON body: {"token":"..."} plus the optional fields
// that are set. A valid token needs no JSON escaping, so the common body
// is assembled without reflection.
func requestBody(params *AssumeRoleForPodIdentityInput) ([]byte, error) {
	if params.EksNodeName == nil && params.InstanceId == nil && params.Zone == nil {
		b := make([]byte, 0, len(`{"token":""}`)+len(*params.Token))
		b = append(b, `{"token":"`...)
		b = append(b, *params.Token...)
		return append(b, `"}`...), nil
	}
	return json.Marshal(protocol.Request{
		Token:       *params.Token,
		EksNodeName: params.EksNodeName,
		InstanceId:  params.InstanceId,
		Zone:        params.Zone,
	})
}

// newInvocationID returns a random (version 4) UUID, as the SDK's
// amz-sdk-invocation-id.
func newInvocationID() (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		return "", fmt.Errorf("failed to generate invocation id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:]), nil
}

// Constant header values, shared read-only by all requests.
var (
	contentTypeJSON = []string{protocol.ContentType}
)

// newRequest returns the unsigned HTTP request of one attempt.
func (c *callConfig) newRequest(ctx context.Context, op *operation, attempt, maxAttempts int, skew time.Duration) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "", nil)
	if err != nil {
		return nil, err
	}
	req.URL = op.url
	if attempt > 1 {
		// The signer writes req.URL.RawQuery, and a transport may still
		// read an earlier attempt's request after Do returned (as
		// http.RoundTripper allows): a retry signs a URL of its own.
		u := *op.url
		req.URL = &u
	}
	req.Host = op.url.Host
	req.ContentLength = int64(len(op.body))
	// No GetBody, as in the official client: http.Client then does not
	// follow a 307/308 redirect, which would replay the signed request
	// (session token included) to wherever the redirect points. The retry
	// loop replays the body instead.
	req.Body = &bodyReader{b: op.body}

	h := make(http.Header, 10)
	h["Content-Type"] = contentTypeJSON
	h["User-Agent"] = c.userAgent
	h["Amz-Sdk-Invocation-Id"] = op.invocationID
	h["Amz-Sdk-Request"] = c.attemptHeaderValue(ctx, attempt, maxAttempts, skew)
	if op.traceID != nil {
		h["X-Amzn-Trace-Id"] = op.traceID
	}
	req.Header = h
	return req, nil
}

// bodyReader replays the request body; unlike bytes.Reader plus
// io.NopCloser it is one allocation.
type bodyReader struct {
	b []byte
}

func (r *bodyReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func (r *bodyReader) Close() error { return nil }

// attemptHeader is the amz-sdk-request value: "attempt=N; max=M".
func attemptHeader(attempt, max int) string {
	s := "attempt=" + strconv.Itoa(attempt)
	if max != 0 {
		s += "; max=" + strconv.Itoa(max)
	}
	return s
}

// attemptHeaderValue returns the amz-sdk-request header of an attempt. Like
// the SDK it adds the caller's deadline as ttl=, on the server's clock, once
// a clock skew is known.
func (c *callConfig) attemptHeaderValue(ctx context.Context, attempt, maxAttempts int, skew time.Duration) []string {
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline && skew > 0 {
		return []string{attemptHeader(attempt, maxAttempts) + "; ttl=" + deadline.Add(skew).Format("20060102T150405Z")}
	}
	if maxAttempts == c.maxAttempts && attempt <= len(c.attemptHeaders) {
		// Shared and read-only: a full slice expression keeps appends off it.
		return c.attemptHeaders[attempt-1 : attempt : attempt]
	}
	return []string{attemptHeader(attempt, maxAttempts)}
}

// lambdaTraceID returns the X-Amzn-Trace-Id to send inside AWS Lambda (the
// _X_AMZN_TRACE_ID of the invocation, percent-encoded like the SDK's
// recursion detection does), or "" elsewhere.
func lambdaTraceID() string {
	if _, ok := os.LookupEnv("AWS_LAMBDA_FUNCTION_NAME"); !ok {
		return ""
	}
	id, ok := os.LookupEnv("_X_AMZN_TRACE_ID")
	if !ok || id == "" {
		return ""
	}
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(`-=;:+&[]{}"',`, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
