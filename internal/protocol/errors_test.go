package protocol_test

import (
	"testing"

	"github.com/podidentity/podidentity/internal/protocol"
)

func TestSanitizeErrorCode(t *testing.T) {
	tests := map[string]string{
		"Foo":                        "Foo",
		"aws.protocols#Foo":          "Foo",
		"Foo:http://internal.amazon": "Foo",
		"ns#Foo:http://x#y":          "Foo",
		"a#b#c":                      "b#c",
		":Foo":                       "",
		"":                           "",
	}
	for in, want := range tests {
		if got := protocol.SanitizeErrorCode(in); got != want {
			t.Errorf("sanitizeErrorCode(%q) = %q, want %q", in, got, want)
		}
	}
}
