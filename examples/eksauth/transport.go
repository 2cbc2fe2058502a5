package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"github.com/podidentity/podidentity/eksauth"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// newHTTPClient builds the client the CLI sends with: the connect timeout
// bounds dialing and the TLS handshake, the read timeout bounds every read
// from the socket (as the AWS CLI's socket timeout does), zero meaning no
// limit; --no-verify-ssl and the CA bundle shape the TLS configuration.
func newHTTPClient(s *settings, stderr io.Writer) (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	// The AWS CLI reads the bundle only for a TLS connection: with a
	// plain-HTTP --endpoint-url a missing bundle is no error.
	if s.caBundle != "" && urlScheme(s.endpoint) != "http" {
		pem, err := os.ReadFile(expandUser(s.caBundle))
		if err != nil {
			return nil, &cliError{code: exitGeneral, msg: "Could not find a suitable TLS CA certificate bundle, invalid path: " + s.caBundle}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &cliError{code: exitGeneral, msg: "Could not load the TLS CA certificate bundle, no certificates found in: " + s.caBundle}
		}
		tlsCfg.RootCAs = pool
	}
	if !s.verifySSL {
		tlsCfg.InsecureSkipVerify = true
	}
	dialer := &net.Dialer{Timeout: s.connectTimeout, KeepAlive: 30 * time.Second}
	read := s.readTimeout
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil || read == 0 {
				return c, err
			}
			return &readTimeoutConn{Conn: c, timeout: read}, nil
		},
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: s.connectTimeout,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        10,
		IdleConnTimeout:     90 * time.Second,
	}
	var rt http.RoundTripper = tr
	if !s.verifySSL {
		rt = &insecureWarner{next: rt, stderr: stderr, warned: map[string]bool{}}
	}
	return &http.Client{Transport: rt}, nil
}

// readTimeoutConn sets a fresh read deadline before every read, so that a
// stalled peer fails the request after the timeout, however long the whole
// exchange takes.
type readTimeoutConn struct {
	net.Conn
	timeout time.Duration
}

func (c *readTimeoutConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

// insecureWarner prints, once per host, the warning the AWS CLI's HTTP
// library prints for an HTTPS request made without verifying the
// certificate.
type insecureWarner struct {
	next   http.RoundTripper
	stderr io.Writer
	mu     sync.Mutex // guards warned
	warned map[string]bool
}

func (w *insecureWarner) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "https" {
		w.mu.Lock()
		host := req.URL.Hostname()
		if !w.warned[host] {
			w.warned[host] = true
			fmt.Fprintf(w.stderr, "eksauth: InsecureRequestWarning: Unverified HTTPS request is being made to host '%s'. Adding certificate verification is strongly advised. See: https://urllib3.readthedocs.io/en/latest/advanced-usage.html#tls-warnings\n", host)
		}
		w.mu.Unlock()
	}
	return w.next.RoundTrip(req)
}

// unsignedClient sends requests without their signature, for
// --no-sign-request. Our client refuses anonymous credentials by design
// (a request it signs must be signed), so the CLI gives it placeholder
// credentials and removes what they produced before the request leaves:
// the service then sees exactly the unsigned request the AWS CLI sends,
// and answers it as AWS would.
type unsignedClient struct{ next eksauth.HTTPClient }

func (u unsignedClient) Do(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for _, h := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date", "X-Amz-Content-Sha256"} {
		req.Header.Del(h)
	}
	return u.next.Do(req)
}

// recordingClient remembers the URL of the last request, which the AWS
// CLI names in connection errors.
type recordingClient struct {
	next eksauth.HTTPClient
	mu   sync.Mutex // guards last
	last string
}

func (r *recordingClient) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	u := *req.URL
	u.RawQuery = ""
	r.last = u.String()
	r.mu.Unlock()
	return r.next.Do(req)
}

func (r *recordingClient) lastURL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}
