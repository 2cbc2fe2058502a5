package deploy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestSecurityContextsOnTheKernel runs the image's binaries as the
// chart's security contexts make the container runtime run them: the uid,
// the capabilities (permitted, effective and bounding sets: runc's), no
// new privileges when allowPrivilegeEscalation is false. No container
// engine runs here, so capsh (libcap) sets the process up as runc does,
// then execs the binary directly, in a network namespace of the test's.
// It shows what the chart's comments claim: the non-root agent binds port
// 80 only through the file capability; the init container, with
// NET_ADMIN alone, could not even exec a binary carrying that capability.
func TestSecurityContextsOnTheKernel(t *testing.T) {
	capsh, err := exec.LookPath("capsh")
	setcap, err2 := exec.LookPath("setcap")
	if err != nil || err2 != nil || os.Geteuid() != 0 {
		msg := "needs root and libcap's capsh and setcap (Debian's libcap2-bin)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// Not t.TempDir: its parent is private to root, and uid 65532 must
	// reach the binaries.
	dir, err := os.MkdirTemp("", "pod-identity-agent-caps")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The image's two binaries, made as the Dockerfile makes them.
	bins := map[string]string{plainBinary: filepath.Join(dir, "plain"), capBinary: filepath.Join(dir, "cap")}
	src, err := os.ReadFile(agentBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bins {
		if err := os.WriteFile(p, src, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(setcap, "cap_net_bind_service=+ep", bins[capBinary]).CombinedOutput(); err != nil {
		t.Fatalf("setcap: %v\n%s", err, out)
	}
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	dss := render(t, withValues(withValues(required(), "daemonsets.hybrid.create", true), "daemonsets.hybrid-bottlerocket.create", true))
	for _, ds := range dss {
		t.Run(ds.Name, func(t *testing.T) {
			spec := ds.Spec.Template.Spec
			initC, agent := spec.InitContainers[0], spec.Containers[0]
			var script strings.Builder
			script.WriteString("set -u\nip link set lo up\n")
			// The init container, for real.
			fmt.Fprintf(&script, "echo '== init'; %s 2>&1\n", asRuntime(t, capsh, &initC, bins))
			// Where the kernel has no dummy driver, the addresses go on lo
			// so that the agent's part still runs.
			script.WriteString("ip addr show dev pod-id-link0 >/dev/null 2>&1 || { ip addr add 169.254.170.23/32 dev lo; ip -6 addr add fd00:ec2::23/128 dev lo nodad; }\n")
			args := append(expandEnv(t, &agent), "-endpoint=http://127.0.0.1:1")
			env := "AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=AKIAEXAMPLE AWS_SECRET_ACCESS_KEY=example HOME=/nonexistent AWS_SHARED_CREDENTIALS_FILE=" + creds
			fmt.Fprintf(&script, "echo '== agent'; env %s timeout 1 %s %s 2>&1\n", env, asRuntime(t, capsh, &agent, bins), shellQuote(args))
			// The negative: the agent's context on the binary without the
			// file capability, and init's context on the one with it.
			plainAgent := agent
			plainAgent.Command = []string{plainBinary}
			fmt.Fprintf(&script, "echo '== agent, plain binary'; env %s timeout 1 %s %s 2>&1\n", env, asRuntime(t, capsh, &plainAgent, bins), shellQuote(args))
			capInit := initC
			capInit.Command = []string{capBinary, "init"}
			fmt.Fprintf(&script, "echo '== init, binary with the capability'; %s 2>&1; echo \"exit $?\"\n", asRuntime(t, capsh, &capInit, bins))

			cmd := exec.Command("bash", "-c", script.String())
			cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
			out, _ := cmd.CombinedOutput()
			sections := map[string]string{}
			for _, part := range strings.Split(string(out), "== ")[1:] {
				name, body, _ := strings.Cut(part, "\n")
				sections[name] = body
			}
			t.Logf("%s", out)

			if s := sections["init"]; !strings.Contains(s, "routed 169.254.170.23/32") && !strings.Contains(s, "operation not supported") {
				t.Errorf("init as the chart runs it failed:\n%s", s)
			}
			for _, addr := range []string{"169.254.170.23:80", "[fd00:ec2::23]:80"} {
				if want := "listening on http://" + addr + "/v1/credentials"; !strings.Contains(sections["agent"], want) {
					t.Errorf("the agent as the chart runs it: no %q:\n%s", want, sections["agent"])
				}
			}
			hybrid := strings.HasPrefix(variantOf(ds.Name), "hybrid")
			// As root (hybrid), the capability comes from the runtime, file
			// capability or not; as non-root, only from the file.
			if denied := strings.Contains(sections["agent, plain binary"], "permission denied"); denied == hybrid {
				t.Errorf("the agent's context on the plain binary: permission denied %v, want %v:\n%s", denied, !hybrid, sections["agent, plain binary"])
			}
			if s := sections["init, binary with the capability"]; !regexp.MustCompile(`execve .* failed|exit 1\d\d|exit 126`).MatchString(s) {
				t.Errorf("init's context exec'd the binary with cap_net_bind_service; the Dockerfile's plain copy would be pointless:\n%s", s)
			}
		})
	}
}

// asRuntime is the capsh command line that sets a process up as runc does
// for c's securityContext, then execs c's binary (mapped to bins).
func asRuntime(t *testing.T, capsh string, c *corev1.Container, bins map[string]string) string {
	t.Helper()
	sc := c.SecurityContext
	var add []string
	for _, a := range sc.Capabilities.Add {
		add = append(add, "cap_"+strings.ToLower(string(a)))
	}
	// Bounding set: the added capabilities only (capsh itself keeps
	// setuid, setgid and setpcap in it to do the rest; none of them is in
	// the process's permitted set afterwards).
	keep := map[string]bool{"cap_setuid": true, "cap_setgid": true, "cap_setpcap": true}
	for _, a := range add {
		keep[a] = true
	}
	var drop []string
	for _, c := range allCaps(t, capsh) {
		if !keep[c] {
			drop = append(drop, c)
		}
	}
	args := []string{capsh, "--drop=" + strings.Join(drop, ",")}
	uid := int64(0)
	if sc.RunAsUser != nil {
		uid = *sc.RunAsUser
	}
	if uid != 0 {
		args = append(args, "--keep=1", fmt.Sprintf("--gid=%d", uid), fmt.Sprintf("--uid=%d", uid))
	}
	args = append(args, "--caps="+strings.Join(add, ",")+"+ep")
	if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
		args = append(args, "--no-new-privs")
	}
	bin, ok := bins[c.Command[0]]
	if !ok {
		t.Fatalf("%s: command %q is not a binary of the image", c.Name, c.Command)
	}
	args = append(args, "--shell="+bin, "--")
	return shellQuote(append(args, c.Command[1:]...))
}

func allCaps(t *testing.T, capsh string) []string {
	t.Helper()
	out, err := exec.Command(capsh, "--print").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Bounding set =(.*)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("capsh --print: no bounding set:\n%s", out)
	}
	return strings.Split(strings.TrimSpace(string(m[1])), ",")
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
