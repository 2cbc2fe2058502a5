package compare_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"testing"

	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/eksauth"
)

// failingDoer fails every request with err, as a transport would.
type failingDoer struct {
	err   error
	calls atomic.Int64
}

func (d *failingDoer) Do(req *http.Request) (*http.Response, error) {
	d.calls.Add(1)
	return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: d.err}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestTransportErrors checks that both clients retry the same transport
// failures the same number of times, with the same error text.
func TestTransportErrors(t *testing.T) {
	tests := map[string]error{
		"connection refused": &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)},
		"connection reset":   &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)},
		"timeout":            &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}},
		"unexpected EOF":     io.ErrUnexpectedEOF,
		"EOF":                io.EOF,
		"other":              errors.New("something else"),
	}
	for name, cause := range tests {
		t.Run(name, func(t *testing.T) {
			oursDoer, offDoer := &failingDoer{err: cause}, &failingDoer{err: cause}
			ours := newOurs(oursDoer, "", func(o *eksauth.Options) { o.Retryer = instantRetryer() })
			off := newOfficial(offDoer, "", func(o *official.Options) { o.Retryer = instantRetryer() })
			_, oursErr := ours.AssumeRoleForPodIdentity(context.Background(), oursInput())
			_, offErr := off.AssumeRoleForPodIdentity(context.Background(), officialInput())
			if oursErr == nil || offErr == nil {
				t.Fatalf("errors: ours %v, official %v; want both", oursErr, offErr)
			}
			if got, want := oursErr.Error(), offErr.Error(); got != want {
				t.Errorf("error text:\n ours     %s\n official %s", got, want)
			}
			if !errors.Is(oursErr, cause) {
				t.Errorf("ours: errors.Is(err, cause) = false for %v", oursErr)
			}
			if got, want := oursDoer.calls.Load(), offDoer.calls.Load(); got != want {
				t.Errorf("attempts: ours %d, official %d", got, want)
			}
		})
	}
}
