package eksauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

const (
	lowerAlnum  = "abcdefghijklmnopqrstuvwxyz0123456789"
	upperAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // IAM key IDs use base32 letters
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// randString returns n characters drawn uniformly from alphabet (at most
// 256 characters).
func randString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet) // reject bytes above it: no modulo bias
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		_, _ = rand.Read(buf[:]) // never fails (crypto/rand panics instead)
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sessionToken returns an opaque STS-like session token: base64 of
// random bytes, as long as real ones (several hundred characters).
func sessionToken() string {
	b := make([]byte, 720)
	_, _ = rand.Read(b)
	// Real tokens start with the same few bytes (a version prefix).
	return "IQoJb3JpZ2luX2Vj" + base64.StdEncoding.EncodeToString(b)
}
