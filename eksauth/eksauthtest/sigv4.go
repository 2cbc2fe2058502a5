package eksauthtest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/podidentity/podidentity/internal/protocol"
)

// The codes of authentication failures. AWS sends them for every service,
// outside the service's own model: clients see a generic API error.
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeInvalidSignature           = "InvalidSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
)

const (
	sigv4Algorithm = "AWS4-HMAC-SHA256"
	amzDateLayout  = "20060102T150405Z"
	scopeDate      = "20060102"
	msgBadSecurity = "The security token included in the request is invalid."
	msgBadSig      = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// authorization is a parsed SigV4 Authorization header.
type authorization struct {
	AccessKeyID   string
	Date          string // YYYYMMDD of the credential scope
	Region        string
	Service       string
	Terminator    string // aws4_request
	SignedHeaders []string
	Signature     string
}

// parseAuthorization parses
// "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
// SignedHeaders=a;b, Signature=hex". The error message never repeats the
// header (it holds a signature).
func parseAuthorization(h string) (authorization, *apiError) {
	var a authorization
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != sigv4Algorithm {
		return a, authError(CodeIncompleteSignature, "Unsupported authorization algorithm; only "+sigv4Algorithm+" is accepted.")
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for _, field := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return a, authError(CodeIncompleteSignature, "Authorization header has a malformed parameter; each must be key=value.")
		}
		switch k {
		case "Credential":
			cred, haveCred = v, true
		case "SignedHeaders":
			signed, haveSigned = v, true
		case "Signature":
			sig, haveSig = v, true
		}
	}
	var missing []string
	if !haveCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSigned {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if !haveSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if len(missing) > 0 {
		return a, authError(CodeIncompleteSignature, strings.Join(missing, " "))
	}

	parts := strings.Split(cred, "/")
	if len(parts) != 5 || slices.Contains(parts, "") {
		return a, authError(CodeIncompleteSignature, "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term.")
	}
	a.AccessKeyID, a.Date, a.Region, a.Service, a.Terminator = parts[0], parts[1], parts[2], parts[3], parts[4]

	if signed == "" {
		return a, authError(CodeIncompleteSignature, "Authorization header requires a non-empty 'SignedHeaders' parameter.")
	}
	a.SignedHeaders = strings.Split(signed, ";")
	for _, name := range a.SignedHeaders {
		if name == "" || name != strings.ToLower(name) || !validHeaderName(name) {
			return a, authError(CodeIncompleteSignature, "SignedHeaders must be lowercase header names separated by ';'.")
		}
	}
	if len(sig) != 64 || strings.Trim(sig, "0123456789abcdef") != "" {
		return a, authError(CodeIncompleteSignature, "Signature must be 64 lowercase hexadecimal digits.")
	}
	a.Signature = sig
	return a, nil
}

func validHeaderName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// verifySignature checks the SigV4 signature of r and its body as AWS
// does, and returns the failure to answer, or nil.
func (s *Server) verifySignature(r *http.Request, body []byte) *apiError {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return authError(CodeMissingAuthenticationToken, "Missing Authentication Token")
	}
	if len(values) > 1 {
		return authError(CodeIncompleteSignature, "Only one Authorization header is allowed.")
	}
	a, aerr := parseAuthorization(values[0])
	if aerr != nil {
		return aerr
	}

	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return authError(CodeIncompleteSignature, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	signedAt, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return authError(CodeIncompleteSignature, "X-Amz-Date must be in the ISO 8601 basic format YYYYMMDD'T'HHMMSS'Z'.")
	}

	if a.Terminator != "aws4_request" {
		return authError(CodeInvalidSignature, fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", clip(a.Terminator)))
	}
	if a.Service != protocol.SigningName {
		return authError(CodeInvalidSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", protocol.SigningName))
	}
	if a.Region != s.region {
		return authError(CodeInvalidSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", clip(a.Region)))
	}
	if want := signedAt.Format(scopeDate); a.Date != want {
		return authError(CodeInvalidSignature, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			clip(a.Date), want, amzDate))
	}
	if !slices.Contains(a.SignedHeaders, "host") {
		return authError(CodeIncompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if !slices.Contains(a.SignedHeaders, "x-amz-date") {
		return authError(CodeIncompleteSignature, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
	}

	if subtle.ConstantTimeCompare([]byte(a.AccessKeyID), []byte(s.node.AccessKeyID)) != 1 {
		return authError(CodeUnrecognizedClient, msgBadSecurity)
	}

	now := s.wallNow().UTC()
	if signedAt.Before(now.Add(-MaxClockSkew)) {
		return authError(CodeInvalidSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			amzDate, now.Add(-MaxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout)))
	}
	if signedAt.After(now.Add(MaxClockSkew)) {
		return authError(CodeInvalidSignature, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			amzDate, now.Add(MaxClockSkew).Format(amzDateLayout), now.Format(amzDateLayout)))
	}

	tokens := r.Header.Values("X-Amz-Security-Token")
	if s.node.SessionToken != "" || len(tokens) > 0 {
		if len(tokens) != 1 || subtle.ConstantTimeCompare([]byte(tokens[0]), []byte(s.node.SessionToken)) != 1 {
			return authError(CodeUnrecognizedClient, msgBadSecurity)
		}
	}

	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" && h != payloadHash {
		return authError(CodeInvalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	// The signer below sets one X-Amz-Date; a second value, which the
	// client's canonical request would have joined to the first, must not
	// slip through.
	want, err := s.resign(r, a, signedAt, payloadHash)
	if err != nil || len(r.Header.Values("X-Amz-Date")) != 1 || subtle.ConstantTimeCompare([]byte(want.Signature), []byte(a.Signature)) != 1 ||
		!slices.Equal(want.SignedHeaders, a.SignedHeaders) {
		return authError(CodeInvalidSignature, msgBadSig)
	}
	return nil
}

// resign signs a copy of r that holds only the headers r signed, with the
// node credentials at r's signing time, and returns its Authorization.
// Headers the SDK signer never signs (User-Agent, Expect, ...) cannot be
// reproduced, so a request that signed them fails to verify.
func (s *Server) resign(r *http.Request, a authorization, signedAt time.Time, payloadHash string) (authorization, error) {
	req := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: make(http.Header),
	}
	creds := s.node
	creds.SessionToken = ""
	for _, name := range a.SignedHeaders {
		switch name {
		case "host", "x-amz-date": // the signer sets them (x-amz-date from signedAt)
		case "content-length":
			req.ContentLength = r.ContentLength
		case "x-amz-security-token":
			creds.SessionToken = s.node.SessionToken // checked equal above
		default:
			key := textproto.CanonicalMIMEHeaderKey(name)
			if v := r.Header.Values(key); len(v) > 0 {
				req.Header[key] = v
			}
		}
	}
	err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payloadHash, protocol.SigningName, s.region, signedAt)
	if err != nil {
		return authorization{}, err
	}
	got, aerr := parseAuthorization(req.Header.Get("Authorization"))
	if aerr != nil {
		return authorization{}, aerr
	}
	return got, nil
}

// clip shortens an echoed client value so an error stays small.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
