package eksauth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithytime "github.com/aws/smithy-go/time"
	"github.com/aws/smithy-go/tracing"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
	"github.com/podidentity/podidentity/internal/redact"
)

// MaxResponseBodySize caps every response body read, success or error: an
// answer of the service is about 2 KiB; a larger one is an error, so an
// endless body cannot exhaust memory.
const MaxResponseBodySize = 1 << 20

// deserialize is the Deserialize middleware that turns the answer into the
// output or into the error that ResponseErrorWrapper wraps.
type deserialize struct{}

func (deserialize) ID() string { return "OperationDeserializer" }

func (deserialize) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	out, metadata, err := next.HandleDeserialize(ctx, in)
	if err != nil {
		return out, metadata, err
	}
	_, span := tracing.StartSpan(ctx, "OperationDeserializer")
	defer span.End()
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if !ok {
		return out, metadata, &smithy.DeserializationError{Err: fmt.Errorf("unknown transport type %T", out.RawResponse)}
	}
	secrets := secretsOf(ctx)
	// The SDK's RequestIDRetriever, around this, reads the usual headers.
	if id := resp.Header.Get("X-Amz-Request-Id"); id != "" {
		awsmiddleware.SetRequestIDMetadata(&metadata, redact.Scrub(id, secrets...))
	}

	var buf bytes.Buffer // room for an announced length, so that one allocation reads it
	buf.Grow(int(min(max(resp.ContentLength, 0), MaxResponseBodySize)) + bytes.MinRead)
	_, readErr := buf.ReadFrom(io.LimitReader(resp.Body, MaxResponseBodySize+1))
	body := buf.Bytes()
	if readErr == nil && len(body) > MaxResponseBodySize {
		readErr = fmt.Errorf("response body exceeds %d bytes", MaxResponseBodySize)
	}
	success := resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case success && readErr != nil:
		err = &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", readErr)}
	case success:
		out.Result, err = decodeSuccess(body)
	case readErr != nil:
		err = &smithy.DeserializationError{Err: fmt.Errorf("failed to copy error response body, %w", readErr)}
	default:
		err = decodeError(resp.Header, body, secrets...)
	}
	// What the middleware around keeps (in the result metadata, in an
	// error) holds no signed request, and no connection that still buffers it.
	resp.Body.Close()
	// Its headers are scrubbed on success too: the request ID is read there.
	kept := *resp.Response
	if err == nil {
		kept.Request = nil
	}
	out.RawResponse = &smithyhttp.Response{Response: redact.Response(&kept, secrets...)}
	return out, metadata, err
}

// decodeSuccess decodes a 2xx body with the official client's rules: the
// first JSON value is read and what follows ignored; member names match
// exactly; the last of duplicate members wins; null means absent; a member
// of the wrong type is an error, which names its type but never quotes its
// value. Unlike the official client, an answer without complete
// credentials is an error too.
func decodeSuccess(body []byte) (*AssumeRoleForPodIdentityOutput, error) {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		// Data after the value, or a number beyond float64 (an error only
		// where a number is expected): read the first value as the
		// official client does.
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil && err != io.EOF {
			return nil, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
		}
	}
	out := &AssumeRoleForPodIdentityOutput{}
	var d decoder
	if top := d.object(doc); top != nil {
		d.string(top[protocol.MemberAudience], &out.Audience)
		if m := d.object(top[protocol.MemberAssumedRoleUser]); m != nil {
			out.AssumedRoleUser = &types.AssumedRoleUser{}
			d.string(m[protocol.MemberArn], &out.AssumedRoleUser.Arn)
			d.string(m[protocol.MemberAssumeRoleId], &out.AssumedRoleUser.AssumeRoleId)
		}
		if m := d.object(top[protocol.MemberCredentials]); m != nil {
			out.Credentials = &types.Credentials{}
			d.string(m[protocol.MemberAccessKeyId], &out.Credentials.AccessKeyId)
			d.string(m[protocol.MemberSecretAccessKey], &out.Credentials.SecretAccessKey)
			d.string(m[protocol.MemberSessionToken], &out.Credentials.SessionToken)
			d.epochSeconds(m[protocol.MemberExpiration], &out.Credentials.Expiration)
		}
		if m := d.object(top[protocol.MemberPodIdentityAssociation]); m != nil {
			out.PodIdentityAssociation = &types.PodIdentityAssociation{}
			d.string(m[protocol.MemberAssociationArn], &out.PodIdentityAssociation.AssociationArn)
			d.string(m[protocol.MemberAssociationId], &out.PodIdentityAssociation.AssociationId)
		}
		if m := d.object(top[protocol.MemberSubject]); m != nil {
			out.Subject = &types.Subject{}
			d.string(m[protocol.MemberNamespace], &out.Subject.Namespace)
			d.string(m[protocol.MemberServiceAccount], &out.Subject.ServiceAccount)
		}
	}
	if d.err != nil {
		return nil, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body with invalid JSON, %w", d.err)}
	}
	if err := protocol.CheckCredentials(out.Credentials); err != nil {
		return nil, &smithy.DeserializationError{Err: err}
	}
	return out, nil
}

// decoder reads a generically decoded JSON value, keeping the first type
// error, which names a type (as the official client's do), never a value.
type decoder struct{ err error }

func (d *decoder) object(v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok && v != nil && d.err == nil {
		d.err = fmt.Errorf("unexpected JSON type %s", typeOf(v))
	}
	return m
}

func (d *decoder) string(v any, dst **string) {
	if s, ok := v.(string); ok {
		*dst = &s
	} else if v != nil && d.err == nil {
		d.err = fmt.Errorf("expected String to be of type string, got %s instead", typeOf(v))
	}
}

// epochSeconds reads a JSON number of epoch seconds with smithy-go's
// conversion, as the official client does.
func (d *decoder) epochSeconds(v any, dst **time.Time) {
	f, ok := v.(float64)
	if n, isNumber := v.(json.Number); isNumber {
		var err error
		f, err = n.Float64()
		ok, d.err = err == nil, cmp.Or(d.err, err)
	} else if !ok && v != nil && d.err == nil {
		d.err = fmt.Errorf("expected Timestamp to be a JSON Number, got %s instead", typeOf(v))
	}
	if ok {
		t := smithytime.ParseEpochSeconds(f)
		*dst = &t
	}
}

// typeOf is the Go type of v in the official client's decoding, which
// reads numbers as json.Number.
func typeOf(v any) string {
	if _, ok := v.(float64); ok {
		return "json.Number"
	}
	return fmt.Sprintf("%T", v)
}

// decodeError turns an error answer into the official client's API error
// (a *smithy.DeserializationError for a body that is not JSON), scrubbed
// of the request's secrets that the service or a proxy may echo.
func decodeError(h http.Header, body []byte, secrets ...string) error {
	a, err := protocol.ReadError(h, body)
	if err != nil {
		return &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err), Snapshot: redact.Tail(body, 1024, secrets...)}
	}
	if e, ok := protocol.LookupError(a.Code); ok {
		if m := a.ModeledMessage; m != nil {
			*m = redact.Scrub(*m, secrets...)
		}
		return e.New(a.ModeledMessage)
	}
	return &smithy.GenericAPIError{Code: redact.Scrub(a.Code, secrets...), Message: redact.Scrub(a.Message, secrets...)}
}
