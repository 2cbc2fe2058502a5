package eksauthtest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

const (
	testCluster = "prod"
	testRole    = "arn:aws:iam::111122223333:role/cart"
)

var testPod = eksauthtest.Pod{Cluster: testCluster, Namespace: "shop", ServiceAccount: "cart", Name: "cart-0"}

// newTestServer starts a server with one association (testPod's service
// account to testRole) and closes it when the test ends.
func newTestServer(t testing.TB, opts ...eksauthtest.Option) *eksauthtest.Server {
	t.Helper()
	srv := eksauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{
		Cluster: testCluster, Namespace: testPod.Namespace, ServiceAccount: testPod.ServiceAccount, RoleARN: testRole,
	})
	return srv
}

// rawRequest describes a hand-signed request; zero fields mean a valid
// request to srv.
type rawRequest struct {
	cluster  string
	path     string // overrides the path built from cluster
	method   string
	body     string // overrides {"token": token}
	token    string
	creds    *aws.Credentials
	region   string
	service  string
	signedAt time.Time
	unsigned bool                  // send no Authorization at all
	before   func(r *http.Request) // before signing
	after    func(r *http.Request) // after signing
}

// result is an answer, decoded.
type result struct {
	status  int
	code    string // X-Amzn-ErrorType up to ':'
	errType string // X-Amzn-ErrorType as sent
	message string
	header  http.Header
	body    []byte
}

func send(t testing.TB, srv *eksauthtest.Server, rr rawRequest) result {
	t.Helper()
	req := buildRequest(t, srv, rr)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	res := result{status: resp.StatusCode, header: resp.Header, body: body, errType: resp.Header.Get("X-Amzn-Errortype")}
	res.code, _, _ = strings.Cut(res.errType, ":")
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			t.Fatalf("error body %q is not JSON: %v", body, err)
		}
		res.message = e.Message
	}
	return res
}

func buildRequest(t testing.TB, srv *eksauthtest.Server, rr rawRequest) *http.Request {
	t.Helper()
	if rr.cluster == "" {
		rr.cluster = testCluster
	}
	if rr.path == "" {
		rr.path = "/clusters/" + rr.cluster + "/assume-role-for-pod-identity"
	}
	if rr.method == "" {
		rr.method = http.MethodPost
	}
	if rr.body == "" {
		b, _ := json.Marshal(map[string]string{"token": rr.token})
		rr.body = string(b)
	}
	creds := srv.NodeCredentials()
	if rr.creds != nil {
		creds = *rr.creds
	}
	if rr.region == "" {
		rr.region = srv.Region()
	}
	if rr.service == "" {
		rr.service = "eks-auth"
	}
	if rr.signedAt.IsZero() {
		rr.signedAt = time.Now()
	}
	req, err := http.NewRequest(rr.method, srv.URL+rr.path, bytes.NewReader([]byte(rr.body)))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if rr.before != nil {
		rr.before(req)
	}
	if !rr.unsigned {
		err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(rr.body), rr.service, rr.region, rr.signedAt)
		if err != nil {
			t.Fatalf("sign: %v", err)
		}
	}
	if rr.after != nil {
		rr.after(req)
	}
	return req
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// setBody replaces the body of r.
func setBody(r *http.Request, body string) {
	r.Body = io.NopCloser(strings.NewReader(body))
	r.ContentLength = int64(len(body))
}
