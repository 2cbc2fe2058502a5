package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/podidentity/podidentity/eksauth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "pod-identity-agent:", err)
		os.Exit(1)
	}
}

// clusterNamePattern is EKS's rule for cluster names.
var clusterNamePattern = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)

// errUsage marks errors in the command line; flag has printed them.
var errUsage = errors.New("usage")

// flags are the command line, with their defaults.
type flags struct {
	cluster, region, endpoint string
	listen                    string
	cacheSize                 int
	idleTTL                   time.Duration
	rate                      float64
	burst                     int
	upstreamTimeout           time.Duration
	maxInflight               int
	maxPending, perSource     int
	eksAuthRate               float64
	eksAuthBurst              int
	shutdownTimeout           time.Duration
	nodeName, instanceID      string
	zone                      string
	logLevel                  slog.Level
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("pod-identity-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: pod-identity-agent -cluster NAME [flags]

Serves the container-credentials endpoint (GET /v1/credentials) to pods:
each pod's SDK sends its service-account token, the agent exchanges it with
EKS Auth (signing with the node's credentials, from the SDK's default chain)
and caches the answer per token.

Point an SDK at it with
  AWS_CONTAINER_CREDENTIALS_FULL_URI=http://<listen>/v1/credentials
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=<the pod's token file>
The SDKs accept plain http only to loopback, 169.254.170.23, [fd00:ec2::23]
(and ECS's 169.254.170.2): on a node, listen on
  -listen 169.254.170.23:80,[fd00:ec2::23]:80

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.cluster, "cluster", "", "EKS cluster `name` (required)")
	fs.StringVar(&f.region, "region", "", "AWS `region` of the cluster; empty means the SDK's (AWS_REGION, shared config, IMDS)")
	fs.StringVar(&f.endpoint, "endpoint", "", "EKS Auth base endpoint `URL`, e.g. an emulator's; empty means the one resolved from the region (or AWS_ENDPOINT_URL_EKS_AUTH)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8023", "comma-separated `addresses` to listen on")
	fs.IntVar(&f.cacheSize, "cache-size", 4096, "most tokens (about one per pod) whose credentials are cached; the least recently used go first")
	fs.DurationVar(&f.idleTTL, "idle-ttl", time.Hour, "forget a token not presented for this long (0: only the LRU bound)")
	fs.Float64Var(&f.rate, "rate", 10, "requests per second allowed per pod token, answered 429 beyond (0: unlimited)")
	fs.IntVar(&f.burst, "burst", 50, "requests a pod token may make at once before -rate applies")
	fs.DurationVar(&f.upstreamTimeout, "upstream-timeout", 10*time.Second, "deadline of one EKS Auth exchange, retries included; answered 504 beyond")
	fs.IntVar(&f.maxInflight, "max-inflight", 32, "EKS Auth calls in flight at once, across pods (0: unbounded)")
	fs.Float64Var(&f.eksAuthRate, "eksauth-rate", DefaultEKSAuthRate, "EKS Auth calls per second from this node, retries included; first fetches go ahead of refreshes, and a ThrottlingException slows the node down (0: unlimited)")
	fs.IntVar(&f.eksAuthBurst, "eksauth-burst", DefaultEKSAuthBurst, "EKS Auth calls this node may make at once before -eksauth-rate applies")
	fs.IntVar(&f.maxPending, "max-pending", 256, "tokens whose first exchange may be under way at once; beyond, new tokens are answered 503")
	fs.IntVar(&f.perSource, "max-pending-per-source", 8, "tokens one source address (a pod) may have under way at once; beyond, 429")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let requests finish on SIGINT/SIGTERM")
	fs.StringVar(&f.nodeName, "node-name", "", "node `name` sent to EKS Auth as eksNodeName (optional)")
	fs.StringVar(&f.instanceID, "instance-id", "", "EC2 instance `ID` sent to EKS Auth (optional)")
	fs.StringVar(&f.zone, "zone", "", "availability `zone` sent to EKS Auth (optional)")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "log `level`: DEBUG, INFO, WARN or ERROR")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, errUsage
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	switch {
	case f.cluster == "":
		problems = append(problems, "-cluster is required: the name of the EKS cluster this node belongs to")
	case !clusterNamePattern.MatchString(f.cluster):
		problems = append(problems, fmt.Sprintf("-cluster %q: want 1 to 100 letters, digits, '-' or '_', starting with a letter or digit", f.cluster))
	}
	if f.region != "" && !validRegion(f.region) {
		problems = append(problems, fmt.Sprintf("-region %q: want a region name such as us-west-2", f.region))
	}
	if f.endpoint != "" {
		if err := checkEndpoint(f.endpoint); err != nil {
			problems = append(problems, fmt.Sprintf("-endpoint %q: %v", f.endpoint, err))
		}
	}
	for _, addr := range strings.Split(f.listen, ",") {
		// An empty entry would listen on every interface of a random port:
		// never what was meant for a credentials endpoint.
		if _, port, err := net.SplitHostPort(strings.TrimSpace(addr)); err != nil || port == "" {
			problems = append(problems, fmt.Sprintf("-listen %q: want comma-separated host:port addresses, such as 127.0.0.1:8023", f.listen))
			break
		}
	}
	if f.cacheSize < 1 {
		problems = append(problems, "-cache-size must be at least 1")
	}
	for _, c := range []struct {
		name string
		bad  bool
		want string
	}{
		{"-idle-ttl", f.idleTTL < 0, "must not be negative"},
		{"-rate", f.rate < 0, "must not be negative"},
		{"-burst", f.burst < 1, "must be at least 1"},
		{"-upstream-timeout", f.upstreamTimeout <= 0, "must be positive"},
		{"-max-inflight", f.maxInflight < 0, "must not be negative"},
		{"-eksauth-rate", !(f.eksAuthRate >= 0) || math.IsInf(f.eksAuthRate, 0), "must be a number of calls per second, 0 for no limit"},
		{"-eksauth-burst", f.eksAuthBurst < 1, "must be at least 1"},
		{"-max-pending", f.maxPending < 1, "must be at least 1"},
		{"-max-pending-per-source", f.perSource < 1, "must be at least 1"},
		{"-shutdown-timeout", f.shutdownTimeout < 0, "must not be negative"},
	} {
		if c.bad {
			problems = append(problems, c.name+" "+c.want)
		}
	}
	for _, v := range []string{f.nodeName, f.instanceID, f.zone} {
		if strings.ContainsAny(v, "\r\n") {
			problems = append(problems, "-node-name, -instance-id and -zone must be one line")
			break
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "pod-identity-agent:", p)
		}
		return f, errUsage
	}
	return f, nil
}

// run is the agent's whole life: parse args, load the node's credentials,
// listen, serve until ctx ends, then shut down gracefully. It prints one
// "listening on" line per address to stdout and logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel}))

	var loadOpts []func(*config.LoadOptions) error
	if f.region != "" {
		loadOpts = append(loadOpts, config.WithRegion(f.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return fmt.Errorf("load the node's AWS configuration: %w", err)
	}
	client := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) {
		if f.endpoint != "" {
			o.BaseEndpoint = &f.endpoint
		}
	})
	// The region is the SigV4 signing region, needed with -endpoint too.
	switch region := client.Options().Region; {
	case region == "":
		return errors.New("no region: set -region or AWS_REGION")
	case !validRegion(region):
		return fmt.Errorf("region %q from the AWS configuration: want a region name such as us-west-2", region)
	}

	a := newAgent(agentOptions{
		cluster:         f.cluster,
		client:          client,
		cacheSize:       f.cacheSize,
		idleTTL:         f.idleTTL,
		rate:            f.rate,
		burst:           f.burst,
		upstreamTimeout: f.upstreamTimeout,
		maxInflight:     f.maxInflight,
		maxPending:      f.maxPending,
		eksAuthRate:     f.eksAuthRate,
		eksAuthBurst:    f.eksAuthBurst,
		perSource:       f.perSource,
		nodeName:        f.nodeName,
		instanceID:      f.instanceID,
		zone:            f.zone,
		logger:          log,
		ready:           nodeCredentialsReady(cfg),
	})

	var listeners []net.Listener
	closeAll := func() {
		for _, l := range listeners {
			l.Close()
		}
	}
	for _, addr := range strings.Split(f.listen, ",") {
		l, err := net.Listen("tcp", strings.TrimSpace(addr))
		if err != nil {
			closeAll()
			if errors.Is(err, syscall.EADDRINUSE) {
				return fmt.Errorf("%w (another agent running? choose the address with -listen)", err)
			}
			return err // "listen tcp <addr>: ..."
		}
		listeners = append(listeners, l)
	}

	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 5 * time.Second,
		// Covers a wait for EKS Auth (bounded by -upstream-timeout), and a
		// slow reader.
		WriteTimeout:   f.upstreamTimeout + 10*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	errs := make(chan error, len(listeners))
	var wg sync.WaitGroup
	for _, l := range listeners {
		fmt.Fprintf(stdout, "pod-identity-agent: listening on http://%s%s\n", l.Addr(), credentialsPath)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("serve %s: %w", l.Addr(), err)
			}
		}()
	}
	if f.idleTTL > 0 {
		go a.sweep(serveCtx, min(f.idleTTL/2, time.Minute))
	}
	log.Info("agent started", "cluster", f.cluster, "region", client.Options().Region, "endpoint", aws.ToString(client.Options().BaseEndpoint),
		"cache_size", f.cacheSize, "idle_ttl", f.idleTTL, "rate", f.rate, "burst", f.burst)
	go func() {
		// Missing node credentials are not fatal (IMDS may come up later),
		// but the operator should not learn of them from the first pod.
		ctx, cancel := context.WithTimeout(serveCtx, f.upstreamTimeout)
		defer cancel()
		if err := nodeCredentialsReady(cfg)(ctx); err != nil && serveCtx.Err() == nil {
			log.Warn("no node credentials yet: pods get 502 and /readyz 503 until there are", "error", err)
		}
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	a.stopping.Store(true)
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		serveErr = errors.Join(serveErr, fmt.Errorf("shutdown: %w", err))
	}
	wg.Wait()
	return serveErr
}

// nodeCredentialsReady is the readiness check: the agent can sign, the
// node's credentials are there (the SDK caches them, so this is cheap).
func nodeCredentialsReady(cfg aws.Config) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return fmt.Errorf("node credentials: %w", err)
		}
		return nil
	}
}

// validRegion reports whether r can be a region: a DNS label, as the
// endpoint and the SigV4 scope need.
func validRegion(r string) bool {
	if len(r) > 63 || r == "" || r[0] == '-' || r[len(r)-1] == '-' {
		return false
	}
	return strings.Trim(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == ""
}

// checkEndpoint refuses what could only fail later, on every pod's request.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("want an http:// or https:// URL")
	case u.Host == "":
		return errors.New("want a host, as in http://127.0.0.1:8765")
	}
	return nil
}
