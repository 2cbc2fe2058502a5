package eksauthtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/podidentity/podidentity/internal/endpoints"
	"github.com/podidentity/podidentity/internal/protocol"
)

// Defaults of the options.
const (
	DefaultRegion    = "us-west-2"
	DefaultAccountID = "111122223333"
	// DefaultCredentialLifetime is how long issued credentials last, as on EKS.
	DefaultCredentialLifetime = 6 * time.Hour
	// TargetRoleCredentialLifetime is how long credentials last for an
	// association with a target role, as on EKS, unless
	// WithCredentialLifetime is given.
	TargetRoleCredentialLifetime = 59 * time.Minute
	// DefaultTokenLifetime is the lifetime of a token minted with ttl 0: the
	// kubelet's default for pod-identity tokens.
	DefaultTokenLifetime = 24 * time.Hour
	// MaxClockSkew is how far a request's X-Amz-Date may be from the
	// server's clock, as on AWS.
	MaxClockSkew = 5 * time.Minute
)

// Server is a running EKS Auth emulator. Its methods are safe for
// concurrent use, also while requests are being served.
type Server struct {
	// URL is the base endpoint, http://127.0.0.1:<port>, without a
	// trailing slash.
	URL string

	region    string
	partition string
	account   string
	lifetime  time.Duration // zero: the EKS defaults
	now       func() time.Time
	wallNow   func() time.Time // the SigV4 date check: SDK clients sign with the wall clock
	node      aws.Credentials
	wrap      func(http.Handler) http.Handler

	listener net.Listener
	http     *http.Server
	client   *http.Client
	done     chan struct{} // closed by Close, aborts fault delays
	wg       sync.WaitGroup
	once     sync.Once

	connMu sync.Mutex
	conns  map[net.Conn]http.ConnState // guarded by connMu: open connections

	mu       sync.Mutex
	clusters map[string]*cluster      // guarded by mu, by cluster name
	assocs   map[assocKey]Association // guarded by mu
	assocIDs map[string]assocKey      // guarded by mu, association ID to key
	roleIDs  map[string]string        // guarded by mu, role ARN to its AROA ID
	faults   []Fault                  // guarded by mu, FIFO
	random   randomFaults             // guarded by mu: WithRandomFaults
	throttle *bucket                  // guarded by mu: WithThrottling; nil without
	requests []*Request               // guarded by mu, also their fields
	logBytes int64                    // guarded by mu: the recorded requests' size

	logMaxCount int   // WithRequestLog
	logMaxBytes int64 // WithRequestLog
}

// Association maps a service account of a cluster to an IAM role, like an
// EKS Pod Identity association.
type Association struct {
	// Cluster, Namespace and ServiceAccount select the pods. Required.
	Cluster        string
	Namespace      string
	ServiceAccount string

	// RoleARN is the role whose credentials the pods get. Required, an IAM
	// role ARN such as arn:aws:iam::111122223333:role/app.
	RoleARN string

	// TargetRoleARN, if set, is the role assumed from RoleARN; the
	// credentials are then the target role's (EKS role chaining).
	TargetRoleARN string

	// CredentialLifetime, if set, is how long the association's
	// credentials last, overriding the server's lifetime: short-lived
	// credentials for one pod make its SDK refresh (and re-read a rotated
	// token) within a test, while the others keep EKS's lifetimes.
	// At least a second.
	CredentialLifetime time.Duration

	// ID is set by the server: a- and 17 lowercase letters or digits.
	ID string
}

// Pod names the pod a token is minted for.
type Pod struct {
	Cluster        string
	Namespace      string
	ServiceAccount string
	// Name is the pod's name. Empty means "pod". Each name gets a stable
	// pod UID for the life of the Server.
	Name string
}

type assocKey struct{ cluster, namespace, serviceAccount string }

// Option configures a Server.
type Option func(*Server)

// WithRegion sets the region the server answers for: requests must be
// signed for it, and ARNs use its partition. Default "us-west-2".
func WithRegion(region string) Option { return func(s *Server) { s.region = region } }

// WithAccountID sets the account of ARNs: 12 digits. Default "111122223333".
func WithAccountID(id string) Option { return func(s *Server) { s.account = id } }

// WithCredentialLifetime sets how long issued credentials last, for every
// association, target role or not. Default 6 h, or 59 min for an
// association with a target role, as on EKS.
func WithCredentialLifetime(d time.Duration) Option { return func(s *Server) { s.lifetime = d } }

// WithClock sets the clock of tokens (iat, nbf, exp and their check) and
// of credential expirations. Default time.Now. The SigV4 date check always
// uses the wall clock, because SDK clients sign with it.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithNodeCredentials sets the only credentials the server accepts.
// Default: random ASIA… keys with a session token. A session token, if
// set, must be sent as X-Amz-Security-Token.
func WithNodeCredentials(c aws.Credentials) Option { return func(s *Server) { s.node = c } }

// WithMiddleware wraps the server's handler, to add routes or logging
// around the emulator (the standalone emulator adds a token-minting
// route). The wrapper must pass through http.Flusher, which truncated
// answers use.
func WithMiddleware(wrap func(http.Handler) http.Handler) Option {
	return func(s *Server) { s.wrap = wrap }
}

// Bounds of the request record (see WithRequestLog).
const (
	DefaultRequestLogCount = 10000
	DefaultRequestLogBytes = 32 << 20
)

// WithRequestLog bounds the record of requests that Requests returns: the
// newest maxCount requests, as long as their bodies, headers and paths add
// up to at most maxBytes (the newest one is always kept, and a body is
// at most 1 MiB + 1 byte); older ones are forgotten. WithRequestLog(0, 0)
// keeps none, for a long-running emulator. Default:
// DefaultRequestLogCount requests and DefaultRequestLogBytes bytes, so
// that a test may send anything without the record growing without bound.
func WithRequestLog(maxCount int, maxBytes int64) Option {
	return func(s *Server) { s.logMaxCount, s.logMaxBytes = maxCount, maxBytes }
}

// WithListener serves on l instead of a new loopback listener, for a
// fixed address. The Server closes l.
func WithListener(l net.Listener) Option { return func(s *Server) { s.listener = l } }

// NewServer starts an emulator on a loopback port, like
// httptest.NewServer. Call Close when done. It panics if it cannot listen
// or an option is invalid (a region that is not a region name, a negative
// or sub-second lifetime, node credentials without a secret, a random
// fault rate outside [0, 1] or without faults, a throttling rate below 0
// or a burst below 1).
func NewServer(opts ...Option) *Server {
	s := &Server{
		region:   DefaultRegion,
		account:  DefaultAccountID,
		now:      time.Now,
		wallNow:  time.Now,
		done:     make(chan struct{}),
		clusters: make(map[string]*cluster),
		assocs:   make(map[assocKey]Association),
		assocIDs: make(map[string]assocKey),
		roleIDs:  make(map[string]string),

		logMaxCount: DefaultRequestLogCount,
		logMaxBytes: DefaultRequestLogBytes,
	}
	for _, opt := range opts {
		opt(s)
	}
	if !endpoints.ValidRegion(s.region) {
		panic(fmt.Sprintf("eksauthtest: invalid region %q", s.region))
	}
	if !validAccountID(s.account) {
		panic(fmt.Sprintf("eksauthtest: invalid account ID %q: want 12 digits", s.account))
	}
	if s.lifetime < 0 || s.lifetime > 0 && s.lifetime < time.Second {
		panic(fmt.Sprintf("eksauthtest: invalid credential lifetime %v", s.lifetime))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logMaxCount < 0 || s.logMaxBytes < 0 {
		panic(fmt.Sprintf("eksauthtest: invalid request log bounds %d requests, %d bytes", s.logMaxCount, s.logMaxBytes))
	}
	if err := s.random.init(); err != nil {
		panic("eksauthtest: " + err.Error())
	}
	if s.throttle != nil {
		if err := s.throttle.init(); err != nil {
			panic("eksauthtest: " + err.Error())
		}
	}
	if (s.node.AccessKeyID == "") != (s.node.SecretAccessKey == "") {
		panic("eksauthtest: WithNodeCredentials needs both an access key ID and a secret access key")
	}
	if s.node.AccessKeyID == "" {
		s.node = aws.Credentials{
			AccessKeyID:     "ASIA" + randString(upperAlnum, 16),
			SecretAccessKey: randString(secretChars, 40),
			SessionToken:    sessionToken(),
		}
	}
	s.node.Source = "eksauthtest"
	s.partition = endpoints.PartitionOf(s.region).ID

	if s.listener == nil {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			if l, err = net.Listen("tcp6", "[::1]:0"); err != nil {
				panic(fmt.Sprintf("eksauthtest: failed to listen on a port: %v", err))
			}
		}
		s.listener = l
	}
	s.URL = "http://" + dialAddr(s.listener.Addr())
	s.conns = make(map[net.Conn]http.ConnState)
	var h http.Handler = s
	if s.wrap != nil {
		h = s.wrap(s)
	}
	s.http = &http.Server{Handler: h, ReadHeaderTimeout: time.Minute, ConnState: s.trackConn}
	s.client = &http.Client{Transport: &http.Transport{
		Proxy:               nil, // loopback: never through HTTP_PROXY
		MaxIdleConnsPerHost: 64,
	}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.http.Serve(s.listener) // returns ErrServerClosed after Close
	}()
	return s
}

// Close stops the server: pending fault delays end, open connections are
// closed and Close waits for the handlers to return. It is safe to call
// more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		_ = s.listener.Close()
		s.client.CloseIdleConnections()
		// Shutdown would wait 5 s for a connection that never sent a
		// request (transports dial spares); nothing more will come.
		s.connMu.Lock()
		for c, st := range s.conns {
			if st == http.StateNew || st == http.StateIdle {
				_ = c.Close()
			}
		}
		s.connMu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			_ = s.http.Close()
		}
		s.wg.Wait()
	})
}

func (s *Server) trackConn(c net.Conn, st http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	switch st {
	case http.StateHijacked, http.StateClosed:
		delete(s.conns, c)
	default:
		s.conns[c] = st
	}
}

// Region returns the region the server answers for.
func (s *Server) Region() string { return s.region }

// NodeCredentials returns the credentials the server accepts, the ones
// Config carries.
func (s *Server) NodeCredentials() aws.Credentials { return s.node }

// Client returns an HTTP client for the server, the one Config carries.
func (s *Server) Client() *http.Client { return s.client }

// Config returns what a client needs to call the server: the region, the
// base endpoint URL, the node credentials and an HTTP client. Retryer is
// left nil, so the client's default applies.
// eksauth.NewFromConfig(srv.Config()) returns a working client, and so
// does the official client's NewFromConfig.
func (s *Server) Config() aws.Config {
	endpoint := s.URL
	creds := s.node
	return aws.Config{
		Region:       s.region,
		BaseEndpoint: &endpoint,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		HTTPClient: s.client,
	}
}

// Validate reports whether a can be associated: a valid cluster name, a
// namespace, a service account and IAM role ARNs.
func (a Association) Validate() error {
	if !protocol.ValidClusterName(a.Cluster) {
		return fmt.Errorf("eksauthtest: invalid cluster name %q", a.Cluster)
	}
	if a.Namespace == "" || a.ServiceAccount == "" {
		return errors.New("eksauthtest: namespace and service account are required")
	}
	if _, _, err := parseRole(a.RoleARN); err != nil {
		return fmt.Errorf("eksauthtest: RoleARN: %w", err)
	}
	if a.TargetRoleARN != "" {
		if _, _, err := parseRole(a.TargetRoleARN); err != nil {
			return fmt.Errorf("eksauthtest: TargetRoleARN: %w", err)
		}
	}
	if a.CredentialLifetime < 0 || a.CredentialLifetime > 0 && a.CredentialLifetime < time.Second {
		return fmt.Errorf("eksauthtest: invalid CredentialLifetime %v: want at least 1s", a.CredentialLifetime)
	}
	return nil
}

// Associate adds an association and returns its ID. An existing
// association of the same service account is replaced (with a new ID).
// It panics if a.Validate fails.
func (s *Server) Associate(a Association) string {
	if err := a.Validate(); err != nil {
		panic(err.Error())
	}
	a.ID = "a-" + randString(lowerAlnum, 17)
	key := assocKey{a.Cluster, a.Namespace, a.ServiceAccount}

	s.cluster(a.Cluster) // creates its key now rather than on the first request
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.assocs[key]; ok {
		delete(s.assocIDs, old.ID)
	}
	s.assocs[key] = a
	s.assocIDs[a.ID] = key
	return a.ID
}

// Disassociate removes the association with the given ID and reports
// whether it existed.
func (s *Server) Disassociate(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.assocIDs[id]
	if ok {
		delete(s.assocIDs, id)
		delete(s.assocs, key)
	}
	return ok
}

// Associations returns the current associations, in no particular order.
func (s *Server) Associations() []Association {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Association, 0, len(s.assocs))
	for _, a := range s.assocs {
		out = append(out, a)
	}
	return out
}

// AssociationARN returns the ARN the server reports for an association ID.
func (s *Server) AssociationARN(cluster, id string) string {
	return fmt.Sprintf("arn:%s:eks:%s:%s:podidentityassociation/%s/%s", s.partition, s.region, s.account, cluster, id)
}

// Issuer returns the OIDC issuer URL of a cluster's tokens,
// https://oidc.eks.<region>.amazonaws.com/id/<32 hex digits>.
func (s *Server) Issuer(clusterName string) string { return s.cluster(clusterName).issuer }

// Inject queues faults. Each request takes the oldest queued fault, if
// any, instead of (or, for a Delay alone, before) its normal answer.
// Queued faults come before those of [WithRandomFaults].
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Requests returns a copy of the requests received so far, oldest first,
// within the bounds of WithRequestLog. A request is recorded when its body
// has been read, before it is answered: until then its Status is 0 and
// Done is false.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		c := *r
		c.Header = r.Header.Clone()
		c.Body = append([]byte(nil), r.Body...)
		out[i] = c
	}
	return out
}

// ResetRequests forgets the requests recorded so far.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests, s.logBytes = nil, 0
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return s.random.next()
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// record adds r to the record; the handler fills in the answer later
// through update.
func (s *Server) record(r *Request) {
	if s.logMaxCount == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	s.logBytes += requestSize(r)
	drop := 0
	for len(s.requests)-drop > s.logMaxCount || s.logBytes > s.logMaxBytes && len(s.requests)-drop > 1 {
		s.logBytes -= requestSize(s.requests[drop])
		s.requests[drop] = nil
		drop++
	}
	if drop > 0 {
		// A new slice, so that the dropped requests' memory goes too.
		s.requests = append([]*Request(nil), s.requests[drop:]...)
	}
}

// requestSize is what a recorded request holds, for WithRequestLog's
// bound: its body, path and header (recorded when the body was read,
// so it does not change while the request is answered).
func requestSize(r *Request) int64 {
	n := len(r.Body) + len(r.Path) + len(r.Method)
	for k, vs := range r.Header {
		n += len(k)
		for _, v := range vs {
			n += len(v)
		}
	}
	return int64(n)
}

// update changes a recorded request under the lock.
func (s *Server) update(r *Request, fn func(*Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(r)
}

func (s *Server) association(cluster, namespace, sa string) (Association, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assocs[assocKey{cluster, namespace, sa}]
	return a, ok
}

func (s *Server) knownCluster(name string) (*cluster, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clusters[name]
	return c, ok
}

// roleID returns the stable AROA… unique ID of a role.
func (s *Server) roleID(roleARN string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.roleIDs[roleARN]
	if !ok {
		id = "AROA" + randString(upperAlnum, 17)
		s.roleIDs[roleARN] = id
	}
	return id
}

// validAccountID reports whether id is an AWS account ID: 12 digits.
func validAccountID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// parseRole parses an IAM role ARN,
// arn:<partition>:iam::<account>:role/<path/>name.
func parseRole(roleARN string) (arn.ARN, string, error) {
	a, err := arn.Parse(roleARN)
	res, ok := strings.CutPrefix(a.Resource, "role/")
	name := res[strings.LastIndexByte(res, '/')+1:]
	if err != nil || a.Partition == "" || a.Service != "iam" || a.Region != "" || !validAccountID(a.AccountID) || !ok || name == "" {
		return arn.ARN{}, "", errors.New("not an IAM role ARN: " + roleARN)
	}
	return a, name, nil
}

// dialAddr returns an address clients can dial for a listener's address:
// a listener on all interfaces (0.0.0.0, ::) is reached on loopback.
func dialAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
