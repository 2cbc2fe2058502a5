package eksauth

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
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
		writeHeaders(&b, req.Header)
		if m.mode.IsRequestWithBody() && req.GetStream() != nil {
			body, err := io.ReadAll(req.GetStream())
			if err == nil {
				err = req.RewindStream()
			}
			if err != nil {
				return middleware.DeserializeOutput{}, middleware.Metadata{}, fmt.Errorf("failed to log request body, %w", err)
			}
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
	writeHeaders(&b, resp.Header)
	if m.mode.IsResponseWithBody() {
		body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBodySize+1))
		resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(body), errReader{readErr}), Closer: resp.Body}
		b.WriteString("\r\n" + redact.JSON(body))
	}
	if req, ok := in.Request.(*smithyhttp.Request); ok {
		_, signature, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
		secrets = append(secrets[:len(secrets):len(secrets)], signature)
	}
	logger.Logf(logging.Debug, "Response\n%v", redact.Scrub(b.String(), secrets...))
	return out, metadata, err
}

// writeHeaders writes h sorted, with secret values redacted.
func writeHeaders(b *strings.Builder, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			switch {
			case strings.EqualFold(k, "Authorization"):
				v = redact.Authorization(v)
			case redact.SecretKey(k):
				v = redact.Placeholder
			}
			fmt.Fprintf(b, "%s: %s\r\n", k, v)
		}
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// errReader replays a read error (nil means EOF) after the logged bytes.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return 0, io.EOF
}
