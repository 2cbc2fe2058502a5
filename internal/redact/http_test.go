package redact_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/podidentity/podidentity/internal/redact"
)

type ctxKey struct{}

func TestResponse(t *testing.T) {
	const token, session, sig = "tok.en.value", "SESSION-TOKEN", "0123abcd"
	ctx := context.WithValue(context.Background(), ctxKey{}, token)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://eks-auth.us-west-2.api.aws/clusters/c/assume-role-for-pod-identity", strings.NewReader(`{"token":"`+token+`"}`))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-west-2/eks-auth/aws4_request, SignedHeaders=host, Signature="+sig)
	req.Header.Set("X-Amz-Security-Token", session)
	req.Header.Set("Content-Type", "application/json")
	resp := &http.Response{StatusCode: 400, Header: http.Header{"X-Echo": {"saw " + session}}, Body: io.NopCloser(strings.NewReader("body")), Request: req}

	c := redact.Response(resp, token, session, sig)
	if c.Body != http.NoBody || c.Request.Body != nil || c.Request.GetBody != nil {
		t.Error("the copy keeps a body")
	}
	if c.Request.Context().Value(ctxKey{}) != nil {
		t.Error("the copy's request keeps the context")
	}
	if got := c.Header.Get("X-Echo"); got != "saw "+redact.Placeholder {
		t.Errorf("echoed header = %q", got)
	}
	if got := c.Request.Header.Get("Authorization"); strings.Contains(got, sig) || !strings.HasSuffix(got, "Signature="+redact.Placeholder) {
		t.Errorf("Authorization = %q", got)
	}
	if got := c.Request.Header.Get("X-Amz-Security-Token"); got != redact.Placeholder {
		t.Errorf("X-Amz-Security-Token = %q", got)
	}
	if got := c.Request.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want it kept", got)
	}
	// The original is left as it was.
	if resp.Request.Header.Get("X-Amz-Security-Token") != session || resp.Header.Get("X-Echo") != "saw "+session {
		t.Error("the original response was changed")
	}
}

func TestTail(t *testing.T) {
	const secret = "SECRET"
	body := []byte(strings.Repeat("x", 10) + secret + "yz")
	// Cut inside the secret: scrubbing first leaves none of it.
	if got := string(redact.Tail(body, 5, secret)); strings.Contains(got, "RET") || got != "ed>yz" {
		t.Errorf("Tail = %q, want %q", got, "ed>yz")
	}
	if got := string(redact.Tail([]byte("short"), 10)); got != "short" {
		t.Errorf("Tail = %q, want all of a short body", got)
	}
}
