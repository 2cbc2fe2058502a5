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
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/podidentity/podidentity/eksauth"
)

func main() {
	// Memory is what a node agent is sized by: collect at half the heap's
	// growth (GOGC=100 lets it double), at little CPU cost for a process
	// that mostly waits. GOGC set in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
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
	listenIsDefault           bool
	allowAnyListen            bool
	probePort                 int
	rotateCredentials         bool
	showVersion               bool
	cacheSize                 int
	idleTTL                   time.Duration
	rate                      float64
	burst                     int
	upstreamTimeout           time.Duration
	maxInflight               int
	maxPending, perSource     int
	maxConns, maxConnsPerSrc  int
	eksAuthRate               float64
	eksAuthBurst              int
	shutdownTimeout           time.Duration
	nodeName, instanceID      string
	zone                      string
	imds                      string
	logLevel                  slog.Level
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("pod-identity-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usage := func() {
		fmt.Fprint(fs.Output(), `Usage: pod-identity-agent [server] -cluster NAME [flags]
       pod-identity-agent init      (put the link-local addresses on this node)
       pod-identity-agent version

Serves the container-credentials endpoint (GET /v1/credentials) to pods:
each pod's SDK sends its service-account token, the agent exchanges it with
EKS Auth (signing with the node's credentials, from the SDK's default chain)
and caches the answer per token.

Point an SDK at it with
  AWS_CONTAINER_CREDENTIALS_FULL_URI=http://<listen>/v1/credentials
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=<the pod's token file>
The SDKs accept plain http only to loopback, 169.254.170.23, [fd00:ec2::23]
(and ECS's 169.254.170.2). By default the agent listens on
  169.254.170.23:80 and [fd00:ec2::23]:80
which "pod-identity-agent init" puts on the node; on a laptop, use
  -listen 127.0.0.1:8023

Flags:
`)
		fs.PrintDefaults()
	}
	fs.Usage = func() {} // a mistake gets flag's one line and a hint (parseFailed)
	fs.StringVar(&f.cluster, "cluster", "", "EKS cluster `name` (required)")
	fs.StringVar(&f.region, "region", "", "AWS `region` of the cluster; empty means the SDK's (AWS_REGION, shared config, IMDS)")
	fs.StringVar(&f.endpoint, "endpoint", "", "EKS Auth base endpoint `URL`, e.g. an emulator's; empty means the one resolved from the region (or AWS_ENDPOINT_URL_EKS_AUTH)")
	fs.StringVar(&f.listen, "listen", defaultListen, "comma-separated `addresses` to listen on: loopback or the two link-local addresses")
	fs.BoolVar(&f.allowAnyListen, "allow-any-listen-address", false, "allow -listen on other addresses, wildcards included (whoever reaches them can ask for credentials with a pod's token)")
	fs.IntVar(&f.probePort, "probe-port", 2703, "`port` on 127.0.0.1 of /healthz, /readyz and /metrics (0: any free port)")
	fs.BoolVar(&f.rotateCredentials, "rotate-credentials", false, "re-read the node's credentials from the shared credentials file (AWS_SHARED_CREDENTIALS_FILE) when it changes, at least every minute (hybrid nodes)")
	fs.BoolVar(&f.showVersion, "version", false, "print the version and exit")
	fs.IntVar(&f.cacheSize, "cache-size", 4096, "most tokens (about one per pod) whose credentials are cached; the least recently used go first")
	fs.DurationVar(&f.idleTTL, "idle-ttl", time.Hour, "forget a token not presented for this long (0: only the LRU bound)")
	fs.Float64Var(&f.rate, "rate", 10, "requests per second allowed per pod token, answered 429 beyond (0: unlimited)")
	fs.IntVar(&f.burst, "burst", 50, "requests a pod token may make at once before -rate applies")
	fs.DurationVar(&f.upstreamTimeout, "upstream-timeout", 10*time.Second, "deadline of one EKS Auth exchange, retries included; answered 504 beyond")
	fs.IntVar(&f.maxInflight, "max-inflight", 32, "EKS Auth calls in flight at once, across pods (0: unbounded)")
	fs.Float64Var(&f.eksAuthRate, "eksauth-rate", DefaultEKSAuthRate, "EKS Auth calls per second from this node, retries included; first fetches go ahead of refreshes, and a ThrottlingException slows the node down (0: unlimited)")
	fs.IntVar(&f.eksAuthBurst, "eksauth-burst", DefaultEKSAuthBurst, "EKS Auth calls this node may make at once before -eksauth-rate applies")
	fs.IntVar(&f.maxPending, "max-pending", defaultMaxPending, "tokens whose first exchange may be under way at once; beyond, new tokens are answered 503")
	fs.IntVar(&f.perSource, "max-pending-per-source", 8, "tokens one source address (a pod) may have under way at once; beyond, 429")
	fs.IntVar(&f.maxConns, "max-conns", defaultMaxConns, "credentials connections open at once, across sources; beyond, a new one is closed at once (0: unbounded)")
	fs.IntVar(&f.maxConnsPerSrc, "max-conns-per-source", defaultMaxConnsPerSource, "credentials connections one source address may hold open (host-network pods share the node's); beyond, a new one is closed at once (0: unbounded)")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let requests finish on SIGINT/SIGTERM")
	fs.StringVar(&f.nodeName, "node-name", "", "node `name` sent to EKS Auth as eksNodeName; empty means IMDS's local-hostname, if any")
	fs.StringVar(&f.instanceID, "instance-id", "", "EC2 instance `ID` sent to EKS Auth; empty means IMDS's, if any")
	fs.StringVar(&f.zone, "zone", "", "availability-zone `ID` (such as usw2-az1) sent to EKS Auth; empty means IMDS's, if any")
	fs.StringVar(&f.imds, "imds", imdsAuto, "whether to ask EC2's instance metadata service (169.254.169.254) for the node's identity, region and credentials: auto (only on an EC2 instance, known from its DMI marks), on, or off; AWS_EC2_METADATA_DISABLED=true also turns it off")
	fs.TextVar(&f.logLevel, "log-level", slog.LevelInfo, "log `level`: DEBUG, INFO, WARN or ERROR")
	if err := fs.Parse(args); err != nil {
		return f, parseFailed(err, fs, usage)
	}
	if f.showVersion {
		return f, nil
	}
	// The default addresses, given or not, may fall back to IPv4 alone.
	f.listenIsDefault = strings.Join(listenAddrs(f.listen), ",") == defaultListen
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
	for _, addr := range listenAddrs(f.listen) {
		if err := checkListen(addr, f.allowAnyListen); err != nil {
			problems = append(problems, fmt.Sprintf("-listen %q: %v", addr, err))
		}
	}
	switch f.imds {
	case imdsAuto, imdsOn, imdsOff:
	default:
		problems = append(problems, fmt.Sprintf("-imds %q: want auto, on or off", f.imds))
	}
	if f.probePort < 0 || f.probePort > 65535 {
		problems = append(problems, "-probe-port must be a port number (0 to 65535)")
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
		{"-max-conns", f.maxConns < 0, "must not be negative"},
		{"-max-conns-per-source", f.maxConnsPerSrc < 0, "must not be negative"},
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

// run is the command line: a subcommand (server when there is none), then
// its flags. It returns when the command is done; for server, when ctx ends
// and the agent has shut down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "server"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "server":
		return serveAgent(ctx, args, stdout, stderr)
	case "init":
		return runInit(args, stdout, stderr)
	case "version":
		if len(args) > 0 {
			fmt.Fprintf(stderr, "pod-identity-agent: version takes no arguments, got %q\n", args)
			return errUsage
		}
		fmt.Fprintln(stdout, "pod-identity-agent", versionString())
		return nil
	}
	fmt.Fprintf(stderr, "pod-identity-agent: unknown command %q: want server (the default), init or version\n", cmd)
	return errUsage
}

// runInit is the init container's command: it puts the link-local
// addresses on the node (init_linux.go).
func runInit(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pod-identity-agent init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	usage := func() {
		fmt.Fprintf(fs.Output(), `Usage: pod-identity-agent init

Creates the dummy link %s, puts 169.254.170.23/32 and fd00:ec2::23/128 on
it and routes them to it, skipping what is already done (IPv6 only where the
node has it). Needs NET_ADMIN in the host's network namespace: run it as
the agent's init container, with hostNetwork.
`, linkName)
	}
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		return parseFailed(err, fs, usage)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pod-identity-agent: init takes no arguments, got %q\n", fs.Args())
		return errUsage
	}
	if err := setUpLink(stdout); err != nil {
		return fmt.Errorf("init: %w", err)
	}
	return nil
}

// Values of -imds.
const (
	imdsAuto = "auto"
	imdsOn   = "on"
	imdsOff  = "off"
)

// parseFailed finishes a failed fs.Parse: -h prints the whole usage; a
// mistake, which flag has already named in one line, gets a one-line hint
// rather than the usage after it, where the line that matters scrolls away.
func parseFailed(err error, fs *flag.FlagSet, usage func()) error {
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return err
	}
	fmt.Fprintf(fs.Output(), "Run '%s -h' for the flags.\n", fs.Name())
	return errUsage
}

func listenAddrs(list string) []string {
	var addrs []string
	for _, a := range strings.Split(list, ",") {
		addrs = append(addrs, strings.TrimSpace(a))
	}
	return addrs
}

// serveAgent is the agent's whole life: parse args, load the node's credentials,
// listen, serve until ctx ends, then shut down gracefully. It prints one
// "listening on" line per address, then a "probes on" line, to stdout and
// logs to stderr.
func serveAgent(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if f.showVersion {
		fmt.Fprintln(stdout, "pod-identity-agent", versionString())
		return nil
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: f.logLevel}))

	var loadOpts []func(*config.LoadOptions) error
	if f.region != "" {
		loadOpts = append(loadOpts, config.WithRegion(f.region))
	}
	useIMDS := f.imds == imdsOn || f.imds == imdsAuto && onEC2("/sys")
	if !useIMDS {
		// Neither the identity look-up nor the SDK's chain (region,
		// credentials) may send a packet off a machine that is no EC2
		// instance: a laptop, CI, a hybrid node.
		loadOpts = append(loadOpts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return fmt.Errorf("load the node's AWS configuration: %w", err)
	}
	if f.rotateCredentials {
		cfg.Credentials = newFileCredentials()
	}
	if cfg.Credentials != nil {
		cfg.Credentials = nodeCredentials{cfg.Credentials}
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

	listeners, notServing, err := listenAll(listenAddrs(f.listen), f.listenIsDefault, log)
	if err != nil {
		return err
	}
	probeListener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(f.probePort)))
	if err != nil {
		for _, l := range listeners {
			l.Close()
		}
		return fmt.Errorf("probes: %w (choose the port with -probe-port)", err)
	}

	var imdsClient *imds.Client
	if useIMDS {
		imdsClient = imds.NewFromConfig(cfg)
	}
	id := imdsIdentity(ctx, imdsClient, nodeIdentity{f.nodeName, f.instanceID, f.zone}, log)
	auth := newNodeAuth(client, cfg.Credentials, f.cluster, log)
	a := newAgent(agentOptions{
		cluster:         f.cluster,
		client:          auth, // learns from each answer whether EKS Auth accepts the node
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
		nodeName:        id.nodeName,
		instanceID:      id.instanceID,
		zone:            id.zone,
		logger:          log,
	})

	auth.budget = a.up.budget // active checks go behind the pods' calls
	errorLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	conns := newConnLimiter(f.maxConnsPerSrc, f.maxConns)
	a.metrics.registry.MustRegister(conns.refused)
	for i, l := range listeners {
		listeners[i] = conns.wrap(l)
	}
	srv := &http.Server{
		Handler:           hostCheck(a),
		ReadHeaderTimeout: credentialsReadHeaderTimeout,
		// Covers a wait for EKS Auth (bounded by -upstream-timeout), and a
		// slow reader.
		WriteTimeout:   f.upstreamTimeout + 10*time.Second,
		IdleTimeout:    credentialsIdleTimeout,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       errorLog,
	}
	p := &probes{notServing: notServing, nodeAuth: auth.ready, stats: a.cache.stats, client: probeClient(), metrics: a.MetricsHandler()}
	for _, l := range listeners {
		p.serving = append(p.serving, l.Addr().String())
	}
	probeSrv := &http.Server{
		Handler:           newProbeMux(p),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      10 * time.Second,
		ErrorLog:          errorLog,
	}

	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	errs := make(chan error, len(listeners)+1)
	var wg sync.WaitGroup
	serveOn := func(s *http.Server, l net.Listener) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Serve(l); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("serve %s: %w", l.Addr(), err)
			}
		}()
	}
	for _, l := range listeners {
		fmt.Fprintf(stdout, "pod-identity-agent: listening on http://%s%s\n", l.Addr(), credentialsPath)
		serveOn(srv, l)
	}
	fmt.Fprintf(stdout, "pod-identity-agent: probes on http://%s/readyz\n", probeListener.Addr())
	serveOn(probeSrv, probeListener)
	if f.idleTTL > 0 {
		go a.sweep(serveCtx, min(f.idleTTL/2, time.Minute))
	}
	log.Info("agent started", "version", versionString(), "cluster", f.cluster, "region", client.Options().Region, "endpoint", aws.ToString(client.Options().BaseEndpoint),
		"cache_size", f.cacheSize, "idle_ttl", f.idleTTL, "rate", f.rate, "burst", f.burst,
		"node_name", id.nodeName, "instance_id", id.instanceID, "zone", id.zone, "rotate_credentials", f.rotateCredentials, "imds", useIMDS)
	wg.Add(1)
	go func() {
		defer wg.Done()
		auth.watch(serveCtx, f.upstreamTimeout)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	p.stopping.Store(true)
	stopServing()
	log.Info("shutting down")
	// -shutdown-timeout (10 s by default) fits the DaemonSet's grace
	// period (30 s) with room for the kubelet's own steps.
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
		serveErr = errors.Join(serveErr, fmt.Errorf("shutdown: %w", err))
	}
	probeSrv.Close()
	wg.Wait()
	return serveErr
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
