package eksauth_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
)

// closeRecorder is a response body that records whether it was closed and
// how much of it was read.
type closeRecorder struct {
	io.Reader
	closed bool
}

func (b *closeRecorder) Close() error { b.closed = true; return nil }

// scriptedClient answers with the given status/body pairs in turn and keeps
// the bodies it handed out.
type scriptedClient struct {
	answers []answer
	bodies  []*closeRecorder
}

func (c *scriptedClient) Do(r *http.Request) (*http.Response, error) {
	a := c.answers[min(len(c.bodies), len(c.answers)-1)]
	b := &closeRecorder{Reader: strings.NewReader(a.Body)}
	c.bodies = append(c.bodies, b)
	h := http.Header{}
	for k, v := range a.Header {
		h.Set(k, v)
	}
	if a.Status == 0 {
		a.Status = 200
	}
	return &http.Response{StatusCode: a.Status, Header: h, Body: b, Request: r}, nil
}

// padTo pads a JSON document with trailing spaces to n bytes.
func padTo(t *testing.T, doc string, n int) string {
	t.Helper()
	if len(doc) > n {
		t.Fatalf("document of %d bytes longer than %d", len(doc), n)
	}
	return doc + strings.Repeat(" ", n-len(doc))
}

func TestBodySizeLimitAndClose(t *testing.T) {
	b, err := os.ReadFile("testdata/success.json")
	if err != nil {
		t.Fatal(err)
	}
	success := string(b)
	errBody := `{"code":"InternalServerException","message":"x"}`
	tests := map[string]struct {
		answers []answer
		wantErr string // "" for success
	}{
		"success of exactly the limit":    {answers: []answer{{Body: padTo(t, success, eksauth.MaxResponseBodySize)}}},
		"success one byte over the limit": {answers: []answer{{Body: padTo(t, success, eksauth.MaxResponseBodySize+1)}}, wantErr: "exceeds"},
		"error of exactly the limit": {answers: []answer{{Status: 400, Body: padTo(t, `{"code":"InvalidTokenException","message":"x"}`, eksauth.MaxResponseBodySize)}},
			wantErr: "InvalidTokenException"},
		"error one byte over the limit": {answers: []answer{{Status: 400, Body: padTo(t, errBody, eksauth.MaxResponseBodySize+1)}}, wantErr: "exceeds"},
		"retried then success":          {answers: []answer{{Status: 500, Body: errBody}, {Status: 503, Body: "not json"}, {Body: success}}},
		"retries exhausted":             {answers: []answer{{Status: 500, Body: errBody}}, wantErr: "InternalServerException"},
	}
	for name, tt := range tests {
		for _, mode := range []aws.ClientLogMode{0, aws.LogResponseWithBody} {
			t.Run(name, func(t *testing.T) {
				hc := &scriptedClient{answers: tt.answers}
				c := eksauth.New(eksauth.Options{
					Region: "us-west-2", Credentials: credentials(testCreds), HTTPClient: hc,
					Retryer: retry.NewStandard(noBackoff), ClientLogMode: mode, Logger: &recordingLogger{},
				})
				_, err := c.AssumeRoleForPodIdentity(context.Background(), input())
				switch {
				case tt.wantErr == "" && err != nil:
					t.Errorf("log mode %d: error %v, want success", mode, err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Errorf("log mode %d: error %v, want one containing %q", mode, err, tt.wantErr)
				}
				for i, b := range hc.bodies {
					if !b.closed {
						t.Errorf("log mode %d: body of attempt %d not closed", mode, i+1)
					}
				}
			})
		}
	}
}

// oddClient returns a response without a body, or no response and no error,
// as a broken HTTPClient (a test double, say) may.
type oddClient struct{ resp *http.Response }

func (c oddClient) Do(*http.Request) (*http.Response, error) { return c.resp, nil }

func TestOddHTTPClientAnswersAreErrorsNotPanics(t *testing.T) {
	tests := map[string]*http.Response{
		"nil response, nil error": nil,
		"200 with a nil Body":     {StatusCode: 200, Header: http.Header{}},
		"500 with a nil Body":     {StatusCode: 500, Header: http.Header{}},
		"nil Header":              {StatusCode: 400, Body: http.NoBody},
	}
	for name, resp := range tests {
		t.Run(name, func(t *testing.T) {
			c := eksauth.New(eksauth.Options{
				Region: "us-west-2", Credentials: credentials(testCreds), HTTPClient: oddClient{resp},
				Retryer: aws.NopRetryer{},
			})
			var err error
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("panic: %v", p)
					}
				}()
				_, err = c.AssumeRoleForPodIdentity(context.Background(), input())
			}()
			if err == nil {
				t.Fatal("got no error")
			}
		})
	}
}
