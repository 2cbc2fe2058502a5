package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/eksauth/types"
)

// startBox boots the box for one test, or skips (fails with CI=true)
// where the machine cannot run it.
func startBox(t *testing.T) *Box {
	t.Helper()
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var missing string
	if os.Geteuid() != 0 {
		missing = "root"
	} else if _, err := exec.LookPath("etcd"); err != nil {
		missing = "etcd (apt-get install etcd-server)"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the one-node cluster box needs %s; CI must run it", missing)
		}
		t.Skipf("the one-node cluster box needs %s", missing)
	}
	start := time.Now()
	b, err := Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("box booted in %v (etcd, kube-apiserver %s at %s)", time.Since(start).Round(time.Millisecond), Version, b.APIServer)
	// An interrupt (SIGINT, SIGTERM) stops the box and restores the
	// machine before the test process ends, as success and failure do.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case sig := <-sigs:
			problems := b.Close()
			fmt.Fprintf(os.Stderr, "kube: %v: box stopped, machine restored; left over: %q\n", sig, problems)
			os.Exit(3)
		case <-stopWatch:
		}
	}()
	t.Cleanup(func() {
		signal.Stop(sigs)
		close(stopWatch)
		<-watched
		if problems := b.Close(); len(problems) > 0 {
			t.Errorf("the machine is not as before the box:\n%s", joinLines(problems))
		}
	})
	return b
}

func joinLines(ss []string) string {
	var buf bytes.Buffer
	for _, s := range ss {
		fmt.Fprintln(&buf, "  "+s)
	}
	return buf.String()
}

// apiPost posts a JSON object to the API server and decodes the answer.
func apiPost(t *testing.T, c *http.Client, url string, in, out any) {
	t.Helper()
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, buf.String())
	}
	if out != nil {
		if err := json.Unmarshal(buf.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTokensOfARealAPIServer: the emulator trusts the box's
// service-account issuer (discovery and JWKS read from the API server),
// and accepts a token the API server issued for EKS Pod Identity's
// audience, for its association; a token for another audience is refused.
func TestTokensOfARealAPIServer(t *testing.T) {
	b := startBox(t)
	c, err := b.HTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	apiPost(t, c, b.APIServer+"/api/v1/namespaces", map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "shop"}}, nil)
	apiPost(t, c, b.APIServer+"/api/v1/namespaces/shop/serviceaccounts", map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": map[string]any{"name": "cart"}}, nil)
	token := func(audience string) string {
		var tr struct {
			Status struct{ Token string }
		}
		apiPost(t, c, b.APIServer+"/api/v1/namespaces/shop/serviceaccounts/cart/token", map[string]any{
			"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
			"spec": map[string]any{"audiences": []string{audience}, "expirationSeconds": 3600},
		}, &tr)
		if tr.Status.Token == "" {
			t.Fatal("TokenRequest: no token")
		}
		return tr.Status.Token
	}

	srv := eksauthtest.NewServer()
	t.Cleanup(srv.Close)
	const role = "arn:aws:iam::111122223333:role/cart"
	srv.Associate(eksauthtest.Association{Cluster: "e2e", Namespace: "shop", ServiceAccount: "cart", RoleARN: role})
	ctx := context.Background()
	if err := srv.TrustIssuer(ctx, "e2e", b.APIServer, c); err != nil {
		t.Fatal(err)
	}
	if got := srv.Issuer("e2e"); got != ServiceAccountIssuer {
		t.Errorf("Issuer = %q, want the API server's %q", got, ServiceAccountIssuer)
	}
	client := eksauth.NewFromConfig(srv.Config())
	out, err := client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("e2e"), Token: aws.String(token("pods.eks.amazonaws.com"))})
	if err != nil {
		t.Fatalf("a token of the API server: %v", err)
	}
	if ns, sa := aws.ToString(out.Subject.Namespace), aws.ToString(out.Subject.ServiceAccount); ns != "shop" || sa != "cart" {
		t.Errorf("subject %s/%s, want shop/cart", ns, sa)
	}
	if arn := aws.ToString(out.AssumedRoleUser.Arn); !bytes.Contains([]byte(arn), []byte(":assumed-role/cart/")) {
		t.Errorf("assumed role %s, want the association's role cart", arn)
	}
	_, err = client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String("e2e"), Token: aws.String(token("sts.amazonaws.com"))})
	var ite *types.InvalidTokenException
	if !errors.As(err, &ite) {
		t.Errorf("a token for another audience: %v, want InvalidTokenException", err)
	}
}

// TestInterruptRestoresTheMachine: SIGTERM to a test process whose box is
// up stops the box and leaves the machine as it was.
func TestInterruptRestoresTheMachine(t *testing.T) {
	if os.Getenv("KUBE_E2E_INTERRUPT_CHILD") == "1" {
		startBox(t)
		fmt.Println("BOX-UP")
		time.Sleep(time.Minute) // the parent's SIGTERM ends this
		t.Fatal("not interrupted")
	}
	if os.Geteuid() != 0 {
		startBox(t) // skips, or fails with CI=true
	}
	before, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptRestoresTheMachine$", "-test.v")
	cmd.Env = append(os.Environ(), "KUBE_E2E_INTERRUPT_CHILD=1")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "BOX-UP") {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the child's box did not come up:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(out.String(), "machine restored; left over: []") {
		t.Fatalf("child after SIGTERM: %v, want exit 3 with nothing left over:\n%s", err, out.String())
	}
	now, err := Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if diff := before.Diff(now); len(diff) > 0 {
		t.Errorf("after the interrupted run, the machine differs:\n%s", joinLines(diff))
	}
}

// syncBuffer is a bytes.Buffer the child's output goroutines write while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer // guarded by mu
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
