package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

func TestHostMatches(t *testing.T) {
	v4 := &net.TCPAddr{IP: net.ParseIP("169.254.170.23"), Port: 80}
	v6 := &net.TCPAddr{IP: net.ParseIP("fd00:ec2::23"), Port: 80}
	lo := &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8023}
	for _, tc := range []struct {
		host  string
		local *net.TCPAddr
		want  bool
	}{
		{"169.254.170.23", v4, true},
		{"169.254.170.23:80", v4, true},
		{"[fd00:ec2::23]", v6, true},
		{"[fd00:ec2::23]:80", v6, true},
		{"127.0.0.1:8023", lo, true},
		{"localhost:8023", lo, true},
		{"169.254.170.23:81", v4, false},     // another port
		{"fd00:ec2::23", v4, false},          // the other address
		{"attacker.example", v4, false},      // DNS rebinding
		{"localhost", v4, false},             // loopback name on the link-local address
		{"127.0.0.1:8023", v4, false},        // an address the connection did not reach
		{"169.254.170.23.nip.io", v4, false}, // a name that resolves to it
		{"", v4, false},
	} {
		if got := hostMatches(tc.host, tc.local); got != tc.want {
			t.Errorf("Host %q on %s: %v, want %v", tc.host, tc.local, got, tc.want)
		}
	}
}

// TestHostCheckOverHTTP: a request through a foreign name gets 403 JSON
// and never reaches the agent.
func TestHostCheckOverHTTP(t *testing.T) {
	ta := newTestAgent(t, nil)
	srv := httptest.NewServer(hostCheck(ta.agent))
	t.Cleanup(srv.Close)
	now := ta.clock.Now()
	tok := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	for host, want := range map[string]int{"": 200, "attacker.example": 403, "localhost.attacker.example": 403} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+credentialsPath, nil)
		if host != "" {
			req.Host = host
		}
		req.Header.Set("Authorization", tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d %s, want %d", host, resp.StatusCode, body, want)
		}
		var e struct{ Code string } // either case of the key
		if want == 403 && (resp.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &e) != nil || e.Code != codeForbiddenHost) {
			t.Errorf("Host %q: %s %s, want a JSON ForbiddenHost error", host, resp.Header.Get("Content-Type"), body)
		}
	}
	if n := len(ta.fake.calls()); n != 1 {
		t.Errorf("%d calls to EKS Auth, want 1 (the refused requests none)", n)
	}
}

func TestReadiness(t *testing.T) {
	agentSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(agentSrv.Close)
	gone, _ := net.Listen("tcp", "127.0.0.1:0")
	goneAddr := gone.Addr().String()
	gone.Close()

	var authErr error
	p := &probes{
		serving:  []string{agentSrv.Listener.Addr().String()},
		nodeAuth: func() error { return authErr },
		stats:    func() (int, int) { return 3, 2 },
		client:   probeClient(),
	}
	mux := newProbeMux(p)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		return rec.Code, rec.Body.String()
	}
	for _, tc := range []struct {
		name   string
		setup  func()
		path   string
		status int
		body   string
	}{
		{"healthz", func() {}, "/healthz", 200, `"status":"ok"`},
		{"ready", func() {}, "/readyz", 200, `"pods":2`},
		{"no IPv6 is still ready", func() { p.notServing = map[string]string{"[fd00:ec2::23]:80": "cannot assign requested address"} }, "/readyz", 200, `"not_serving":{"[fd00:ec2::23]:80"`},
		{"EKS Auth refuses the node", func() { authErr = fmt.Errorf("EKS Auth refuses the node's credentials (UnrecognizedClientException)") }, "/readyz", 503, "UnrecognizedClientException"},
		{"healthz while not ready", func() {}, "/healthz", 200, `"status":"ok"`},
		{"a listener gone", func() { authErr = nil; p.serving = append(p.serving, goneAddr) }, "/readyz", 503, "not serving on " + goneAddr},
		{"shutting down", func() { p.serving = p.serving[:1]; p.stopping.Store(true) }, "/readyz", 503, "shutting down"},
		{"metrics, when there are", func() {
			p.metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"metrics":1}`)
			})
			mux = newProbeMux(p)
		}, "/metrics", 200, `"metrics":1`},
	} {
		tc.setup()
		if status, body := get(tc.path); status != tc.status || !strings.Contains(body, tc.body) {
			t.Errorf("%s: %s = %d %s, want %d with %s", tc.name, tc.path, status, body, tc.status, tc.body)
		}
	}
}

// TestNodeAuth: the active check tells accepted node credentials from
// refused ones, against the emulator's real SigV4 check.
func TestNodeAuth(t *testing.T) {
	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	good := eksauth.NewFromConfig(srv.Config())
	badCfg := srv.Config()
	badCfg.Credentials = staticCreds("AKIAWRONGWRONGWRONG0", "wrong-secret")
	bad := eksauth.NewFromConfig(badCfg)

	srv.Associate(eksauthtest.Association{Cluster: "c1", Namespace: "ns", ServiceAccount: "sa", RoleARN: e2eRole})
	var logs syncBuffer
	n := newNodeAuth(good, srv.Config().Credentials, "c1", slog.New(slog.NewTextHandler(&logs, nil)))
	if n.ready() == nil {
		t.Error("ready before EKS Auth was asked")
	}
	n.check(context.Background(), 5*time.Second)
	if err := n.ready(); err != nil {
		t.Errorf("good credentials: %v", err)
	}
	if strings.Contains(logs.String(), "no such cluster") {
		t.Errorf("warned of an unknown cluster that exists:\n%s", &logs)
	}
	// A cluster EKS Auth does not know: not ready (every pod would get
	// 404), and the operator is told; a pod's 404 (perhaps only a missing
	// association) does not make it ready.
	n = newNodeAuth(good, srv.Config().Credentials, "no-such-cluster", slog.New(slog.NewTextHandler(&logs, nil)))
	n.check(context.Background(), 5*time.Second)
	if err := n.ready(); err == nil || !strings.Contains(err.Error(), `EKS Auth knows no cluster "no-such-cluster"`) || !strings.Contains(logs.String(), "EKS Auth knows no such cluster: check -cluster") {
		t.Errorf("unknown cluster: ready %v, log:\n%s", err, &logs)
	}
	n.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{ClusterName: strPtr("no-such-cluster"), Token: strPtr(probeToken)})
	if n.ready() == nil {
		t.Error("unknown cluster: a pod's 404 made it ready")
	}
	// EKS Auth unreachable: the transport's ResponseError with status 0 is
	// no answer, and readiness says so.
	gone, _ := net.Listen("tcp", "127.0.0.1:0")
	goneCfg := srv.Config()
	goneCfg.BaseEndpoint = aws.String("http://" + gone.Addr().String())
	gone.Close()
	n = newNodeAuth(eksauth.NewFromConfig(goneCfg, func(o *eksauth.Options) { o.RetryMaxAttempts = 1 }), srv.Config().Credentials, "c1", discardLog())
	n.check(context.Background(), 5*time.Second)
	if err := n.ready(); err == nil || !strings.Contains(err.Error(), "EKS Auth not reached yet") {
		t.Errorf("EKS Auth unreachable: %v, want not reached yet", err)
	}
	n = newNodeAuth(bad, badCfg.Credentials, "c1", discardLog())
	n.check(context.Background(), 5*time.Second)
	if err := n.ready(); err == nil || !strings.Contains(err.Error(), "EKS Auth refuses the node's credentials (UnrecognizedClientException)") {
		t.Errorf("wrong credentials: %v, want refused", err)
	}
	// Answers to pods teach it too: a faulty EKS Auth says nothing.
	srv.Inject(eksauthtest.Fault{Status: 503, Code: "ServiceUnavailableException"})
	n = newNodeAuth(good, srv.Config().Credentials, "c1", discardLog())
	n.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{ClusterName: strPtr("c1"), Token: strPtr(probeToken)},
		func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	if n.ready() == nil {
		t.Error("a 503 made it ready")
	}
	n.AssumeRoleForPodIdentity(context.Background(), &eksauth.AssumeRoleForPodIdentityInput{ClusterName: strPtr("c1"), Token: strPtr(probeToken)})
	if err := n.ready(); err != nil {
		t.Errorf("after an InvalidTokenException (signature accepted): %v", err)
	}
}

// TestRotateCredentials: a hybrid node's agent re-reads the shared
// credentials file under it. Started with credentials EKS Auth refuses,
// it is not ready and pods get errors; once the file is rewritten with
// good ones, the next pod gets credentials and the agent is ready, with
// no restart.
func TestRotateCredentials(t *testing.T) {
	hermeticEnv(t)
	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: e2eCluster, Namespace: e2ePod.Namespace, ServiceAccount: e2ePod.ServiceAccount, RoleARN: e2eRole})
	file := filepath.Join(t.TempDir(), "credentials")
	write := func(id, secret, session string) {
		// As nodeadm does: the whole file at once.
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n", id, secret, session)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	write("AKIAEXPIREDEXPIRED00", "expired-secret", "expired-session")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)

	ctx, cancel := context.WithCancel(context.Background())
	out := make(lines, 10)
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-cluster", e2eCluster, "-endpoint", srv.URL, "-listen", "127.0.0.1:0", "-probe-port", "0", "-rotate-credentials"}, out, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	var url, probeURL string
	for probeURL == "" {
		line := <-out
		if m := regexp.MustCompile(`listening on (\S+)$`).FindStringSubmatch(line); m != nil {
			url = m[1]
		} else if m := regexp.MustCompile(`probes on (\S+)/readyz$`).FindStringSubmatch(line); m != nil {
			probeURL = m[1]
		}
	}
	waitReady := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); getStatus(t, probeURL+"/readyz") != want; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("/readyz never %d:\n%s", want, stderr)
			}
		}
	}
	waitReady(503)
	token := srv.Token(e2ePod, time.Hour)
	getCreds := func() int {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := getCreds(); got == 200 {
		t.Fatal("credentials with node credentials EKS Auth refuses")
	}

	node := srv.NodeCredentials()
	write(node.AccessKeyID, node.SecretAccessKey, node.SessionToken)
	if got := getCreds(); got != 200 {
		t.Errorf("after the rewrite: %d, want 200\n%s", got, stderr)
	}
	waitReady(200)
	for _, s := range []string{node.SecretAccessKey, node.SessionToken, "expired-secret", token} {
		if strings.Contains(stderr.String(), s) {
			t.Error("a secret in the log")
		}
	}
}

// TestNodeIdentityFromIMDS: the SDK's IMDS client against a local fake
// IMDS (token, then metadata): what flags left empty comes from it, the
// zone as the availability-zone ID; flags win; a silent IMDS costs at most
// a second.
func TestNodeIdentityFromIMDS(t *testing.T) {
	var (
		mu    sync.Mutex // the lookups run at once
		asked []string
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			io.WriteString(w, "imds-session-token")
			return
		}
		if r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-session-token" {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		v, ok := map[string]string{
			"/latest/meta-data/local-hostname":                 "ip-10-0-1-2.us-west-2.compute.internal",
			"/latest/meta-data/instance-id":                    "i-0123456789abcdef0",
			"/latest/meta-data/placement/availability-zone-id": "usw2-az1",
			"/latest/meta-data/placement/availability-zone":    "us-west-2a",
		}[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, v)
	}))
	t.Cleanup(fake.Close)
	client := imds.New(imds.Options{Endpoint: fake.URL})

	got := imdsIdentity(context.Background(), client, nodeIdentity{}, discardLog())
	if want := (nodeIdentity{"ip-10-0-1-2.us-west-2.compute.internal", "i-0123456789abcdef0", "usw2-az1"}); got != want {
		t.Errorf("from IMDS: %+v, want %+v", got, want)
	}
	mu.Lock()
	asked = nil
	mu.Unlock()
	got = imdsIdentity(context.Background(), client, nodeIdentity{nodeName: "node-a", zone: "use1-az4"}, discardLog())
	mu.Lock()
	defer mu.Unlock()
	if want := (nodeIdentity{"node-a", "i-0123456789abcdef0", "use1-az4"}); got != want || len(asked) != 1 {
		t.Errorf("flags and IMDS: %+v after asking %v, want %+v after asking for the instance ID only", got, asked, want)
	}

	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(silent.Close)
	start := time.Now()
	got = imdsIdentity(context.Background(), imds.New(imds.Options{Endpoint: silent.URL}), nodeIdentity{instanceID: "i-1"}, discardLog())
	if took := time.Since(start); took > identityTimeout+500*time.Millisecond || got != (nodeIdentity{instanceID: "i-1"}) {
		t.Errorf("silent IMDS: %+v after %v, want the flags within %v", got, took, identityTimeout)
	}
	silent.CloseClientConnections()
}

// TestVersion: the stamped version, by -ldflags -X as the Dockerfile
// builds it, on both forms.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "agent")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=v9.8.7-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"server", "-version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil || string(out) != "pod-identity-agent v9.8.7-test\n" {
			t.Errorf("%v: %q, %v", args, out, err)
		}
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "devel-0123456789ab-dirty"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
	} {
		if got := versionFromBuildInfo(&tc.bi); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.bi.Main, got, tc.want)
		}
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

func strPtr(s string) *string { return &s }

func staticCreds(id, secret string) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, nil
	})
}

// TestFileCredentialsFollowRewrites: a rewrite is read at the next
// Retrieve (no refusal needed), a read is kept while the file is the same,
// and a file being rewritten (empty for a moment) does not lose the last
// good credentials.
func TestFileCredentialsFollowRewrites(t *testing.T) {
	file := filepath.Join(t.TempDir(), "credentials")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", file)
	t.Setenv("AWS_PROFILE", "")
	write := func(id string) {
		if err := os.WriteFile(file, []byte("[default]\naws_access_key_id = "+id+"\naws_secret_access_key = s\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := newFileCredentials()
	ctx := context.Background()
	if _, err := p.Retrieve(ctx); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("no file: %v, want an error naming it", err)
	}
	write("AKIAFIRST")
	if c, err := p.Retrieve(ctx); err != nil || c.AccessKeyID != "AKIAFIRST" || !c.CanExpire {
		t.Fatalf("first read: %+v, %v", c.AccessKeyID, err)
	}
	write("AKIASECOND") // another size and modification time
	if c, _ := p.Retrieve(ctx); c.AccessKeyID != "AKIASECOND" {
		t.Errorf("after a rewrite: %s, want AKIASECOND", c.AccessKeyID)
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := p.Retrieve(ctx); err != nil || c.AccessKeyID != "AKIASECOND" {
		t.Errorf("while rewritten: %s, %v, want the last good credentials", c.AccessKeyID, err)
	}
}

// TestShutdownWithinItsTimeout: a request stuck on a slow EKS Auth does
// not hold the agent past -shutdown-timeout (the chart's grace period is
// longer by design; the official agent's wait is not).
func TestShutdownWithinItsTimeout(t *testing.T) {
	srv := emulatorForRun(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(lines, 10)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-cluster", e2eCluster, "-region", srv.Region(), "-endpoint", srv.URL, "-listen", "127.0.0.1:0", "-probe-port", "0",
			"-upstream-timeout", "30s", "-shutdown-timeout", "500ms"}, out, io.Discard)
	}()
	var url, probeURL string
	for probeURL == "" {
		line := <-out
		if m := regexp.MustCompile(`listening on (\S+)$`).FindStringSubmatch(line); m != nil {
			url = m[1]
		} else if m := regexp.MustCompile(`probes on (\S+)/readyz$`).FindStringSubmatch(line); m != nil {
			probeURL = m[1]
		}
	}
	for deadline := time.Now().Add(20 * time.Second); getStatus(t, probeURL+"/readyz") != 200; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
	}
	srv.Inject(eksauthtest.Fault{Delay: time.Minute})
	go func() {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", srv.Token(e2ePod, time.Hour))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if rs := srv.Requests(); len(rs) > 0 && rs[len(rs)-1].Fault && !rs[len(rs)-1].Done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow call never reached EKS Auth")
		}
	}
	start := time.Now()
	cancel()
	select {
	case <-done:
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("shutdown took %v, want about -shutdown-timeout (500ms)", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not stop within 10 s of SIGTERM")
	}
}
