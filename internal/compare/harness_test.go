package compare_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/eksauth"
)

// The identical work every client does in the benchmarks: same region, same
// static node credentials, same cluster and token, same canned answer.
const (
	region  = "us-west-2"
	cluster = "demo"
	// endpoint is what both clients resolve for region; the floor uses it as is.
	endpoint = "https://eks-auth.us-west-2.api.aws"
)

var (
	nodeCreds = aws.Credentials{
		AccessKeyID:     "AKIAIOSFODNN7EXAMPLE",
		SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		Source:          "compare",
	}
	staticProvider = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return nodeCreds, nil
	})
	token         = strings.TrimSpace(mustRead("testdata/token.jwt"))
	successAnswer = []byte(strings.TrimSpace(mustRead("testdata/success.json")))
	successHeader = http.Header{
		"Content-Type":     {"application/json"},
		"X-Amzn-Requestid": {"7f3d9a52-3c1e-4b6f-9a0d-5e2c1b8a4f60"},
	}
)

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cannedDoer answers every request with the same status, headers and body,
// without a network: what remains is the client's own cost. It drains the
// request body as a transport would. Header is shared and must be treated as
// read-only, which every client here does.
type cannedDoer struct {
	status int
	header http.Header
	body   []byte
	delay  time.Duration // before answering, to let a herd pile up
	keep   bool          // keep the last request body in lastBody (tests only)
	calls  atomic.Int64
	last   atomic.Pointer[http.Request]
	// lastBody is the last request body, when keep is set.
	lastBody atomic.Pointer[[]byte]
}

func newCannedDoer() *cannedDoer {
	return &cannedDoer{status: http.StatusOK, header: successHeader, body: successAnswer}
}

func (d *cannedDoer) Do(req *http.Request) (*http.Response, error) {
	d.calls.Add(1)
	d.last.Store(req)
	if req.Body != nil {
		if d.keep {
			b, _ := io.ReadAll(req.Body)
			d.lastBody.Store(&b)
		} else {
			_, _ = io.Copy(io.Discard, req.Body)
		}
		_ = req.Body.Close()
	}
	if d.delay > 0 {
		time.Sleep(d.delay)
	}
	return &http.Response{
		Status:        http.StatusText(d.status),
		StatusCode:    d.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        d.header,
		Body:          io.NopCloser(bytes.NewReader(d.body)),
		ContentLength: int64(len(d.body)),
		Request:       req,
	}, nil
}

// newOurs and newOfficial build the two clients the same way: static node
// credentials, one region, the given HTTP client and optional endpoint.
func newOurs(doer eksauth.HTTPClient, baseEndpoint string, optFns ...func(*eksauth.Options)) *eksauth.Client {
	o := eksauth.Options{Region: region, Credentials: staticProvider, HTTPClient: doer}
	if baseEndpoint != "" {
		o.BaseEndpoint = aws.String(baseEndpoint)
	}
	return eksauth.New(o, optFns...)
}

func newOfficial(doer official.HTTPClient, baseEndpoint string, optFns ...func(*official.Options)) *official.Client {
	o := official.Options{Region: region, Credentials: staticProvider, HTTPClient: doer}
	if baseEndpoint != "" {
		o.BaseEndpoint = aws.String(baseEndpoint)
	}
	return official.New(o, optFns...)
}

func oursInput() *eksauth.AssumeRoleForPodIdentityInput {
	return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(cluster), Token: aws.String(token)}
}

func officialInput() *official.AssumeRoleForPodIdentityInput {
	return &official.AssumeRoleForPodIdentityInput{ClusterName: aws.String(cluster), Token: aws.String(token)}
}

// staticToken is the token retriever of the provider benchmarks.
func staticToken(context.Context) (string, error) { return token, nil }
