package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/podidentity/podidentity/eksauth"
)

// credentialsPath is where the SDKs' container providers ask; on a node,
// AWS_CONTAINER_CREDENTIALS_FULL_URI is http://169.254.170.23/v1/credentials.
const credentialsPath = "/v1/credentials"

// expiryWindow is the least life every answer leaves to its credentials:
// botocore refreshes credentials with less than 15 minutes left (its
// advisory window, 10 minutes mandatory), so an answer with less would
// make it ask again at once. The Expiration sent is EKS Auth's own; each
// SDK subtracts its own window.
const expiryWindow = 15 * time.Minute

// Background refreshes start once refreshFraction ± refreshJitter of a
// grant's servable life (until expiryWindow before expiry) remains: for
// 6-hour credentials about 2h50m ahead, for 59-minute ones 22 minutes;
// jittered so that a node's pods do not refresh together. A failed
// refresh is retried after retryBackoff, doubling up to maxRetryBackoff.
const (
	refreshFraction = 0.5
	refreshJitter   = 0.1
	retryBackoff    = time.Second
	maxRetryBackoff = 5 * time.Minute
)

// agentOptions configure an agent; run fills them from its flags, whose
// defaults it documents.
type agentOptions struct {
	cluster         string        // EKS cluster name; required
	client          assumer       // EKS Auth; required
	cacheSize       int           // most tokens cached; at least 1
	idleTTL         time.Duration // forget a token not asked for this long; <= 0 never
	rate            float64       // requests per second per token; <= 0 unlimited
	burst           int           // requests allowed at once per token; at least 1
	upstreamTimeout time.Duration // deadline of one EKS Auth call, retries included; <= 0 means 1 minute
	maxInflight     int           // EKS Auth calls in flight at once; <= 0 unbounded
	eksAuthRate     float64       // EKS Auth calls per second from this node (budget.go); <= 0 unlimited
	eksAuthBurst    int           // EKS Auth calls at once before eksAuthRate applies; at least 1
	maxPending      int           // tokens whose first fetch may be under way; <= 0 means defaultMaxPending
	perSource       int           // of which from one source address; <= 0 means 8

	nodeName, instanceID, zone string // optional node identity for EKS Auth

	logger *slog.Logger                // nil means discard
	ready  func(context.Context) error // extra readiness check; nil means none

	now func() time.Time // the clock of the cache and rate limits; nil means time.Now
}

// agent serves the container-credentials endpoint: it answers each pod's
// token with the credentials of the role associated with the pod's service
// account, fetched from EKS Auth once and cached per token (cache.go).
type agent struct {
	up              *upstream
	cache           *cache
	pending         *pending
	metrics         *metrics
	rate            float64
	burst           int
	upstreamTimeout time.Duration
	log             *slog.Logger
	ready           func(context.Context) error
	now             func() time.Time
	mux             *http.ServeMux

	stopping atomic.Bool // set when shutdown starts: /readyz then fails
}

func newAgent(o agentOptions) *agent {
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.upstreamTimeout <= 0 {
		o.upstreamTimeout = time.Minute // a refresh has no other bound
	}
	if o.maxPending <= 0 {
		o.maxPending = defaultMaxPending
	}
	if o.perSource <= 0 {
		o.perSource = 8
	}
	a := &agent{
		pending:         newPending(o.maxPending, o.perSource),
		rate:            o.rate,
		burst:           o.burst,
		upstreamTimeout: o.upstreamTimeout,
		log:             o.logger,
		ready:           o.ready,
		now:             o.now,
		mux:             http.NewServeMux(),
	}
	a.metrics = newMetrics(func() int { n, _ := a.cache.stats(); return n }, a.pending.len)
	a.cache = newCache(o.cacheSize, o.idleTTL, func(reason string, n int) {
		a.metrics.evictions.WithLabelValues(reason).Add(float64(n))
	})
	a.up = &upstream{
		client:     o.client,
		cluster:    o.cluster,
		timeout:    o.upstreamTimeout,
		log:        o.logger,
		metrics:    a.metrics,
		now:        o.now,
		nodeName:   o.nodeName,
		instanceID: o.instanceID,
		zone:       o.zone,
	}
	a.up.budget = newBudget(o.eksAuthRate, o.eksAuthBurst, o.maxInflight)
	a.mux.HandleFunc(credentialsPath, a.serveCredentials)
	a.mux.HandleFunc("/healthz", a.serveHealth)
	a.mux.HandleFunc("/readyz", a.serveReady)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, codeNotFound, "no such path; credentials are served at %s", credentialsPath), "")
	})
	return a
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// credentialsBody is the answer the SDKs' container providers expect.
type credentialsBody struct {
	AccessKeyId     string
	SecretAccessKey string
	Token           string
	AccountId       string `json:",omitempty"`
	Expiration      string // RFC 3339
}

func (a *agent) serveCredentials(w http.ResponseWriter, r *http.Request) {
	if status := a.answer(w, r); status != 0 {
		a.metrics.answered(status)
	}
}

// answer writes the answer to a credentials request and returns its
// status, or 0 if the pod left before there was one.
func (a *agent) answer(w http.ResponseWriter, r *http.Request) int {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		return writeError(w, newError(http.StatusMethodNotAllowed, codeMethodNotAllowed, "use GET"), "")
	}
	values := r.Header.Values("Authorization")
	if len(values) != 1 || values[0] == "" {
		return writeError(w, newError(http.StatusBadRequest, codeInvalidRequest,
			"send the pod's service-account token, as it is, in one Authorization header (the SDKs do when AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is set)"), "")
	}
	token := values[0]
	g, ae := a.credentials(r.Context(), token, sourceOf(r))
	switch {
	case ae != nil:
		return writeError(w, ae, token)
	case g == nil:
		return 0 // the pod left; nobody reads an answer
	}
	writeCredentials(w, g)
	return http.StatusOK
}

// credentials returns what to answer token with: a grant, or an error to
// send, or neither if ctx ended first.
func (a *agent) credentials(ctx context.Context, token string, source netip.Addr) (*grant, *apiError) {
	now := a.now()
	// A cached token needs no parsing: its entry holds its claims, and
	// its key proves it is the token EKS Auth accepted.
	k := tokenKey(token)
	if e := a.cache.lookup(k, now); e != nil {
		a.metrics.hits.Inc()
		if ok, wait := allow(e.limit, now); !ok {
			ae := newError(http.StatusTooManyRequests, codeThrottling, "this pod asks for credentials more often than the agent allows (%g per second); cache them", a.rate)
			ae.retryAfter = wait
			return nil, ae
		}
		// Never serve beyond the token's own life, even from the cache.
		if exp := e.claims.expires; !exp.IsZero() && !now.Before(exp) {
			return nil, tokenExpired(exp)
		}
		return a.fromEntry(ctx, e, token, now)
	}
	a.metrics.misses.Inc()
	c, err := peekClaims(token) // says what is wrong
	if err != nil {
		return nil, newError(http.StatusBadRequest, codeInvalidToken, "%v", err)
	}
	if exp := c.expires; !exp.IsZero() && !now.Before(exp) {
		return nil, tokenExpired(exp)
	}
	return a.firstFetch(ctx, k, token, c, source)
}

func tokenExpired(exp time.Time) *apiError {
	return newError(http.StatusBadRequest, codeExpiredToken, "the service-account token expired at %s", exp.Format(time.RFC3339))
}

// firstFetch exchanges a token not in the cache, sharing one call among
// the requests that present it at once; the call ends if they all leave.
// Its grant enters the cache only if EKS Auth returned one.
func (a *agent) firstFetch(ctx context.Context, k key, token string, c claims, source netip.Addr) (*grant, *apiError) {
	var hit *entry // admitted meanwhile
	cached := func() bool { hit = a.cache.lookup(k, a.now()); return hit != nil }
	start := func(ctx context.Context, f *flight) { a.runFirstFetch(ctx, f, k, c, token) }
	f, refused := a.pending.join(k, source, cached, start)
	switch refused {
	case nowCached:
		return a.fromEntry(ctx, hit, token, a.now())
	case tableFull:
		a.metrics.refused.WithLabelValues("table_full").Inc()
		ae := newError(http.StatusServiceUnavailable, codeServiceUnavailable, "the agent is exchanging as many new tokens as it may at once (%d); try again", a.pending.max)
		ae.retryAfter = time.Second
		return nil, ae
	case sourceFull:
		a.metrics.refused.WithLabelValues("source_full").Inc()
		ae := newError(http.StatusTooManyRequests, codeThrottling, "this address has as many new tokens under exchange as it may at once (%d); try again", a.pending.perSource)
		ae.retryAfter = time.Second
		return nil, ae
	}
	defer a.pending.leave(f)
	return a.await(ctx, f)
}

// runFirstFetch is f's exchange, which ends with ctx: it admits the token
// if EKS Auth returns credentials for it.
func (a *agent) runFirstFetch(ctx context.Context, f *flight, k key, c claims, token string) {
	g, err := a.up.call(ctx, kindFirst, c, token)
	if err == nil {
		now := a.now()
		e := &entry{key: k, claims: c, limit: newLimiter(a.rate, a.burst)}
		e.limit.AllowN(now, 1) // the request that fetched counts
		e.grant.Store(g)
		// Admitted before it is unlisted, so that a request in between
		// finds one or the other, never neither.
		if n := a.cache.admit(e, now); n > 0 {
			a.log.Info("token rotated", "pod_uid", c.podUID, "retired", n)
		}
		a.metrics.admissions.Inc()
	}
	a.pending.unlist(f)
	f.finish(g, err)
}

// fromEntry answers from an admitted entry: its grant while fresh; its
// grant and a background refresh once the refresh is due; a shared wait
// for a refresh once the grant is too close to expiry to be served.
func (a *agent) fromEntry(ctx context.Context, e *entry, token string, now time.Time) (*grant, *apiError) {
	g := e.grant.Load()
	if now.Before(g.refreshAt) {
		return g, nil
	}
	if now.Before(g.serveUntil()) {
		a.refresh(e, token, true)
		return g, nil
	}
	return a.await(ctx, a.refresh(e, token, false))
}

// await waits for f's outcome, or for ctx to end (then neither is
// returned).
func (a *agent) await(ctx context.Context, f *flight) (*grant, *apiError) {
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, nil
	}
	if f.err != nil {
		if ctx.Err() != nil && errors.Is(f.err, context.Canceled) {
			return nil, nil
		}
		return nil, upstreamError(f.err)
	}
	return f.grant, nil
}

// refresh returns e's running refresh, starting one unless background and
// backing off after a failure (then it returns nil). A refresh is shared
// and detached: the request that started it may leave, the others still
// get its outcome, and it is bounded by the upstream timeout only. When
// EKS Auth says the pod's access is gone, the entry is dropped at once;
// other failures keep the grant in service.
func (a *agent) refresh(e *entry, token string, background bool) *flight {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refresh != nil {
		return e.refresh
	}
	if background && a.now().Before(e.retryAt) {
		return nil
	}
	f := newFlight()
	e.refresh = f
	go func() {
		g, err := a.up.call(context.Background(), kindRefresh, e.claims, token)
		e.mu.Lock()
		e.refresh = nil
		if err == nil {
			e.failures = 0
			e.retryAt = time.Time{}
			e.grant.Store(g)
		} else {
			e.failures++
			e.retryAt = a.now().Add(backoff(e.failures))
		}
		e.mu.Unlock()
		if err != nil && revoked(err) {
			a.cache.drop(e, evictRevoked)
			a.log.Info("credentials dropped: EKS Auth refused the pod's token", "pod_uid", e.claims.podUID, "code", upstreamError(err).Code)
		}
		f.finish(g, err)
	}()
	return f
}

// backoff is the jittered wait after n failed refreshes in a row: the
// upper half of retryBackoff doubled n-1 times, capped at maxRetryBackoff.
func backoff(n int) time.Duration {
	d := retryBackoff << min(n-1, 20)
	d = min(d, maxRetryBackoff)
	return d/2 + rand.N(d/2+1)
}

// newGrant checks an answer of EKS Auth and schedules its refresh.
func newGrant(out *eksauth.AssumeRoleForPodIdentityOutput, now time.Time) (*grant, error) {
	if out == nil || out.Credentials == nil {
		return nil, errors.New("incomplete response: no credentials")
	}
	c := out.Credentials
	var missing []string
	for _, f := range []struct {
		name string
		v    *string
	}{{"accessKeyId", c.AccessKeyId}, {"secretAccessKey", c.SecretAccessKey}, {"sessionToken", c.SessionToken}} {
		if f.v == nil || *f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if c.Expiration == nil || c.Expiration.IsZero() {
		missing = append(missing, "expiration")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("incomplete response: credentials without %s", strings.Join(missing, ", "))
	}
	expires := c.Expiration.Round(0)
	if !expires.After(now) {
		return nil, fmt.Errorf("response credentials expired at %s, before they arrived (now %s)",
			expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	g := &grant{
		// Cloned: the strings would otherwise keep whatever buffer
		// the client decoded them from.
		accessKeyID:     strings.Clone(*c.AccessKeyId),
		secretAccessKey: strings.Clone(*c.SecretAccessKey),
		sessionToken:    strings.Clone(*c.SessionToken),
		expires:         expires,
	}
	if out.AssumedRoleUser != nil && out.AssumedRoleUser.Arn != nil {
		if parsed, err := arn.Parse(*out.AssumedRoleUser.Arn); err == nil {
			g.accountID = strings.Clone(parsed.AccountID)
		}
	}
	// Credentials that live shorter than the window are served once, to
	// the requests that waited for them, and refreshed on the next.
	g.refreshAt = g.serveUntil()
	if usable := g.serveUntil().Sub(now); usable > 0 {
		f := refreshFraction + (2*rand.Float64()-1)*refreshJitter
		g.refreshAt = g.serveUntil().Add(-time.Duration(f * float64(usable)))
	}
	return g, nil
}

// sourceOf returns the request's source address: each pod has its own.
// The zero address stands for one that cannot be parsed.
func sourceOf(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func writeCredentials(w http.ResponseWriter, g *grant) {
	body := credentialsBody{
		AccessKeyId:     g.accessKeyID,
		SecretAccessKey: g.secretAccessKey,
		Token:           g.sessionToken,
		AccountId:       g.accountID,
		Expiration:      g.expires.UTC().Format(time.RFC3339),
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(&body)
}

func (a *agent) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeStatus(w, http.StatusOK, map[string]any{"status": "ok"})
}

// serveReady fails while shutting down or while the readiness check (in
// run: node credentials can be had) fails, so that nothing routes pods to an
// agent that cannot sign.
func (a *agent) serveReady(w http.ResponseWriter, r *http.Request) {
	if a.stopping.Load() {
		writeError(w, newError(http.StatusServiceUnavailable, codeShuttingDown, "the agent is shutting down"), "")
		return
	}
	if a.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := a.ready(ctx); err != nil {
			writeError(w, newError(http.StatusServiceUnavailable, codeServiceUnavailable, "not ready: %v", err), "")
			return
		}
	}
	entries, pods := a.cache.stats()
	writeStatus(w, http.StatusOK, map[string]any{"status": "ready", "pods": pods, "tokens": entries})
}

func writeStatus(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// sweep forgets idle tokens every interval until ctx ends.
func (a *agent) sweep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n := a.cache.sweep(a.now()); n > 0 {
				a.log.Debug("forgot idle tokens", "count", n)
			}
		}
	}
}
