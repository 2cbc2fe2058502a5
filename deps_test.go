package podidentity_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLibraryDependencies holds the library to the dependencies the README
// promises: the standard library, aws-sdk-go-v2's core module and
// smithy-go, plus golang-jwt for the emulator. Every dependency is code
// that runs next to the credentials.
func TestLibraryDependencies(t *testing.T) {
	core := []string{"github.com/podidentity/podidentity", "github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go"}
	for pkgs, allowed := range map[string][]string{
		"./eksauth ./eksauth/types ./credentials": core,
		"./eksauth/eksauthtest":                   append(core, "github.com/golang-jwt/jwt/v5"),
	} {
		args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.Module.Path}}{{end}}"}, strings.Fields(pkgs)...)
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		modules := strings.Fields(string(out))
		for _, m := range modules {
			if !slices.Contains(allowed, m) {
				t.Errorf("%s depends on the module %s", pkgs, m)
			}
		}
		if len(modules) == 0 {
			t.Errorf("go list named no package for %s", pkgs)
		}
	}
}
