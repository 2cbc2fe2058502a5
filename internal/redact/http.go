package redact

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/smithy-go/logging"
)

// Header returns the value of header k with secrets redacted: the
// signature of an Authorization header, the whole value of a secret header
// (see SecretKey).
func Header(k, v string) string {
	switch {
	case strings.EqualFold(k, "Authorization"):
		return Authorization(v)
	case SecretKey(k):
		return Placeholder
	}
	return v
}

// WriteHeaders writes h, sorted, one "Key: value\r\n" line per value, with
// Header's redactions.
func WriteHeaders(b *strings.Builder, h http.Header) {
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\r\n", k, Header(k, v))
		}
	}
}

// Response returns a copy of resp that an error can hold and a dump can
// show: its header values scrubbed of secrets, no body (the connection's
// buffers still hold the request), and as its request a copy of the signed
// request with Header's redactions, without body or context (which hold
// the caller's input).
func Response(resp *http.Response, secrets ...string) *http.Response {
	c := *resp
	c.Body = http.NoBody
	if echoes(resp.Header, secrets) { // else the headers are shared, as they are
		c.Header = make(http.Header, len(resp.Header))
		for k, v := range resp.Header {
			for _, s := range v {
				c.Header[k] = append(c.Header[k], Scrub(s, secrets...))
			}
		}
	}
	if r := resp.Request; r != nil {
		rc := r.WithContext(context.Background())
		rc.Body, rc.GetBody = nil, nil
		rc.Header = make(http.Header, len(r.Header))
		for k, v := range r.Header {
			for _, s := range v {
				rc.Header[k] = append(rc.Header[k], Header(k, s))
			}
		}
		c.Request = rc
	}
	return &c
}

// echoes reports whether a header value holds one of the secrets.
func echoes(h http.Header, secrets []string) bool {
	for _, v := range h {
		for _, s := range v {
			if Scrub(s, secrets...) != s {
				return true
			}
		}
	}
	return false
}

// Logger scrubs secrets from every line before passing it on (the SDK
// signer's debug lines show the session token).
type Logger struct {
	Logger  logging.Logger
	Secrets []string
}

// Logf logs the scrubbed line.
func (l Logger) Logf(classification logging.Classification, format string, v ...any) {
	l.Logger.Logf(classification, "%s", Scrub(fmt.Sprintf(format, v...), l.Secrets...))
}
