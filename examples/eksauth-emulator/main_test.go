package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/podidentity/podidentity/eksauth"
)

// syncBuffer is a bytes.Buffer safe for one writer and a polling reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// emulator is run() in a goroutine.
type emulator struct {
	stdout, stderr *syncBuffer
	stop           context.CancelFunc
	done           chan error
}

// startEmulator runs the command with args (plus -addr 127.0.0.1:0) and
// waits until it has printed its setup.
func startEmulator(t *testing.T, args ...string) *emulator {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &emulator{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	go func() { e.done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), e.stdout, e.stderr) }()
	t.Cleanup(func() {
		cancel()
		<-e.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(e.stdout.String(), "# Serving until SIGINT or SIGTERM.") {
		select {
		case err := <-e.done:
			t.Fatalf("run returned early: %v\nstderr: %s", err, e.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no setup printed; stdout: %s", e.stdout.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e
}

// env returns the exported variables of the printed setup.
func (e *emulator) env() map[string]string {
	vars := map[string]string{}
	for _, line := range strings.Split(e.stdout.String(), "\n") {
		if kv, ok := strings.CutPrefix(line, "export "); ok {
			k, v, _ := strings.Cut(kv, "=")
			vars[k] = v
		}
	}
	return vars
}

// tokens returns the printed tokens: the line after each association.
func (e *emulator) tokens() []string {
	var out []string
	lines := strings.Split(e.stdout.String(), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "# ") && strings.HasSuffix(line, ":") && strings.Contains(line, " -> ") && i+1 < len(lines) {
			out = append(out, lines[i+1])
		}
	}
	return out
}

// useEnv sets the printed variables and isolates the SDK from the
// machine's own AWS configuration.
func useEnv(t *testing.T, vars map[string]string) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_USE_FIPS_ENDPOINT", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

// TestSDKConfigFromPrintedEnv is the promise of the command: the AWS SDK
// for Go, configured only by the printed environment, gets credentials.
func TestSDKConfigFromPrintedEnv(t *testing.T) {
	e := startEmulator(t, "-associate", "prod/shop/cart=arn:aws:iam::111122223333:role/cart", "-token-ttl", "2h")
	vars := e.env()
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_EKS_AUTH", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if vars[k] == "" {
			t.Fatalf("no export of %s in:\n%s", k, e.stdout.String())
		}
	}
	tokens := e.tokens()
	if len(tokens) != 1 {
		t.Fatalf("printed %d tokens, want 1:\n%s", len(tokens), e.stdout.String())
	}
	useEnv(t, vars)

	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := eksauth.NewFromConfig(cfg)
	out, err := client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"), Token: aws.String(tokens[0]),
	})
	if err != nil {
		t.Fatalf("AssumeRoleForPodIdentity with the printed setup: %v", err)
	}
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") || !strings.Contains(aws.ToString(out.AssumedRoleUser.Arn), ":assumed-role/cart/eks-prod-cart-0-") {
		t.Errorf("credentials %q for %q", aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.AssumedRoleUser.Arn))
	}

	// A minted token works too.
	resp, err := http.Get(vars["AWS_ENDPOINT_URL_EKS_AUTH"] + "/emulator/token?cluster=prod&namespace=shop&serviceAccount=cart&pod=cart-9&ttl=10m")
	if err != nil {
		t.Fatal(err)
	}
	minted, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mint: %d %s", resp.StatusCode, minted)
	}
	out, err = client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"), Token: aws.String(strings.TrimSpace(string(minted))),
	})
	if err != nil {
		t.Fatalf("with a minted token: %v", err)
	}
	if !strings.Contains(aws.ToString(out.AssumedRoleUser.Arn), "/eks-prod-cart-9-") {
		t.Errorf("minted for pod cart-9, got session %q", aws.ToString(out.AssumedRoleUser.Arn))
	}

	// The log names requests without their token.
	logs := e.stderr.String()
	if !strings.Contains(logs, "POST /clusters/prod/assume-role-for-pod-identity -> 200") {
		t.Errorf("stderr = %q, want a line per request", logs)
	}
	for _, secret := range []string{tokens[0], string(minted), vars["AWS_SECRET_ACCESS_KEY"], vars["AWS_SESSION_TOKEN"]} {
		if strings.Contains(logs, strings.TrimSpace(secret)) {
			t.Error("the log contains a token or a secret")
		}
	}
}

func TestShutdownOnCancel(t *testing.T) {
	e := startEmulator(t)
	addr := strings.TrimPrefix(e.env()["AWS_ENDPOINT_URL_EKS_AUTH"], "http://")
	e.stop()
	if err := <-e.done; err != nil {
		t.Fatalf("run after cancel = %v, want nil", err)
	}
	e.done <- nil // for the cleanup
	if !strings.HasSuffix(e.stdout.String(), "# shutting down\n") {
		t.Errorf("stdout ends %q", e.stdout.String()[max(0, len(e.stdout.String())-40):])
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after shutdown", addr)
	}
}

func TestConfigFileAndEnvFile(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "emulator.env")
	// An existing, world-readable file must not keep its mode: it gets
	// the node's secret key.
	if err := os.WriteFile(envFile, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e := startEmulator(t, "-config", filepath.Join("testdata", "associations.json"), "-env-file", envFile,
		"-access-key-id", "AKIAEXAMPLEEXAMPLE01", "-secret-access-key", strings.Repeat("k", 40))
	vars := e.env()
	if vars["AWS_REGION"] != "eu-west-1" || vars["AWS_DEFAULT_REGION"] != "eu-west-1" || vars["AWS_ACCESS_KEY_ID"] != "AKIAEXAMPLEEXAMPLE01" {
		t.Errorf("env = %v, want the file's region and the fixed key", vars)
	}
	if !strings.Contains(e.stdout.String(), "unset AWS_SESSION_TOKEN") {
		t.Error("fixed credentials without a session token must unset AWS_SESSION_TOKEN")
	}
	if n := len(e.tokens()); n != 2 {
		t.Errorf("printed %d tokens, want 2", n)
	}
	if !strings.Contains(e.stdout.String(), "arn:aws:iam::444455556666:role/cart then arn:aws:iam::777788889999:role/reader") {
		t.Errorf("the target role is not shown:\n%s", e.stdout.String())
	}
	written, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(envFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("-env-file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(written)), "\n") {
		if !strings.Contains(e.stdout.String(), line+"\n") {
			t.Errorf("-env-file line %q is not in the printed setup", line)
		}
	}

	resp, err := http.Get(vars["AWS_ENDPOINT_URL_EKS_AUTH"] + "/emulator/associations")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list []struct{ Cluster, ID, TargetRoleARN string }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list) != 2 {
		t.Errorf("associations = %+v, %v; want 2", list, err)
	}
}

func TestMintErrors(t *testing.T) {
	e := startEmulator(t, "-quiet")
	base := e.env()["AWS_ENDPOINT_URL_EKS_AUTH"] + "/emulator/token?"
	for name, query := range map[string]string{
		"no cluster":      "namespace=shop&serviceAccount=cart",
		"bad cluster":     "cluster=-x&namespace=shop&serviceAccount=cart",
		"no namespace":    "cluster=prod&serviceAccount=cart",
		"bad ttl":         "cluster=prod&namespace=shop&serviceAccount=cart&ttl=soon",
		"negative ttl":    "cluster=prod&namespace=shop&serviceAccount=cart&ttl=-1h",
		"no service acct": "cluster=prod&namespace=shop",
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(base + query)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", resp.StatusCode)
			}
		})
	}
	if e.stderr.String() != "" {
		t.Errorf("-quiet logged %q", e.stderr.String())
	}
}

func TestBadArguments(t *testing.T) {
	tests := map[string][]string{
		"association without role":  {"-associate", "prod/shop/cart"},
		"association with 2 parts":  {"-associate", "prod/cart=arn:aws:iam::1:role/r"},
		"association bad cluster":   {"-associate", "-prod/shop/cart=arn:aws:iam::1:role/r"},
		"association not a role":    {"-associate", "prod/shop/cart=arn:aws:iam::1:user/r"},
		"association bad target":    {"-associate", "prod/shop/cart=arn:aws:iam::1:role/r,nope"},
		"unknown flag":              {"-verbose"},
		"extra argument":            {"serve"},
		"config unknown field":      {"-config", filepath.Join("testdata", "unknown-field.json")},
		"config bad association":    {"-config", filepath.Join("testdata", "bad-association.json")},
		"config not JSON":           {"-config", filepath.Join("testdata", "not-json.json")},
		"config missing":            {"-config", filepath.Join("testdata", "missing.json")},
		"key without secret":        {"-access-key-id", "AKIAEXAMPLE"},
		"session token without key": {"-session-token", "x"},
		"zero token ttl":            {"-token-ttl", "0s"},
		"tiny credential lifetime":  {"-credential-lifetime", "1ms"},
		"bad region":                {"-region", "US West"},
		"bad address":               {"-addr", "256.0.0.1:1"},
		"short account":             {"-account", "12"},
		"config empty":              {"-config", filepath.Join("testdata", "empty.json")},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if name != "bad address" {
				args = append([]string{"-addr", "127.0.0.1:0"}, args...)
			}
			if err := run(ctx, args, &stdout, &stderr); err == nil {
				t.Fatalf("run(%q) = nil, want an error", args)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed a setup despite the error: %q", stdout.String())
			}
		})
	}
}

func TestParseAssociation(t *testing.T) {
	a, err := parseAssociation("prod/shop/cart=arn:aws:iam::111122223333:role/path/cart,arn:aws:iam::222233334444:role/reader")
	if err != nil {
		t.Fatal(err)
	}
	if a.Cluster != "prod" || a.Namespace != "shop" || a.ServiceAccount != "cart" ||
		a.RoleARN != "arn:aws:iam::111122223333:role/path/cart" || a.TargetRoleARN != "arn:aws:iam::222233334444:role/reader" {
		t.Errorf("parseAssociation = %+v", a)
	}
}

// TestRequestLog: the standalone emulator keeps no record of requests
// unless -request-log asks, and then only the newest n, shown without
// headers or bodies.
func TestRequestLog(t *testing.T) {
	list := func(t *testing.T, e *emulator) (out []requestLine, raw string) {
		t.Helper()
		base := e.env()["AWS_ENDPOINT_URL_EKS_AUTH"]
		for i := range 3 {
			body := strings.NewReader(`{"token":"secret-token-` + strconv.Itoa(i) + `"}`)
			resp, err := http.Post(base+"/clusters/prod/assume-role-for-pod-identity", "application/json", body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
		resp, err := http.Get(base + "/emulator/requests")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("GET /emulator/requests: %q: %v", b, err)
		}
		return out, string(b)
	}
	t.Run("none by default", func(t *testing.T) {
		if got, raw := list(t, startEmulator(t, "-quiet")); len(got) != 0 {
			t.Errorf("recorded without -request-log: %s", raw)
		}
	})
	t.Run("the newest n when asked", func(t *testing.T) {
		got, raw := list(t, startEmulator(t, "-quiet", "-request-log", "2"))
		if len(got) != 2 {
			t.Fatalf("-request-log 2 kept %d requests: %s", len(got), raw)
		}
		for _, r := range got {
			if r.Method != "POST" || r.Path != "/clusters/prod/assume-role-for-pod-identity" || r.Status != 403 || r.Code != "MissingAuthenticationTokenException" {
				t.Errorf("record %+v, want the unsigned POST answered 403 MissingAuthenticationTokenException", r)
			}
		}
		if strings.Contains(raw, "secret-token") {
			t.Errorf("GET /emulator/requests shows a request body: %s", raw)
		}
	})
}

// TestPrintedOIDCKeys: the printed OIDC key URL serves the JWKS whose key
// signed the printed token.
func TestPrintedOIDCKeys(t *testing.T) {
	e := startEmulator(t, "-quiet", "-associate", "prod/shop/cart=arn:aws:iam::111122223333:role/cart")
	var keysURL string
	for _, line := range strings.Split(e.stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "# OIDC issuer: "); ok {
			f := strings.Fields(strings.TrimSuffix(rest, ")"))
			keysURL = f[len(f)-1]
		}
	}
	if !strings.HasSuffix(keysURL, "/keys") {
		t.Fatalf("no OIDC keys URL printed:\n%s", e.stdout.String())
	}
	resp, err := http.Get(keysURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct{ Kid string } `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || resp.StatusCode != 200 || len(set.Keys) != 1 {
		t.Fatalf("GET %s: %d, %+v, %v", keysURL, resp.StatusCode, set, err)
	}
	tokens := e.tokens()
	if len(tokens) != 1 {
		t.Fatalf("%d tokens printed", len(tokens))
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tokens[0], ".")[0])
	var h struct{ Kid string }
	if err := json.Unmarshal(header, &h); err != nil || h.Kid != set.Keys[0].Kid {
		t.Errorf("the printed token's kid %q is not the published key's %q", h.Kid, set.Keys[0].Kid)
	}
}
