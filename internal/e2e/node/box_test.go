package node

// The box: the test binary re-executes itself under `unshare --net`, so
// that it, the emulator, the agents and every pod it starts share a network
// namespace of their own, where lo holds the link-local addresses of a
// node's agent (169.254.170.23 and fd00:ec2::23). Nothing in the box can
// reach any other address: a client that falls through to IMDS gets
// "network unreachable" at once. What needs the network (npm ci, the
// official agent's build through the module proxy) is done before, by the
// parent process.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/podidentity/podidentity/internal/e2e/internal/realclients"
)

const (
	envInBox     = "PODIDENTITY_E2E_IN_BOX"    // set in the re-executed binary
	envArtifacts = "PODIDENTITY_E2E_ARTIFACTS" // JSON of artifacts, for the box
	agentIPv4    = "169.254.170.23"
	agentIPv6    = "fd00:ec2::23"
)

// artifacts are the programs the box runs, prepared outside it.
type artifacts struct {
	Dir   string // holds this run's builds and scripts
	Agent string // our pod-identity-agent
	// AgentInit: the agent has an init subcommand, and listens on the two
	// addresses by default.
	AgentInit bool
	Official  string // the official EKS Pod Identity Agent
	GoClient  string // internal/goclient
	Python    string // the interpreter with botocore
	Node      string
	JSDir     string // npm ci'd packages, and client.js copied in
	PyScript  string
	Versions  map[string]string // client name to the version it prints
}

var (
	// unavailable, if set, is why there is no box here.
	unavailable string
	// boxErr is a failure to prepare or set up the box.
	boxErr error
	art    artifacts
)

func TestMain(m *testing.M) {
	if os.Getenv(envInBox) == "" {
		os.Exit(outside(m))
	}
	os.Exit(inside(m))
}

// outside prepares the artifacts and runs the tests again in a new network
// namespace. Without one (not Linux, not root, no unshare) the tests run
// here and skip, saying why (in CI they fail).
func outside(m *testing.M) int {
	flag.Parse()
	if l := flag.Lookup("test.list"); l != nil && l.Value.String() != "" {
		return m.Run()
	}
	switch {
	case runtime.GOOS != "linux":
		unavailable = "the node-in-a-box suite needs Linux network namespaces"
	case os.Geteuid() != 0:
		unavailable = "the node-in-a-box suite needs root, to create a network namespace (unshare --net) and listen on port 80 of 169.254.170.23 and [fd00:ec2::23] in it"
	default:
		for _, tool := range []string{"unshare", "ip"} {
			if _, err := exec.LookPath(tool); err != nil {
				unavailable = fmt.Sprintf("the node-in-a-box suite needs %s (util-linux, iproute2)", tool)
			}
		}
	}
	if unavailable == "" {
		// Root in a container may still lack CAP_SYS_ADMIN.
		if out, err := exec.Command("unshare", "--net", "true").CombinedOutput(); err != nil {
			unavailable = fmt.Sprintf("unshare --net fails here (%v: %s): the node-in-a-box suite needs to create a network namespace", err, strings.TrimSpace(string(out)))
		}
	}
	if unavailable != "" {
		return m.Run()
	}
	a, err := prepare()
	if a.Dir != "" {
		defer os.RemoveAll(a.Dir)
	}
	if err != nil {
		boxErr = err
		return m.Run()
	}
	b, _ := json.Marshal(a)
	args := append([]string{"--net", "--", os.Args[0]}, os.Args[1:]...)
	if !flagSet("test.parallel") {
		// The pods mostly wait (their SDKs' retries sleep a second or
		// more), so more of them than cores run at once.
		args = append(args, "-test.parallel=8")
	}
	cmd := exec.Command("unshare", args...)
	cmd.Env = append(os.Environ(), envInBox+"=1", envArtifacts+"="+string(b))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "node-in-a-box: unshare --net:", err)
		return 1
	}
	return 0
}

func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// inside sets up the box's network and runs the tests.
func inside(m *testing.M) int {
	if err := json.Unmarshal([]byte(os.Getenv(envArtifacts)), &art); err != nil {
		boxErr = fmt.Errorf("artifacts: %w", err)
	} else {
		boxErr = setupNetwork()
	}
	return m.Run()
}

// initNote says how the agent's addresses came to be in the box.
var initNote string

// setupNetwork brings lo up and puts the agent's addresses in place: with
// the agent's own init (the dummy link pod-id-link0, as on a node) when
// the agent has one and the kernel has the dummy driver, else on lo.
func setupNetwork() error {
	if err := ip("link", "set", "lo", "up"); err != nil {
		return err
	}
	if art.AgentInit {
		out, err := exec.Command(art.Agent, "init").CombinedOutput()
		if err == nil {
			initNote = "addresses put on pod-id-link0 by pod-identity-agent init"
			return nil
		}
		// A kernel without the dummy driver (some sandboxes) cannot hold
		// pod-id-link0; the addresses then go on lo, which serves pods
		// the same way.
		initNote = fmt.Sprintf("pod-identity-agent init failed here (%v: %s); addresses on lo instead", err, strings.TrimSpace(string(out)))
	} else {
		initNote = "addresses on lo (this agent has no init)"
	}
	return addrsOnLoopback()
}

func ip(args ...string) error {
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// addrsOnLoopback puts 169.254.170.23/32 and fd00:ec2::23/128 on lo
// (nodad: usable at once, no duplicate address detection to wait for).
func addrsOnLoopback() error {
	for _, args := range [][]string{
		{"addr", "add", agentIPv4 + "/32", "dev", "lo"},
		{"-6", "addr", "add", agentIPv6 + "/128", "dev", "lo", "nodad"},
	} {
		if err := ip(args...); err != nil {
			return err
		}
	}
	return nil
}

// needBox ends t unless it runs in a ready box.
func needBox(t *testing.T) {
	t.Helper()
	if unavailable != "" {
		realclients.Unavailable(t, "%s", unavailable)
	}
	if boxErr != nil {
		t.Fatalf("node-in-a-box: %v", boxErr)
	}
	if os.Getenv(envInBox) == "" {
		t.Fatal("node-in-a-box: not in the box")
	}
}

// prepare builds and installs everything the box runs: this run's builds
// and scripts in a.Dir, which the parent removes when the box is done; the
// npm packages and the official agent in the user's cache folder.
func prepare() (artifacts, error) {
	var a artifacts
	dir, err := os.MkdirTemp("", "node-in-a-box-")
	if err != nil {
		return a, err
	}
	a.Dir = dir
	repo, err := realclients.RepoRoot()
	if err != nil {
		return a, err
	}
	mod, _ := realclients.ModuleRoot()
	// PODIDENTITY_E2E_AGENT runs the suite on an agent built elsewhere
	// (another branch's, say).
	if a.Agent = os.Getenv("PODIDENTITY_E2E_AGENT"); a.Agent == "" {
		a.Agent = filepath.Join(dir, "pod-identity-agent")
		if err := realclients.GoBuild(repo, "./examples/pod-identity-agent", a.Agent); err != nil {
			return a, err
		}
	}
	// An agent with init answers its help with status 0; one without it
	// calls "init" an unexpected argument (status 2).
	a.AgentInit = exec.Command(a.Agent, "init", "-h").Run() == nil
	a.GoClient = filepath.Join(dir, "goclient")
	if err := realclients.GoBuild(mod, "./node/internal/goclient", a.GoClient); err != nil {
		return a, err
	}
	a.Versions = map[string]string{}
	if a.Official, a.Versions["official"], err = realclients.OfficialAgent(); err != nil {
		return a, err
	}
	if a.Python, _, err = realclients.Python(); err != nil {
		return a, err
	}
	if a.JSDir, a.Node, err = realclients.JS(); err != nil {
		return a, err
	}
	// client.js must sit beside node_modules to require the SDK; the copy
	// is per run, the packages stay cached.
	jsRun := filepath.Join(dir, "js")
	if err := os.MkdirAll(jsRun, 0o755); err != nil {
		return a, err
	}
	if err := os.Symlink(filepath.Join(a.JSDir, "node_modules"), filepath.Join(jsRun, "node_modules")); err != nil {
		return a, err
	}
	a.JSDir = jsRun
	here, _ := os.Getwd()
	for src, dst := range map[string]string{
		filepath.Join(here, "testdata", "client.js"): filepath.Join(jsRun, "client.js"),
		filepath.Join(here, "testdata", "client.py"): filepath.Join(dir, "client.py"),
	} {
		b, err := os.ReadFile(src)
		if err != nil {
			return a, err
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return a, err
		}
	}
	a.PyScript = filepath.Join(dir, "client.py")
	for name, cmd := range map[string][]string{
		"go":       {a.GoClient, "version"},
		"botocore": {a.Python, a.PyScript, "version"},
		"js":       {a.Node, filepath.Join(jsRun, "client.js"), "version"},
	} {
		out, err := exec.Command(cmd[0], cmd[1:]...).Output()
		if err != nil {
			return a, fmt.Errorf("%s version: %v", name, err)
		}
		a.Versions[name] = strings.TrimSpace(string(out))
	}
	return a, nil
}
