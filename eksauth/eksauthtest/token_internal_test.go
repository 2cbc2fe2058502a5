package eksauthtest

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/podidentity/podidentity/internal/protocol"
)

// TestVerifyCraftedTokens signs tokens with the cluster's own key but
// wrong claims, which Token never mints.
func TestVerifyCraftedTokens(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	s := NewServer(WithClock(func() time.Time { return now }))
	t.Cleanup(s.Close)
	c := s.cluster("prod")
	key, kid := c.signingKey()

	valid := func() claims {
		return claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer:    c.issuer,
				Subject:   "system:serviceaccount:shop:cart",
				Audience:  jwt.ClaimStrings{protocol.Audience},
				ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
				IssuedAt:  jwt.NewNumericDate(now),
				NotBefore: jwt.NewNumericDate(now),
			},
			Kubernetes: k8sClaims{Namespace: "shop", ServiceAccount: objectRef{Name: "cart", UID: "u"}},
		}
	}
	tests := map[string]struct {
		edit func(*claims)
		code string
		msg  string
	}{
		"valid, no pod claim": {edit: func(*claims) {}},
		"wrong issuer": {edit: func(c *claims) { c.Issuer = "https://kubernetes.default.svc" },
			code: protocol.CodeInvalidToken, msg: "The token included in the request has an invalid issuer."},
		"wrong audience": {edit: func(c *claims) { c.Audience = jwt.ClaimStrings{"sts.amazonaws.com"} },
			code: protocol.CodeInvalidToken, msg: "The token included in the request has an invalid audience."},
		"one of several audiences": {edit: func(c *claims) { c.Audience = jwt.ClaimStrings{"sts.amazonaws.com", protocol.Audience} }},
		"no expiry": {edit: func(c *claims) { c.ExpiresAt = nil },
			code: protocol.CodeInvalidToken, msg: "The token included in the request is invalid."},
		"issued in the future": {edit: func(c *claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Minute)); c.NotBefore = nil },
			code: protocol.CodeInvalidToken, msg: "The token included in the request is not valid yet."},
		"expired and wrong issuer": {edit: func(c *claims) { c.Issuer = "x"; c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour)) },
			code: protocol.CodeInvalidToken, msg: "The token included in the request has an invalid issuer."},
		"subject of another account": {edit: func(c *claims) { c.Subject = "system:serviceaccount:shop:admin" },
			code: protocol.CodeInvalidToken, msg: "The token included in the request is not a service account token."},
		"no kubernetes.io claims": {edit: func(c *claims) { c.Kubernetes = k8sClaims{} },
			code: protocol.CodeInvalidToken, msg: "The token included in the request is not a service account token."},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cl := valid()
			tc.edit(&cl)
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, cl)
			tok.Header["kid"] = kid
			signed, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.verifyToken(c, signed)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("verifyToken: %v, want success", err)
				}
				return
			}
			te, ok := err.(*tokenError)
			if !ok || te.code != tc.code || te.msg != tc.msg {
				t.Fatalf("verifyToken: %v, want %s: %s", err, tc.code, tc.msg)
			}
		})
	}
}

func TestClustersHaveDistinctKeys(t *testing.T) {
	s := NewServer()
	t.Cleanup(s.Close)
	a, _ := s.cluster("a").signingKey()
	b, _ := s.cluster("b").signingKey()
	if a.Equal(b) {
		t.Error("two clusters of one server share a key")
	}
	if s.Issuer("a") == s.Issuer("b") {
		t.Error("two clusters share an issuer")
	}
}

func TestParseAuthorization(t *testing.T) {
	const sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	got, err := parseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/eks-auth/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + sig)
	if err != nil {
		t.Fatal(err)
	}
	want := authorization{AccessKeyID: "AKID", Date: "20260101", Region: "us-west-2", Service: "eks-auth", Terminator: "aws4_request",
		SignedHeaders: []string{"host", "x-amz-date"}, Signature: sig}
	if got.AccessKeyID != want.AccessKeyID || got.Date != want.Date || got.Region != want.Region || got.Service != want.Service ||
		got.Terminator != want.Terminator || len(got.SignedHeaders) != 2 || got.Signature != want.Signature {
		t.Errorf("parseAuthorization = %+v, want %+v", got, want)
	}

	bad := map[string]string{
		"empty":              "",
		"algorithm only":     "AWS4-HMAC-SHA256",
		"no credential":      "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=" + sig,
		"uppercase header":   "AWS4-HMAC-SHA256 Credential=A/d/r/s/t, SignedHeaders=Host, Signature=" + sig,
		"empty header name":  "AWS4-HMAC-SHA256 Credential=A/d/r/s/t, SignedHeaders=host;;x, Signature=" + sig,
		"short signature":    "AWS4-HMAC-SHA256 Credential=A/d/r/s/t, SignedHeaders=host, Signature=abc",
		"uppercase hex":      "AWS4-HMAC-SHA256 Credential=A/d/r/s/t, SignedHeaders=host, Signature=" + "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		"empty scope part":   "AWS4-HMAC-SHA256 Credential=A//r/s/t, SignedHeaders=host, Signature=" + sig,
		"six scope parts":    "AWS4-HMAC-SHA256 Credential=A/d/r/s/t/u, SignedHeaders=host, Signature=" + sig,
		"field without =":    "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=" + sig,
		"empty signed list":  "AWS4-HMAC-SHA256 Credential=A/d/r/s/t, SignedHeaders=, Signature=" + sig,
		"sigv4a":             "AWS4-ECDSA-P256-SHA256 Credential=A/d/r/s/t, SignedHeaders=host, Signature=" + sig,
		"header name spaces": "AWS4-HMAC-SHA256 Credential=A/d/r/s/t, SignedHeaders=ho st, Signature=" + sig,
	}
	for name, h := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := parseAuthorization(h); err == nil || err.code != CodeIncompleteSignature || err.status != 403 {
				t.Errorf("parseAuthorization(%q) error = %v, want a 403 %s", h, err, CodeIncompleteSignature)
			}
		})
	}
}
