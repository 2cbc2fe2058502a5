package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/internal/protocol"
)

// credentialsPath is where the SDKs' container providers ask; on a node,
// AWS_CONTAINER_CREDENTIALS_FULL_URI is http://169.254.170.23/v1/credentials.
const credentialsPath = "/v1/credentials"

// expiryWindow is the providers' ExpiryWindow: the Expires of what they
// return is the real expiry minus this.
const expiryWindow = credentials.DefaultExpiryWindow

// agentOptions configure an agent; run fills them from its flags, whose
// defaults it documents.
type agentOptions struct {
	cluster         string        // EKS cluster name; required
	client          assumer       // EKS Auth; required
	cacheSize       int           // most tokens cached; at least 1
	idleTTL         time.Duration // forget a token not asked for this long; <= 0 never
	rate            float64       // requests per second per token; <= 0 unlimited
	burst           int           // requests allowed at once per token; at least 1
	upstreamTimeout time.Duration // deadline of one EKS Auth call, retries included; <= 0 none (the provider's 1 minute)
	maxInflight     int           // EKS Auth calls in flight at once; <= 0 unbounded

	nodeName, instanceID, zone string // optional node identity for EKS Auth

	logger *slog.Logger                // nil means discard
	ready  func(context.Context) error // extra readiness check; nil means none

	now func() time.Time // the clock of the cache and rate limits; nil means time.Now
}

// agent serves the container-credentials endpoint: it answers each pod's
// token with the credentials of the role associated with the pod's service
// account, fetched from EKS Auth once and cached per token (cache.go).
type agent struct {
	cluster         string
	up              *upstream
	cache           *cache
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
	a := &agent{
		cluster:         o.cluster,
		cache:           newCache(o.cacheSize, o.idleTTL),
		rate:            o.rate,
		burst:           o.burst,
		upstreamTimeout: o.upstreamTimeout,
		log:             o.logger,
		ready:           o.ready,
		now:             o.now,
		up: &upstream{
			client:     o.client,
			timeout:    o.upstreamTimeout,
			log:        o.logger,
			nodeName:   o.nodeName,
			instanceID: o.instanceID,
			zone:       o.zone,
		},
		mux: http.NewServeMux(),
	}
	if o.maxInflight > 0 {
		a.up.sem = make(chan struct{}, o.maxInflight)
	}
	a.mux.HandleFunc(credentialsPath, a.serveCredentials)
	a.mux.HandleFunc("/healthz", a.serveHealth)
	a.mux.HandleFunc("/readyz", a.serveReady)
	a.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newError(http.StatusNotFound, codeNotFound, "no such path; credentials are served at %s", credentialsPath), "")
	})
	return a
}

// newProvider returns the provider of one token: our credentials.Provider,
// which coalesces concurrent fetches into one, refreshes in the background
// ahead of expiry and keeps valid credentials through an EKS Auth outage.
func (a *agent) newProvider(token string, c claims) retriever {
	// The provider asks for its token on every fetch; an entry's token
	// never changes (a rotated token is another entry), so return it.
	tok := credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return token, nil })
	log := a.log.With("pod_uid", c.podUID)
	return credentials.New(a.up.forPod(c), a.cluster, tok, func(o *credentials.Options) {
		o.Logger = smithyLogger(log, token)
		o.Timeout = a.upstreamTimeout // the gate (upstream.go) has the same deadline
		o.ExpiryWindow = expiryWindow // writeCredentials relies on it
	})
}

func (a *agent) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// credentialsBody is the answer the SDKs' container providers expect.
type credentialsBody struct {
	AccessKeyId     string
	SecretAccessKey string
	Token           string
	AccountId       string `json:",omitempty"`
	Expiration      string `json:",omitempty"` // RFC 3339
}

func (a *agent) serveCredentials(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, newError(http.StatusMethodNotAllowed, codeMethodNotAllowed, "use GET"), "")
		return
	}
	values := r.Header.Values("Authorization")
	if len(values) != 1 || values[0] == "" {
		writeError(w, newError(http.StatusBadRequest, protocol.CodeInvalidRequest,
			"send the pod's service-account token, as it is, in one Authorization header (the SDKs do when AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE is set)"), "")
		return
	}
	token := values[0]
	if len(token) > maxTokenLen || !protocol.ValidToken(token) {
		_, err := peekClaims(token) // says what is wrong
		writeError(w, newError(http.StatusBadRequest, protocol.CodeInvalidToken, "%v", err), token)
		return
	}

	// A cached token needs no parsing: its entry holds its claims.
	now := a.now()
	k := tokenKey(token)
	e := a.cache.lookup(k, now)
	if e == nil {
		c, err := peekClaims(token)
		if err != nil {
			writeError(w, newError(http.StatusBadRequest, protocol.CodeInvalidToken, "%v", err), token)
			return
		}
		e, _ = a.cache.get(k, now, func() *entry {
			return &entry{
				claims:   c,
				limit:    newBucket(a.rate, a.burst, now),
				provider: a.newProvider(token, c),
			}
		})
	}
	c := e.claims
	if ok, wait := e.limit.allow(now); !ok {
		ae := newError(http.StatusTooManyRequests, protocol.CodeThrottling, "this pod asks for credentials more often than the agent allows (%g per second); cache them", a.rate)
		ae.retryAfter = wait
		writeError(w, ae, "")
		return
	}
	// Never serve beyond the token's own life, even from the cache.
	if exp := e.claims.expires; !exp.IsZero() && !now.Before(exp) {
		writeError(w, newError(http.StatusBadRequest, protocol.CodeExpiredToken,
			"the service-account token expired at %s", exp.Format(time.RFC3339)), "")
		return
	}

	creds, err := e.provider.Retrieve(r.Context())
	if err != nil {
		if r.Context().Err() != nil {
			return // the pod left; nobody reads an answer
		}
		writeError(w, upstreamError(err), token)
		return
	}
	// EKS Auth has verified this token: it may now retire the pod's older
	// tokens (a kubelet rotation).
	if e.accepted.CompareAndSwap(false, true) {
		if n := a.cache.retire(e); n > 0 {
			a.log.Info("token rotated", "pod_uid", c.podUID, "retired", n)
		}
	}
	writeCredentials(w, creds, a.now())
}

func writeCredentials(w http.ResponseWriter, creds aws.Credentials, now time.Time) {
	body := credentialsBody{
		AccessKeyId:     creds.AccessKeyID,
		SecretAccessKey: creds.SecretAccessKey,
		Token:           creds.SessionToken,
		AccountId:       creds.AccountID,
	}
	if creds.CanExpire {
		exp := creds.Expires.Truncate(time.Second) // as RFC 3339 sends it
		// Credentials living shorter than the window arrive "expired";
		// send their real expiry rather than a time already past, which
		// botocore refuses ("refreshed credentials are still expired").
		if !exp.After(now) {
			exp = exp.Add(expiryWindow)
		}
		body.Expiration = exp.UTC().Format(time.RFC3339)
	}
	h := w.Header()
	h.Set("Content-Type", protocol.ContentType)
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
			writeError(w, newError(http.StatusServiceUnavailable, protocol.CodeServiceUnavailable, "not ready: %v", err), "")
			return
		}
	}
	entries, pods := a.cache.stats()
	writeStatus(w, http.StatusOK, map[string]any{"status": "ready", "pods": pods, "tokens": entries})
}

func writeStatus(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", protocol.ContentType)
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
