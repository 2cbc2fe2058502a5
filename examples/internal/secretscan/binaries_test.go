package secretscan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// binaryEnv is a hermetic environment for the binaries: no AWS_* variable
// of the machine, empty shared files, no instance metadata, the node's
// credentials, one attempt per call (the retries' backoff would only cost
// time; the client's retry log is scanned in-process).
func binaryEnv(t *testing.T, em *emulator) []string {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty, "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=" + node.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + node.SecretAccessKey, "AWS_SESSION_TOKEN=" + node.SessionToken,
		"AWS_REGION=" + em.Region(), "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=", "PAGER=",
	}
}

// echoFault is a scripted error whose message quotes the request's token
// and the node's session token.
func echoFault(code, token string) eksauthtest.Fault {
	return eksauthtest.Fault{Code: code, Message: "echo: token " + token + " session " + node.SessionToken}
}

// cliCase is one run of `eksauth assume-role-for-pod-identity --debug`.
type cliCase struct {
	name     string
	args     []string // after the command, --debug and --cluster-name
	env      []string // added to binaryEnv
	endpoint bool     // false: --endpoint-url is added
	faults   []eksauthtest.Fault
	echos    []echoKind
	ok       bool // exit status 0 and credentials on stdout
	noTrace  bool // refused before the trace starts (a usage error)
}

func testCLI(t *testing.T, bin string) {
	sc := newScanner(t)
	em := newEmulator(t, sc)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(em.token), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := em.token
	cases := []cliCase{
		{name: "success", args: []string{"--token", tok}, ok: true},
		{name: "token from file://", args: []string{"--token", "file://" + tokenFile}, ok: true},
		{name: "--cli-input-json", args: []string{"--cli-input-json", `{"clusterName":"demo","token":"` + tok + `"}`}, ok: true},
		{name: "--cli-input-yaml", args: []string{"--cli-input-yaml", "clusterName: demo\ntoken: " + tok + "\n"}, ok: true},
		{name: "AWS_ENDPOINT_URL_EKS_AUTH", args: []string{"--token", tok}, env: []string{"AWS_ENDPOINT_URL_EKS_AUTH=" + em.URL}, endpoint: true, ok: true},
		{name: "HTML 502 echoing", args: []string{"--token", tok}, faults: []eksauthtest.Fault{{Status: 502, Body: "<html>" + em.echoMessage() + "</html>"}}},
		{name: "2xx not decodable, with scripted credentials", args: []string{"--token", tok}, faults: []eksauthtest.Fault{{Status: 200, Body: scriptedBody(true)}}},
		{name: "truncated scripted credentials", args: []string{"--token", tok}, faults: []eksauthtest.Fault{{Status: 200, Body: scriptedBody(false), Truncate: true}}},
		{name: "dropped", args: []string{"--token", tok}, faults: []eksauthtest.Fault{{Drop: true}}},
		{name: "read timeout", args: []string{"--token", tok, "--cli-read-timeout", "1"}, faults: []eksauthtest.Fault{{Delay: time.Minute}}},
		{name: "echo in the message", args: []string{"--token", tok}, echos: []echoKind{echoInMessage}},
		{name: "echo in the code and request ID", args: []string{"--token", tok}, echos: []echoKind{echoInCode}},
		{name: "echo in an HTML page", args: []string{"--token", tok}, echos: []echoKind{echoInHTML}},
		{name: "echo in a broken 2xx", args: []string{"--token", tok}, echos: []echoKind{echoInBadSucces}},
		{name: "connection refused", args: []string{"--token", tok, "--endpoint-url", closedURL(t)}, endpoint: true},
		{name: "token with a newline", args: []string{"--token", tok + "\n"}},
		{name: "token with a fourth part", args: []string{"--token", tok + ".x"}},
		{name: "bad cluster name", args: []string{"--token", tok, "--cluster-name", "bad name"}},
		{name: "wrong node secret key", args: []string{"--token", tok}, env: []string{"AWS_SECRET_ACCESS_KEY=wrongNodeSecretKey/ScAn+0123456789abcdefghij"}},
		{name: "misspelt option before the token", args: []string{"--tokn", tok}, noTrace: true},
		{name: "extra argument: the token", args: []string{"--token", tok, tok}, noTrace: true},
	}
	sc.add("wrong node secret key", "wrongNodeSecretKey/ScAn+0123456789abcdefghij")
	for _, code := range apiCodes {
		cases = append(cases, cliCase{name: code + " echoing", args: []string{"--token", tok}, faults: []eksauthtest.Fault{echoFault(code, tok)}})
	}
	env := binaryEnv(t, em)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"assume-role-for-pod-identity", "--debug", "--cluster-name", "demo"}, tc.args...)
			if !tc.endpoint {
				args = append(args, "--endpoint-url", em.URL)
			}
			faultsBefore := countFaults(em)
			em.Inject(tc.faults...)
			em.echo(tc.echos...)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			cmd.Env = append(append([]string(nil), env...), tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("run: %v", err)
			}

			if (err == nil) != tc.ok {
				t.Errorf("exit %v, want success: %v; stderr:\n%s", err, tc.ok, sc.show(lastLines(stderr.String(), 5)))
			}
			if n := countFaults(em) - faultsBefore; n != len(tc.faults) {
				t.Errorf("%d of the %d scripted faults answered", n, len(tc.faults))
			}
			if n := em.pendingEchos(); n > 0 {
				t.Errorf("%d echo answers not used", n)
			}
			if !tc.noTrace && !strings.Contains(stderr.String(), " - DEBUG - ") {
				t.Errorf("no --debug trace on stderr:\n%s", sc.show(stderr.String()))
			}
			var allowed []string
			if tc.ok {
				var out struct {
					Credentials struct{ SecretAccessKey, SessionToken string }
				}
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
					t.Fatalf("stdout is not JSON: %v", err)
				}
				sc.add("issued secret key", out.Credentials.SecretAccessKey)
				sc.add("issued session token", out.Credentials.SessionToken)
				allowed = []string{out.Credentials.SecretAccessKey, out.Credentials.SessionToken}
			}
			sc.check(t, "stderr", stderr.String())
			sc.check(t, "stdout", stdout.String(), allowed...) // the credentials are the CLI's output
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// syncBuffer is a bytes.Buffer for a writer in another goroutine; changed
// receives after each write.
type syncBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{changed: make(chan struct{}, 1)} }

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// agentCase is one pod request to the agent.
type agentCase struct {
	name   string
	token  func(em *emulator, i int) string // "" sends no Authorization
	faults func(token string) []eksauthtest.Fault
	echos  []echoKind
	status int // the status answered
}

func testAgent(t *testing.T, bin string) {
	sc := newScanner(t)
	em := newEmulator(t, sc)
	fresh := func(em *emulator, i int) string {
		p := pod
		p.Name = fmt.Sprintf("agent-pod-%d", i)
		return em.mint(p)
	}
	faults := func(fs ...func(token string) eksauthtest.Fault) func(string) []eksauthtest.Fault {
		return func(token string) []eksauthtest.Fault {
			var out []eksauthtest.Fault
			for _, f := range fs {
				out = append(out, f(token))
			}
			return out
		}
	}
	cases := []agentCase{
		{name: "success", token: func(em *emulator, _ int) string { return em.token }, status: 200},
		{name: "success from the cache", token: func(em *emulator, _ int) string { return em.token }, status: 200},
		{name: "HTML 502 echoing", token: fresh, faults: faults(func(tok string) eksauthtest.Fault {
			return eksauthtest.Fault{Status: 502, Body: "<html>echo " + tok + " " + node.SessionToken + "</html>"}
		}), status: 502},
		{name: "2xx not decodable, with scripted credentials", token: fresh, faults: faults(func(string) eksauthtest.Fault {
			return eksauthtest.Fault{Status: 200, Body: scriptedBody(true)}
		}), status: 502},
		{name: "truncated scripted credentials", token: fresh, faults: faults(func(string) eksauthtest.Fault {
			return eksauthtest.Fault{Status: 200, Body: scriptedBody(false), Truncate: true}
		}), status: 502},
		{name: "dropped", token: fresh, faults: faults(func(string) eksauthtest.Fault { return eksauthtest.Fault{Drop: true} }), status: 503},
		{name: "upstream timeout", token: fresh, faults: faults(func(string) eksauthtest.Fault { return eksauthtest.Fault{Delay: time.Minute} }), status: 504},
		{name: "echo in the message", token: fresh, echos: []echoKind{echoInMessage}, status: 400},
		{name: "echo in the code and request ID", token: fresh, echos: []echoKind{echoInCode}, status: 502},
		{name: "echo in an HTML page", token: fresh, echos: []echoKind{echoInHTML}, status: 502},
		{name: "echo in a broken 2xx", token: fresh, echos: []echoKind{echoInBadSucces}, status: 502},
		{name: "no token", token: func(*emulator, int) string { return "" }, status: 400},
		{name: "not a token", token: func(em *emulator, i int) string {
			tok := "not-a-jwt-but-a-secret-" + fresh(em, i)[40:80]
			em.sc.add("malformed token", tok)
			return tok
		}, status: 400},
		{name: "Bearer token", token: func(em *emulator, i int) string { return "Bearer " + fresh(em, i) }, status: 400},
		{name: "forged token", token: func(em *emulator, i int) string {
			tok := fresh(em, i)
			forged := tok[:strings.LastIndex(tok, ".")+1] + "Zm9yZ2VkLXNpZ25hdHVyZS1zZWNyZXRzY2FuLWFnZW50MDEyMzQ1"
			em.sc.add("forged token", forged)
			return forged
		}, status: 400},
		{name: "token of another cluster", token: func(em *emulator, i int) string {
			return em.mint(eksauthtest.Pod{Cluster: "other", Namespace: "default", ServiceAccount: "app", Name: fmt.Sprint("other-", i)})
		}, status: 400},
		{name: "token without an association", token: func(em *emulator, i int) string {
			return em.mint(eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "nobody", Name: fmt.Sprint("nobody-", i)})
		}, status: 404},
	}
	for _, code := range apiCodes {
		status := map[string]int{"ResourceNotFoundException": 404, "ThrottlingException": 429, "InternalServerException": 500, "ServiceUnavailableException": 503}[code]
		if status == 0 {
			status = 400
		}
		cases = append(cases, agentCase{name: code + " echoing", token: fresh, faults: faults(func(tok string) eksauthtest.Fault { return echoFault(code, tok) }), status: status})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-cluster", "demo", "-region", em.Region(), "-endpoint", em.URL,
		"-listen", "127.0.0.1:0", "-probe-port", "0", "-log-level", "DEBUG", "-upstream-timeout", "1s", "-shutdown-timeout", "5s")
	cmd.Env = binaryEnv(t, em)
	stdout, stderr := newSyncBuffer(), newSyncBuffer()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		// Whatever happened, the agent does not outlive the test.
		_ = cmd.Process.Kill()
		<-exited
	}()

	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+/v1/credentials)`)
	var url string
	for url == "" {
		select {
		case <-stdout.changed:
			if m := listening.FindStringSubmatch(stdout.String()); m != nil {
				url = m[1]
			}
		case err := <-exited:
			exited <- err
			t.Fatalf("the agent exited: %v\n%s", err, sc.show(stderr.String()))
		case <-ctx.Done():
			t.Fatalf("the agent did not listen:\n%s", sc.show(stderr.String()))
		}
	}

	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 20 * time.Second}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token(em, i)
			faultsBefore := countFaults(em)
			var fs []eksauthtest.Fault
			if tc.faults != nil {
				fs = tc.faults(tok)
			}
			em.Inject(fs...)
			em.echo(tc.echos...)
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tok != "" {
				req.Header.Set("Authorization", tok)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tc.status, sc.show(string(body)))
			}
			if n := countFaults(em) - faultsBefore; n != len(fs) {
				t.Errorf("%d of the %d scripted faults answered", n, len(fs))
			}
			if n := em.pendingEchos(); n > 0 {
				t.Errorf("%d echo answers not used", n)
			}
			var allowed []string
			if resp.StatusCode == 200 {
				var creds struct{ SecretAccessKey, Token string }
				if err := json.Unmarshal(body, &creds); err != nil {
					t.Fatal(err)
				}
				sc.add("issued secret key", creds.SecretAccessKey)
				sc.add("issued session token", creds.Token)
				allowed = []string{creds.SecretAccessKey, creds.Token} // what the agent is for
			}
			sc.check(t, "the answer", string(body), allowed...)
		})
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("the agent exited with %v after SIGINT, want 0", err)
		}
	case <-ctx.Done():
		t.Fatal("the agent did not stop after SIGINT")
	}
	logs := stderr.String()
	for _, want := range []string{`msg="agent started"`, `msg="eksauth call"`, `msg="eksauth call failed"`, `msg="shutting down"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the agent's log lacks %s", want)
		}
	}
	sc.check(t, "the agent's stderr", logs)
	sc.check(t, "the agent's stdout", stdout.String())
}
