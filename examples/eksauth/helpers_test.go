package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// result is what one run of the CLI printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// sandbox isolates a test from the machine's AWS configuration: empty
// config and credentials files, no AWS_* variables, no instance metadata.
// The SDK's config module reads the process environment, so the variables
// are set there too (which is why these tests do not run in parallel).
type sandbox struct {
	t   *testing.T
	dir string
	env map[string]string
}

var awsVars = []string{
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_DEFAULT_OUTPUT", "AWS_PAGER", "PAGER", "AWS_CA_BUNDLE",
	"AWS_CLI_AUTO_PROMPT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS_AUTH",
	"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_USE_FIPS_ENDPOINT",
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	dir := t.TempDir()
	sb := &sandbox{t: t, dir: dir, env: map[string]string{}}
	for _, k := range awsVars {
		t.Setenv(k, "")
	}
	sb.set("HOME", dir)
	sb.set("AWS_CONFIG_FILE", sb.file("config", ""))
	sb.set("AWS_SHARED_CREDENTIALS_FILE", sb.file("credentials", ""))
	sb.set("AWS_EC2_METADATA_DISABLED", "true")
	return sb
}

// set sets a variable for the CLI and for the process.
func (sb *sandbox) set(k, v string) {
	sb.t.Setenv(k, v)
	sb.env[k] = v
}

// file writes a file in the sandbox and returns its path.
func (sb *sandbox) file(name, content string) string {
	sb.t.Helper()
	p := filepath.Join(sb.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		sb.t.Fatal(err)
	}
	return p
}

func (sb *sandbox) environ() []string {
	var out []string
	for k, v := range sb.env {
		out = append(out, k+"="+v)
	}
	return out
}

// run runs the CLI in-process with stdin as input.
func (sb *sandbox) run(stdin string, args ...string) result {
	sb.t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb, sb.environ())
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// emulator is an EKS Auth emulator with one association, and the node
// credentials it accepts in the sandbox's environment.
type emulator struct {
	*eksauthtest.Server
	token string
	pod   eksauthtest.Pod
}

func (sb *sandbox) emulator(opts ...eksauthtest.Option) *emulator {
	sb.t.Helper()
	srv := eksauthtest.NewServer(opts...)
	sb.t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: "demo", Namespace: "default", ServiceAccount: "app", RoleARN: "arn:aws:iam::111122223333:role/app"})
	pod := eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "app", Name: "app-7d4b9c6f5-x2x9q"}
	node := srv.NodeCredentials()
	sb.set("AWS_ACCESS_KEY_ID", node.AccessKeyID)
	sb.set("AWS_SECRET_ACCESS_KEY", node.SecretAccessKey)
	sb.set("AWS_SESSION_TOKEN", node.SessionToken)
	sb.set("AWS_REGION", srv.Region())
	return &emulator{Server: srv, token: srv.Token(pod, time.Hour), pod: pod}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s: output differs from the golden file\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}
