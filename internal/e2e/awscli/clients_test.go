package awscli

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// client is one CLI under test: the command that runs it, before
// "eks-auth assume-role-for-pod-identity".
type client struct {
	name    string // "ours", "aws-cli v2", "aws-cli v1"
	version string // what its --version printed
	argv    []string
	home    string // a HOME of its own (the v2 model lives there)
}

// result is what one run printed and returned, masked.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit status %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// The clients, found or built once by TestMain; nil with the reason in
// missing when a client is not on this machine.
var (
	ours, v2, v1 *client
	missing      = map[string]string{}
	workDir      string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "awscli-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := func() int {
		if err := setupClients(dir); err != nil {
			fmt.Fprintln(os.Stderr, "awscli e2e:", err)
			return 1
		}
		return m.Run()
	}()
	os.RemoveAll(dir)
	os.Exit(code)
}

// setupClients builds our CLI and finds the AWS CLIs. Only a failure to
// build our own CLI is fatal here; a missing AWS CLI is reported by the
// tests that need it (a skip, or a failure in CI).
func setupClients(dir string) error {
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	// Our CLI is built as "aws": it prints the name it runs as in its
	// usage lines, as argparse does, so usage errors compare as they are.
	exe := filepath.Join(bin, "aws")
	build := exec.Command("go", "build", "-o", exe, "./eksauth")
	build.Dir = filepath.Join(repoRoot(), "examples")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building examples/eksauth: %v\n%s", err, out)
	}
	ours = &client{name: "ours", argv: []string{exe}, home: filepath.Join(dir, "home-ours")}

	if c, err := findV2(dir); err != nil {
		missing["aws-cli v2"] = err.Error()
	} else {
		v2 = c
	}
	if c, err := findV1(dir); err != nil {
		missing["aws-cli v1"] = err.Error()
	} else {
		v1 = c
	}
	for _, c := range []*client{ours, v2, v1} {
		if c == nil {
			continue
		}
		if err := os.MkdirAll(c.home, 0o755); err != nil {
			return err
		}
		if c.version == "" {
			out, _ := exec.Command(c.argv[0], append(c.argv[1:], "--version")...).CombinedOutput()
			c.version = strings.TrimSpace(string(out))
		}
	}
	return nil
}

// repoRoot is the repository root, two levels above this module.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// v2Path is where Debian's awscli package installs the AWS CLI v2. An aws
// on PATH may be another (v1 from pip, say), so the path is explicit.
const v2Path = "/usr/bin/aws"

// findV2 checks that /usr/bin/aws is the AWS CLI v2 and gives it a HOME
// holding botocore's eks-auth model: the v2 package has none of its own.
func findV2(dir string) (*client, error) {
	out, err := exec.Command(v2Path, "--version").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: %v (install Debian's awscli package)", v2Path, err)
	}
	version := strings.TrimSpace(string(out))
	if !strings.HasPrefix(version, "aws-cli/2.") {
		return nil, fmt.Errorf("%s is %q, not the AWS CLI v2", v2Path, version)
	}
	model, err := botocoreModel()
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home-v2")
	modelFile := filepath.Join(dir, "eks-auth-service-2.json")
	if err := os.WriteFile(modelFile, model, 0o644); err != nil {
		return nil, err
	}
	add := exec.Command(v2Path, "configure", "add-model", "--service-model", "file://"+modelFile, "--service-name", "eks-auth")
	add.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin"}
	if out, err := add.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("aws configure add-model: %v\n%s", err, out)
	}
	return &client{name: "aws-cli v2", version: version, argv: []string{v2Path}, home: home}, nil
}

// botocoreModel returns botocore's eks-auth service model, unzipped.
func botocoreModel() ([]byte, error) {
	py, err := python()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(py, "-c", "import botocore, os; print(os.path.dirname(botocore.__file__))").Output()
	if err != nil {
		return nil, fmt.Errorf("botocore not importable by %s: %v", py, err)
	}
	f, err := os.Open(filepath.Join(strings.TrimSpace(string(out)), "data", "eks-auth", "2023-11-26", "service-2.json.gz"))
	if err != nil {
		return nil, fmt.Errorf("botocore's eks-auth model: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// python returns the interpreter itself, not a pyenv shim: a shim finds
// its versions through HOME, which every run here replaces.
func python() (string, error) {
	if _, err := exec.LookPath("python3"); err != nil {
		return "", errors.New("python3 not found")
	}
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("python3: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// findV1 finds the AWS CLI v1 as pip installs it, the aws script beside
// python3's interpreter, and runs it with that interpreter: its usage
// lines name the program "aws" (`python3 -m awscli` would name it
// __main__.py), and a pyenv shim on PATH is not involved.
func findV1(dir string) (*client, error) {
	py, err := python()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(filepath.Dir(py), "aws")
	out, err := exec.Command(py, script, "--version").CombinedOutput()
	version := strings.TrimSpace(string(out))
	if err != nil || !strings.HasPrefix(version, "aws-cli/1.") {
		return nil, fmt.Errorf("%s %s: %q %v (the AWS CLI v1, pip's awscli)", py, script, version, err)
	}
	return &client{name: "aws-cli v1", version: version, argv: []string{py, script}, home: filepath.Join(dir, "home-v1")}, nil
}

// need returns c, or skips (fails in CI) the test when c is missing.
func need(t *testing.T, c *client, name string) *client {
	t.Helper()
	if c != nil {
		return c
	}
	msg := fmt.Sprintf("%s is not available: %s", name, missing[name])
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: .ci/run installs it)")
	}
	t.Skip(msg)
	return nil
}

// run runs c with args in dir, with env and nothing on stdin.
func (c *client) run(t *testing.T, dir string, env []string, args []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.argv[0], append(append([]string(nil), c.argv[1:]...), args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + c.home}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", c.name, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// Values that change from call to call (or from server to server), each
// replaced by a placeholder of its own length so that table columns keep
// their widths.
var masks = []*regexp.Regexp{
	regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`),      // session names, request IDs
	regexp.MustCompile(`\b(?:ASIA|AKIA|AROA)[0-9A-Z]{16,17}\b`),                             // access key and role IDs
	regexp.MustCompile(`\ba-[0-9a-z]{17}\b`),                                                // association IDs
	regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\+00:00)?`),                     // timestamps
	regexp.MustCompile(`(#{19})\.(\d+)`),                                                    // their fractions, of any length
	regexp.MustCompile(`[A-Za-z0-9+/=]{100,}`),                                              // session tokens, service-account tokens
	regexp.MustCompile(`(?m)(?:^|[^A-Za-z0-9+/=])([A-Za-z0-9+/]{40})(?:$|[^A-Za-z0-9+/=])`), // secret access keys
	regexp.MustCompile(`\b1[78]\d{8}\b`),                                                    // epoch seconds (cli_timestamp_format = wire)
	regexp.MustCompile(`127\.0\.0\.1:\d+`),                                                  // the emulator's port
}

func mask(s string) string {
	for _, re := range masks {
		s = re.ReplaceAllStringFunc(s, func(m string) string {
			if re.NumSubexp() == 2 {
				return m[:19] + ".F"
			}
			if re.NumSubexp() == 1 {
				sub := re.FindStringSubmatchIndex(m)
				return m[:sub[2]] + strings.Repeat("#", sub[3]-sub[2]) + m[sub[3]:]
			}
			if strings.HasPrefix(m, "127.0.0.1:") {
				return "127.0.0.1:PORT"
			}
			return strings.Repeat("#", len(m))
		})
	}
	return s
}

// diff shows two outputs line by line, marking the lines that differ.
func diff(aName string, a result, bName string, b result) string {
	var sb strings.Builder
	if a.code != b.code {
		fmt.Fprintf(&sb, "exit status: %s %d, %s %d\n", aName, a.code, bName, b.code)
	}
	for _, part := range []struct{ name, a, b string }{{"stdout", a.stdout, b.stdout}, {"stderr", a.stderr, b.stderr}} {
		if part.a == part.b {
			continue
		}
		al, bl := strings.Split(part.a, "\n"), strings.Split(part.b, "\n")
		fmt.Fprintf(&sb, "%s (- %s, + %s):\n", part.name, aName, bName)
		for i := 0; i < max(len(al), len(bl)); i++ {
			var x, y string
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			if x == y {
				fmt.Fprintf(&sb, "  %s\n", x)
				continue
			}
			if i < len(al) {
				fmt.Fprintf(&sb, "- %q\n", x)
			}
			if i < len(bl) {
				fmt.Fprintf(&sb, "+ %q\n", y)
			}
		}
	}
	return sb.String()
}
