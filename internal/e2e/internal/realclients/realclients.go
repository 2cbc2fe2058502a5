// Package realclients finds, installs and builds the programs the e2e
// suites run: botocore's Python, Node and the JS SDK v3 (pinned in
// internal/e2e/js, installed with npm ci), the official EKS Pod Identity
// Agent (built from ../shared/peers) and this repository's binaries.
// Installs and builds are cached under the user's cache folder, keyed by
// what they are made from, so a second run takes seconds.
package realclients

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const modulePath = "github.com/podidentity/podidentity/internal/e2e"

// CI reports whether the tests run in CI (CI=true), where what a suite
// needs is installed by .ci/run: a missing tool there is a failure, not a
// reason to skip.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable ends t because something it needs is missing: a skip that
// says why on a developer's machine, a failure in CI.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("%s (CI=true: this suite must run in CI)", msg)
	}
	t.Skipf("skipped: %s", msg)
}

// ModuleRoot returns the folder of the internal/e2e module, found upward
// from the working directory (go test runs in the package's folder).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(b, []byte("module "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("realclients: not inside the " + modulePath + " module")
		}
		dir = parent
	}
}

// RepoRoot returns the repository's root folder.
func RepoRoot() (string, error) {
	m, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Dir(filepath.Dir(m)), nil
}

// cacheDir returns a folder for cached installs and builds.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "podidentity-e2e")
	return dir, os.MkdirAll(dir, 0o755)
}

// hashFiles returns a short hash of the files' contents.
func hashFiles(paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// run runs a command in dir and returns its error with its output.
func run(dir string, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// publish renames tmp to final, unless another process got there first
// (tests of two packages may install at once): then tmp is removed.
func publish(tmp, final string) error {
	if err := os.Rename(tmp, final); err != nil {
		if _, statErr := os.Stat(final); statErr == nil {
			return os.RemoveAll(tmp)
		}
		return err
	}
	return nil
}

// Python returns the Python interpreter that has botocore, by its real
// path (pyenv's shims need a HOME, and pods get an empty one), and the
// botocore version.
func Python() (exe, version string, err error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return "", "", errors.New("python3 is not installed")
	}
	out, err := exec.Command(py, "-c", "import sys, botocore; print(sys.executable); print(botocore.__version__)").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s cannot import botocore: %v", py, err)
	}
	lines := strings.Fields(string(out))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("python3 printed %q", out)
	}
	return lines[0], lines[1], nil
}

// JS installs the JS SDK packages pinned in internal/e2e/js (package.json
// and package-lock.json) with npm ci, once per lockfile, and returns the
// folder that holds their node_modules and the node binary. Scripts copied
// into that folder can require them.
func JS() (dir, node string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", errors.New("node is not installed")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", "", errors.New("npm is not installed")
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", "", err
	}
	src := filepath.Join(root, "js")
	sum, err := hashFiles(filepath.Join(src, "package.json"), filepath.Join(src, "package-lock.json"))
	if err != nil {
		return "", "", err
	}
	cache, err := cacheDir()
	if err != nil {
		return "", "", err
	}
	dir = filepath.Join(cache, "js-"+sum)
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir, node, nil
	}
	tmp, err := os.MkdirTemp(cache, "js-tmp-")
	if err != nil {
		return "", "", err
	}
	defer os.RemoveAll(tmp) // a no-op once published
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o644); err != nil {
			return "", "", err
		}
	}
	if err := run(tmp, nil, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"); err != nil {
		return "", "", err
	}
	return dir, node, publish(tmp, dir)
}

// OfficialAgent builds the official EKS Pod Identity Agent with
// ../shared/peers/build-official-agent.sh (about a minute, through the Go
// module proxy), once per source tarball, and returns the binary's path
// and its release (the binary's own version command prints none).
func OfficialAgent() (bin, version string, err error) {
	repo, err := RepoRoot()
	if err != nil {
		return "", "", err
	}
	peers := filepath.Join(repo, "..", "shared", "peers")
	script := filepath.Join(peers, "build-official-agent.sh")
	tarballs, _ := filepath.Glob(filepath.Join(peers, "eks-pod-identity-agent-*.tar.gz"))
	if len(tarballs) == 0 {
		return "", "", fmt.Errorf("no official agent source in %s", peers)
	}
	sum, err := hashFiles(append([]string{script}, tarballs...)...)
	if err != nil {
		return "", "", err
	}
	cache, err := cacheDir()
	if err != nil {
		return "", "", err
	}
	version = "aws/eks-pod-identity-agent " + strings.TrimSuffix(strings.TrimPrefix(filepath.Base(tarballs[0]), "eks-pod-identity-agent-"), ".tar.gz")
	bin = filepath.Join(cache, "official-agent-"+sum)
	if _, err := os.Stat(bin); err == nil {
		return bin, version, nil
	}
	tmp := fmt.Sprintf("%s.tmp%d", bin, os.Getpid())
	defer os.Remove(tmp)
	if err := run(peers, nil, "bash", script, tmp); err != nil {
		return "", "", fmt.Errorf("build the official agent: %w", err)
	}
	return bin, version, publish(tmp, bin)
}

// GoBuild builds the package pkg (a path relative to dir, such as
// ./examples/pod-identity-agent) into out; dir's go.mod or go.work applies.
func GoBuild(dir, pkg, out string) error {
	return run(dir, nil, "go", "build", "-o", out, pkg)
}
