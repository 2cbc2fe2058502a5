package protocol

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

var (
	clusterRE = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)
	tokenRE   = regexp.MustCompile(`^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$`)
)

func TestValidClusterName(t *testing.T) {
	for _, s := range []string{"", "a", "my-cluster", "_x", "-x", "x_", "a.b", "a b", "é", strings.Repeat("a", 100), strings.Repeat("a", 101), "0", "A-_9"} {
		want := clusterRE.MatchString(s) && len(s) <= 100
		if got := ValidClusterName(s); got != want {
			t.Errorf("ValidClusterName(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestValidToken(t *testing.T) {
	for _, s := range []string{"", "a.b.c", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "a=.b-_.c=", "a.b.c\n", "a.b\r.c", "a.b.c d", "ey.ey.sig", "a.b.c\x00"} {
		if got, want := ValidToken(s), tokenRE.MatchString(s); got != want {
			t.Errorf("ValidToken(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	f.Add("a.b.c")
	f.Add("my-cluster")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidToken(s), tokenRE.MatchString(s); got != want {
			t.Errorf("ValidToken(%q) = %v, want %v", s, got, want)
		}
		if got, want := ValidClusterName(s), clusterRE.MatchString(s) && len(s) <= 100; got != want {
			t.Errorf("ValidClusterName(%q) = %v, want %v", s, got, want)
		}
	})
}

func TestClusterFromPath(t *testing.T) {
	for path, want := range map[string]string{
		"/clusters/c1/assume-role-for-pod-identity":   "c1",
		"/clusters//assume-role-for-pod-identity":     "",
		"/clusters/a/b/assume-role-for-pod-identity":  "!",
		"/cluster/c1/assume-role-for-pod-identity":    "!",
		"/clusters/c1/assume-role-for-pod-identity/x": "!",
	} {
		got, ok := ClusterFromPath(path)
		if !ok {
			got = "!"
		}
		if got != want {
			t.Errorf("ClusterFromPath(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestRequestMarshalJSON(t *testing.T) {
	tok, zone := "a.b.c", "z1"
	b, err := json.Marshal(Request{Token: &tok, Zone: &zone})
	if err != nil || string(b) != `{"token":"a.b.c","zone":"z1"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}
