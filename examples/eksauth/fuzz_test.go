package main

import (
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// FuzzYAMLString: whatever a string holds, the yaml output reads back as
// that same string.
func FuzzYAMLString(f *testing.F) {
	for _, s := range []string{"", "plain", "true", "123", "a: b", "#x", "- x", "it's", "2026-11-28T23:59:59+00:00", "line\nbreak", " lead", "é中文", "tab\there", "null", "~", "0x1F", "---", "[a]", "{a}", "a #b", "@x", "%x", "*x", "&x", "!x", "|x", ">x", "?x", ":x", "x:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Clean(s) {
			t.Skip()
		}
		o := newObject()
		o.set("k", s)
		var b strings.Builder
		writeYAML(&b, o)
		var back map[string]any
		if err := yaml.Unmarshal([]byte(b.String()), &back); err != nil {
			t.Fatalf("%q: output does not parse: %v\n%s", s, err, b.String())
		}
		if got, ok := back["k"].(string); !ok || got != s {
			t.Fatalf("%q: read back as %#v from\n%s", s, back["k"], b.String())
		}
	})
}

// utf8Clean limits the fuzzer to printable text without characters YAML
// cannot carry in any style (and the parser rejects).
func utf8Clean(s string) bool {
	for _, r := range s {
		if r == 0xFFFD || r == 0xFEFF || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xA0) {
			return false
		}
	}
	return true
}

// FuzzParseArgs: no command line makes the parser panic, and every error
// is one the CLI can report.
func FuzzParseArgs(f *testing.F) {
	f.Add("assume-role-for-pod-identity --cluster-name demo --token a.b.c")
	f.Add("--generate-cli-skeleton output assume-role-for-pod-identity --cluster=x --tok=y")
	f.Add("eks-auth help --output=xml -- --x")
	f.Fuzz(func(t *testing.T, line string) {
		_, err := parseArgs(strings.Fields(line))
		if err != nil {
			var b strings.Builder
			if code := report("eksauth", &b, &b, err); code != exitUsage && code != exitGeneral {
				t.Fatalf("%q: exit %d for %v", line, code, err)
			}
		}
	})
}
