package eksauthtest_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

func TestAnswersFollowOptions(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clockOpt := eksauthtest.WithClock(func() time.Time { return now })
	long := strings.Repeat("c", 40)
	tests := map[string]struct {
		opts       []eksauthtest.Option
		assoc      eksauthtest.Association
		pod        string
		lifetime   time.Duration
		assocARN   string // with %s for the ID
		roleARN    string // prefix of the assumed-role ARN
		sessionPre string
	}{
		"defaults": {
			assoc:    eksauthtest.Association{RoleARN: "arn:aws:iam::444455556666:role/path/to/app"},
			lifetime: 6 * time.Hour,
			assocARN: "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/%s",
			roleARN:  "arn:aws:sts::444455556666:assumed-role/app/", sessionPre: "eks-prod-cart-0-",
		},
		"target role": {
			assoc:    eksauthtest.Association{RoleARN: testRole, TargetRoleARN: "arn:aws:iam::777788889999:role/target"},
			lifetime: 59 * time.Minute,
			assocARN: "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/%s",
			roleARN:  "arn:aws:sts::777788889999:assumed-role/target/", sessionPre: "eks-prod-cart-0-",
		},
		"lifetime option wins over the target role's": {
			opts:     []eksauthtest.Option{eksauthtest.WithCredentialLifetime(15 * time.Minute)},
			assoc:    eksauthtest.Association{RoleARN: testRole, TargetRoleARN: "arn:aws:iam::777788889999:role/target"},
			lifetime: 15 * time.Minute,
			assocARN: "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/%s",
			roleARN:  "arn:aws:sts::777788889999:assumed-role/target/", sessionPre: "eks-prod-cart-0-",
		},
		"the association's lifetime wins over the option and the target role": {
			opts:     []eksauthtest.Option{eksauthtest.WithCredentialLifetime(15 * time.Minute)},
			assoc:    eksauthtest.Association{RoleARN: testRole, TargetRoleARN: "arn:aws:iam::777788889999:role/target", CredentialLifetime: 4 * time.Minute},
			lifetime: 4 * time.Minute,
			assocARN: "arn:aws:eks:us-west-2:111122223333:podidentityassociation/prod/%s",
			roleARN:  "arn:aws:sts::777788889999:assumed-role/target/", sessionPre: "eks-prod-cart-0-",
		},
		"region and account": {
			opts:     []eksauthtest.Option{eksauthtest.WithRegion("eu-west-3"), eksauthtest.WithAccountID("999988887777")},
			assoc:    eksauthtest.Association{RoleARN: "arn:aws:iam::999988887777:role/r"},
			lifetime: 6 * time.Hour,
			assocARN: "arn:aws:eks:eu-west-3:999988887777:podidentityassociation/prod/%s",
			roleARN:  "arn:aws:sts::999988887777:assumed-role/r/", sessionPre: "eks-prod-cart-0-",
		},
		"china partition": {
			opts:     []eksauthtest.Option{eksauthtest.WithRegion("cn-north-1")},
			assoc:    eksauthtest.Association{RoleARN: "arn:aws-cn:iam::111122223333:role/r"},
			lifetime: 6 * time.Hour,
			assocARN: "arn:aws-cn:eks:cn-north-1:111122223333:podidentityassociation/prod/%s",
			roleARN:  "arn:aws-cn:sts::111122223333:assumed-role/r/", sessionPre: "eks-prod-cart-0-",
		},
		"long names are cut to 64 characters": {
			assoc:    eksauthtest.Association{Cluster: long, RoleARN: testRole},
			pod:      strings.Repeat("p", 50),
			lifetime: 6 * time.Hour,
			assocARN: "arn:aws:eks:us-west-2:111122223333:podidentityassociation/" + long + "/%s",
			roleARN:  "arn:aws:sts::111122223333:assumed-role/cart/", sessionPre: "eks-" + long[:23] + "-",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := eksauthtest.NewServer(append(tc.opts, clockOpt)...)
			t.Cleanup(srv.Close)
			a := tc.assoc
			if a.Cluster == "" {
				a.Cluster = testCluster
			}
			a.Namespace, a.ServiceAccount = "shop", "cart"
			id := srv.Associate(a)
			pod := eksauthtest.Pod{Cluster: a.Cluster, Namespace: "shop", ServiceAccount: "cart", Name: tc.pod}
			if pod.Name == "" {
				pod.Name = "cart-0"
			}
			got := decodeSuccess(t, send(t, srv, rawRequest{cluster: a.Cluster, token: srv.Token(pod, time.Hour)}))

			if want := fmt.Sprintf(tc.assocARN, id); got.PodIdentityAssociation.AssociationArn != want {
				t.Errorf("associationArn = %q, want %q", got.PodIdentityAssociation.AssociationArn, want)
			}
			arn := got.AssumedRoleUser.Arn
			session, ok := strings.CutPrefix(arn, tc.roleARN)
			if !ok {
				t.Fatalf("assumedRoleUser.arn = %q, want prefix %q", arn, tc.roleARN)
			}
			if !strings.HasPrefix(session, tc.sessionPre) || len(session) > 64 || len(session) < len(tc.sessionPre)+36 {
				t.Errorf("session name %q (%d chars), want %q + a UUID, at most 64 chars", session, len(session), tc.sessionPre)
			}
			if want := strconv.FormatInt(now.Add(tc.lifetime).Unix(), 10); got.Credentials.Expiration.String() != want {
				t.Errorf("expiration = %s, want %s (%v after the clock)", got.Credentials.Expiration, want, tc.lifetime)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithRegion("ap-south-2"))
	cfg := srv.Config()
	if cfg.Region != "ap-south-2" {
		t.Errorf("Region = %q", cfg.Region)
	}
	if cfg.BaseEndpoint == nil || *cfg.BaseEndpoint != srv.URL || !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("BaseEndpoint = %v, URL = %q, want the loopback URL", cfg.BaseEndpoint, srv.URL)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	node := srv.NodeCredentials()
	if creds.AccessKeyID != node.AccessKeyID || creds.SecretAccessKey != node.SecretAccessKey || creds.SessionToken == "" || creds.SessionToken != node.SessionToken {
		t.Error("Config().Credentials are not the node credentials with a session token")
	}
	if cfg.HTTPClient == nil || cfg.Retryer != nil {
		t.Errorf("HTTPClient = %v, Retryer set = %t; want a client and no retryer", cfg.HTTPClient, cfg.Retryer != nil)
	}
	if !strings.HasPrefix(node.AccessKeyID, "ASIA") || len(node.AccessKeyID) != 20 || len(node.SecretAccessKey) != 40 {
		t.Errorf("node access key %q, secret of %d chars", node.AccessKeyID, len(node.SecretAccessKey))
	}
}

func TestNewServerPanicsOnBadOptions(t *testing.T) {
	tests := map[string]eksauthtest.Option{
		"empty region":        eksauthtest.WithRegion(""),
		"region with slash":   eksauthtest.WithRegion("us-west-2/x"),
		"negative lifetime":   eksauthtest.WithCredentialLifetime(-time.Hour),
		"tiny lifetime":       eksauthtest.WithCredentialLifetime(time.Millisecond),
		"short account":       eksauthtest.WithAccountID("12"),
		"account with letter": eksauthtest.WithAccountID("11112222333x"),
		"key without secret":  eksauthtest.WithNodeCredentials(aws.Credentials{AccessKeyID: "AKIAEXAMPLE"}),
		"negative log count":  eksauthtest.WithRequestLog(-1, 1<<20),
		"negative log bytes":  eksauthtest.WithRequestLog(10, -1),
		"region with -":       eksauthtest.WithRegion("-us-west-2"),
		"token without key":   eksauthtest.WithNodeCredentials(aws.Credentials{SessionToken: "x"}),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			// Start says so with an error, and closes WithListener's listener.
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if srv, err := eksauthtest.Start(opt, eksauthtest.WithListener(l)); err == nil || srv != nil {
				t.Errorf("Start = %v, %v; want an error", srv, err)
			}
			if c, err := net.Dial("tcp", l.Addr().String()); err == nil {
				c.Close()
				t.Error("Start left the listener open")
			}
			defer func() {
				if recover() == nil {
					t.Error("NewServer did not panic")
				}
			}()
			srv := eksauthtest.NewServer(opt)
			srv.Close()
		})
	}
}

func TestWithListenerOnAllInterfaces(t *testing.T) {
	l, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Skipf("cannot listen on 0.0.0.0: %v", err)
	}
	srv := newTestServer(t, eksauthtest.WithListener(l))
	if want := "http://127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port); srv.URL != want {
		t.Errorf("URL = %q, want %q", srv.URL, want)
	}
}

func TestWithListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newTestServer(t, eksauthtest.WithListener(l))
	if srv.URL != "http://"+l.Addr().String() {
		t.Errorf("URL = %q, want the listener's address %s", srv.URL, l.Addr())
	}
	if res := send(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)}); res.status != http.StatusOK {
		t.Errorf("status = %d, want 200", res.status)
	}
}

// TestConcurrentUse runs requests, associations, tokens and faults at the
// same time; run with -race.
func TestConcurrentUse(t *testing.T) {
	srv := newTestServer(t)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pod := testPod
			pod.Name = fmt.Sprintf("cart-%d", i%5)
			switch i % 4 {
			case 0:
				srv.Associate(eksauthtest.Association{Cluster: fmt.Sprintf("c%d", i%3), Namespace: "n", ServiceAccount: "s", RoleARN: testRole})
			case 1:
				srv.Inject(eksauthtest.Fault{Delay: time.Microsecond})
			}
			res := send(t, srv, rawRequest{token: srv.Token(pod, time.Hour)})
			if res.status != http.StatusOK {
				errs <- fmt.Sprintf("request %d: %d %s", i, res.status, res.message)
			}
			_ = srv.Requests()
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(srv.Requests()); n != 40 {
		t.Errorf("recorded %d requests, want 40", n)
	}
}

func TestWithMiddleware(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health" {
				fmt.Fprint(w, "ok")
				return
			}
			w.Header().Set("X-Wrapped", "yes")
			next.ServeHTTP(w, r)
		})
	}))
	resp, err := srv.Client().Get(srv.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/health: status %d", resp.StatusCode)
	}
	res := send(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)})
	if res.status != http.StatusOK || res.header.Get("X-Wrapped") != "yes" {
		t.Errorf("through the middleware: status %d, X-Wrapped %q", res.status, res.header.Get("X-Wrapped"))
	}
}
