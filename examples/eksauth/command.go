package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	"github.com/podidentity/podidentity/eksauth"
)

// command carries one run of the CLI.
type command struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	env    env

	p   *parsed
	s   *settings
	dbg *debugLog // nil unless --debug
}

func (c *command) main(args []string) error {
	args, err := c.autoPrompt(args)
	if err != nil {
		return err
	}
	if c.p == nil {
		if c.p, err = parseArgs(args); err != nil {
			return err
		}
	}
	p := c.p
	if p.version {
		fmt.Fprintln(c.stdout, version())
		return nil
	}
	if p.help {
		text := topHelp
		if p.command != "" {
			text = operationHelp
		}
		// Help is paged like output, as the AWS CLI pages its help pages.
		pager := ""
		if s, err := resolveSettings(p, c.env); err == nil {
			pager = s.pager
		}
		return writeOutput(text, c.stdout, c.stderr, pager, c.env)
	}
	if c.s, err = resolveSettings(p, c.env); err != nil {
		return err
	}
	if c.s.debug {
		c.dbg = newDebugLog(c.stderr)
	}
	ps, err := buildParams(p)
	if err != nil {
		return err
	}
	if tok, ok := ps["token"].(string); ok {
		c.dbg.secret(tok)
	}
	if v, ok := p.get("cli-input-json"); ok {
		c.dbg.secret(v)
	}
	if v, ok := p.get("cli-input-yaml"); ok {
		c.dbg.secret(v)
	}
	c.dbg.printf("eksauth.clidriver", "CLI version: %s", version())
	c.dbg.printf("eksauth.clidriver", "Arguments entered to CLI: %s", pyList(args))

	switch skel, _ := p.get("generate-cli-skeleton"); {
	case skel == "input":
		_, err := io.WriteString(c.stdout, inputSkeleton())
		return err
	case skel == "yaml-input":
		_, err := io.WriteString(c.stdout, yamlInputSkeleton())
		return err
	case skel == "output":
		if c.s.region == "" {
			return errNoRegion
		}
		if err := ps.validate(); err != nil {
			return err
		}
		return c.print(outputSkeleton())
	}

	if c.s.region == "" {
		return errNoRegion
	}
	if err := checkEndpoint(c.s.endpoint); err != nil {
		return err
	}
	if err := ps.validate(); err != nil {
		return err
	}
	out, err := c.call(ps)
	if err != nil {
		return err
	}
	return c.print(outputValue(out, c.s.timestampFormat == "wire"))
}

// autoPrompt asks for parameters when auto-prompt is on; for on-partial it
// parses first and asks only if required parameters are missing.
func (c *command) autoPrompt(args []string) ([]string, error) {
	mode := promptMode(args, c.env, configFile(c.env, firstPassProfile(args, c.env)), isTerminal(c.stdin))
	if mode == "off" {
		return args, nil
	}
	p, err := parseArgs(args)
	if err == nil && (p.version || p.help || p.has("cli-input-json") || p.has("cli-input-yaml") ||
		(p.has("generate-cli-skeleton") && opt(p, "generate-cli-skeleton") != "output")) {
		// Nothing to ask for.
		c.p = p
		return args, nil
	}
	pr := &prompter{in: bufio.NewReader(c.stdin), out: c.stderr}
	if mode == "on" {
		return pr.ask(c.ctx, args, paramNames(args, false))
	}
	if err == nil {
		c.p = p
		return args, nil
	}
	var ce *cliError
	if errors.As(err, &ce) && ce.usage && strings.HasPrefix(ce.msg, "the following arguments are required: --") {
		return pr.ask(c.ctx, args, paramNames(args, true))
	}
	return nil, err
}

// firstPassProfile finds the profile before the command line is fully
// parsed (the AWS CLI's first-pass parser), so that the profile's
// cli_auto_prompt applies even to a command line that does not parse yet.
func firstPassProfile(args []string, e env) string {
	profile := ""
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--profile="); ok {
			profile = v
		} else if a == "--profile" && i+1 < len(args) {
			profile = args[i+1]
		}
	}
	if profile != "" {
		return profile
	}
	return cmp.Or(envVal(e, "AWS_PROFILE"), "default")
}

// print formats v (after --query) and writes it, through the pager.
func (c *command) print(v any) error {
	if c.s.query != nil {
		q, err := c.s.query.search(v)
		if err != nil {
			return &cliError{code: exitGeneral, msg: c.s.query.queryErrorText(err, v)}
		}
		v = q
	}
	var b strings.Builder
	switch c.s.output {
	case "json":
		// An empty object is not printed (operations without output).
		if o, ok := v.(*object); !ok || o.len() > 0 {
			writeJSON(&b, v)
		}
	case "text":
		writeText(&b, v)
	case "table":
		color := c.s.color == "on" || (c.s.color == "auto" && isTerminal(c.stdout))
		if err := writeTable(&b, apiOperation, v, terminalWidth(c.stdout), color); err != nil {
			return &cliError{code: exitGeneral, msg: err.Error()}
		}
		if color && isTerminal(c.stdout) && b.Len() > 0 {
			// colorama, once initialised, resets a terminal at exit.
			b.WriteString(ansiReset)
		}
	case "yaml":
		if o, ok := v.(*object); !ok || o.len() > 0 {
			writeYAML(&b, v)
		}
	case "yaml-stream":
		// As yaml: an empty object is not printed, not even as a list.
		if o, ok := v.(*object); !ok || o.len() > 0 {
			writeYAMLStream(&b, v)
		}
	}
	return writeOutput(b.String(), c.stdout, c.stderr, c.s.pager, c.env)
}

// call loads the configuration and credentials and sends the request.
func (c *command) call(ps params) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	s := c.s
	// The SDK's own warnings (IMDS fallbacks, say) go to the --debug trace,
	// never to a user's stderr.
	var sdkLogger logging.Logger = logging.Nop{}
	if c.dbg != nil {
		sdkLogger = clientLogger{c.dbg}
	}
	loadOpts := []func(*config.LoadOptions) error{config.WithRegion(s.region), config.WithLogger(sdkLogger)}
	if s.profile != "default" {
		// Only a profile asked for must exist.
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(s.profile))
	}
	if v, ok := c.env.lookup("AWS_CONFIG_FILE"); ok {
		loadOpts = append(loadOpts, config.WithSharedConfigFiles([]string{v}))
	}
	if v, ok := c.env.lookup("AWS_SHARED_CREDENTIALS_FILE"); ok {
		loadOpts = append(loadOpts, config.WithSharedCredentialsFiles([]string{v}))
	}
	if v, ok := c.env.lookup("AWS_EC2_METADATA_DISABLED"); ok && strings.EqualFold(v, "true") {
		loadOpts = append(loadOpts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	// botocore drops the environment's credentials when --profile names a
	// profile (AWS_PROFILE does not): the profile's own are used.
	explicitProfile := c.p.has("profile")
	if id, ok := c.env.lookup("AWS_ACCESS_KEY_ID"); ok && !s.noSign && !explicitProfile {
		if secret, ok := c.env.lookup("AWS_SECRET_ACCESS_KEY"); ok {
			token, _ := c.env.lookup("AWS_SESSION_TOKEN")
			loadOpts = append(loadOpts, config.WithCredentialsProvider(aws.CredentialsProviderFunc(
				func(context.Context) (aws.Credentials, error) {
					return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "EnvConfigCredentials"}, nil
				})))
		}
	}
	if s.noSign {
		// Credentials are not loaded at all with --no-sign-request.
		loadOpts = append(loadOpts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	}
	var cfg aws.Config
	err := withoutEnv(explicitProfile, envCredentialVars, func() (err error) {
		cfg, err = config.LoadDefaultConfig(c.ctx, loadOpts...)
		return err
	})
	if err != nil {
		var pe config.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, &cliError{code: exitGeneral, msg: fmt.Sprintf("The config profile (%s) could not be found", s.profile)}
		}
		// The SDK reads AWS_CA_BUNDLE and ca_bundle too, and fails with
		// its own words first: report a bad bundle as --ca-bundle does.
		if s.caBundle != "" {
			if _, herr := newHTTPClient(s, io.Discard); herr != nil {
				return nil, herr
			}
		}
		return nil, &cliError{code: exitConfig, msg: err.Error()}
	}
	c.dbg.printf("eksauth.clidriver", "Loaded configuration: profile=%s region=%s output=%s", s.profile, s.region, s.output)

	creds := cfg.Credentials
	if s.noSign {
		// See unsignedClient: placeholder credentials the request loses
		// before it is sent.
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "UNSIGNED", SecretAccessKey: "UNSIGNED", Source: "no-sign-request"}, nil
		})
	} else {
		if creds == nil {
			return nil, errNoCredentials
		}
		got, err := creds.Retrieve(c.ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil, &cliError{code: exitInterrupt}
			}
			if noCredentialsFound(err) {
				return nil, errNoCredentials
			}
			return nil, &cliError{code: exitGeneral, msg: err.Error()}
		}
		c.dbg.secret(got.SecretAccessKey, got.SessionToken)
		c.dbg.printf("eksauth.credentials", "Found credentials from %s", got.Source)
	}

	httpClient, err := newHTTPClient(s, c.stderr)
	if err != nil {
		return nil, err
	}
	rec := &recordingClient{next: httpClient}
	var doer eksauth.HTTPClient = rec
	if s.noSign {
		doer = unsignedClient{next: rec}
	}
	client := eksauth.NewFromConfig(cfg, func(o *eksauth.Options) {
		o.Region = s.region
		o.Credentials = creds
		o.HTTPClient = doer
		// The AWS CLI checks what botocore checks (ps.validate, above) and
		// leaves the API's patterns to the service, which answers
		// InvalidParameterException: so does this CLI, without the
		// client's own check of them.
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			_, err := st.Initialize.Remove("OperationInputValidation")
			return err
		})
		if s.endpoint != "" {
			ep := s.endpoint
			o.BaseEndpoint = &ep
		}
		if c.dbg != nil {
			o.Logger = clientLogger{c.dbg}
			o.ClientLogMode = aws.LogRequestWithBody | aws.LogResponseWithBody | aws.LogRetries | aws.LogSigning
		}
	})
	in := &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: ps.str("clusterName"),
		Token:       ps.str("token"),
		EksNodeName: ps.str("eksNodeName"),
		InstanceId:  ps.str("instanceId"),
		Zone:        ps.str("zone"),
	}
	out, err := client.AssumeRoleForPodIdentity(c.ctx, in)
	if err != nil {
		c.dbg.printf("eksauth.clidriver", "Exception caught: %v", err)
		return nil, operationError(err, rec.lastURL())
	}
	if cr := out.Credentials; cr != nil {
		c.dbg.secret(aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok {
		c.dbg.printf("eksauth.formatter", "RequestId: %s", id)
	}
	return out, nil
}

// noCredentialsFound tells "no credentials anywhere" (the default chain
// fell through to the instance metadata service and found nothing) from a
// configured source that failed.
func noCredentialsFound(err error) bool {
	s := err.Error()
	return strings.Contains(s, "EC2 IMDS") || strings.Contains(s, "ec2imds") || strings.Contains(s, "no EC2 instance role")
}

// pyList prints args as Python prints a list of strings, for the debug
// line that echoes the command line.
func pyList(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `\'`) + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// envCredentialVars are the variables of the SDK's environment credentials.
var envCredentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}

// withoutEnv runs fn with vars unset in the process environment, if hide
// is set, and restores them. The SDK's config module reads credentials
// from the process environment ahead of any profile and has no option to
// skip them; the CLI runs fn before it starts anything concurrent.
func withoutEnv(hide bool, vars []string, fn func() error) error {
	if !hide {
		return fn()
	}
	for _, k := range vars {
		if v, ok := os.LookupEnv(k); ok {
			os.Unsetenv(k)
			defer os.Setenv(k, v)
		}
	}
	return fn()
}
