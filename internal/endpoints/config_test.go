package endpoints_test

import (
	"net/url"
	"testing"

	"github.com/podidentity/podidentity/internal/endpoints"
)

func TestPlaintext(t *testing.T) {
	tests := map[string]bool{
		"https://eks-auth.us-west-2.api.aws": false,
		"http://127.0.0.1:8080":              false,
		"http://[::1]:8080":                  false,
		"http://localhost":                   false,
		"http://emulator.localhost:1":        false,
		"http://10.0.0.5":                    true,
		"http://eks-auth.example.com":        true,
	}
	for raw, want := range tests {
		u, _ := url.Parse(raw)
		if got := endpoints.Plaintext(u); got != want {
			t.Errorf("Plaintext(%s) = %t, want %t", raw, got, want)
		}
	}
}
