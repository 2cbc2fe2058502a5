package node

// TestNodeInABox runs a node: the EKS Auth emulator, an agent on port 80 of
// 169.254.170.23 and [fd00:ec2::23], and pods, each a fresh process of a
// real client with only what EKS injects (AWS_CONTAINER_CREDENTIALS_FULL_URI,
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, an empty HOME). It does so twice,
// with our agent and with the official one, on the same emulator, and
// compares what each client got from each.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

const (
	cluster   = "box"
	namespace = "team-a"
	roleARN   = "arn:aws:iam::111122223333:role/web"
	accountID = "111122223333"
	// rotatingSA's credentials last less than every SDK's refresh window
	// (Go and JS: 5 min, botocore: 15 min), so that the SDK fetches again,
	// re-reading the rotated token file, on its next use.
	rotatingSA       = "rotating"
	rotatingLifetime = 4 * time.Minute
	rotationSteps    = 4 // the first token, then the rotated one thrice
)

// result is one JSON line of a client (testdata/client.*, internal/goclient).
type result struct {
	OK              bool   `json:"ok"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	AccountID       string `json:"accountId"`
	Expiration      string `json:"expiration"`
	Status          int    `json:"status"`
	Code            string `json:"code"`
	Message         string `json:"message"`
}

func (r result) String() string {
	if r.OK {
		return "credentials, expiring " + r.Expiration
	}
	s := fmt.Sprintf("error status=%d code=%q", r.Status, r.Code)
	if r.Status == 0 && r.Code == "" {
		s += fmt.Sprintf(" message=%q", clip(r.Message, 160))
	}
	return s
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// client is a real SDK, started as a pod.
type client struct {
	name string
	argv []string
	// earlyRefresh is how much before the real expiry the client reports
	// its credentials' expiry: the Go SDK's CredentialsCache moves Expires
	// back by its ExpiryWindow; botocore and the JS SDK keep the real time.
	earlyRefresh time.Duration
	// codes reports whether the client reads an error code, and on which
	// answers: the JS SDK's fromHttp reads {"Code"} of 4xx answers only,
	// and its default chain ends on another provider's error, so it shows
	// none.
	codes func(status int) bool
	// status reports whether the client shows the HTTP status.
	status bool
	// account reports whether the client reads AccountId (the JS SDK's
	// fromHttp does not).
	account bool
}

func clients() []client {
	js := filepath.Join(art.JSDir, "client.js")
	return []client{
		{name: "go", argv: []string{art.GoClient}, earlyRefresh: 5 * time.Minute,
			codes: func(int) bool { return true }, status: true, account: true},
		{name: "botocore", argv: []string{art.Python, art.PyScript},
			codes: func(int) bool { return true }, status: true, account: true},
		{name: "js-http", argv: []string{art.Node, js, "http"},
			codes: func(s int) bool { return s >= 400 && s < 500 }, status: true},
		{name: "js-chain", argv: []string{art.Node, js, "chain"},
			codes: func(int) bool { return false }},
	}
}

// versionOf names the client's SDK and version, as it prints them.
func versionOf(c client) string {
	if strings.HasPrefix(c.name, "js") {
		return art.Versions["js"]
	}
	return art.Versions[c.name]
}

// pod runs c once with the environment EKS gives a pod: url as
// AWS_CONTAINER_CREDENTIALS_FULL_URI, tokenFile (if not empty) as
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE and an empty HOME. It asks for
// credentials once per step; before each step but the first, between runs.
func pod(t *testing.T, c client, url, tokenFile string, steps int, between func(step int)) []result {
	t.Helper()
	home := t.TempDir()
	env := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_CONTAINER_CREDENTIALS_FULL_URI=" + url}
	if tokenFile != "" {
		env = append(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+tokenFile)
	}
	cmd := exec.Command(c.argv[0], c.argv[1:]...)
	cmd.Env, cmd.Dir = env, home
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Buffered for every answer, so that the reader never blocks on a
	// test that gave up.
	lines := make(chan string, steps+1)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // more lines than asked for: the test sees the count
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var out []result
	for i := 0; i < steps; i++ {
		if i > 0 && between != nil {
			between(i)
		}
		if _, err := io.WriteString(stdin, "get\n"); err != nil {
			t.Fatalf("%s: write: %v", c.name, err)
		}
		select {
		case line, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("%s exited without an answer; stderr:\n%s", c.name, stderr.String())
			}
			var r result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%s printed %q: %v", c.name, line, err)
			}
			out = append(out, r)
		case <-time.After(2 * time.Minute):
			_ = cmd.Process.Kill()
			t.Fatalf("%s gave no answer in 2 minutes; stderr:\n%s", c.name, stderr.String())
		}
	}
	stdin.Close()
	for line := range lines { // read to EOF before Wait closes the pipe
		t.Errorf("%s printed more than it was asked for: %q", c.name, line)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v; stderr:\n%s", c.name, err, stderr.String())
	}
	return out
}

// agentProc is an agent running in the box.
type agentProc struct {
	name string
	cmd  *exec.Cmd
	logs *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// nodeEnv is the node's environment for an agent: the node credentials
// the emulator accepts, from the SDK's default chain, and nothing else.
func nodeEnv(t *testing.T, emu *emulator) []string {
	n := emu.NodeCredentials()
	return []string{
		"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
		"AWS_REGION=" + emu.Region(), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=" + n.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + n.SecretAccessKey, "AWS_SESSION_TOKEN=" + n.SessionToken,
	}
}

// ourAgent starts examples/pod-identity-agent on both addresses: its
// defaults, when it has init.
func ourAgent(t *testing.T, emu *emulator) *agentProc {
	args := []string{"-cluster", cluster, "-endpoint", emu.Endpoint()}
	if !art.AgentInit {
		args = append(args, "-listen", agentIPv4+":80,["+agentIPv6+"]:80")
	}
	return startAgent(t, "podidentity", nodeEnv(t, emu), art.Agent, args...)
}

// officialAgent starts the official agent on both addresses, its probes
// and metrics on loopback.
func officialAgent(t *testing.T, emu *emulator) *agentProc {
	return startAgent(t, "official", nodeEnv(t, emu), art.Official, "server",
		"-c", cluster, "--endpoint", emu.Endpoint(), "-p", "80", // binds both addresses by default
		"--probe-port", "2703", "--metrics-port", "2705", "--metrics-address", "127.0.0.1")
}

func startAgent(t *testing.T, name string, env []string, bin string, args ...string) *agentProc {
	t.Helper()
	a := &agentProc{name: name, cmd: exec.Command(bin, args...), logs: &lockedBuffer{}}
	a.cmd.Env = env
	a.cmd.Stdout, a.cmd.Stderr = a.logs, a.logs
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = a.cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = a.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = a.cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("%s agent's log:\n%s", name, clip(a.logs.String(), 20000))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for _, addr := range []string{agentIPv4 + ":80", "[" + agentIPv6 + "]:80"} {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-exited:
				t.Fatalf("%s agent exited: %v\n%s", name, a.cmd.ProcessState, a.logs.String())
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s agent is not listening on %s after 30 s: %v\n%s", name, addr, err, a.logs.String())
			}
		}
	}
	return a
}

// urls are the two addresses EKS injects.
var urls = map[string]string{
	"ipv4": "http://" + agentIPv4 + "/v1/credentials",
	"ipv6": "http://[" + agentIPv6 + "]/v1/credentials",
}

// errorCase is a pod whose agent must refuse it, and what our agent
// answers (the contract: EKS Auth's code and status for its verdicts,
// the agent's own for what it checks first, 5xx when EKS Auth fails).
type errorCase struct {
	name   string
	token  func(emu *emulator, podName string) string // "" for no token file
	down   bool                                       // EKS Auth unreachable
	status int
	code   string
}

var errorCases = []errorCase{
	{name: "no Authorization", status: 400, code: "InvalidRequestException"},
	{name: "garbage", status: 400, code: "InvalidTokenException",
		token: func(*emulator, string) string { return "garbage" }},
	{name: "another cluster's token", status: 400, code: "InvalidTokenException",
		token: func(emu *emulator, p string) string {
			return emu.Token(eksauthtest.Pod{Cluster: "other", Namespace: namespace, ServiceAccount: "web", Name: p}, 0)
		}},
	{name: "no association", status: 404, code: "ResourceNotFoundException",
		token: func(emu *emulator, p string) string {
			return emu.Token(eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: "nobody", Name: p}, 0)
		}},
	{name: "expired", status: 400, code: "ExpiredTokenException",
		token: func(emu *emulator, p string) string {
			return emu.Token(eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: "web", Name: p}, -time.Hour)
		}},
	{name: "EKS Auth down", down: true, status: 503, code: "ServiceUnavailableException",
		token: func(emu *emulator, p string) string {
			return emu.Token(eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: "web", Name: p}, 0)
		}},
}

// outcome is what one client got in one case from one agent.
type outcome struct {
	agent, client, url, cas string
	results                 []result
}

func TestNodeInABox(t *testing.T) {
	needBox(t)
	emu := startEmulator(t)
	emu.Associate(eksauthtest.Association{Cluster: cluster, Namespace: namespace, ServiceAccount: "web", RoleARN: roleARN})
	emu.Associate(eksauthtest.Association{Cluster: cluster, Namespace: namespace, ServiceAccount: rotatingSA, RoleARN: roleARN,
		CredentialLifetime: rotatingLifetime})
	emu.Token(eksauthtest.Pod{Cluster: "other", Namespace: namespace, ServiceAccount: "web"}, time.Hour) // the other cluster exists, with its own key

	cs := clients()
	for _, c := range cs {
		t.Logf("client %s: %s", c.name, versionOf(c))
	}
	t.Logf("official agent: %s", art.Versions["official"])
	t.Logf("box: %s", initNote)

	var mu sync.Mutex
	got := map[string]outcome{} // by agent/client/url/case
	keep := func(o outcome) {
		mu.Lock()
		defer mu.Unlock()
		got[o.agent+"/"+o.client+"/"+o.url+"/"+o.cas] = o
	}
	for _, ag := range []struct {
		name  string
		start func(*testing.T, *emulator) *agentProc
	}{{"podidentity", ourAgent}, {"official", officialAgent}} {
		t.Run(ag.name, func(t *testing.T) {
			ag.start(t, emu)
			// Cases that need EKS Auth up run in parallel, then those that
			// need it down.
			t.Run("up", func(t *testing.T) {
				for _, c := range cs {
					for urlName, url := range urls {
						t.Run(c.name+"/"+urlName, func(t *testing.T) {
							t.Parallel()
							runUpCases(t, emu, ag.name, c, urlName, url, keep)
						})
					}
				}
			})
			t.Run("down", func(t *testing.T) {
				emu.proxy.down()
				t.Cleanup(func() {
					if err := emu.proxy.up(); err != nil {
						t.Errorf("EKS Auth back up: %v", err)
					}
				})
				for _, c := range cs {
					for urlName, url := range urls {
						t.Run(c.name+"/"+urlName, func(t *testing.T) {
							t.Parallel()
							for _, ec := range errorCases {
								if ec.down {
									keep(runErrorCase(t, emu, ag.name, c, urlName, url, ec))
								}
							}
						})
					}
				}
			})
		})
	}

	t.Run("compare", func(t *testing.T) {
		for _, p := range compare(cs, got) {
			t.Error(p)
		}
	})
	t.Run("summary", func(t *testing.T) { summary(t, cs, got) })
}

// writeToken writes a token file as the kubelet does (no newline).
func writeToken(t *testing.T, path, token string) {
	t.Helper()
	// Write and rename, as the kubelet's atomic writer does, so that a
	// client reading it never sees half a token.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// podName is unique per agent, client, address and case, so that no agent
// answers a pod from what it cached for another.
func podName(agent, client, url, cas string) string {
	s := strings.ToLower(agent + "-" + client + "-" + url + "-" + cas)
	return strings.NewReplacer(" ", "-", "'", "").Replace(s)
}

func runUpCases(t *testing.T, emu *emulator, agent string, c client, urlName, url string, keep func(outcome)) {
	dir := t.TempDir()

	// Credentials and their expiry.
	t.Run("credentials", func(t *testing.T) {
		file := filepath.Join(dir, "token")
		token := emu.Token(eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: "web", Name: podName(agent, c.name, urlName, "creds")}, 0)
		writeToken(t, file, token)
		rs := pod(t, c, url, file, 1, nil)
		keep(outcome{agent, c.name, urlName, "credentials", rs})
		checkIssued(t, emu, c, rs[0], token, true)
	})

	// Token rotation: the kubelet replaces the token file; the SDK's next
	// fetch (its short-lived credentials are due) sends the new token. The
	// JS SDK refreshes in the background and answers with what it has
	// meanwhile, so the pod asks a few times.
	t.Run("token rotation", func(t *testing.T) {
		file := filepath.Join(dir, "rotating")
		p := eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: rotatingSA, Name: podName(agent, c.name, urlName, "rot")}
		first := emu.Token(p, 0)
		writeToken(t, file, first)
		var second string
		rs := pod(t, c, url, file, rotationSteps, func(step int) {
			if step == 1 {
				time.Sleep(time.Second) // the kubelet's new token is issued later: a later iat
				second = emu.Token(p, 0)
				writeToken(t, file, second)
				return
			}
			time.Sleep(300 * time.Millisecond)
		})
		keep(outcome{agent, c.name, urlName, "token rotation", rs})
		checkIssued(t, emu, c, rs[0], first, false)
		for _, r := range rs[1 : len(rs)-1] {
			if is, _ := emu.lookup(r.AccessKeyID); r.OK && is.token != first {
				checkIssued(t, emu, c, r, second, false)
			}
		}
		checkIssued(t, emu, c, rs[len(rs)-1], second, false)
	})

	for _, ec := range errorCases {
		if !ec.down {
			keep(runErrorCase(t, emu, agent, c, urlName, url, ec))
		}
	}
}

// checkIssued checks that r carries credentials the emulator issued for
// token, and (if expiry) the expiry EKS Auth set, as the client shows it.
func checkIssued(t *testing.T, emu *emulator, c client, r result, token string, expiry bool) {
	t.Helper()
	if !r.OK {
		t.Errorf("%s: %s, want credentials", c.name, r)
		return
	}
	is, ok := emu.lookup(r.AccessKeyID)
	switch {
	case !ok:
		t.Errorf("%s got access key %q, which EKS Auth never issued", c.name, r.AccessKeyID)
		return
	case is.token != token:
		t.Errorf("%s got the credentials issued for another token (a stale token file read, or another pod's credentials)", c.name)
	}
	if r.SecretAccessKey == "" || r.SessionToken == "" {
		t.Errorf("%s got credentials without a secret or a session token", c.name)
	}
	if c.account && r.AccountID != accountID {
		t.Errorf("%s got AccountId %q, want %s, the role's account", c.name, r.AccountID, accountID)
	}
	if !expiry {
		return
	}
	exp, err := time.Parse(time.RFC3339, r.Expiration)
	if err != nil {
		t.Errorf("%s: expiration %q: %v", c.name, r.Expiration, err)
		return
	}
	if want := is.expiration.Add(-c.earlyRefresh); !exp.Equal(want) {
		t.Errorf("%s: credentials expire at %s, want %s (EKS Auth's expiry %s, less the SDK's own window %v): the agent's Expiration must be EKS Auth's",
			c.name, exp.Format(time.RFC3339), want.Format(time.RFC3339), is.expiration.Format(time.RFC3339), c.earlyRefresh)
	}
}

func runErrorCase(t *testing.T, emu *emulator, agent string, c client, urlName, url string, ec errorCase) outcome {
	t.Helper()
	o := outcome{agent, c.name, urlName, ec.name, nil}
	t.Run(ec.name, func(t *testing.T) {
		file := ""
		if ec.token != nil {
			file = filepath.Join(t.TempDir(), "token")
			writeToken(t, file, ec.token(emu, podName(agent, c.name, urlName, ec.name)))
		}
		o.results = pod(t, c, url, file, 1, nil)
		r := o.results[0]
		if r.OK {
			t.Fatalf("%s got credentials, want an error", c.name)
		}
		if agent != "podidentity" {
			return // the official agent is compared with ours in compare
		}
		if c.status && r.Status != ec.status {
			t.Errorf("%s reports status %d, want %d (%s)", c.name, r.Status, ec.status, r)
		}
		wantCode := ""
		if c.codes(ec.status) {
			wantCode = ec.code
		}
		if r.Code != wantCode {
			t.Errorf("%s reports code %q, want %q (%s)", c.name, r.Code, wantCode, r)
		}
	})
	return o
}

// compare checks, client by client, that our agent gives as much as the
// official one: the same kind of success, and on errors the status class
// and a code wherever the official agent gave the client one. It returns
// what falls short.
func compare(cs []client, got map[string]outcome) []string {
	var problems []string
	report := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	cases := []string{"credentials", "token rotation"}
	for _, ec := range errorCases {
		cases = append(cases, ec.name)
	}
	for _, c := range cs {
		for urlName := range urls {
			for _, cas := range cases {
				key := "/" + c.name + "/" + urlName + "/" + cas
				ours, off := got["podidentity"+key], got["official"+key]
				if len(ours.results) == 0 || len(off.results) == 0 {
					continue // that run failed, and said why
				}
				for i := range min(len(ours.results), len(off.results)) {
					o, r := off.results[i], ours.results[i]
					switch {
					case o.OK != r.OK:
						report("%s %s %s: official agent: %s; ours: %s", c.name, urlName, cas, o, r)
					case o.OK:
						if o.AccountID != r.AccountID {
							report("%s %s %s: AccountId %q from the official agent, %q from ours", c.name, urlName, cas, o.AccountID, r.AccountID)
						}
					default:
						if o.Status != 0 && o.Status/100 != r.Status/100 {
							report("%s %s %s: status %d from the official agent, %d from ours", c.name, urlName, cas, o.Status, r.Status)
						}
						if o.Code != "" && r.Code == "" {
							report("%s %s %s: the official agent gives code %q, ours none", c.name, urlName, cas, o.Code)
						}
					}
				}
			}
		}
	}
	return problems
}

// summary prints what each client got from each agent.
func summary(t *testing.T, cs []client, got map[string]outcome) {
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n%s: %s\n", c.name, versionOf(c))
		for _, k := range keys {
			o := got[k]
			if o.client != c.name {
				continue
			}
			for i, r := range o.results {
				fmt.Fprintf(&b, "  %-11s %-4s %-24s #%d %s\n", o.agent, o.url, o.cas, i+1, r)
			}
		}
	}
	t.Logf("what each client got (official agent: %s):%s", art.Versions["official"], b.String())
}
