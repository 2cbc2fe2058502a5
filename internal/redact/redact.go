// Package redact removes secrets (service-account tokens, secret keys,
// session tokens, signatures) from what the client logs or puts in errors.
package redact

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Placeholder replaces every secret.
const Placeholder = "<redacted>"

// Scrub returns s with every occurrence of each non-empty secret replaced by
// Placeholder.
func Scrub(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, Placeholder)
		}
	}
	return s
}

// SecretKey reports whether a JSON member or header named name holds a
// secret: any name containing "token", "secret", "password" or
// "signature", in any case (token, sessionToken, secretAccessKey,
// X-Amz-Security-Token).
func SecretKey(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "token") || strings.Contains(n, "secret") ||
		strings.Contains(n, "password") || strings.Contains(n, "signature")
}

// JSON returns body with the value of every secret member (see SecretKey),
// at any depth, replaced by Placeholder, and then every given secret
// scrubbed. A body that is not JSON is not shown at all, since nothing
// tells its secrets apart: only its length is.
func JSON(body []byte, secrets ...string) string {
	if len(bytes.TrimSpace(body)) == 0 {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "<" + strconv.Itoa(len(body)) + " bytes, not JSON, not shown>"
	}
	var b strings.Builder
	writeJSON(&b, v)
	return Scrub(b.String(), secrets...)
}

// writeJSON writes v compactly with object members sorted, redacting
// secret members.
func writeJSON(b *strings.Builder, v any) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			if SecretKey(k) && v[k] != nil {
				writeString(b, Placeholder)
			} else {
				writeJSON(b, v[k])
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case string:
		writeString(b, v)
	case json.Number:
		b.WriteString(v.String())
	case bool:
		b.WriteString(strconv.FormatBool(v))
	default:
		b.WriteString("null")
	}
}

// writeString writes s as a JSON string, without escaping HTML characters
// (so that Placeholder reads as it is).
func writeString(b *strings.Builder, s string) {
	var q bytes.Buffer
	enc := json.NewEncoder(&q)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Write(bytes.TrimSuffix(q.Bytes(), []byte("\n")))
}

// Authorization returns a SigV4 Authorization header value with its
// signature replaced by Placeholder; the credential scope and signed
// headers stay, as they help debugging and are not secret.
func Authorization(v string) string {
	i := strings.Index(v, "Signature=")
	if i < 0 {
		if v == "" {
			return ""
		}
		return Placeholder
	}
	return v[:i+len("Signature=")] + Placeholder
}

// Tail returns at most the last n bytes of b, scrubbed of secrets before it
// is cut, so that no part of a secret survives at the cut: what an error
// may keep of an unreadable body for debugging.
func Tail(b []byte, n int, secrets ...string) []byte {
	s := Scrub(string(b), secrets...)
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return []byte(s)
}
