package credentials

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
	"github.com/podidentity/podidentity/internal/protocol"
	"github.com/podidentity/podidentity/internal/refresh"
)

// ProviderName is the Source of the credentials a [Provider] returns.
const ProviderName = "EKSPodIdentityProvider"

// Defaults of the [Options] fields.
const (
	DefaultExpiryWindow    = 5 * time.Minute
	DefaultRefreshFraction = refresh.DefaultFraction
	DefaultRefreshJitter   = refresh.DefaultJitter
	DefaultRetryBackoff    = refresh.DefaultBackoff
	DefaultMaxRetryBackoff = refresh.DefaultMaxBackoff
	DefaultTimeout         = time.Minute
)

// APIClient is the one operation a [Provider] needs: the
// AssumeRoleForPodIdentity method of [*eksauth.Client].
//
// The official client (github.com/aws/aws-sdk-go-v2/service/eksauth) has the
// same method over its own, field-for-field identical types; wrap it in an
// [APIClientFunc] that copies the input and output (see the package
// documentation).
type APIClient interface {
	AssumeRoleForPodIdentity(ctx context.Context, params *eksauth.AssumeRoleForPodIdentityInput, optFns ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error)
}

// APIClientFunc adapts a function to [APIClient]: a fake in tests, or a
// converter in front of another client.
type APIClientFunc func(ctx context.Context, params *eksauth.AssumeRoleForPodIdentityInput, optFns ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error)

// AssumeRoleForPodIdentity calls f.
func (f APIClientFunc) AssumeRoleForPodIdentity(ctx context.Context, params *eksauth.AssumeRoleForPodIdentityInput, optFns ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	return f(ctx, params, optFns...)
}

// Options configure a [Provider]. The zero value of each field means its
// documented default; [New] fills defaults and clamps ranges after the
// option functions have run.
type Options struct {
	// ExpiryWindow is how long before the real expiry the credentials count
	// as expired: the Expires of what Retrieve returns is the real expiry
	// minus ExpiryWindow (as aws.CredentialsCache reports it), and only
	// from then on does Retrieve wait for a refresh. Zero means 5 minutes;
	// a negative value means none. Credentials that live shorter than the
	// window are returned, but count as expired at once, so every Retrieve
	// fetches anew (as with aws.CredentialsCache): keep it well below the
	// credentials' lifetime.
	ExpiryWindow time.Duration

	// RefreshFraction sets when a background refresh starts: once less than
	// this fraction of the credentials' usable lifetime (from their arrival
	// until Expires) remains. Zero means 0.5; clamped to [0.01, 0.99].
	RefreshFraction float64

	// RefreshJitter spreads the refresh point so that a fleet started
	// together does not refresh together: for each set of credentials it
	// is drawn uniformly from RefreshFraction ± RefreshJitter (kept within
	// [0.01, 0.99]). Zero means 0.1, so by default a refresh starts when
	// 40% to 60% of the usable lifetime remains; a negative value means
	// no jitter.
	RefreshJitter float64

	// RetryBackoff is the wait after a failed background refresh before a
	// later Retrieve tries again. It doubles with each further failure up
	// to MaxRetryBackoff, and each wait is drawn uniformly from its upper
	// half. Zero or negative means 1 second.
	RetryBackoff time.Duration

	// MaxRetryBackoff caps RetryBackoff's doubling. Zero or negative means
	// 5 minutes; raised to RetryBackoff if smaller.
	MaxRetryBackoff time.Duration

	// Timeout bounds one refresh: reading the token plus the client call
	// with its retries. It is independent of any caller's context, since
	// a refresh is shared. Zero or negative means 1 minute.
	Timeout time.Duration

	// Logger receives a line for each background refresh and each failed
	// refresh, never with a token or a secret. Nil means no logging.
	Logger logging.Logger
}

// Provider is an [aws.CredentialsProvider] that exchanges a service-account
// token for credentials through EKS Pod Identity, and refreshes them ahead
// of expiry.
//
// Fresh credentials come from memory without a lock or an allocation. When
// less than about half of their usable lifetime remains, Retrieve still
// returns them at once and starts one background refresh; only within
// ExpiryWindow of the real expiry (or before the first success, or after
// Invalidate) does Retrieve wait, and then all waiting callers share one
// upstream call. A Provider is safe for concurrent use, starts goroutines
// only for the duration of a refresh, and needs no closing. Wrapping it in
// aws.NewCredentialsCache works but is not needed.
type Provider struct {
	client  APIClient
	cluster string
	token   TokenRetriever
	options Options
	logger  logging.Logger
	bad     error // set by New for unusable arguments; Retrieve returns it

	now  func() time.Time // the clock; tests replace it
	rand func() float64   // jitter source in [0, 1); tests replace it

	cur atomic.Pointer[entry] // the credentials in service; nil means none

	// retryAt is the earliest time, in Unix nanoseconds, at which Retrieve
	// may start a background refresh: 0 normally, the end of the backoff
	// after a failure, math.MaxInt64 while a refresh runs. Being atomic,
	// it keeps the read path off mu.
	retryAt atomic.Int64

	mu       sync.Mutex // guards inflight, gen and failures
	inflight *call      // the refresh running now, if any
	gen      uint64     // bumped by Invalidate; older refreshes are not stored
	failures int        // refresh failures in a row, for the backoff
}

// entry is a set of credentials with its schedule, immutable once stored.
type entry struct {
	creds     aws.Credentials // what Retrieve returns; Expires = waitAt
	refreshAt time.Time       // from here on, refresh in the background
	waitAt    time.Time       // from here on, wait for a refresh
}

// call is one refresh; waiters block on done, then read creds and err.
type call struct {
	done  chan struct{}
	gen   uint64
	creds aws.Credentials
	err   error
}

var (
	_ aws.CredentialsProvider      = (*Provider)(nil)
	_ aws.CredentialProviderSource = (*Provider)(nil)
)

// New returns a Provider that gets credentials for the pods of clusterName
// from client, reading the service-account token from token on every
// refresh. A nil client or token, or a cluster name the API would refuse,
// makes every Retrieve fail with an error saying so.
func New(client APIClient, clusterName string, token TokenRetriever, optFns ...func(*Options)) *Provider {
	return newProvider(client, clusterName, token, time.Now, rand.Float64, optFns...)
}

func newProvider(client APIClient, clusterName string, token TokenRetriever, now func() time.Time, rnd func() float64, optFns ...func(*Options)) *Provider {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	o = o.withDefaults()

	p := &Provider{
		client:  client,
		cluster: clusterName,
		token:   token,
		options: o,
		logger:  o.Logger,
		now:     now,
		rand:    rnd,
	}
	if p.logger == nil {
		p.logger = logging.Nop{}
	}
	switch {
	case client == nil:
		p.bad = errors.New("credentials: New was given a nil client")
	case token == nil:
		p.bad = errors.New("credentials: New was given a nil token retriever")
	case !protocol.ValidClusterName(clusterName):
		p.bad = fmt.Errorf("credentials: invalid cluster name %q: want 1 to %d letters, digits, '-' or '_', starting with a letter or digit", clusterName, protocol.MaxClusterNameLen)
	}
	return p
}

func (o Options) withDefaults() Options {
	switch {
	case o.ExpiryWindow == 0:
		o.ExpiryWindow = DefaultExpiryWindow
	case o.ExpiryWindow < 0:
		o.ExpiryWindow = 0
	}
	if o.RefreshFraction == 0 || math.IsNaN(o.RefreshFraction) {
		o.RefreshFraction = DefaultRefreshFraction
	}
	o.RefreshFraction = refresh.ClampFraction(o.RefreshFraction)
	switch {
	case o.RefreshJitter == 0 || math.IsNaN(o.RefreshJitter):
		o.RefreshJitter = DefaultRefreshJitter
	case o.RefreshJitter < 0:
		o.RefreshJitter = 0
	case o.RefreshJitter > 1:
		o.RefreshJitter = 1
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = DefaultRetryBackoff
	}
	if o.MaxRetryBackoff <= 0 {
		o.MaxRetryBackoff = DefaultMaxRetryBackoff
	}
	o.MaxRetryBackoff = max(o.MaxRetryBackoff, o.RetryBackoff)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// String names the provider by its cluster. Printing a Provider (%v, %+v,
// a log line) shows nothing else: its fields hold the cached credentials
// and the token retriever, which may hold a token.
func (p *Provider) String() string {
	if p == nil {
		return "<nil>"
	}
	return "credentials.Provider{cluster: " + p.cluster + "}"
}

// GoString is String for %#v.
func (p *Provider) GoString() string {
	if p == nil {
		return "(*credentials.Provider)(nil)"
	}
	return "&credentials.Provider{cluster:" + strconv.Quote(p.cluster) + "}"
}

// Options returns a copy of the provider's options, defaults filled in.
func (p *Provider) Options() Options { return p.options }

// ProviderSources reports where the credentials come from, for the SDK's
// user-agent metrics: an HTTP credentials endpoint, as for the SDK's own
// Pod Identity support.
func (p *Provider) ProviderSources() []aws.CredentialSource {
	return []aws.CredentialSource{aws.CredentialSourceHTTP}
}

// Retrieve returns credentials, refreshing them as the type documentation
// describes. If ctx ends while Retrieve waits, it returns at once with an
// error wrapping ctx.Err() (an *aws.RequestCanceledError); the shared
// refresh goes on for the other callers. A failed refresh is returned
// wrapped, so errors.As finds the client's error (such as
// *types.AccessDeniedException).
func (p *Provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	if e := p.cur.Load(); e != nil {
		now := p.now()
		if now.Before(e.refreshAt) {
			return e.creds, nil
		}
		if now.Before(e.waitAt) {
			if now.UnixNano() >= p.retryAt.Load() {
				p.refreshInBackground(ctx, e)
			}
			return e.creds, nil
		}
	}
	return p.wait(ctx)
}

// Invalidate drops the credentials in service and any backoff, so that the
// next Retrieve fetches new ones. A refresh already running is not stored.
func (p *Provider) Invalidate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.failures = 0
	p.cur.Store(nil)
	p.retryAt.Store(0)
}

// refreshInBackground starts a refresh of seen, the entry the caller found
// due, unless one is running or backing off, or seen is no longer in
// service: a refresh may have stored new credentials (or Invalidate dropped
// them) between the caller's look and the lock.
func (p *Provider) refreshInBackground(ctx context.Context, seen *entry) {
	p.mu.Lock()
	e := p.cur.Load()
	if p.inflight != nil || e != seen || p.now().UnixNano() < p.retryAt.Load() {
		p.mu.Unlock()
		return
	}
	p.startLocked(ctx, true)
	p.mu.Unlock()
	p.logger.Logf(logging.Debug, "credentials: cluster %s: background refresh started, credentials valid until %s",
		p.cluster, e.waitAt.UTC().Format(time.RFC3339))
}

// wait returns the credentials of a refresh, joining the running one or
// starting one.
func (p *Provider) wait(ctx context.Context) (aws.Credentials, error) {
	if p.bad != nil {
		return aws.Credentials{}, p.bad
	}
	if p.now == nil {
		return aws.Credentials{}, errors.New("credentials: Provider not made by New")
	}
	if err := ctx.Err(); err != nil {
		return aws.Credentials{}, fmt.Errorf("credentials: retrieve: %w", &aws.RequestCanceledError{Err: err})
	}

	p.mu.Lock()
	// A refresh may have finished between the caller's look and the lock.
	if e := p.cur.Load(); e != nil && p.now().Before(e.waitAt) {
		p.mu.Unlock()
		return e.creds, nil
	}
	c := p.inflight
	if c == nil || c.gen != p.gen {
		c = p.startLocked(ctx, false)
	}
	p.mu.Unlock()

	select {
	case <-c.done:
		return c.creds, c.err
	case <-ctx.Done():
		return aws.Credentials{}, fmt.Errorf("credentials: retrieve: %w", &aws.RequestCanceledError{Err: ctx.Err()})
	}
}

// startLocked starts a refresh in its own goroutine, which ends with it.
// The refresh keeps ctx's values but not its cancellation: it is shared.
func (p *Provider) startLocked(ctx context.Context, background bool) *call {
	c := &call{done: make(chan struct{}), gen: p.gen}
	p.inflight = c
	p.retryAt.Store(math.MaxInt64)
	go p.refresh(context.WithoutCancel(ctx), c, background)
	return c
}

// refresh runs one refresh and publishes its result.
func (p *Provider) refresh(ctx context.Context, c *call, background bool) {
	ctx, cancel := context.WithTimeout(ctx, p.options.Timeout)
	e, err := p.fetch(ctx)
	cancel()
	if err != nil {
		err = fmt.Errorf("credentials: refresh: %w", err)
	} else if background {
		p.logger.Logf(logging.Debug, "credentials: cluster %s: background refresh done, new credentials valid until %s",
			p.cluster, e.waitAt.UTC().Format(time.RFC3339))
	}

	p.mu.Lock()
	if p.inflight == c {
		p.inflight = nil
	}
	var (
		failures int // > 0: log this failure, which is current
		wait     time.Duration
		kept     *entry
	)
	if c.gen == p.gen {
		if err == nil {
			p.failures = 0
			p.cur.Store(e)
			p.retryAt.Store(0)
		} else {
			p.failures++
			failures = p.failures
			wait = p.backoff(p.failures)
			p.retryAt.Store(p.now().Add(wait).UnixNano())
			kept = p.cur.Load()
		}
	}
	p.mu.Unlock()

	// Log outside the lock, so that a slow logger, or one that calls back
	// into the Provider, holds nobody up; but before waking the waiters, so
	// that the line is there when their Retrieve returns.
	if failures > 0 {
		p.logFailure(err, background, failures, wait, kept)
	}
	if err == nil {
		c.creds = e.creds
	}
	c.err = err
	close(c.done)
}

func (p *Provider) logFailure(err error, background bool, failures int, wait time.Duration, kept *entry) {
	if !background {
		p.logger.Logf(logging.Warn, "credentials: cluster %s: refresh failed (%d in a row): %v",
			p.cluster, failures, err)
		return
	}
	until := "none"
	if kept != nil {
		until = kept.waitAt.UTC().Format(time.RFC3339)
	}
	p.logger.Logf(logging.Warn, "credentials: cluster %s: background refresh failed (%d in a row), keeping the credentials valid until %s, next try in %s or later: %v",
		p.cluster, failures, until, wait.Round(time.Millisecond), err)
}

// backoff is the jittered wait after n failures in a row.
func (p *Provider) backoff(n int) time.Duration {
	return p.schedule().RetryAfter(n, p.rand)
}

func (p *Provider) schedule() refresh.Schedule {
	o := p.options
	return refresh.Schedule{Fraction: o.RefreshFraction, Jitter: o.RefreshJitter, Backoff: o.RetryBackoff, MaxBackoff: o.MaxRetryBackoff}
}

// fetch reads the token, calls the API and checks the answer.
func (p *Provider) fetch(ctx context.Context) (*entry, error) {
	tok, err := p.token.GetToken(ctx)
	if err != nil {
		return nil, fmt.Errorf("get token: %w", err)
	}
	if tok == "" {
		return nil, errors.New("get token: the token retriever returned an empty token")
	}
	out, err := p.client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: &p.cluster,
		Token:       &tok,
	})
	if err != nil {
		return nil, err
	}
	return p.newEntry(out)
}

// newEntry checks the client's answer and schedules its credentials.
func (p *Provider) newEntry(out *eksauth.AssumeRoleForPodIdentityOutput) (*entry, error) {
	var c *types.Credentials
	if out != nil {
		c = out.Credentials
	}
	if err := protocol.CheckCredentials(c); err != nil {
		return nil, err
	}

	now := p.now()
	expiry := c.Expiration.Round(0)
	if !expiry.After(now) {
		return nil, fmt.Errorf("response credentials expired at %s, before they arrived (now %s)",
			expiry.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	waitAt := expiry.Add(-p.options.ExpiryWindow)
	refreshAt := p.schedule().RefreshAt(now, waitAt, p.rand)

	var account string
	if out.AssumedRoleUser != nil && out.AssumedRoleUser.Arn != nil {
		if a, err := arn.Parse(*out.AssumedRoleUser.Arn); err == nil {
			account = a.AccountID
		}
	}
	return &entry{
		creds: aws.Credentials{
			AccessKeyID:     *c.AccessKeyId,
			SecretAccessKey: *c.SecretAccessKey,
			SessionToken:    *c.SessionToken,
			Source:          ProviderName,
			CanExpire:       true,
			Expires:         waitAt,
			AccountID:       account,
		},
		refreshAt: refreshAt,
		waitAt:    waitAt,
	}, nil
}
