package node

import (
	"strings"
	"testing"
)

// TestCompare: the comparison with the official agent fails when ours
// gives a client less. It needs no box.
func TestCompare(t *testing.T) {
	cs := []client{{name: "go"}}
	ok := result{OK: true, AccountID: accountID}
	tests := []struct {
		name           string
		official, ours result
		want           string // "" for no problem
	}{
		{"same success", ok, ok, ""},
		{"same error", result{Status: 404, Code: "ResourceNotFoundException"}, result{Status: 404, Code: "ResourceNotFoundException"}, ""},
		{"more from ours", result{Status: 0, Message: "Read timeout"}, result{Status: 503, Code: "ServiceUnavailableException"}, ""},
		{"a code ours lacks", result{Status: 400, Code: "X"}, result{Status: 400}, "ours none"},
		{"another status class", result{Status: 500}, result{Status: 400, Code: "Y"}, "status 500 from the official agent, 400 from ours"},
		{"an error where the official succeeds", ok, result{Status: 400, Code: "Z"}, "official agent: credentials"},
		{"another account", ok, result{OK: true, AccountID: "999988887777"}, "AccountId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]outcome{
				"official/go/ipv4/credentials":    {results: []result{tc.official}},
				"podidentity/go/ipv4/credentials": {results: []result{tc.ours}},
			}
			problems := compare(cs, got)
			switch {
			case tc.want == "" && len(problems) > 0:
				t.Errorf("problems %q, want none", problems)
			case tc.want != "" && (len(problems) != 1 || !strings.Contains(problems[0], tc.want)):
				t.Errorf("problems %q, want one saying %q", problems, tc.want)
			}
		})
	}
}
