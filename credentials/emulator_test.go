package credentials_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

// These tests run the Provider over the real client against the emulator,
// so that the error chain and the token handling are the ones users get.

var testPod = eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", Name: "cart-0"}

type emulatorSetup struct {
	srv   *eksauthtest.Server
	clk   *clock
	path  string
	build func(optFns ...func(*credentials.Options)) *credentials.Provider
}

// newEmulatorSetup starts an emulator sharing clk with the Provider, with
// an association for testPod, and a token file for it.
func newEmulatorSetup(t *testing.T) *emulatorSetup {
	t.Helper()
	clk := &clock{now: time.Now().Truncate(time.Second)}
	srv := eksauthtest.NewServer(eksauthtest.WithClock(clk.Now), eksauthtest.WithCredentialLifetime(time.Hour))
	t.Cleanup(srv.Close)
	srv.Associate(eksauthtest.Association{
		Cluster: testPod.Cluster, Namespace: testPod.Namespace, ServiceAccount: testPod.ServiceAccount,
		RoleARN: "arn:aws:iam::111122223333:role/cart",
	})
	path := filepath.Join(t.TempDir(), "eks-pod-identity-token")
	s := &emulatorSetup{srv: srv, clk: clk, path: path}
	s.writeToken(t, srv.Token(testPod, 24*time.Hour))
	// One attempt per refresh: the Provider's own retry is under test.
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	s.build = func(optFns ...func(*credentials.Options)) *credentials.Provider {
		return credentials.NewWithClock(client, testPod.Cluster, credentials.TokenFile(path),
			clk.Now, func() float64 { return 0.5 }, optFns...)
	}
	return s
}

func (s *emulatorSetup) writeToken(t *testing.T, tok string) {
	t.Helper()
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		t.Fatal(err)
	}
}

func (s *emulatorSetup) advance(d time.Duration) {
	s.clk.mu.Lock()
	defer s.clk.mu.Unlock()
	s.clk.now = s.clk.now.Add(d)
}

func TestEmulatorErrorsKeepTheirTypes(t *testing.T) {
	tests := map[string]struct {
		token func(*eksauthtest.Server) string
		check func(error) bool
		code  string
	}{
		"expired token": {
			token: func(s *eksauthtest.Server) string { return s.Token(testPod, -time.Minute) },
			check: func(err error) bool { var e *types.ExpiredTokenException; return errors.As(err, &e) },
			code:  "ExpiredTokenException",
		},
		"no association": {
			token: func(s *eksauthtest.Server) string {
				return s.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "other"}, time.Hour)
			},
			check: func(err error) bool { var e *types.ResourceNotFoundException; return errors.As(err, &e) },
			code:  "ResourceNotFoundException",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := newEmulatorSetup(t)
			tok := tc.token(s.srv)
			s.writeToken(t, tok)
			_, err := s.build().Retrieve(context.Background())
			if err == nil {
				t.Fatal("Retrieve: got nil error")
			}
			if !tc.check(err) {
				t.Errorf("errors.As did not find the %s in %v", tc.code, err)
			}
			var oe *smithy.OperationError
			if !errors.As(err, &oe) || oe.OperationName != "AssumeRoleForPodIdentity" {
				t.Errorf("errors.As(*smithy.OperationError) failed on %v", err)
			}
			if !strings.HasPrefix(err.Error(), "credentials: refresh: operation error EKS Auth: AssumeRoleForPodIdentity") {
				t.Errorf("error text = %q", err)
			}
			if strings.Contains(err.Error(), tok) {
				t.Error("the error contains the token")
			}
		})
	}
}

func TestEmulatorBackgroundRefreshSurvivesAnOutage(t *testing.T) {
	s := newEmulatorSetup(t)
	p := s.build()
	first, err := p.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// Half of the 55 usable minutes later, the service is down.
	s.advance(28 * time.Minute)
	s.srv.Inject(eksauthtest.Fault{Status: 503})
	c, err := retrieve(t, context.Background(), p)
	if err != nil || c.AccessKeyID != first.AccessKeyID {
		t.Fatalf("Retrieve during the outage = %s, %v; want the cached key %s", c.AccessKeyID, err, first.AccessKeyID)
	}
	waitRefresh(t, p)
	reqs := s.srv.Requests()
	if got := reqs[len(reqs)-1].Status; got != 503 {
		t.Fatalf("background refresh answered %d, want 503", got)
	}

	// The token rotates; after the backoff the next Retrieve refreshes with it.
	rotated := s.srv.Token(testPod, 24*time.Hour)
	s.writeToken(t, rotated)
	s.advance(2 * time.Second)
	if c, err := retrieve(t, context.Background(), p); err != nil || c.AccessKeyID != first.AccessKeyID {
		t.Fatalf("Retrieve starting the retry = %s, %v; want the cached key", c.AccessKeyID, err)
	}
	waitRefresh(t, p)
	c, err = retrieve(t, context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if c.AccessKeyID == first.AccessKeyID {
		t.Error("the retried refresh did not replace the credentials")
	}
	reqs = s.srv.Requests()
	if last := reqs[len(reqs)-1]; last.Status != 200 || !bytes.Contains(last.Body, []byte(rotated)) {
		t.Errorf("the retry answered %d and sent the rotated token: %v; want 200, true", last.Status, bytes.Contains(last.Body, []byte(rotated)))
	}
	if got := len(reqs); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

func TestEmulatorInsideAWSConfig(t *testing.T) {
	s := newEmulatorSetup(t)
	cfg := aws.Config{Region: "us-west-2", Credentials: s.build()}
	for range 10 {
		c, err := cfg.Credentials.Retrieve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c.AccountID != "111122223333" || c.Source != credentials.ProviderName {
			t.Errorf("credentials = account %q source %q", c.AccountID, c.Source)
		}
	}
	if got := len(s.srv.Requests()); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}
