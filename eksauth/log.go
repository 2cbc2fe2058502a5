package eksauth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/internal/redact"
)

// logRequestResponse is the Deserialize middleware, innermost, that logs
// the signed request and the answer as Options.ClientLogMode selects, with
// the SDK's RequestResponseLogger's messages. Bodies are logged with their
// secret members redacted and read back for the next middleware; the
// response body up to MaxResponseBodySize.
type logRequestResponse struct{ mode aws.ClientLogMode }

func (*logRequestResponse) ID() string { return "RequestResponseLogger" }

func (m *logRequestResponse) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
	logger := middleware.GetLogger(ctx)
	secrets := secretsOf(ctx)
	if req, ok := in.Request.(*smithyhttp.Request); ok && (m.mode.IsRequest() || m.mode.IsRequestWithBody()) {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
		redact.WriteHeaders(&b, req.Header)
		if body, _ := middleware.GetStackValue(ctx, requestBodyKey{}).([]byte); m.mode.IsRequestWithBody() {
			b.WriteString("\r\n" + redact.JSON(body))
		}
		logger.Logf(logging.Debug, "Request\n%v", redact.Scrub(b.String(), secrets...))
	}

	out, metadata, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if ok && resp.Body == nil {
		resp.Body = http.NoBody // from a broken HTTPClient: an empty answer, not a panic
	}
	if err != nil || !ok || !(m.mode.IsResponse() || m.mode.IsResponseWithBody()) {
		return out, metadata, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/%d.%d %d %s\r\n", max(resp.ProtoMajor, 1), resp.ProtoMinor, resp.StatusCode, http.StatusText(resp.StatusCode))
	redact.WriteHeaders(&b, resp.Header)
	if m.mode.IsResponseWithBody() {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBodySize))
		// What was read, then the rest (or the read error again): the
		// deserializer applies the cap and reports the error.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		b.WriteString("\r\n" + redact.JSON(body))
	}
	logger.Logf(logging.Debug, "Response\n%v", redact.Scrub(b.String(), secrets...))
	return out, metadata, err
}
