package eksauth_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// cannedClient answers every request with the same status, headers and
// body, without a network.
type cannedClient struct {
	status int
	header http.Header
	body   []byte
}

func (c *cannedClient) Do(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: c.status, Status: http.StatusText(c.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: c.header, Body: io.NopCloser(bytes.NewReader(c.body)), ContentLength: int64(len(c.body)), Request: r,
	}, nil
}

func fuzzClient(hc eksauth.HTTPClient) *eksauth.Client {
	return eksauth.New(eksauth.Options{
		Region: "us-west-2", Credentials: credentials(testCreds), HTTPClient: hc, Retryer: aws.NopRetryer{},
	})
}

func seed(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		f.Fatalf("no seeds in %s", pattern)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzDecodeSuccess(f *testing.F) {
	seed(f, "testdata/*.json")
	f.Add([]byte(`{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":1e3}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzClient(&cannedClient{status: 200, header: http.Header{}, body: body})
		out, err := c.AssumeRoleForPodIdentity(context.Background(), input())
		if err != nil {
			var de *smithy.DeserializationError
			var re *awshttp.ResponseError
			if !errors.As(err, &de) || !errors.As(err, &re) || re.HTTPStatusCode() != 200 {
				t.Fatalf("error %v: want a DeserializationError in a 200 ResponseError", err)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error contains the token: %v", err)
			}
			return
		}
		cr := out.Credentials
		if cr == nil || cr.AccessKeyId == nil || *cr.AccessKeyId == "" || cr.SecretAccessKey == nil || *cr.SecretAccessKey == "" ||
			cr.SessionToken == nil || *cr.SessionToken == "" || cr.Expiration == nil {
			t.Fatalf("success with incomplete credentials: %+v", cr)
		}
	})
}

func FuzzDecodeError(f *testing.F) {
	seed(f, "testdata/errors/*")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, hdr := range []string{"", "ExpiredTokenException", "aws#InvalidTokenException:http://x"} {
			h := http.Header{"X-Amzn-Requestid": {"rid-f"}}
			if hdr != "" {
				h.Set("X-Amzn-ErrorType", hdr)
			}
			c := fuzzClient(&cannedClient{status: 400, header: h, body: body})
			_, err := c.AssumeRoleForPodIdentity(context.Background(), input())
			var oe *smithy.OperationError
			var re *awshttp.ResponseError
			if !errors.As(err, &oe) || !errors.As(err, &re) || re.HTTPStatusCode() != 400 || re.ServiceRequestID() != "rid-f" {
				t.Fatalf("error %v: want an OperationError around a 400 ResponseError", err)
			}
			var ae smithy.APIError
			var de *smithy.DeserializationError
			if !errors.As(err, &ae) && !errors.As(err, &de) {
				t.Fatalf("error %v: neither an API error nor a DeserializationError", err)
			}
			if hdr != "" && ae != nil && !strings.EqualFold(ae.ErrorCode(), strings.TrimSuffix(strings.TrimPrefix(hdr, "aws#"), ":http://x")) {
				t.Fatalf("code %q ignores the header %q", ae.ErrorCode(), hdr)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Fatalf("error contains the token: %v", err)
			}
		}
	})
}
