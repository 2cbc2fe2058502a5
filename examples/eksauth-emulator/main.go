package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var se *startError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errFlags): // flag has printed it, and the usage
		os.Exit(2)
	case errors.As(err, &se): // the command line was fine
		fmt.Fprintln(os.Stderr, "eksauth-emulator:", err)
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "eksauth-emulator:", err)
		os.Exit(2)
	}
}

// Exit statuses, as the agent's: 2 for a bad command line or config
// file, 1 when the server could not start.
var errFlags = errors.New("bad flags")

// startError is a failure after the settings were accepted.
type startError struct{ err error }

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// settings are the parsed flags and config file.
type settings struct {
	addr          string
	region        string
	account       string
	tokenTTL      time.Duration
	lifetime      time.Duration
	node          aws.Credentials
	envFile       string
	quiet         bool
	faultRate     float64
	faultSeed     uint64
	seeded        bool // -fault-seed given
	throttleRate  float64
	throttleBurst int
	requestLog    int
	associations  []eksauthtest.Association
}

// transientFaults are what -fault-rate answers: the failures a client
// should retry.
var transientFaults = []eksauthtest.Fault{
	{Status: http.StatusInternalServerError},
	{Status: http.StatusServiceUnavailable},
	{Status: http.StatusTooManyRequests},
	{Drop: true},
}

// configFile is the -config file's shape.
type configFile struct {
	Region       string `json:"region"`
	AccountID    string `json:"accountId"`
	Associations []struct {
		Cluster        string `json:"cluster"`
		Namespace      string `json:"namespace"`
		ServiceAccount string `json:"serviceAccount"`
		RoleARN        string `json:"roleArn"`
		TargetRoleARN  string `json:"targetRoleArn"`
	} `json:"associations"`
}

// associationFlags collects repeated -associate flags.
type associationFlags []eksauthtest.Association

func (a *associationFlags) String() string { return fmt.Sprint(len(*a), " associations") }

func (a *associationFlags) Set(v string) error {
	assoc, err := parseAssociation(v)
	if err != nil {
		return err
	}
	*a = append(*a, assoc)
	return nil
}

// parseAssociation parses cluster/namespace/serviceaccount=roleARN[,targetRoleARN].
func parseAssociation(v string) (eksauthtest.Association, error) {
	var a eksauthtest.Association
	who, roles, ok := strings.Cut(v, "=")
	parts := strings.Split(who, "/")
	if !ok || len(parts) != 3 {
		return a, fmt.Errorf("association %q: want cluster/namespace/serviceaccount=roleARN[,targetRoleARN]", v)
	}
	a.Cluster, a.Namespace, a.ServiceAccount = parts[0], parts[1], parts[2]
	a.RoleARN, a.TargetRoleARN, _ = strings.Cut(roles, ",")
	if err := a.Validate(); err != nil {
		return a, fmt.Errorf("association %q: %w", v, err)
	}
	return a, nil
}

func parseSettings(args []string, stderr io.Writer) (settings, error) {
	var s settings
	var assocs associationFlags
	var configPath string
	fs := flag.NewFlagSet("eksauth-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: eksauth-emulator [-associate cluster/namespace/serviceaccount=roleARN]... [flags]

Serves an EKS Auth emulator (package eksauthtest) on a local port. It prints
the environment that points an AWS SDK or the AWS CLI at it (endpoint, region
and the node credentials it accepts) and a service-account token for each
association, then serves until SIGINT or SIGTERM. Fresh tokens:
  curl -s 'http://<addr>/emulator/token?cluster=C&namespace=N&serviceAccount=S'

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&s.addr, "addr", "127.0.0.1:8765", "listen `address`; port 0 picks a free port")
	fs.StringVar(&s.region, "region", eksauthtest.DefaultRegion, "`region` to answer for")
	fs.StringVar(&s.account, "account", eksauthtest.DefaultAccountID, "account `ID` of ARNs")
	fs.Var(&assocs, "associate", "association `cluster/namespace/serviceaccount=roleARN[,targetRoleARN]`; repeatable")
	fs.StringVar(&configPath, "config", "", "JSON `file` with associations (and region, accountId)")
	fs.DurationVar(&s.tokenTTL, "token-ttl", eksauthtest.DefaultTokenLifetime, "lifetime of printed and minted tokens")
	fs.DurationVar(&s.lifetime, "credential-lifetime", 0, "lifetime of issued credentials (0: as EKS, 6h or 59m with a target role); the agent and the SDKs count them expired 5 minutes early, so below 10m they refetch on almost every call")
	fs.StringVar(&s.node.AccessKeyID, "access-key-id", "", "fixed node access key ID (default: random)")
	fs.StringVar(&s.node.SecretAccessKey, "secret-access-key", "", "fixed node secret access key")
	fs.StringVar(&s.node.SessionToken, "session-token", "", "fixed node session token (optional)")
	fs.StringVar(&s.envFile, "env-file", "", "also write the export lines to `path`")
	fs.BoolVar(&s.quiet, "quiet", false, "do not log requests to stderr")
	fs.IntVar(&s.requestLog, "request-log", 0, "keep the newest `n` requests (method, path, status, code; at most 32 MiB with their bodies) for GET /emulator/requests; 0 keeps none")
	fs.Float64Var(&s.faultRate, "fault-rate", 0, "`fraction` (0 to 1) of API requests answered at random with a transient fault: 500, 503, 429 or a dropped connection")
	fs.Uint64Var(&s.faultSeed, "fault-seed", 0, "`seed` of the -fault-rate draws, to repeat a run (default random)")
	fs.Float64Var(&s.throttleRate, "throttle-rate", 0, "account-wide API `rate` in requests per second, beyond which requests get ThrottlingException (429) as EKS Auth sends it; 0: no limit")
	fs.IntVar(&s.throttleBurst, "throttle-burst", 0, "`requests` the -throttle-rate bucket holds (default: the rate rounded up, at least 1)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return s, err
		}
		return s, fmt.Errorf("%w: %w", errFlags, err)
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if configPath != "" {
		cfg, err := readConfig(configPath)
		if err != nil {
			return s, err
		}
		if cfg.Region != "" && !set["region"] {
			s.region = cfg.Region
		}
		if cfg.AccountID != "" && !set["account"] {
			s.account = cfg.AccountID
		}
		for i, a := range cfg.Associations {
			assoc := eksauthtest.Association{Cluster: a.Cluster, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount, RoleARN: a.RoleARN, TargetRoleARN: a.TargetRoleARN}
			if err := assoc.Validate(); err != nil {
				return s, fmt.Errorf("%s: association %d: %w", configPath, i+1, err)
			}
			s.associations = append(s.associations, assoc)
		}
	}
	s.associations = append(s.associations, assocs...)

	if s.tokenTTL <= 0 {
		return s, errors.New("-token-ttl must be positive")
	}
	s.seeded = set["fault-seed"]
	if s.seeded && s.faultRate == 0 {
		return s, errors.New("-fault-seed needs -fault-rate")
	}
	switch {
	case set["throttle-burst"] && s.throttleRate == 0:
		return s, errors.New("-throttle-burst needs -throttle-rate")
	case s.throttleRate > 0 && !set["throttle-burst"]:
		s.throttleBurst = max(1, int(math.Ceil(s.throttleRate)))
	}
	// The server checks the rest (region, account, lifetime, node
	// credentials, fault and throttling rates, request log).
	return s, nil
}

func readConfig(path string) (configFile, error) {
	var cfg configFile
	f, err := os.Open(path)
	if err != nil {
		return cfg, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("%s: empty file, want a JSON object", path)
		}
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// run serves the emulator until ctx is done. It writes the setup to
// stdout and request logs to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseSettings(args, stderr)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			err = fmt.Errorf("%w (another emulator running? choose the address with -addr; port 0 picks a free one)", err)
		}
		return &startError{err} // "listen tcp <addr>: ..."
	}
	logger := log.New(stderr, "", log.LstdFlags)
	var srv *eksauthtest.Server
	opts := []eksauthtest.Option{
		eksauthtest.WithListener(l),
		eksauthtest.WithRegion(s.region),
		eksauthtest.WithAccountID(s.account),
		// A long-running server keeps no record of what it was sent
		// unless asked: bodies are up to 1 MiB each.
		eksauthtest.WithRequestLog(s.requestLog, eksauthtest.DefaultRequestLogBytes),
		eksauthtest.WithMiddleware(func(api http.Handler) http.Handler {
			return helperRoutes(func() *eksauthtest.Server { return srv }, s.tokenTTL, api, logger, s.quiet)
		}),
	}
	opts = append(opts,
		eksauthtest.WithCredentialLifetime(s.lifetime),
		eksauthtest.WithNodeCredentials(s.node),
		eksauthtest.WithRandomFaults(s.faultRate, transientFaults...),
		eksauthtest.WithThrottling(s.throttleRate, s.throttleBurst))
	if s.seeded {
		opts = append(opts, eksauthtest.WithFaultSeed(s.faultSeed))
	}
	if srv, err = eksauthtest.Start(opts...); err != nil {
		// A bad setting, which the server names; shown without its
		// package prefix, as the flags' own errors are.
		return cmp.Or(errors.Unwrap(err), err)
	}
	defer srv.Close()

	ids := make([]string, len(s.associations))
	for i, a := range s.associations {
		ids[i] = srv.Associate(a)
	}
	env := envLines(srv)
	if s.envFile != "" {
		if err := writeEnvFile(s.envFile, env); err != nil {
			return &startError{fmt.Errorf("write -env-file: %w", err)}
		}
	}
	printSetup(stdout, srv, s, env, ids)

	<-ctx.Done()
	fmt.Fprintln(stdout, "# shutting down")
	return nil
}

// writeEnvFile writes the export lines, which hold the node's secret key,
// readable by the owner only, also over an existing file (which
// os.WriteFile would leave with its old mode).
func writeEnvFile(path string, env []string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.WriteString(strings.Join(env, "\n") + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// envLines are the export lines that point an SDK at srv.
func envLines(srv *eksauthtest.Server) []string {
	node := srv.NodeCredentials()
	lines := []string{
		"export AWS_REGION=" + srv.Region(),
		"export AWS_DEFAULT_REGION=" + srv.Region(), // the AWS CLI v1 reads only this one
		"export AWS_ENDPOINT_URL_EKS_AUTH=" + srv.URL,
		"export AWS_ACCESS_KEY_ID=" + node.AccessKeyID,
		"export AWS_SECRET_ACCESS_KEY=" + node.SecretAccessKey,
	}
	if node.SessionToken != "" {
		lines = append(lines, "export AWS_SESSION_TOKEN="+node.SessionToken)
	} else {
		lines = append(lines, "unset AWS_SESSION_TOKEN")
	}
	return lines
}

func printSetup(w io.Writer, srv *eksauthtest.Server, s settings, env []string, ids []string) {
	fmt.Fprintf(w, "# EKS Auth emulator on %s (region %s, account %s)\n", srv.URL, srv.Region(), s.account)
	fmt.Fprintln(w, "# Point an AWS SDK or the AWS CLI at it:")
	for _, line := range env {
		fmt.Fprintln(w, line)
	}
	if s.faultRate > 0 {
		fmt.Fprintf(w, "# %g%% of API requests fail at random: 500, 503, 429 or a dropped connection.\n", 100*s.faultRate)
	}
	if s.throttleRate > 0 {
		fmt.Fprintf(w, "# API requests beyond %g/s (burst %d), account-wide, get ThrottlingException.\n", s.throttleRate, s.throttleBurst)
	}
	if len(s.associations) == 0 {
		fmt.Fprintln(w, "# No associations: every exchange answers ResourceNotFoundException. Add -associate cluster/namespace/serviceaccount=roleARN.")
	}
	for i, a := range s.associations {
		role := a.RoleARN
		if a.TargetRoleARN != "" {
			role += " then " + a.TargetRoleARN
		}
		fmt.Fprintf(w, "\n# %s/%s/%s -> %s (%s); a token valid for %v:\n", a.Cluster, a.Namespace, a.ServiceAccount, role, ids[i], s.tokenTTL)
		fmt.Fprintln(w, srv.Token(eksauthtest.Pod{Cluster: a.Cluster, Namespace: a.Namespace, ServiceAccount: a.ServiceAccount, Name: a.ServiceAccount + "-0"}, s.tokenTTL))
		mint := fmt.Sprintf("%s/emulator/token?cluster=%s&namespace=%s&serviceAccount=%s", srv.URL, a.Cluster, url.QueryEscape(a.Namespace), url.QueryEscape(a.ServiceAccount))
		fmt.Fprintf(w, "# another: curl -s '%s'\n", mint)
		fmt.Fprintf(w, "# try it:  aws eks-auth assume-role-for-pod-identity --cluster-name %s --token \"$(curl -s '%s')\"\n", a.Cluster, mint)
		iss := srv.Issuer(a.Cluster)
		fmt.Fprintf(w, "# OIDC issuer: %s (its discovery document and keys: %s%s/.well-known/openid-configuration, %s%s/keys)\n",
			iss, srv.URL, iss[strings.Index(iss, "/id/"):], srv.URL, iss[strings.Index(iss, "/id/"):])
	}
	fmt.Fprintln(w, "\n# Serving until SIGINT or SIGTERM.")
}

// helperRoutes serves the /emulator/ routes and logs API requests; srv is
// read lazily because the handler is built before the Server exists.
func helperRoutes(srv func() *eksauthtest.Server, ttl time.Duration, api http.Handler, logger *log.Logger, quiet bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /emulator/token", func(w http.ResponseWriter, r *http.Request) {
		mintToken(w, r, srv(), ttl)
	})
	mux.HandleFunc("GET /emulator/associations", func(w http.ResponseWriter, r *http.Request) {
		list := srv().Associations()
		slices.SortFunc(list, func(a, b eksauthtest.Association) int { return strings.Compare(a.ID, b.ID) })
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("GET /emulator/requests", func(w http.ResponseWriter, r *http.Request) {
		listRequests(w, srv())
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if quiet {
			api.ServeHTTP(w, r)
			return
		}
		rec := &statusWriter{ResponseWriter: w}
		defer func() {
			// Logs method, path and status only: never headers or the body,
			// which hold the signature and the token.
			logger.Printf("%s %s -> %d", r.Method, r.URL.Path, rec.status)
		}()
		api.ServeHTTP(rec, r)
	}))
	return mux
}

// requestLine is what GET /emulator/requests shows of a request: never its
// headers or body, which hold the signature and the token.
type requestLine struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	Code      string    `json:"code,omitempty"`
	RequestID string    `json:"requestId"`
	Fault     bool      `json:"fault,omitempty"`
	Dropped   bool      `json:"dropped,omitempty"`
}

// listRequests answers the recorded requests, oldest first, as a JSON array.
func listRequests(w http.ResponseWriter, srv *eksauthtest.Server) {
	reqs := srv.Requests()
	out := make([]requestLine, 0, len(reqs))
	for _, r := range reqs {
		out = append(out, requestLine{r.Time.UTC(), r.Method, r.Path, r.Status, r.Code, r.RequestID, r.Fault, r.Dropped})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

func mintToken(w http.ResponseWriter, r *http.Request, srv *eksauthtest.Server, ttl time.Duration) {
	q := r.URL.Query()
	pod := eksauthtest.Pod{Cluster: q.Get("cluster"), Namespace: q.Get("namespace"), ServiceAccount: q.Get("serviceAccount"), Name: q.Get("pod")}
	if v := q.Get("ttl"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			http.Error(w, "ttl must be a positive Go duration such as 1h", http.StatusBadRequest)
			return
		}
		ttl = d
	}
	// Validate with the association rules (the role is not needed here).
	check := eksauthtest.Association{Cluster: pod.Cluster, Namespace: pod.Namespace, ServiceAccount: pod.ServiceAccount, RoleARN: "arn:aws:iam::111122223333:role/x"}
	if err := check.Validate(); err != nil {
		http.Error(w, "want cluster, namespace and serviceAccount query parameters: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, srv.Token(pod, ttl))
}

// statusWriter records the status for the log; it passes Flush through,
// which the emulator's truncated answers need.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
