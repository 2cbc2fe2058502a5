package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// nodeAuth knows whether EKS Auth accepts the node's credentials, the half
// of readiness that node credentials being present does not prove (an
// expired hybrid-node credential, a node role without
// eks-auth:AssumeRoleForPodIdentity, a clock far off). It learns from every
// answer EKS Auth gives the agent's pods (as the assumer between the agent
// and the client), and asks itself when nothing has told it for a while.
//
// EKS Auth authenticates the caller before it looks at the body, and the
// cluster before the token: a 403 is about the node's credentials, and any
// other client error but a 404 (a bad token, a refused role) means both the
// node and the cluster were accepted. A pod's 404 may only mean its service
// account has no association, so only the active check, whose token cannot
// get that far, tells an unknown cluster by it. Throttling, 5xx and network
// errors say nothing either way.
type nodeAuth struct {
	client  assumer
	creds   aws.CredentialsProvider
	cluster string
	log     *slog.Logger
	budget  *budget // the node's EKS Auth budget, which active checks share; nil: none

	mu      sync.Mutex
	err     error     // why not ready; nil once accepted
	learned time.Time // when EKS Auth (or a look at the node's credentials) last said either way; zero: never
	misses  int       // active checks in a row that left it not ready
}

// Readiness costs the fleet nothing while a node is ready: it is learned
// from the pods' own calls, and a ready node's only periodic check, every
// recheckReady, is local (can the node's credentials still be had?). EKS
// Auth is asked only at start and while not ready: after recheckNotReady,
// doubling up to maxRecheck (about 13 calls in the first hour, then 12 an
// hour, per node that stays not ready), inside the node's budget, behind
// every pod's call.
const (
	recheckNotReady = 15 * time.Second
	maxRecheck      = 5 * time.Minute
	recheckReady    = 5 * time.Minute
)

// probeToken is what the active check sends: a token shaped like a JWT
// (so the request is well formed) that no cluster signed, answered
// InvalidTokenException by an EKS Auth that accepted the signature.
const probeToken = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwb2QtaWRlbnRpdHktYWdlbnQtcmVhZGluZXNzIn0.cmVhZGluZXNz"

func newNodeAuth(client assumer, creds aws.CredentialsProvider, cluster string, log *slog.Logger) *nodeAuth {
	return &nodeAuth{client: client, creds: creds, cluster: cluster, log: log,
		err: errors.New("EKS Auth has not been asked yet")}
}

// ready returns nil when EKS Auth accepts the node's credentials.
func (n *nodeAuth) ready() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// AssumeRoleForPodIdentity passes a pod's call through and learns from
// its answer.
func (n *nodeAuth) AssumeRoleForPodIdentity(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, optFns ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	out, err := n.client.AssumeRoleForPodIdentity(ctx, in, optFns...)
	n.observe(err)
	return out, err
}

func (n *nodeAuth) observe(err error) {
	re := answerOf(err)
	switch {
	case err == nil:
		n.set(nil)
	case re == nil:
	case re.HTTPStatusCode() == http.StatusForbidden:
		code := "403"
		var ae smithy.APIError
		if errors.As(err, &ae) {
			code = ae.ErrorCode()
		}
		n.set(fmt.Errorf("EKS Auth refuses the node's credentials (%s)", code))
		// A credentials file rewritten since (hybrid nodes) is read again.
		if r, ok := n.creds.(interface{ reload() }); ok {
			r.reload()
		}
	case re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 && re.HTTPStatusCode() != http.StatusTooManyRequests && re.HTTPStatusCode() != http.StatusNotFound:
		n.set(nil)
	}
}

func (n *nodeAuth) set(err error) { n.update(err, true) }

// update sets the state; learned says whether EKS Auth (or the lack of node
// credentials) decided it, which postpones the next active check.
func (n *nodeAuth) update(err error, learned bool) {
	n.mu.Lock()
	was := n.err
	n.err = err
	if learned {
		n.learned = time.Now()
	}
	if err == nil {
		n.misses = 0
	}
	n.mu.Unlock()
	switch {
	case err != nil && (was == nil || was.Error() != err.Error()):
		n.log.Warn("not ready", "reason", err)
	case err == nil && was != nil:
		n.log.Info("EKS Auth accepts the node's credentials: ready")
	}
}

// check asks EKS Auth once, with probeToken, within timeout.
func (n *nodeAuth) check(ctx context.Context, timeout time.Duration) {
	defer func() {
		n.mu.Lock()
		if n.err != nil {
			n.misses++
		}
		n.mu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := n.creds.Retrieve(ctx); err != nil {
		n.set(fmt.Errorf("no node credentials yet: pods get 502 until there are: %w", err))
		return
	}
	var opts []func(*eksauth.Options)
	if n.budget != nil {
		release, err := n.budget.acquire(ctx, false)
		if err != nil {
			return // the pods' calls had the budget; try later
		}
		defer release()
		opts = append(opts, n.budget.attempts())
	}
	_, err := n.client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{ClusterName: &n.cluster, Token: aws.String(probeToken)}, opts...)
	var ae smithy.APIError
	if err != nil && answerOf(err) == nil && !errors.As(err, &ae) {
		// Unreachable (no answer, or one with status 0 from the
		// transport): keep what was known; say so if nothing was.
		n.mu.Lock()
		never := n.learned.IsZero()
		n.mu.Unlock()
		if never {
			n.update(fmt.Errorf("EKS Auth not reached yet: %w", err), false)
		}
		return
	}
	// The dummy token is checked after the cluster: an unknown cluster
	// answers ResourceNotFoundException, which no pod would get past.
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		n.log.Warn("EKS Auth knows no such cluster: check -cluster", "cluster", n.cluster, "message", aws.ToString(notFound.Message))
		n.set(fmt.Errorf("EKS Auth knows no cluster %q in this region: check -cluster and -region (every pod gets 404 ResourceNotFoundException)", n.cluster))
		return
	}
	n.observe(err)
}

// watch runs tick at start and then whenever nothing has been learned
// for the interval that fits the current state, until ctx ends.
func (n *nodeAuth) watch(ctx context.Context, timeout time.Duration) {
	for {
		n.tick(ctx, timeout)
		wait := n.due()
		if wait == 0 { // EKS Auth not reached yet
			wait = 5 * time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// tick checks when one is due: locally while ready, with EKS Auth while
// not.
func (n *nodeAuth) tick(ctx context.Context, timeout time.Duration) {
	if n.due() > 0 {
		return
	}
	if n.ready() != nil {
		n.check(ctx, timeout)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if _, err := n.creds.Retrieve(ctx); err != nil {
		n.set(fmt.Errorf("no node credentials any more: pods get 502 until there are: %w", err))
		return
	}
	n.mu.Lock()
	n.learned = time.Now()
	n.mu.Unlock()
}

// due is how long until the next check; 0 means now. The pods' own calls
// count as checks.
func (n *nodeAuth) due() time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	interval := recheckReady
	if n.err != nil {
		interval = min(recheckNotReady<<min(n.misses, 10), maxRecheck)
	}
	if n.learned.IsZero() {
		return 0
	}
	return max(interval-time.Since(n.learned), 0)
}
