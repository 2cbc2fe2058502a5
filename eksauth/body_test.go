package eksauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// endlessBody never ends; it counts what was read from it.
type endlessBody struct{ read int64 }

func (b *endlessBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	b.read += int64(len(p))
	return len(p), nil
}

func (b *endlessBody) Close() error { return nil }

type endlessClient struct {
	status int
	body   *endlessBody
}

func (c *endlessClient) Do(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.status, Header: http.Header{}, Body: c.body, Request: r}, nil
}

func TestEndlessBodyIsCapped(t *testing.T) {
	for _, status := range []int{200, 400} {
		hc := &endlessClient{status: status, body: &endlessBody{}}
		c := eksauth.New(eksauth.Options{Region: "us-west-2", Credentials: credentials(testCreds), HTTPClient: hc, Retryer: aws.NopRetryer{}})
		_, err := c.AssumeRoleForPodIdentity(context.Background(), input())
		var de *smithy.DeserializationError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "exceeds") {
			t.Errorf("status %d: error = %v, want a DeserializationError for the size", status, err)
		}
		if hc.body.read > 2*eksauth.MaxResponseBodySize {
			t.Errorf("status %d: read %d bytes of an endless body", status, hc.body.read)
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newTestServer(t, answer{Body: successBody(t)})
	for _, status := range []int{307, 308} {
		ts := newTestServer(t, answer{Status: status, Header: map[string]string{"Location": elsewhere.URL + "/steal"}})
		_, err := newTestClient(ts).AssumeRoleForPodIdentity(context.Background(), input())
		var re interface{ HTTPStatusCode() int }
		if !errors.As(err, &re) || re.HTTPStatusCode() != status {
			t.Errorf("status %d: error = %v, want the redirect answer as an error", status, err)
		}
	}
	if n := len(elsewhere.Requests()); n != 0 {
		t.Errorf("the signed request was replayed to the redirect target %d times", n)
	}
}
