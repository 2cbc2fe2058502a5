package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args    []string
		wantErr error
		stderr  string
	}{
		"no cluster":        {nil, errUsage, "-cluster is required"},
		"negative burst":    {[]string{"-cluster", "c1", "-burst", "0"}, errUsage, "-burst must be at least 1"},
		"negative idle ttl": {[]string{"-cluster", "c1", "-idle-ttl", "-1s"}, errUsage, "-idle-ttl must not be negative"},
		"bad region":        {[]string{"-cluster", "c1", "-region", "us west 2"}, errUsage, "-region"},
		"endpoint not URL":  {[]string{"-cluster", "c1", "-endpoint", "not a url"}, errUsage, "-endpoint"},
		"endpoint ftp":      {[]string{"-cluster", "c1", "-endpoint", "ftp://x"}, errUsage, "http:// or https://"},
		"endpoint no host":  {[]string{"-cluster", "c1", "-endpoint", "http://"}, errUsage, "want a host"},
		"listen empty part": {[]string{"-cluster", "c1", "-listen", "127.0.0.1:8023,"}, errUsage, "-listen"},
		"listen no port":    {[]string{"-cluster", "c1", "-listen", "127.0.0.1"}, errUsage, "-listen"},
		"listen wildcard":   {[]string{"-cluster", "c1", "-listen", "0.0.0.0:80"}, errUsage, "a wildcard address listens on every interface"},
		"listen no host":    {[]string{"-cluster", "c1", "-listen", ":80"}, errUsage, "a wildcard address listens on every interface"},
		"listen v6 any":     {[]string{"-cluster", "c1", "-listen", "[::]:80"}, errUsage, "a wildcard address listens on every interface"},
		"listen elsewhere":  {[]string{"-cluster", "c1", "-listen", "10.0.0.1:80"}, errUsage, "-allow-any-listen-address"},
		"listen a name":     {[]string{"-cluster", "c1", "-listen", "localhost:80"}, errUsage, "want an IP address"},
		"bad probe port":    {[]string{"-cluster", "c1", "-probe-port", "70000"}, errUsage, "-probe-port"},
		"bad cluster":       {[]string{"-cluster", "-bad"}, errUsage, "-cluster"},
		"zero cache":        {[]string{"-cluster", "c1", "-cache-size", "0"}, errUsage, "-cache-size"},
		"negative rate":     {[]string{"-cluster", "c1", "-rate", "-1"}, errUsage, "-rate must not be negative"},
		"zero timeout":      {[]string{"-cluster", "c1", "-upstream-timeout", "0s"}, errUsage, "-upstream-timeout must be positive"},
		"multiline node":    {[]string{"-cluster", "c1", "-node-name", "a\nb"}, errUsage, "-node-name"},
		"extra argument":    {[]string{"-cluster", "c1", "extra"}, errUsage, "unexpected arguments"},
		"unknown flag":      {[]string{"-cluster", "c1", "-nope"}, errUsage, "-nope"},
		"bad log level":     {[]string{"-cluster", "c1", "-log-level", "LOUD"}, errUsage, "-log-level"},
		"help":              {[]string{"-h"}, flag.ErrHelp, "169.254.170.23:80"},
		"defaults are fine": {[]string{"-cluster", "c1"}, nil, ""},
		"loopback is fine":  {[]string{"-cluster", "c1", "-listen", "127.0.0.1:8023,[::1]:8023"}, nil, ""},
		"anywhere allowed":  {[]string{"-cluster", "c1", "-listen", "0.0.0.0:80,10.0.0.1:80", "-allow-any-listen-address"}, nil, ""},
	} {
		t.Run(name, func(t *testing.T) {
			var stderr bytes.Buffer
			f, err := parseFlags(tc.args, &stderr)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr = %q, want it to mention %q", stderr.String(), tc.stderr)
			}
			if err == nil && name == "defaults are fine" && (f.listen != "169.254.170.23:80,[fd00:ec2::23]:80" || !f.listenIsDefault || f.probePort != 2703 ||
				f.cacheSize != 4096 || f.idleTTL != time.Hour || f.shutdownTimeout != 10*time.Second) {
				t.Errorf("defaults = %+v", f)
			}
		})
	}
}

// lines is an io.Writer that sends each line written to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) {
	for _, s := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l <- s
	}
	return len(p), nil
}

// TestRun runs the command as main does, on two loopback addresses, with
// node credentials from the environment (the SDK's default chain), against
// the emulator; then shuts it down.
func TestRun(t *testing.T) {
	srv := emulatorForRun(t)

	ctx, cancel := context.WithCancel(context.Background())
	out := make(lines, 10)
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-cluster", e2eCluster, "-region", srv.Region(), "-endpoint", srv.URL,
			"-listen", "127.0.0.1:0, 127.0.0.1:0", "-probe-port", "0", "-log-level", "debug"}, out, stderr)
	}()

	listening := regexp.MustCompile(`^pod-identity-agent: listening on (http://127\.0\.0\.1:\d+/v1/credentials)$`)
	probing := regexp.MustCompile(`^pod-identity-agent: probes on (http://127\.0\.0\.1:\d+)/readyz$`)
	var urls []string
	var probeURL string
	for probeURL == "" {
		select {
		case line := <-out:
			if m := probing.FindStringSubmatch(line); m != nil && len(urls) == 2 {
				probeURL = m[1]
				continue
			}
			m := listening.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("stdout line %q, want a listening line, then the probes", line)
			}
			urls = append(urls, m[1])
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, stderr)
		}
	}

	token := srv.Token(e2ePod, time.Hour)
	var keys []string
	for _, u := range urls {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"AccessKeyId":"ASIA`) {
			t.Fatalf("GET %s = %d %s", u, resp.StatusCode, body)
		}
		keys = append(keys, string(body[:40]))
	}
	if keys[0] != keys[1] {
		t.Error("the two addresses answered different credentials, want one cache")
	}
	// The probes are on their own port, not on the credentials one.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, metricsPath: 200} {
		if got := getStatus(t, probeURL+path); got != want {
			t.Errorf("%s = %d, want %d", path, got, want)
		}
		if got := getStatus(t, strings.TrimSuffix(urls[0], credentialsPath)+path); got != http.StatusNotFound {
			t.Errorf("%s on the credentials port = %d, want 404", path, got)
		}
	}

	cancel() // SIGINT/SIGTERM in main
	if err := <-done; err != nil {
		t.Errorf("run = %v, want nil after a graceful shutdown", err)
	}
	logs := stderr.String()
	for _, want := range []string{"agent started", `msg="eksauth call"`, "shutting down"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "no node credentials") {
		t.Errorf("warned of missing node credentials that were there:\n%s", logs)
	}
	for _, secret := range []string{token, srv.NodeCredentials().SecretAccessKey, srv.NodeCredentials().SessionToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains a secret:\n%s", logs)
		}
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestRunNeedsARegion(t *testing.T) {
	for name, args := range map[string][]string{
		"no endpoint": {"-cluster", "c1", "-listen", "127.0.0.1:0", "-probe-port", "0"},
		// The region is the signing region: an endpoint does not replace it.
		"endpoint": {"-cluster", "c1", "-listen", "127.0.0.1:0", "-probe-port", "0", "-endpoint", "http://127.0.0.1:1"},
	} {
		t.Run(name, func(t *testing.T) {
			hermeticEnv(t)
			t.Setenv("AWS_REGION", "")
			err := run(context.Background(), args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "no region") {
				t.Errorf("run = %v, want a missing-region error", err)
			}
		})
	}
}

func TestRunRefusesABadRegionFromTheEnvironment(t *testing.T) {
	hermeticEnv(t)
	t.Setenv("AWS_REGION", "us west 2")
	err := run(context.Background(), []string{"-cluster", "c1", "-listen", "127.0.0.1:0", "-probe-port", "0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `region "us west 2"`) {
		t.Errorf("run = %v, want a bad-region error", err)
	}
}

// TestRunWarnsWithoutNodeCredentials: the agent starts without node
// credentials (IMDS may come up later) but says so at once.
func TestRunWarnsWithoutNodeCredentials(t *testing.T) {
	hermeticEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-cluster", "c1", "-endpoint", "http://127.0.0.1:1", "-listen", "127.0.0.1:0", "-probe-port", "0"}, io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(stderr.String(), "no node credentials yet"); {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about the missing node credentials:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunPortInUse(t *testing.T) {
	hermeticEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	err = run(context.Background(), []string{"-cluster", "c1", "-listen", busy.Addr().String(), "-probe-port", "0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "address already in use (another agent running? choose the address with -listen)") {
		t.Errorf("run = %v, want an address-in-use error that says what to do", err)
	}
}
