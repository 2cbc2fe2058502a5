package redact_test

import (
	"strings"
	"testing"

	"github.com/podidentity/podidentity/internal/redact"
)

func TestJSON(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"token":       {`{"token":"a.b.c"}`, `{"token":"<redacted>"}`},
		"nested":      {`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1.5}}`, `{"credentials":{"accessKeyId":"A","expiration":1.5,"secretAccessKey":"<redacted>","sessionToken":"<redacted>"}}`},
		"null secret": {`{"sessionToken":null}`, `{"sessionToken":null}`},
		"array":       {`[{"Token":"x"},1,true]`, `[{"Token":"<redacted>"},1,true]`},
		"not JSON":    {`token=abc`, `<9 bytes, not JSON, not shown>`},
		"empty":       {``, ``},
	}
	for name, tt := range tests {
		if got := redact.JSON([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: JSON(%s) = %s, want %s", name, tt.in, got, tt.want)
		}
	}
	if got := redact.JSON([]byte(`{"message":"echo a.b.c"}`), "a.b.c"); strings.Contains(got, "a.b.c") {
		t.Errorf("secret not scrubbed: %s", got)
	}
}

func TestAuthorization(t *testing.T) {
	in := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/eks-auth/aws4_request, SignedHeaders=host, Signature=abcdef"
	want := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/eks-auth/aws4_request, SignedHeaders=host, Signature=<redacted>"
	if got := redact.Authorization(in); got != want {
		t.Errorf("Authorization = %s, want %s", got, want)
	}
	if got := redact.Authorization("Bearer xyz"); got != redact.Placeholder {
		t.Errorf("unknown scheme = %s, want the placeholder", got)
	}
}
