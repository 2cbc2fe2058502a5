package eksauth_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
)

// Secrets used by the tests; none may ever appear in an error or a log line.
const (
	testToken        = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXNlY3JldA"
	testAccessKey    = "AKIDNODEEXAMPLE"
	testSecretKey    = "NODE-SECRET-KEY-0123456789"
	testSessionToken = "NODE-SESSION-TOKEN-9876543210"
	testBasePath     = "/base/path"
	testCluster      = "my-cluster"
)

// testCreds are the node credentials the tests sign with.
var testCreds = aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, SessionToken: testSessionToken, Source: "test"}

// recorded is a request a test server received.
type recorded struct {
	Method, Path string
	EscapedPath  string // as sent
	Header       http.Header
	Body         []byte
}

// answer is what the test server replies to one request.
type answer struct {
	Status int
	Header map[string]string
	Body   string
}

// testServer is an httptest server that answers requests with a queue of
// answers (the last one repeats) and records what it received.
type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	answers  []answer
	requests []recorded
}

func newTestServer(t testing.TB, answers ...answer) *testServer {
	t.Helper()
	ts := &testServer{answers: answers}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.requests = append(ts.requests, recorded{Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body})
		a := ts.answers[0]
		if len(ts.answers) > 1 {
			ts.answers = ts.answers[1:]
		}
		ts.mu.Unlock()
		for k, v := range a.Header {
			w.Header().Set(k, v)
		}
		if a.Status == 0 {
			a.Status = http.StatusOK
		}
		w.WriteHeader(a.Status)
		io.WriteString(w, a.Body)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) Requests() []recorded {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]recorded(nil), ts.requests...)
}

// successBody is the canned success answer.
func successBody(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/success.json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// noBackoff makes retries immediate, so tests stay fast.
func noBackoff(o *retry.StandardOptions) {
	o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
}

// newTestClient returns a client for ts with the test credentials, a
// base path prefix and no backoff.
func newTestClient(ts *testServer, optFns ...func(*eksauth.Options)) *eksauth.Client {
	opts := eksauth.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(ts.URL + testBasePath),
		Credentials:  credentials(testCreds),
		Retryer:      retry.NewStandard(noBackoff),
		HTTPClient:   ts.Client(),
	}
	return eksauth.New(opts, optFns...)
}

func credentials(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

func input() *eksauth.AssumeRoleForPodIdentityInput {
	return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(testCluster), Token: aws.String(testToken)}
}
