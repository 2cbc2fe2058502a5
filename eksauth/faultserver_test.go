package eksauth_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
)

// rawStep answers the request just read on c, byte by byte as a faulty
// server or proxy would; done is closed when the test ends.
type rawStep func(c *net.TCPConn, done <-chan struct{})

// rawServer is a TCP server on 127.0.0.1 that reads one HTTP request per
// connection and hands the connection to a script step: the n-th
// connection gets steps[n], the last step repeats.
type rawServer struct {
	addr  string
	steps []rawStep
	ln    net.Listener
	done  chan struct{}
	wg    sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool
	requests []recorded
	handled  int           // steps that returned
	changed  chan struct{} // closed and replaced when handled grows
}

func newRawServer(t testing.TB, steps ...rawStep) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{addr: ln.Addr().String(), steps: steps, ln: ln, done: make(chan struct{}),
		conns: map[net.Conn]bool{}, changed: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for n := 0; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = true
			s.mu.Unlock()
			s.wg.Add(1)
			go s.serve(c.(*net.TCPConn), steps[min(n, len(steps)-1)])
		}
	}()
	// Closing every connection ends steps blocked on the client.
	t.Cleanup(func() {
		ln.Close()
		close(s.done)
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) serve(c *net.TCPConn, step rawStep) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.handled++
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	// The whole body is read, so that a close sends FIN, not RST.
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, recorded{Method: req.Method, Path: req.URL.Path, Header: req.Header, Body: body})
	s.mu.Unlock()
	step(c, s.done)
}

// Requests returns the requests received so far.
func (s *rawServer) Requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.requests...)
}

// waitHandled waits until n steps have returned (a step that writes until
// the write fails returns once the client has closed the connection).
func (s *rawServer) waitHandled(t testing.TB, n int, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for {
		s.mu.Lock()
		handled, changed := s.handled, s.changed
		s.mu.Unlock()
		if handled >= n {
			return
		}
		select {
		case <-changed:
		case <-timeout:
			t.Fatalf("%d of %d server steps returned after %v: the client kept a connection open", handled, n, within)
		}
	}
}

// Steps.

// reset closes c with an RST instead of a FIN.
func reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

func resetStep(c *net.TCPConn, _ <-chan struct{}) { reset(c) }

// answerStep sends a complete answer with a success body.
func answerStep(body string) rawStep {
	return func(c *net.TCPConn, _ <-chan struct{}) {
		io.WriteString(c, head(200, "application/json", len(body))+body)
	}
}

// head is an answer's status line and headers, with Content-Length n (if
// n >= 0) and extra header lines; every answer closes its connection.
func head(status int, contentType string, n int, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nX-Amzn-Requestid: rid-fault\r\nConnection: close\r\n", status, http.StatusText(status), contentType)
	if n >= 0 {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", n)
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	return b.String() + "\r\n"
}

// silentStep never answers; it returns when the client closes.
func silentStep(c *net.TCPConn, _ <-chan struct{}) { io.Copy(io.Discard, c) }

// writeUntilFailure writes chunk again and again, total bytes in all
// (without end if total < 0), until a write fails (the client closed) or
// the test ends.
func writeUntilFailure(c *net.TCPConn, done <-chan struct{}, chunk []byte, total int64) {
	for written := int64(0); total < 0 || written < total; {
		select {
		case <-done:
			return
		default:
		}
		p := chunk
		if total >= 0 && total-written < int64(len(p)) {
			p = p[:total-written]
		}
		n, err := c.Write(p)
		written += int64(n)
		if err != nil {
			return
		}
	}
}

// Clients.

// connStats counts what an HTTP client's transport dialed and read.
type connStats struct {
	dials atomic.Int32
	read  atomic.Int64
}

type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// clientConfig selects the HTTP client of a case.
type clientConfig struct {
	Timeout  time.Duration  // http.Client.Timeout, per attempt
	Resolver *net.Resolver  // nil: the system's
	RootCAs  *x509.CertPool // nil: the system's
}

// newHTTPClient returns an HTTP client with a transport of its own (no
// proxy, closed at cleanup) that counts its dials and the bytes it reads.
func newHTTPClient(t testing.TB, cfg clientConfig) (*http.Client, *connStats) {
	stats := &connStats{}
	dialer := &net.Dialer{Timeout: 2 * time.Second, Resolver: cfg.Resolver}
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			stats.dials.Add(1)
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: c, read: &stats.read}, nil
		},
		TLSClientConfig:     &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 2 * time.Second,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: cfg.Timeout}, stats
}

// newFaultClient returns a client of endpoint with the test credentials,
// the standard retryer (3 attempts) without backoff, and hc.
func newFaultClient(endpoint string, hc eksauth.HTTPClient) *eksauth.Client {
	return eksauth.New(eksauth.Options{
		Region:       "us-west-2",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials(testCreds),
		Retryer:      retry.NewStandard(noBackoff),
		HTTPClient:   hc,
	})
}

// DNS.

// nxdomainServer is a DNS server on a loopback UDP port that answers every
// query with NXDOMAIN, as a resolver does for a name under .invalid.
type nxdomainServer struct {
	conn    net.PacketConn
	queries atomic.Int32
}

func newNXDOMAINServer(t testing.TB) *nxdomainServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &nxdomainServer{conn: pc}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if reply := nxdomain(buf[:n]); reply != nil {
				s.queries.Add(1)
				pc.WriteTo(reply, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); wg.Wait() })
	return s
}

// Resolver returns a pure-Go resolver that sends every query to s.
func (s *nxdomainServer) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.conn.LocalAddr().String())
	}}
}

// nxdomain returns the NXDOMAIN answer to query q: its header with QR, RA
// and RCODE 3 set, and its first question; nil if q is malformed.
func nxdomain(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	for i < len(q) && q[i] != 0 {
		i += 1 + int(q[i])
	}
	i += 1 + 4 // the root label, QTYPE, QCLASS
	if i > len(q) {
		return nil
	}
	r := append([]byte(nil), q[:i]...)
	r[2] = 0x80 | q[2]&0x79 // QR, the query's opcode and RD
	r[3] = 0x80 | 3         // RA, NXDOMAIN
	copy(r[4:12], []byte{0, 1, 0, 0, 0, 0, 0, 0})
	return r
}
