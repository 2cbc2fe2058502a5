// Command quickstart runs EKS Pod Identity end to end on the embedded
// emulator, in a few seconds and without leaving the machine:
//
//	go run ./examples/quickstart
//
// It plays every part: EKS Auth (eksauthtest), the cluster admin (an
// association), the kubelet (writing and rotating the pod's token file)
// and the application (a credentials.Provider in an aws.Config). Its
// credentials last 10 seconds instead of 6 hours, so that a background
// refresh, through an outage, shows. It prints no secret, and checks so.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

const (
	cluster, namespace, serviceAccount = "demo", "default", "app"
	roleARN                            = "arn:aws:iam::111122223333:role/quickstart-app"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "Usage: go run ./examples/quickstart (it takes no flags or arguments)")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// log.Logger serialises the lines of main and of the Provider's
	// refresh; printed keeps them, to check at the end for secrets.
	var printed bytes.Buffer
	logger, start := log.New(io.MultiWriter(w, &printed), "", 0), time.Now()
	say := func(format string, v ...any) {
		logger.Printf("[%4.1fs] "+format, append([]any{time.Since(start).Seconds()}, v...)...)
	}

	// EKS Auth, and the association `aws eks create-pod-identity-association` makes.
	srv := eksauthtest.NewServer(eksauthtest.WithCredentialLifetime(10 * time.Second))
	defer srv.Close()
	id := srv.Associate(eksauthtest.Association{Cluster: cluster, Namespace: namespace, ServiceAccount: serviceAccount, RoleARN: roleARN})
	say("emulator at %s; association %s: %s/%s -> %s", srv.URL, id, namespace, serviceAccount, roleARN)

	// The kubelet projects the pod's token into a file, and rotates it.
	dir, err := os.MkdirTemp("", "quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tokenFile := filepath.Join(dir, "eks-pod-identity-token")
	pod := eksauthtest.Pod{Cluster: cluster, Namespace: namespace, ServiceAccount: serviceAccount, Name: "app-6d8f7c9b5-x2x8q"}
	writeToken := func(token string) error { // a rename, so a reader never sees half a token
		if err := os.WriteFile(tokenFile+".tmp", []byte(token+"\n"), 0o600); err != nil {
			return err
		}
		return os.Rename(tokenFile+".tmp", tokenFile)
	}
	token := srv.Token(pod, time.Hour)
	if err := writeToken(token); err != nil {
		return err
	}

	// The application. One attempt per call, so that the outage below
	// reaches the Provider at once; real programs keep the default of 3.
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	provider := credentials.New(client, cluster, credentials.TokenFile(tokenFile), func(o *credentials.Options) {
		o.ExpiryWindow = 2 * time.Second // usable 8 s, refreshed after 3 to 5
		o.Logger = logging.LoggerFunc(func(c logging.Classification, format string, v ...any) {
			say("provider log: %s %s", c, fmt.Sprintf(format, v...))
		})
	})
	cfg := aws.Config{Region: srv.Region(), Credentials: provider}

	// Who am I: one direct call shows what the Provider keeps to itself.
	res, err := client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(cluster), Token: &token})
	if err != nil {
		return err
	}
	session := aws.ToString(res.AssumedRoleUser.Arn)
	role, account := roleFromSession(session)
	logger.Printf("\nWho am I:\n  namespace        %s\n  service account  %s\n  role             %s\n  account          %s\n  session          %s\n  association      %s\n",
		aws.ToString(res.Subject.Namespace), aws.ToString(res.Subject.ServiceAccount), role, account, session,
		aws.ToString(res.PodIdentityAssociation.AssociationArn))

	first, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	say("first Retrieve: fetched %s (source %s, account %s)", mask(first.AccessKeyID), first.Source, first.AccountID)
	if again, err := cfg.Credentials.Retrieve(ctx); err != nil || again.AccessKeyID != first.AccessKeyID {
		return fmt.Errorf("second Retrieve: want the cached key (error %v)", err)
	}
	say("second Retrieve: same key %s, from the cache", mask(first.AccessKeyID))

	rotated := srv.Token(pod, time.Hour)
	if err := writeToken(rotated); err != nil {
		return err
	}
	say("kubelet rotated the token file")
	// The refresh's first attempt meets a 503, its retry is held a second.
	srv.Inject(eksauthtest.Fault{Status: 503}, eksauthtest.Fault{Delay: time.Second})
	next, calls := first, 0
	for ; next.AccessKeyID == first.AccessKeyID; calls++ {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no background refresh seen: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if next, err = cfg.Credentials.Retrieve(ctx); err != nil {
			return err
		}
	}
	say("Retrieve returned a new key %s after %d calls that got the cached one at once", mask(next.AccessKeyID), calls-1)
	if reqs := srv.Requests(); !bytes.Contains(reqs[len(reqs)-1].Body, []byte(rotated)) {
		return errors.New("the refresh did not send the rotated token")
	}
	say("the refresh re-read the token file and sent the rotated token")

	node := srv.NodeCredentials()
	for _, secret := range []string{token, rotated, first.SecretAccessKey, first.SessionToken, next.SecretAccessKey, next.SessionToken,
		node.SecretAccessKey, node.SessionToken, *res.Credentials.SecretAccessKey, *res.Credentials.SessionToken} {
		if secret == "" || strings.Contains(printed.String(), secret) {
			return errors.New("a secret was printed, or is empty") // never say which
		}
	}
	say("done. No secret key, session token or service-account token was printed (checked).")
	return nil
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

// mask shows the first and last four characters of an access key ID.
func mask(key string) string {
	if len(key) < 12 {
		return strings.Repeat("*", len(key))
	}
	return key[:4] + "…" + key[len(key)-4:]
}
