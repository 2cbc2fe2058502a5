package eksauth

import (
	"math"
	"testing"

	smithytime "github.com/aws/smithy-go/time"
)

// FuzzParseEpochSeconds checks the big.Float-free conversion against
// smithy-go's, which the official client uses.
func FuzzParseEpochSeconds(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 1.7e9, 1700000000.123, 0.0005, -0.0005, 1e-320, 9.2e15, 9.3e15, 1e300, -1e300, math.MaxFloat64, 9223372036854775.807} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // JSON has neither
		}
		if got, want := parseEpochSeconds(v), smithytime.ParseEpochSeconds(v); !got.Equal(want) || got.Location() != want.Location() {
			t.Fatalf("parseEpochSeconds(%v) = %v, want %v", v, got, want)
		}
	})
}

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
		if got := sanitizeErrorCode(in); got != want {
			t.Errorf("sanitizeErrorCode(%q) = %q, want %q", in, got, want)
		}
	}
}
