package main

// Tests on a node in a box: each runs the test binary again in a network
// namespace of its own (CLONE_NEWNET), where init changes nothing of the
// machine's, and the agent listens on the link-local addresses for real.
// Traffic goes only to addresses inside that namespace.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

const netnsEnv = "PODIDENTITY_TEST_NETNS"

// inNetns returns true when the test runs inside its namespace, where its
// body goes on. Outside, it runs the test there and returns false; the
// test fails if it failed there. Without the privilege to make a namespace
// it skips, except in CI (CI=true), which runs as root and must run it.
func inNetns(t *testing.T) bool {
	t.Helper()
	if os.Getenv(netnsEnv) == t.Name() {
		lo, err := netlink.LinkByName("lo")
		if err != nil {
			t.Fatal(err)
		}
		if err := netlink.LinkSetUp(lo); err != nil {
			t.Fatal(err)
		}
		useVethWithoutDummyDriver(t)
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), netnsEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	if errors.Is(err, syscall.EPERM) {
		msg := "cannot create a network namespace (needs root, or CAP_SYS_ADMIN): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "; CI runs as root and must run this test")
		}
		t.Skip(msg)
	}
	t.Logf("in a network namespace of its own:\n%s", out)
	if err != nil {
		t.Fatalf("failed in its namespace: %v", err)
	}
	if !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatal("did not pass in its namespace")
	}
	return false
}

// useVethWithoutDummyDriver makes init's link a veth where the kernel has
// no dummy driver (some VMs' kernels): addresses, routes, idempotence and
// conflicts are then tested as they are, on another kind of link.
func useVethWithoutDummyDriver(t *testing.T) {
	t.Helper()
	probe := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: "dummyprobe0"}}
	err := netlink.LinkAdd(probe)
	if err == nil {
		netlink.LinkDel(probe)
		return
	}
	if !errors.Is(err, unix.EOPNOTSUPP) {
		t.Fatalf("create a dummy link: %v", err)
	}
	t.Logf("this kernel has no dummy driver (%v): init's link is a veth for this test", err)
	old := newAgentLink
	newAgentLink = func(attrs netlink.LinkAttrs) netlink.Link {
		return &netlink.Veth{LinkAttrs: attrs, PeerName: "pod-id-peer0"}
	}
	t.Cleanup(func() { newAgentLink = old })
	vethOrDummy = "veth"
}

// vethOrDummy is the type of init's link in this test.
var vethOrDummy = "dummy"

func initNode(t *testing.T) string {
	t.Helper()
	var out strings.Builder
	if err := run(context.Background(), []string{"init"}, &out, io.Discard); err != nil {
		t.Fatalf("init: %v\n%s", err, out.String())
	}
	return out.String()
}

// linkState is what init is to leave: the link, its addresses and routes.
func linkState(t *testing.T) (link netlink.Link, addrs []string, routes []string) {
	t.Helper()
	link, err := netlink.LinkByName(linkName)
	if err != nil {
		t.Fatal(err)
	}
	as, err := netlink.AddrList(link, unix.AF_UNSPEC)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if !isIPv6LinkLocal(a.IP) { // the kernel's own fe80::
			addrs = append(addrs, a.IPNet.String())
		}
	}
	rs, err := netlink.RouteListFiltered(unix.AF_UNSPEC, &netlink.Route{Table: unix.RT_TABLE_MAIN, LinkIndex: link.Attrs().Index}, netlink.RT_FILTER_TABLE|netlink.RT_FILTER_OIF)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Dst != nil && !isIPv6LinkLocal(r.Dst.IP) {
			routes = append(routes, r.Dst.String())
		}
	}
	return link, addrs, routes
}

func isIPv6LinkLocal(ip net.IP) bool { return ip.To4() == nil && ip.IsLinkLocalUnicast() }

func TestInitInANetworkNamespace(t *testing.T) {
	if !inNetns(t) {
		return
	}
	out := initNode(t)
	// (The kernel routes an IPv6 address's prefix itself once the link is
	// up, so init may find the IPv6 route already there.)
	for _, want := range []string{"created " + vethOrDummy + " link pod-id-link0", "added 169.254.170.23/32", "added fd00:ec2::23/128", "routed 169.254.170.23/32"} {
		if !strings.Contains(out, want) {
			t.Errorf("init said %q, want %q", out, want)
		}
	}
	link, addrs, routes := linkState(t)
	if link.Type() != vethOrDummy || link.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("link %s is %s, flags %v; want a %s link, up", linkName, link.Type(), link.Attrs().Flags, vethOrDummy)
	}
	want := "[169.254.170.23/32 fd00:ec2::23/128]"
	if got := "[" + strings.Join(addrs, " ") + "]"; got != want {
		t.Errorf("addresses = %v, want %s", addrs, want)
	}
	if got := "[" + strings.Join(routes, " ") + "]"; got != want {
		t.Errorf("main-table routes via %s = %s, want %s", linkName, got, want)
	}

	// Again (the init container of a restarted pod): nothing to do.
	if out := initNode(t); out != "" {
		t.Errorf("second init said %q, want nothing (all done already)", out)
	}
	if _, addrs2, routes2 := linkState(t); strings.Join(addrs2, " ") != strings.Join(addrs, " ") || strings.Join(routes2, " ") != strings.Join(routes, " ") {
		t.Errorf("second init changed the link: addresses %v, routes %v", addrs2, routes2)
	}

	// A route to the address through another link: init refuses, and says
	// how to fix it.
	other := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "other0"}, PeerName: "other1"}
	if err := netlink.LinkAdd(other); err != nil {
		t.Fatal(err)
	}
	if err := netlink.LinkSetUp(other); err != nil {
		t.Fatal(err)
	}
	dst := &net.IPNet{IP: net.ParseIP("169.254.170.23").To4(), Mask: net.CIDRMask(32, 32)}
	if err := netlink.RouteDel(&netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst, Table: unix.RT_TABLE_MAIN, Scope: netlink.SCOPE_LINK}); err != nil {
		t.Fatal(err)
	}
	if err := netlink.RouteAdd(&netlink.Route{LinkIndex: other.Attrs().Index, Dst: dst, Scope: netlink.SCOPE_LINK}); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"init"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "a route to 169.254.170.23/32 already goes through other0, not pod-id-link0") ||
		!strings.Contains(err.Error(), "ip route del 169.254.170.23/32") {
		t.Errorf("init with a conflicting route = %v, want an error naming the route and how to delete it", err)
	}
}

// TestNoIPv6InANetworkNamespace: on a node without IPv6, init does the
// IPv4 half, and the agent started with its default addresses serves IPv4,
// warns once and says so on /readyz, rather than crash-loop.
func TestNoIPv6InANetworkNamespace(t *testing.T) {
	if !inNetns(t) {
		return
	}
	for _, p := range []string{"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6"} {
		if err := os.WriteFile(p, []byte("1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := initNode(t)
	if !strings.Contains(out, "warning: no IPv6 on this node") || !strings.Contains(out, "routed 169.254.170.23/32") {
		t.Errorf("init said %q, want the IPv4 half done and a warning", out)
	}
	a := startAgentInNetns(t, nil)
	if len(a.urls) != 1 || a.urls[0] != "http://169.254.170.23:80/v1/credentials" {
		t.Fatalf("listening on %v, want 169.254.170.23:80 only", a.urls)
	}
	if n := strings.Count(a.stderr.String(), "serving IPv4 only"); n != 1 {
		t.Errorf("%d warnings about IPv6, want 1:\n%s", n, a.stderr)
	}
	status, body := a.ready(t)
	if status != 200 || !strings.Contains(body, `"not_serving":{"[fd00:ec2::23]:80"`) {
		t.Errorf("/readyz = %d %s, want 200 naming the IPv6 address not served", status, body)
	}
}

type netnsAgent struct {
	srv      *eksauthtest.Server
	urls     []string
	probeURL string
	stderr   *syncBuffer
}

func (a *netnsAgent) ready(t *testing.T) (int, string) {
	t.Helper()
	resp, err := http.Get(a.probeURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startAgentInNetns starts an emulator on the namespace's loopback, and
// the agent in front of it with no address flag, as the chart runs it.
func startAgentInNetns(t *testing.T, extra []string) *netnsAgent {
	t.Helper()
	srv := emulatorForRun(t)

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	a := &netnsAgent{srv: srv, stderr: &syncBuffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-cluster", e2eCluster, "-region", srv.Region(), "-endpoint", srv.URL, "-probe-port", "0"}, extra...), pw, a.stderr)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	lines := bufio.NewScanner(pr)
	listening := regexp.MustCompile(`^pod-identity-agent: listening on (http://\S+)$`)
	probes := regexp.MustCompile(`^pod-identity-agent: probes on (http://\S+)/readyz$`)
	for a.probeURL == "" && lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			a.urls = append(a.urls, m[1])
		} else if m := probes.FindStringSubmatch(lines.Text()); m != nil {
			a.probeURL = m[1]
		}
	}
	if a.probeURL == "" {
		t.Fatalf("the agent did not start:\n%s", a.stderr)
	}
	go io.Copy(io.Discard, pr)
	// Ready once EKS Auth has answered the start-up check.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if status, body := a.ready(t); status == 200 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("not ready: %s\n%s", body, a.stderr)
		}
	}
	return a
}

// TestSDKsOnTheLinkLocalAddresses is the whole path on a node in a box:
// init, then the agent with no address flag, then the Go SDK (a fresh
// process with nothing but the two variables EKS injects and an empty
// HOME) and botocore get the role's credentials through each of the two
// addresses.
func TestSDKsOnTheLinkLocalAddresses(t *testing.T) {
	if !inNetns(t) {
		return
	}
	initNode(t)
	a := startAgentInNetns(t, nil)
	if got := strings.Join(a.urls, " "); got != "http://169.254.170.23:80/v1/credentials http://[fd00:ec2::23]:80/v1/credentials" {
		t.Fatalf("listening on %s, want both link-local addresses on port 80", got)
	}
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	token := a.srv.Token(e2ePod, time.Hour)
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	python := pythonWithBotocore(t)

	for _, uri := range []string{"http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"} {
		env := []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=" + uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=" + tokenFile, "HOME=" + home}
		want := agentAccessKey(t, uri, token)

		cmd := exec.Command(os.Args[0], "-test.run=^TestGoSDKClient$")
		cmd.Env = append(env, goSDKClientEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "go-sdk: "+want+" CredentialsEndpointProvider\n") {
			t.Errorf("Go SDK via %s: %v\n%s\nwant access key %s", uri, err, out, want)
		}

		if python != "" {
			cmd := exec.Command(python, "-c", `import botocore.session as s; c = s.get_session().get_credentials(); print("botocore:", c.method, c.access_key)`)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "botocore: container-role "+want {
				t.Errorf("botocore via %s: %v\n%s\nwant container-role %s", uri, err, out, want)
			}
		}
	}

	// A name other than the address (DNS rebinding) gets nothing.
	req, _ := http.NewRequest(http.MethodGet, "http://169.254.170.23/v1/credentials", nil)
	req.Host = "attacker.example"
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "application/json" || strings.Contains(string(body), "AccessKeyId") {
		t.Errorf("foreign Host: %d %s, want 403 JSON without credentials", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	// The IPv6 address taken off the node under the running agent: no
	// longer served, so no longer ready. (Idle connections to it first: no
	// close would reach them once it is gone.)
	http.DefaultClient.CloseIdleConnections()
	link, err := netlink.LinkByName(linkName)
	if err != nil {
		t.Fatal(err)
	}
	v6, _ := netlink.ParseAddr("fd00:ec2::23/128")
	if err := netlink.AddrDel(link, v6); err != nil {
		t.Fatal(err)
	}
	if status, body := a.ready(t); status != http.StatusServiceUnavailable || !strings.Contains(body, "not serving on [fd00:ec2::23]:80") {
		t.Errorf("/readyz without the IPv6 address = %d %s, want 503 naming it", status, body)
	}
}

// TestNoInitInANetworkNamespace: without init, the agent with its default
// addresses says what to do.
func TestNoInitInANetworkNamespace(t *testing.T) {
	if !inNetns(t) {
		return
	}
	hermeticEnv(t)
	err := run(context.Background(), []string{"-cluster", e2eCluster, "-endpoint", "http://127.0.0.1:1", "-probe-port", "0"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen tcp 169.254.170.23:80") || !strings.Contains(err.Error(), "run `pod-identity-agent init` first") {
		t.Errorf("run without init = %v, want the address and what to do", err)
	}
}

// agentAccessKey is the access key the agent answers at uri for token.
func agentAccessKey(t *testing.T, uri, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, uri, nil)
	req.Header.Set("Authorization", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body credentialsBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || !strings.HasPrefix(body.AccessKeyId, "ASIA") {
		t.Fatalf("GET %s: %d, %v", uri, resp.StatusCode, err)
	}
	return body.AccessKeyId
}

// pythonWithBotocore is the python3 executable that imports botocore, run
// by path (the pyenv shim needs the environment the test takes away); ""
// with a skip message where there is none, a failure in CI.
func pythonWithBotocore(t *testing.T) string {
	out, err := exec.Command("python3", "-c", "import sys, botocore; print(sys.executable)").Output()
	if err != nil {
		msg := "no python3 with botocore: the botocore half is not run: " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Log(msg)
		return ""
	}
	return strings.TrimSpace(string(out))
}

const goSDKClientEnv = "PODIDENTITY_TEST_GO_SDK_CLIENT"

// TestGoSDKClient is the Go program in a pod of TestSDKsOnTheLinkLocalAddresses:
// it does what every Go program does, and prints the access key it got.
func TestGoSDKClient(t *testing.T) {
	if os.Getenv(goSDKClientEnv) == "" {
		t.Skip("run by TestSDKsOnTheLinkLocalAddresses in a fresh process")
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("go-sdk: " + creds.AccessKeyID + " " + creds.Source + "\n")
	// A program ends here, with the SDK's idle connection open, which
	// the package's goroutine check would count against it.
	os.Exit(0)
}

// TestInitUsesAnExistingLinkOfAnotherType: pod-id-link0 created beforehand
// as another type (the only way on a kernel without the dummy driver) gets
// the addresses and routes, and init says what it found.
func TestInitUsesAnExistingLinkOfAnotherType(t *testing.T) {
	if !inNetns(t) {
		return
	}
	if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: linkName}}); err != nil {
		t.Fatal(err)
	}
	out := initNode(t)
	want := "pod-id-link0 exists as a bridge link, not a " + vethOrDummy + " one: using it"
	if !strings.Contains(out, want) || strings.Contains(out, "created") {
		t.Errorf("init said %q, want %q and no link created", out, want)
	}
	link, addrs, routes := linkState(t)
	if link.Type() != "bridge" || link.Attrs().Flags&net.FlagUp == 0 {
		t.Errorf("link %s is %s, flags %v; want the bridge, up", linkName, link.Type(), link.Attrs().Flags)
	}
	if got, want := strings.Join(addrs, " "), "169.254.170.23/32 fd00:ec2::23/128"; got != want {
		t.Errorf("addresses = %s, want %s", got, want)
	}
	if len(routes) == 0 || routes[0] != "169.254.170.23/32" {
		t.Errorf("main-table routes via %s = %v, want 169.254.170.23/32 first", linkName, routes)
	}
}
