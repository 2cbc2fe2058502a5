// Command quickstart runs EKS Pod Identity end to end on the embedded
// emulator, in a few seconds and without leaving the machine:
//
//	go run ./examples/quickstart
//
// It plays every part: the EKS Auth service (eksauthtest), the cluster
// admin (an association), the kubelet (writing and rotating the pod's
// token file) and the application (a credentials.Provider in an
// aws.Config). It shows who the pod is, that credentials are cached, and a
// background refresh, with credentials that last 10 seconds instead of 6
// hours, and an outage during the refresh that callers never notice. It
// prints no secret: key IDs are masked, and the program checks
// its own output before it exits.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

const (
	clusterName    = "demo"
	namespace      = "default"
	serviceAccount = "app"
	podName        = "app-6d8f7c9b5-x2x8q"
	roleARN        = "arn:aws:iam::111122223333:role/quickstart-app"

	// Short-lived credentials make the refresh visible: usable for
	// lifetime - window = 8 s, refreshed in the background when 40-60% of
	// that is left, that is after 3 to 5 seconds.
	credentialLifetime = 10 * time.Second
	expiryWindow       = 2 * time.Second

	pollEvery    = 100 * time.Millisecond
	refreshDelay = time.Second
	deadline     = 30 * time.Second
)

func main() {
	switch err := parseArgs(os.Args[1:], os.Stderr); {
	case errors.Is(err, flag.ErrHelp):
		return
	case err != nil:
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Stdout)
	interrupted := ctx.Err() != nil
	stop()
	switch {
	case err == nil:
	case interrupted:
		fmt.Fprintln(os.Stderr, "quickstart: interrupted")
		os.Exit(130)
	default:
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// parseArgs accepts only -h: the quickstart has nothing to configure, and
// silently running the whole demo for a mistyped flag would be confusing.
func parseArgs(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: go run ./examples/quickstart

Runs EKS Pod Identity end to end in a few seconds, on the EKS Auth emulator
embedded in this process: an association, a token file the "kubelet" writes
and rotates, a credentials.Provider in an aws.Config, and a background
refresh through an injected outage. Nothing leaves the machine and no secret
is printed. It takes no flags or arguments.
`)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "quickstart: unexpected arguments %q; it takes none (-h for help)\n", fs.Args())
		return errors.New("unexpected arguments")
	}
	return nil
}

func run(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	out := newPrinter(w)

	out.line("EKS Pod Identity quickstart: the EKS Auth emulator runs in this process.")
	out.line("")

	// The service, and an association as `aws eks create-pod-identity-association` makes.
	srv := eksauthtest.NewServer(eksauthtest.WithCredentialLifetime(credentialLifetime))
	defer srv.Close()
	node := srv.NodeCredentials()
	out.secret(node.SecretAccessKey, node.SessionToken)
	out.event("emulator at %s, region %s, credentials last %s", srv.URL, srv.Region(), credentialLifetime)
	id := srv.Associate(eksauthtest.Association{
		Cluster: clusterName, Namespace: namespace, ServiceAccount: serviceAccount, RoleARN: roleARN,
	})
	out.event("association %s: cluster %s, service account %s/%s -> %s", id, clusterName, namespace, serviceAccount, roleARN)

	// The kubelet projects the pod's token into a file.
	dir, err := os.MkdirTemp("", "podidentity-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tokenPath := filepath.Join(dir, "eks-pod-identity-token")
	pod := eksauthtest.Pod{Cluster: clusterName, Namespace: namespace, ServiceAccount: serviceAccount, Name: podName}
	if err := writeToken(tokenPath, srv.Token(pod, time.Hour), out); err != nil {
		return err
	}
	out.event("kubelet wrote the pod's token to %s", tokenPath)

	// The application: a client signing with the node's credentials, and a
	// Provider that reads the token file on every refresh. The client makes
	// one attempt per call so that the outage injected below reaches the
	// Provider at once; real programs keep the default of 3 attempts.
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	provider := credentials.New(client, clusterName, credentials.TokenFile(tokenPath), func(o *credentials.Options) {
		o.ExpiryWindow = expiryWindow
		o.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			out.event("provider log: %s %s", c, fmt.Sprintf(format, v...))
		})
	})
	cfg := aws.Config{Region: srv.Region(), Credentials: provider}

	if err := whoAmI(ctx, client, tokenPath, out); err != nil {
		return err
	}

	out.line("")
	out.line("Credentials from aws.Config{Credentials: provider}:")
	start := time.Now()
	first, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	took := time.Since(start)
	out.secret(first.SecretAccessKey, first.SessionToken)
	out.event("first Retrieve: fetched %s in %s (source %s, account %s, expires in %s: real expiry - %s window)",
		mask(first.AccessKeyID), round(took), first.Source, first.AccountID, round(time.Until(first.Expires)), expiryWindow)
	start = time.Now()
	second, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	took = time.Since(start)
	if second.AccessKeyID != first.AccessKeyID {
		return errors.New("second Retrieve fetched new credentials; want the cached ones")
	}
	out.event("second Retrieve: same key %s, cached, in %s", mask(second.AccessKeyID), round(took))

	// The kubelet rotates the token; the next refresh must send the new one.
	rotated := srv.Token(pod, time.Hour)
	if err := writeToken(tokenPath, rotated, out); err != nil {
		return err
	}
	out.event("kubelet rotated the token file")

	// The first background attempt meets an outage; the retry is held for
	// a while, so that the refresh visibly runs alongside callers.
	srv.Inject(eksauthtest.Fault{Status: 503}, eksauthtest.Fault{Delay: refreshDelay})

	out.line("")
	out.line("Background refresh (the emulator fails the first attempt with a 503 and holds the retry %s;", refreshDelay)
	out.line("Retrieve is called every %s meanwhile):", pollEvery)
	refreshed, calls, slowest, err := pollUntilNewKey(ctx, cfg.Credentials, first.AccessKeyID)
	if err != nil {
		return err
	}
	out.secret(refreshed.SecretAccessKey, refreshed.SessionToken)
	out.event("Retrieve returned a new key %s after %d calls that returned the cached one; the slowest call took %s",
		mask(refreshed.AccessKeyID), calls-1, round(slowest))

	reqs := srv.Requests()
	if len(reqs) == 0 || !bytes.Contains(reqs[len(reqs)-1].Body, []byte(rotated)) {
		return errors.New("the refresh did not send the rotated token")
	}
	out.event("the refresh re-read the token file and sent the rotated token")

	if err := out.checkNoSecrets(); err != nil {
		return err
	}
	out.line("")
	out.line("Done in %s. No secret key, session token or service-account token was printed (checked).", round(time.Since(out.start)))
	return out.err()
}

// whoAmI calls the API once directly, to show what the Provider keeps to
// itself: the subject, the association and the role.
func whoAmI(ctx context.Context, client *eksauth.Client, tokenPath string, out *printer) error {
	token, err := credentials.TokenFile(tokenPath).GetToken(ctx)
	if err != nil {
		return err
	}
	res, err := client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String(clusterName),
		Token:       &token,
	})
	if err != nil {
		return err
	}
	if res.Credentials != nil {
		out.secret(aws.ToString(res.Credentials.SecretAccessKey), aws.ToString(res.Credentials.SessionToken))
	}
	var sub struct{ ns, sa string }
	if res.Subject != nil {
		sub.ns, sub.sa = aws.ToString(res.Subject.Namespace), aws.ToString(res.Subject.ServiceAccount)
	}
	var session, assoc string
	if res.AssumedRoleUser != nil {
		session = aws.ToString(res.AssumedRoleUser.Arn)
	}
	if res.PodIdentityAssociation != nil {
		assoc = aws.ToString(res.PodIdentityAssociation.AssociationArn)
	}
	role, account := roleFromSession(session)

	out.line("")
	out.line("Who am I (one direct AssumeRoleForPodIdentity call):")
	out.line("  namespace        %s", sub.ns)
	out.line("  service account  %s", sub.sa)
	out.line("  role             %s", role)
	out.line("  account          %s", account)
	out.line("  session          %s", session)
	out.line("  association      %s", assoc)
	out.line("  audience         %s", aws.ToString(res.Audience))
	return nil
}

// pollUntilNewKey calls Retrieve until it returns a key other than old,
// and reports how many calls that took and the slowest of them.
func pollUntilNewKey(ctx context.Context, p aws.CredentialsProvider, old string) (aws.Credentials, int, time.Duration, error) {
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var slowest time.Duration
	for calls := 1; ; calls++ {
		select {
		case <-ctx.Done():
			return aws.Credentials{}, calls, slowest, fmt.Errorf("no background refresh seen: %w", ctx.Err())
		case <-tick.C:
		}
		start := time.Now()
		c, err := p.Retrieve(ctx)
		slowest = max(slowest, time.Since(start))
		if err != nil {
			return aws.Credentials{}, calls, slowest, err
		}
		if c.AccessKeyID != old {
			return c, calls, slowest, nil
		}
	}
}

// roleFromSession turns arn:aws:sts::<account>:assumed-role/<role>/<session>
// into the role's IAM ARN and the account.
func roleFromSession(session string) (role, account string) {
	a, err := arn.Parse(session)
	if err != nil {
		return "", ""
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
	return arn.ARN{Partition: a.Partition, Service: "iam", AccountID: a.AccountID, Resource: "role/" + name}.String(), a.AccountID
}

// writeToken replaces the token file the way the kubelet does: a new file
// renamed over the old one, so a reader never sees half a token.
func writeToken(path, token string, out *printer) error {
	out.secret(token)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// mask shows the first and last four characters of an access key ID.
func mask(key string) string {
	if len(key) < 12 {
		return strings.Repeat("*", len(key))
	}
	return key[:4] + "…" + key[len(key)-4:]
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(100 * time.Nanosecond)
	}
	return d
}

// printer writes lines from the main goroutine and the provider's
// background refresh, and remembers what it wrote so that run can check
// that no secret got out.
type printer struct {
	start time.Time

	mu      sync.Mutex // guards the fields below
	w       io.Writer
	written strings.Builder
	secrets []string
	werr    error
}

func newPrinter(w io.Writer) *printer { return &printer{start: time.Now(), w: w} }

// line writes a plain line.
func (p *printer) line(format string, v ...any) { p.write(fmt.Sprintf(format, v...) + "\n") }

// event writes a line stamped with the time since the start.
func (p *printer) event(format string, v ...any) {
	p.write(fmt.Sprintf("[%4.1fs] ", time.Since(p.start).Seconds()) + fmt.Sprintf(format, v...) + "\n")
}

func (p *printer) write(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.written.WriteString(s)
	if p.werr == nil {
		_, p.werr = io.WriteString(p.w, s)
	}
}

// secret records values that must never be printed.
func (p *printer) secret(values ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range values {
		if v != "" {
			p.secrets = append(p.secrets, v)
		}
	}
}

func (p *printer) checkNoSecrets() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.secrets {
		if strings.Contains(p.written.String(), s) {
			return errors.New("a secret was printed") // never say which
		}
	}
	if len(p.secrets) == 0 {
		return errors.New("no secrets recorded to check")
	}
	return nil
}

func (p *printer) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.werr
}
