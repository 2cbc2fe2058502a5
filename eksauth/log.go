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
	"github.com/podidentity/podidentity/internal/redact"
)

// Logging follows Options.ClientLogMode with the SDK's messages. Whatever
// the mode, the service-account token, the signature, the session token and
// the secret key are replaced by "<redacted>": request and response bodies
// are logged with their secret members redacted (internal/redact), headers
// with the Authorization signature and X-Amz-Security-Token redacted, and
// every line is scrubbed of the call's token and credentials.

// logRetry logs a retry decision with aws.LogRetries.
func (c *callConfig) logRetry(format string, v ...any) {
	if c.options.ClientLogMode.IsRetries() {
		c.options.Logger.Logf(logging.Debug, format, v...)
	}
}

// logRequest logs the signed request with aws.LogRequest or
// aws.LogRequestWithBody.
func (c *callConfig) logRequest(ctx context.Context, req *http.Request, op *operation, creds aws.Credentials) {
	mode := c.options.ClientLogMode
	if !mode.IsRequest() && !mode.IsRequestWithBody() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.Host)
	writeHeaders(&b, req.Header)
	if mode.IsRequestWithBody() {
		b.WriteString("\r\n")
		b.WriteString(redact.JSON(op.body, op.token))
	}
	line := redact.Scrub(b.String(), op.token, creds.SecretAccessKey, creds.SessionToken)
	logging.WithContext(ctx, c.options.Logger).Logf(logging.Debug, "Request\n%v", line)
}

// logResponse logs the answer with aws.LogResponse or
// aws.LogResponseWithBody. With the body, it reads it (capped like
// decode.go) and puts it back for decoding.
func (c *callConfig) logResponse(ctx context.Context, resp *http.Response, op *operation) {
	mode := c.options.ClientLogMode
	if !mode.IsResponse() && !mode.IsResponseWithBody() {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\r\n", resp.Proto, resp.Status)
	if resp.Proto == "" {
		fmt.Fprintf(&b, "HTTP/1.1 %d\r\n", resp.StatusCode)
	}
	writeHeaders(&b, resp.Header)
	if mode.IsResponseWithBody() {
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBodySize+1))
		resp.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(body), errReader{err}), Closer: resp.Body}
		b.WriteString("\r\n")
		b.WriteString(redact.JSON(body, op.token))
	}
	secrets := echoable(resp, op)
	logging.WithContext(ctx, c.options.Logger).Logf(logging.Debug, "Response\n%v", redact.Scrub(b.String(), secrets[:]...))
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

// redactingLogger scrubs secrets from the SDK signer's log lines (its
// canonical request shows the session token).
type redactingLogger struct {
	logger  logging.Logger
	secrets []string
}

func (l redactingLogger) Logf(classification logging.Classification, format string, v ...any) {
	l.logger.Logf(classification, "%s", redact.Scrub(fmt.Sprintf(format, v...), l.secrets...))
}
