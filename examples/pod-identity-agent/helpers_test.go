package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

// podAddr is the loopback address of pod i: like a pod on a node, each
// test pod has an address of its own (all of 127.0.0.0/8 is loopback on
// Linux, nothing to set up), and the agent limits new tokens per address.
func podAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{127, byte(1 + i>>16), byte(i >> 8), byte(i)})
}

// podHTTPClient is an HTTP client whose connections come from podAddr(i).
func podHTTPClient(tb testing.TB, i int) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: podAddr(i).AsSlice()}}
	t := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}
	tb.Cleanup(t.CloseIdleConnections)
	return &http.Client{Transport: t}
}

// isCall reports whether the emulator's request r was an
// AssumeRoleForPodIdentity call (POST /clusters/NAME/assume-role-for-pod-identity).
func isCall(r eksauthtest.Request) bool {
	rest, ok := strings.CutPrefix(r.Path, "/clusters/")
	return ok && strings.HasSuffix(rest, "/assume-role-for-pod-identity") && strings.Count(rest, "/") == 1
}

// Secrets the fake EKS Auth hands out; tests assert they never reach a log.
const (
	fakeSecretKey    = "fakeSecretAccessKey/0123456789abcdefghij"
	fakeSessionToken = "FakeSessionTokenQoJb3JpZ2luX2VjEJ//////////"
)

// fakeToken builds an unsigned token with pod claims, as a kubelet's token
// looks to the agent (which never checks signatures). sig tells tokens of
// one pod apart.
func fakeToken(t testing.TB, uid string, iat, exp time.Time, sig string) string {
	t.Helper()
	payload, err := json.Marshal(map[string]any{
		"aud": []string{"pods.eks.amazonaws.com"},
		"iat": iat.Unix(),
		"exp": exp.Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      "team-a",
			"pod":            map[string]string{"name": "web-" + uid, "uid": uid},
			"serviceaccount": map[string]string{"name": "web", "uid": "sa-uid"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0." + base64.RawURLEncoding.EncodeToString(payload) + "." + sig
}

// fakeEKSAuth is an assumer that records the tokens it is called with and
// answers with answer (default: fresh credentials for every token).
type fakeEKSAuth struct {
	mu     sync.Mutex
	tokens []string // guarded by mu
	answer func(ctx context.Context, token string) (*eksauth.AssumeRoleForPodIdentityOutput, error)
}

func (f *fakeEKSAuth) AssumeRoleForPodIdentity(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, _ ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	f.mu.Lock()
	n := len(f.tokens)
	f.tokens = append(f.tokens, *in.Token)
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		return answer(ctx, *in.Token)
	}
	return fakeOutput(n, time.Now().Add(6*time.Hour)), nil
}

func (f *fakeEKSAuth) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tokens...)
}

// fakeOutput is a success whose access key ID tells calls apart.
func fakeOutput(n int, expires time.Time) *eksauth.AssumeRoleForPodIdentityOutput {
	out := &eksauth.AssumeRoleForPodIdentityOutput{
		AssumedRoleUser: &types.AssumedRoleUser{
			Arn:          aws.String("arn:aws:sts::111122223333:assumed-role/web-role/eks-c1-web-x"),
			AssumeRoleId: aws.String("AROAEXAMPLE:eks-c1-web-x"),
		},
		Credentials: &types.Credentials{
			AccessKeyId:     aws.String("ASIAFAKE" + string(rune('A'+n%26)) + "0000000000"),
			SecretAccessKey: aws.String(fakeSecretKey),
			SessionToken:    aws.String(fakeSessionToken),
			Expiration:      aws.Time(expires),
		},
	}
	awsmiddleware.SetRequestIDMetadata(&out.ResultMetadata, "rid-ok")
	return out
}

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testAgent is an agent on a fake EKS Auth, with its log captured.
type testAgent struct {
	*agent
	fake  *fakeEKSAuth
	clock *testClock
	logs  *syncBuffer
}

func newTestAgent(t testing.TB, fn func(*agentOptions)) *testAgent {
	t.Helper()
	ta := &testAgent{fake: &fakeEKSAuth{}, clock: newTestClock(), logs: &syncBuffer{}}
	o := agentOptions{
		cluster:         "c1",
		client:          ta.fake,
		cacheSize:       100,
		idleTTL:         time.Hour,
		burst:           1,
		upstreamTimeout: 5 * time.Second,
		maxInflight:     8,
		logger:          slog.New(slog.NewTextHandler(ta.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		now:             ta.clock.Now,
	}
	if fn != nil {
		fn(&o)
	}
	ta.agent = newAgent(o)
	return ta
}

// response is an answer of the handler, decoded.
type response struct {
	status int
	header http.Header
	body   []byte
	creds  credentialsBody
	err    struct{ Code, Message string }
}

func (ta *testAgent) get(t testing.TB, path, token string) response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	return serve(t, ta.agent, req)
}

func serve(t testing.TB, h http.Handler, req *http.Request) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: body}
	if res.StatusCode == http.StatusOK {
		_ = json.Unmarshal(body, &r.creds)
	} else if err := json.Unmarshal(body, &r.err); err != nil {
		t.Errorf("error body %q is not JSON: %v", body, err)
	} else {
		// Exactly the keys the JS SDK v3 reads (encoding/json, like the
		// Go SDK, would match any case).
		var keys map[string]json.RawMessage
		_ = json.Unmarshal(body, &keys)
		_, code := keys["Code"]
		_, msg := keys["Message"]
		if len(keys) != 2 || !code || !msg {
			t.Errorf("error body %s: want exactly the keys Code and Message", body)
		}
	}
	return r
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitFor polls cond until it holds, failing the test after 10 s rather
// than hanging it until the binary's timeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// emulatorForRun starts an emulator with the e2e association and puts the
// node credentials it accepts in a hermetic environment, where run's
// default chain finds them, as a node's agent would.
func emulatorForRun(t *testing.T) *eksauthtest.Server {
	t.Helper()
	hermeticEnv(t)
	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{Cluster: e2eCluster, Namespace: e2ePod.Namespace, ServiceAccount: e2ePod.ServiceAccount, RoleARN: e2eRole})
	node := srv.NodeCredentials()
	t.Setenv("AWS_ACCESS_KEY_ID", node.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", node.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", node.SessionToken)
	return srv
}
