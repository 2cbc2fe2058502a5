package main

import (
	"bufio"
	"cmp"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// env looks up environment variables in the list run was given, so tests
// can run the CLI in-process with their own environment.
type env map[string]string

func newEnv(list []string) env {
	e := env{}
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e[k] = v
		}
	}
	return e
}

// lookup returns a variable that is set and not empty.
func (e env) lookup(k string) (string, bool) {
	v, ok := e[k]
	return v, ok && v != ""
}

func (e env) list() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// profileName is --profile, else AWS_PROFILE, else "default".
func profileName(p *parsed, e env) string {
	if v, ok := p.get("profile"); ok {
		return v
	}
	if v, ok := e.lookup("AWS_PROFILE"); ok {
		return v
	}
	return "default"
}

// configFile returns the settings of one profile of the shared config file
// (AWS_CONFIG_FILE, else ~/.aws/config). The SDK's config module reads the
// settings it knows; this reads the ones only the AWS CLI knows (output,
// cli_pager, cli_auto_prompt, cli_binary_format, ca_bundle).
func configFile(e env, profile string) map[string]string {
	path, ok := e.lookup("AWS_CONFIG_FILE")
	if !ok {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil
		}
		path = filepath.Join(home, ".aws", "config")
	}
	f, err := os.Open(expandUser(path))
	if err != nil {
		return nil
	}
	defer f.Close()
	want := "profile " + profile
	out := map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			name := strings.Join(strings.Fields(line[1:len(line)-1]), " ")
			in = name == want || (profile == "default" && name == "default")
			continue
		}
		if !in {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// settings are the resolved global options.
type settings struct {
	profile        string
	profileCfg     map[string]string
	region         string
	output         string
	color          string
	query          *query
	endpoint       string
	verifySSL      bool
	caBundle       string
	readTimeout    time.Duration
	connectTimeout time.Duration
	pager          string
	debug          bool
	noSign         bool
	binaryFormat   string
	// timestampFormat is the profile's cli_timestamp_format: iso8601 (the
	// default) or wire.
	timestampFormat string
}

var regionPattern = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$`)

// resolveSettings applies the AWS CLI's precedence for each setting: the
// option, then the environment, then the profile, then the default.
func resolveSettings(p *parsed, e env) (*settings, error) {
	s := &settings{profile: profileName(p, e), verifySSL: !p.has("no-verify-ssl"), debug: p.has("debug"), noSign: p.has("no-sign-request")}
	s.profileCfg = configFile(e, s.profile)

	s.output = cmp.Or(opt(p, "output"), envVal(e, "AWS_DEFAULT_OUTPUT"), s.profileCfg["output"], "json")
	if !slices.Contains(outputFormats, s.output) {
		return nil, &cliError{code: exitGeneral, msg: "Unknown output type: " + s.output}
	}
	s.color = cmp.Or(opt(p, "color"), "auto")

	if q, ok := p.get("query"); ok {
		cq, err := compileQuery(q)
		if err != nil {
			return nil, err
		}
		s.query = cq
	}

	if ep, ok := p.get("endpoint-url"); ok {
		if urlScheme(ep) == "" {
			return nil, &cliError{code: exitUsage, msg: `Bad value for --endpoint-url "` + ep + `": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/`}
		}
		s.endpoint = ep
	}

	s.region = cmp.Or(opt(p, "region"), envVal(e, "AWS_REGION"), envVal(e, "AWS_DEFAULT_REGION"), s.profileCfg["region"])
	if s.region != "" && !regionPattern.MatchString(s.region) {
		return nil, &cliError{code: exitGeneral, msg: "Provided region_name '" + s.region + "' doesn't match a supported format."}
	}

	s.caBundle = cmp.Or(opt(p, "ca-bundle"), envVal(e, "AWS_CA_BUNDLE"), s.profileCfg["ca_bundle"])

	s.readTimeout = timeoutOpt(p, "cli-read-timeout")
	s.connectTimeout = timeoutOpt(p, "cli-connect-timeout")

	s.binaryFormat = cmp.Or(opt(p, "cli-binary-format"), s.profileCfg["cli_binary_format"], "base64")
	if s.binaryFormat != "base64" && s.binaryFormat != "raw-in-base64-out" {
		return nil, &cliError{code: exitGeneral, msg: "Invalid value for cli_binary_format: " + s.binaryFormat}
	}

	s.timestampFormat = cmp.Or(s.profileCfg["cli_timestamp_format"], "iso8601")
	if s.timestampFormat != "iso8601" && s.timestampFormat != "wire" {
		return nil, &cliError{code: exitGeneral, msg: "Unknown cli_timestamp_format value: " + s.timestampFormat + ", valid values are: wire or iso8601"}
	}

	// The pager: AWS_PAGER, the profile's cli_pager, PAGER, then less -R.
	// A variable set to the empty string turns paging off.
	s.pager = "less -R"
	if v, ok := e["AWS_PAGER"]; ok {
		s.pager = v
	} else if v, ok := s.profileCfg["cli_pager"]; ok {
		s.pager = v
	} else if v, ok := e["PAGER"]; ok {
		s.pager = v
	}
	if p.has("no-cli-pager") {
		s.pager = ""
	}
	return s, nil
}

// timeoutOpt is a --cli-*-timeout in seconds: 60 when not given, none at 0.
func timeoutOpt(p *parsed, name string) time.Duration {
	v, ok := p.get(name)
	if !ok {
		return 60 * time.Second
	}
	n, _ := strconv.Atoi(strings.TrimSpace(v)) // validated by parseArgs
	// Beyond what a Duration holds (292 years), n seconds would wrap to a
	// negative timeout, one that has always passed: it is no limit.
	if n <= 0 || n > int(math.MaxInt64/time.Second) {
		return 0
	}
	return time.Duration(n) * time.Second
}

func opt(p *parsed, name string) string {
	v, _ := p.get(name)
	return v
}

func envVal(e env, k string) string {
	v, _ := e.lookup(k)
	return v
}

// urlScheme is the scheme Python's urlsplit finds: what comes before the
// first ":" if it is a valid scheme name, so "localhost:1" has the scheme
// "localhost" (and is refused later, for having no host).
func urlScheme(u string) string {
	i := strings.IndexByte(u, ':')
	if i <= 0 || !isASCIILetter(u[0]) {
		return ""
	}
	for _, c := range []byte(u[:i]) {
		if !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return ""
		}
	}
	return strings.ToLower(u[:i])
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// checkEndpoint refuses an --endpoint-url that botocore refuses when it
// creates the client: no host, an unclosed IPv6 bracket, a scheme other
// than http or https.
func checkEndpoint(ep string) error {
	if ep == "" {
		return nil
	}
	scheme := urlScheme(ep)
	rest := strings.TrimPrefix(ep[len(scheme)+1:], "//")
	host := rest
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if strings.Contains(host, "[") != strings.Contains(host, "]") {
		return &cliError{code: exitGeneral, msg: "Invalid IPv6 URL"}
	}
	if _, h, ok := strings.Cut(host, "@"); ok {
		host = h
	}
	if !strings.HasPrefix(ep[len(scheme)+1:], "//") || host == "" || strings.HasPrefix(host, ":") {
		return &cliError{code: exitGeneral, msg: "Invalid endpoint: " + ep}
	}
	if scheme != "http" && scheme != "https" {
		return &cliError{code: exitGeneral, msg: "An HTTP Client raised an unhandled exception: Not supported URL scheme " + scheme}
	}
	return nil
}
