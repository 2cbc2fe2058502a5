// Package kube is the one-node cluster test box: a real etcd and
// kube-apiserver (built from k8s.io/kubernetes in this module, version
// pinned by go.mod), started from temp dirs and stopped with the machine
// put back as it was. Scenarios are tests of this package that take the
// running box.
//
// So far the box is the control plane's storage and API server: the
// kubelet, containerd, the controller-manager and the scheduler (go.mod
// already builds all four Kubernetes commands), and the chart's scenarios
// of issue 18, are still to come.
package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Version is the Kubernetes version the box builds (go.mod pins the module).
const Version = "v1.37.2"

// ServiceAccountIssuer is the issuer of the box's service-account tokens.
const ServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// Box is a running control plane.
type Box struct {
	Root      string // temp dir holding everything the box writes
	APIServer string // https://127.0.0.1:<port>

	pki    *pki
	before *Machine
	procs  []*proc // in start order
}

// kubeBinary returns the path of a Kubernetes command built in the Go
// build cache (go tool -n builds the module's tool once and caches the
// executable), stamped with Version.
func kubeBinary(ctx context.Context, name string) (string, error) {
	out, err := run(ctx, []string{"GOWORK=off", "CGO_ENABLED=0", "GOFLAGS=-ldflags=-X=k8s.io/component-base/version.gitVersion=" + Version}, "", "go", "tool", "-n", name)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start boots etcd and kube-apiserver. On error, what started is stopped
// and the machine restored.
func Start(ctx context.Context) (b *Box, err error) {
	before, err := Snapshot()
	if err != nil {
		return nil, err
	}
	root, err := os.MkdirTemp("", "podidentity-kube-")
	if err != nil {
		return nil, err
	}
	b = &Box{Root: root, before: before}
	defer func() {
		if err != nil {
			if problems := b.Close(); len(problems) > 0 {
				err = fmt.Errorf("%w (and cleaning up: %s)", err, strings.Join(problems, "; "))
			}
			b = nil
		}
	}()
	apiserver, err := kubeBinary(ctx, "kube-apiserver")
	if err != nil {
		return b, err
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		return b, fmt.Errorf("etcd: %w (apt-get install etcd-server)", err)
	}

	if b.pki, err = newPKI(filepath.Join(root, "pki")); err != nil {
		return b, err
	}
	if err := b.pki.issue("apiserver", "kube-apiserver", nil, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(10, 96, 0, 1)}, []string{"localhost", "kubernetes", "kubernetes.default.svc"}); err != nil {
		return b, err
	}
	if err := b.pki.issue("admin", "admin", []string{"system:masters"}, nil, nil); err != nil {
		return b, err
	}
	if err := b.pki.serviceAccountKey(); err != nil {
		return b, err
	}
	logs := filepath.Join(root, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return b, err
	}

	clientPort, err := freePort()
	if err != nil {
		return b, err
	}
	peerPort, err := freePort()
	if err != nil {
		return b, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	p, err := startProc(logs, "etcd", []string{"ETCD_UNSUPPORTED_ARCH=" + goarch()}, etcd,
		"--name=e2e", "--data-dir="+filepath.Join(root, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL, "--unsafe-no-fsync")
	if err != nil {
		return b, err
	}
	b.procs = append(b.procs, p)

	apiPort, err := freePort()
	if err != nil {
		return b, err
	}
	b.APIServer = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	p, err = startProc(logs, "kube-apiserver", nil, apiserver,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", apiPort),
		"--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(root, "apiserver"),
		"--tls-cert-file="+b.pki.path("apiserver.crt"), "--tls-private-key-file="+b.pki.path("apiserver.key"),
		"--client-ca-file="+b.pki.path("ca.crt"),
		"--service-account-issuer="+ServiceAccountIssuer,
		"--service-account-key-file="+b.pki.path("sa.pub"),
		"--service-account-signing-key-file="+b.pki.path("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true", "--profiling=false")
	if err != nil {
		return b, err
	}
	b.procs = append(b.procs, p)
	if err := b.waitReady(ctx, p); err != nil {
		return b, err
	}
	return b, nil
}

func goarch() string {
	out, _ := exec.Command("go", "env", "GOARCH").Output()
	return strings.TrimSpace(string(out))
}

// HTTPClient is an HTTP client that trusts the box's CA and authenticates
// as the cluster's administrator.
func (b *Box) HTTPClient() (*http.Client, error) {
	cert, err := tls.LoadX509KeyPair(b.pki.path("admin.crt"), b.pki.path("admin.key"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(b.pki.caCert)
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}},
	}, nil
}

// waitReady waits for the API server's /readyz.
func (b *Box) waitReady(ctx context.Context, p *proc) error {
	c, err := b.HTTPClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		if p.exited() {
			return fmt.Errorf("%s exited:\n%s", p.name, p.tail(20))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.APIServer+"/readyz", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w\n%s", p.name, ctx.Err(), p.tail(20))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Close stops the box, newest process first, and restores the machine;
// it returns what differs from before, if anything could not be put back.
func (b *Box) Close() []string {
	for i := len(b.procs) - 1; i >= 0; i-- {
		b.procs[i].stop(15 * time.Second)
	}
	for _, pid := range processesMentioning(b.Root) {
		if p, err := os.FindProcess(pid); err == nil {
			_ = p.Kill()
		}
	}
	problems := b.before.Restore(b.Root, nil, "")
	now, err := Snapshot()
	if err != nil {
		return append(problems, err.Error())
	}
	if left := processesMentioning(b.Root); len(left) > 0 {
		problems = append(problems, fmt.Sprintf("processes left: %v", left))
	}
	return append(problems, b.before.Diff(now)...)
}
