package eksauth_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/internal/leakcheck"
)

const (
	// faultDeadline is the caller's deadline of a case, unless it sets one.
	faultDeadline = 3 * time.Second
	// faultSlack is how late after its deadline a call may return: the
	// machine running the tests is shared, and -race slows it down.
	faultSlack = time.Second
)

// faultRig is a case's faulty server, seen from the test: the client to
// call, how many attempts reached the wire, and the case's own checks.
type faultRig struct {
	client   *eksauth.Client
	attempts func() int
	check    func(t *testing.T, r faultResult)
}

type faultResult struct {
	out     *eksauth.AssumeRoleForPodIdentityOutput
	err     error
	elapsed time.Duration
}

// TestFaultMatrix calls a real loopback server that fails in one way per
// case, with a deadline, and checks that each call ends either in success
// after retries or in a typed error, within the deadline, with no secret in
// the error and no goroutine left behind.
func TestFaultMatrix(t *testing.T) {
	success := successBody(t)
	tests := []struct {
		name     string
		deadline time.Duration // 0 means faultDeadline
		attempts int           // attempts that must reach the wire
		setup    func(t *testing.T) faultRig
	}{
		{
			name: "01 connection refused", attempts: 3,
			setup: func(t *testing.T) faultRig {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := ln.Addr().String()
				ln.Close()
				hc, stats := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+addr, hc), attempts: dials(stats),
					check: func(t *testing.T, r faultResult) {
						wantMaxAttempts(t, r.err, 3)
						as[*smithyhttp.RequestSendError](t, r.err)
						if op := as[*net.OpError](t, r.err); op != nil && op.Op != "dial" {
							t.Errorf("net.OpError.Op = %q, want dial", op.Op)
						}
						if !errors.Is(r.err, syscall.ECONNREFUSED) {
							t.Errorf("error %v: want ECONNREFUSED in the chain", r.err)
						}
					},
				}
			},
		},
		{
			// Read the request, then RST: retried, and the retry succeeds
			// with the same body.
			name: "02 reset before the answer", attempts: 2,
			setup: func(t *testing.T) faultRig {
				s := newRawServer(t, resetStep, answerStep(success))
				hc, _ := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						wantSuccess(t, r)
						reqs := s.Requests()
						if len(reqs) != 2 {
							return
						}
						if got := reqs[1].Header.Get("Amz-Sdk-Request"); got != "attempt=2; max=3" {
							t.Errorf("second request amz-sdk-request = %q, want the client's own retry", got)
						}
						if !bytes.Equal(reqs[0].Body, reqs[1].Body) || len(reqs[1].Body) == 0 {
							t.Errorf("retry body %q, want the first attempt's %q", reqs[1].Body, reqs[0].Body)
						}
					},
				}
			},
		},
		{
			// Headers announcing the whole body, half of it, then RST: the
			// SDK's retryer retries any error reading "connection reset".
			name: "03 reset mid-body", attempts: 3,
			setup: func(t *testing.T) faultRig {
				s := newRawServer(t, func(c *net.TCPConn, _ <-chan struct{}) {
					io.WriteString(c, head(200, "application/json", len(success))+success[:len(success)/2])
					reset(c)
				})
				hc, _ := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						wantMaxAttempts(t, r.err, 3)
						as[*smithy.DeserializationError](t, r.err)
						wantStatus(t, r.err, 200)
						if !errors.Is(r.err, syscall.ECONNRESET) {
							t.Errorf("error %v: want ECONNRESET in the chain", r.err)
						}
					},
				}
			},
		},
		{
			// Headers with a Content-Length, then FIN: the body ends early.
			// Not retried: an unexpected EOF is no connection error to the
			// SDK's retryer either.
			name: "04 server closes after the headers", attempts: 1,
			setup: func(t *testing.T) faultRig {
				s := newRawServer(t, func(c *net.TCPConn, _ <-chan struct{}) {
					io.WriteString(c, head(200, "application/json", len(success)))
				})
				hc, _ := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						as[*smithy.DeserializationError](t, r.err)
						wantStatus(t, r.err, 200)
						if !errors.Is(r.err, io.ErrUnexpectedEOF) {
							t.Errorf("error %v: want io.ErrUnexpectedEOF in the chain", r.err)
						}
					},
				}
			},
		},
		{
			// The HTTP client's Timeout ends each attempt, well before the
			// caller's deadline; timeouts are retried.
			name: "05 headers that never come", attempts: 3,
			setup: func(t *testing.T) faultRig {
				const timeout = 200 * time.Millisecond
				s := newRawServer(t, silentStep)
				hc, _ := newHTTPClient(t, clientConfig{Timeout: timeout})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						wantMaxAttempts(t, r.err, 3)
						as[*smithyhttp.RequestSendError](t, r.err)
						if ne := as[net.Error](t, r.err); ne != nil && !ne.Timeout() {
							t.Errorf("error %v: want a timeout", r.err)
						}
						if r.elapsed < 3*timeout || r.elapsed > faultDeadline/2 {
							t.Errorf("took %v, want about 3 x %v (the HTTP client's timeout, not the caller's deadline)", r.elapsed, timeout)
						}
						s.waitHandled(t, 3, 2*time.Second)
					},
				}
			},
		},
		{
			// Headers at once, then one body byte a second: only the
			// caller's deadline can end it.
			name: "06 body trickling one byte a second", deadline: 1500 * time.Millisecond, attempts: 1,
			setup: func(t *testing.T) faultRig {
				s := newRawServer(t, func(c *net.TCPConn, done <-chan struct{}) {
					// The client sends nothing more: EOF here means it hung up.
					gone := make(chan struct{})
					go func() { defer close(gone); io.Copy(io.Discard, c) }()
					defer func() { c.Close(); <-gone }()
					io.WriteString(c, head(200, "application/json", len(success)))
					tick := time.NewTicker(time.Second)
					defer tick.Stop()
					for i := 0; i < len(success); i++ {
						if _, err := io.WriteString(c, success[i:i+1]); err != nil {
							return
						}
						select {
						case <-tick.C:
						case <-gone:
							return
						case <-done:
							return
						}
					}
				})
				hc, _ := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						if !errors.Is(r.err, context.DeadlineExceeded) {
							t.Errorf("error %v: want context.DeadlineExceeded in the chain", r.err)
						}
						if r.elapsed < 1500*time.Millisecond {
							t.Errorf("ended after %v, before the deadline", r.elapsed)
						}
						// The client hung up when its deadline passed.
						s.waitHandled(t, 1, time.Second)
					},
				}
			},
		},
		{
			name: "07 truncated JSON", attempts: 1,
			setup: func(t *testing.T) faultRig {
				ts := newTestServer(t, answer{Header: map[string]string{"Content-Type": "application/json"}, Body: success[:len(success)/2]})
				return faultRig{
					client: newTestClient(ts), attempts: func() int { return len(ts.Requests()) },
					check: func(t *testing.T, r faultResult) {
						as[*smithy.DeserializationError](t, r.err)
						wantStatus(t, r.err, 200)
						if !errors.Is(r.err, io.ErrUnexpectedEOF) {
							t.Errorf("error %v: want io.ErrUnexpectedEOF in the chain", r.err)
						}
					},
				}
			},
		},
		{
			name: "08 10 MiB body", attempts: 1,
			setup: func(t *testing.T) faultRig {
				const size = 10 << 20
				s := newRawServer(t, func(c *net.TCPConn, done <-chan struct{}) {
					io.WriteString(c, head(200, "application/json", size))
					writeUntilFailure(c, done, bytes.Repeat([]byte(" "), 32<<10), size)
				})
				hc, stats := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						wantBodyCapped(t, r.err, stats)
						s.waitHandled(t, 1, 2*time.Second)
					},
				}
			},
		},
		{
			name: "09 endless body", attempts: 1,
			setup: func(t *testing.T) faultRig {
				chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", 32<<10, bytes.Repeat([]byte(" "), 32<<10)))
				s := newRawServer(t, func(c *net.TCPConn, done <-chan struct{}) {
					io.WriteString(c, head(200, "application/json", -1, "Transfer-Encoding: chunked"))
					writeUntilFailure(c, done, chunk, -1)
				})
				hc, stats := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient("http://"+s.addr, hc), attempts: func() int { return len(s.Requests()) },
					check: func(t *testing.T, r faultResult) {
						wantBodyCapped(t, r.err, stats)
						// Only the client's hang-up ends this server step.
						s.waitHandled(t, 1, 2*time.Second)
					},
				}
			},
		},
		{
			// The official client's awsRestjson1 deserializer never looks
			// at a success's Content-Type; neither do we.
			name: "10 wrong Content-Type", attempts: 1,
			setup: func(t *testing.T) faultRig {
				ts := newTestServer(t, answer{Header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}, Body: success})
				return faultRig{
					client: newTestClient(ts), attempts: func() int { return len(ts.Requests()) },
					check: func(t *testing.T, r faultResult) { wantSuccess(t, r) },
				}
			},
		},
		{
			// 502 is in retry.DefaultRetryableHTTPStatusCodes. A body that
			// is not JSON is a DeserializationError under the status, as
			// in the official client (internal/compare checks it); the
			// page is not in the error text.
			name: "11 HTML 502 from a proxy", attempts: 3,
			setup: func(t *testing.T) faultRig {
				const marker = "proxy-page-marker"
				page := "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>" + marker + "</p>" +
					strings.Repeat("<!-- padding -->", 256) + "</body></html>"
				ts := newTestServer(t, answer{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: page})
				return faultRig{
					client: newTestClient(ts), attempts: func() int { return len(ts.Requests()) },
					check: func(t *testing.T, r faultResult) {
						wantMaxAttempts(t, r.err, 3)
						as[*smithy.DeserializationError](t, r.err)
						wantStatus(t, r.err, 502)
						if msg := r.err.Error(); strings.Contains(msg, marker) || strings.Contains(msg, "<html") || len(msg) > 512 {
							t.Errorf("error text (%d bytes) echoes the HTML page: %s", len(msg), msg)
						}
					},
				}
			},
		},
		{
			name: "12 200 without credentials", attempts: 1,
			setup: func(t *testing.T) faultRig {
				var doc map[string]any
				if err := json.Unmarshal([]byte(success), &doc); err != nil {
					t.Fatal(err)
				}
				delete(doc, "credentials")
				body, _ := json.Marshal(doc)
				ts := newTestServer(t, answer{Header: map[string]string{"Content-Type": "application/json"}, Body: string(body)})
				return faultRig{
					client: newTestClient(ts), attempts: func() int { return len(ts.Requests()) },
					check: func(t *testing.T, r faultResult) {
						as[*smithy.DeserializationError](t, r.err)
						wantStatus(t, r.err, 200)
						if !strings.Contains(r.err.Error(), "missing credentials") {
							t.Errorf("error %v: want it to say the credentials are missing", r.err)
						}
					},
				}
			},
		},
		{
			// A server whose clock is 10 minutes ahead refuses the first
			// signature as the emulator and AWS do (403,
			// InvalidSignatureException, "Signature expired"); the
			// client takes the skew from the Date header and re-signs.
			name: "13 Date header 10 minutes off", attempts: 2,
			setup: func(t *testing.T) faultRig {
				s := newSkewedServer(t, success, 10*time.Minute)
				return faultRig{
					client: newFaultClient(s.URL, s.Client()), attempts: func() int { return len(s.signedAt()) },
					check: func(t *testing.T, r faultResult) {
						wantSuccess(t, r)
						dates := s.signedAt()
						if len(dates) != 2 {
							return
						}
						if moved := dates[1].Sub(dates[0]); moved < 10*time.Minute-5*time.Second || moved > 10*time.Minute+5*time.Second {
							t.Errorf("the retry's X-Amz-Date moved by %v, want about 10m", moved)
						}
					},
				}
			},
		},
		{
			// A send error is a ConnectionError to the SDK's retryer, so a
			// certificate it cannot verify is retried too.
			name: "14 self-signed TLS refused by default", attempts: 3,
			setup: func(t *testing.T) faultRig {
				ts, served := newTLSServer(t, success)
				hc, stats := newHTTPClient(t, clientConfig{})
				return faultRig{
					client: newFaultClient(ts.URL, hc), attempts: dials(stats),
					check: func(t *testing.T, r faultResult) {
						wantMaxAttempts(t, r.err, 3)
						as[*tls.CertificateVerificationError](t, r.err)
						as[x509.UnknownAuthorityError](t, r.err)
						if n := served(); n != 0 {
							t.Errorf("the server answered %d requests over an unverified connection", n)
						}
					},
				}
			},
		},
		{
			name: "14 self-signed TLS accepted with its CA", attempts: 1,
			setup: func(t *testing.T) faultRig {
				ts, served := newTLSServer(t, success)
				pool := x509.NewCertPool()
				pool.AddCert(ts.Certificate())
				hc, _ := newHTTPClient(t, clientConfig{RootCAs: pool})
				return faultRig{
					client: newFaultClient(ts.URL, hc), attempts: served,
					check: func(t *testing.T, r faultResult) { wantSuccess(t, r) },
				}
			},
		},
		{
			// Resolved by a local DNS server answering NXDOMAIN, so that
			// the case is the same offline; NXDOMAIN is not retried.
			name: "15 name that does not resolve", attempts: 1,
			setup: func(t *testing.T) faultRig {
				const host = "eks-auth.us-west-2.fault.invalid"
				dns := newNXDOMAINServer(t)
				hc, stats := newHTTPClient(t, clientConfig{Resolver: dns.Resolver()})
				return faultRig{
					client: newFaultClient("http://"+host, hc), attempts: dials(stats),
					check: func(t *testing.T, r faultResult) {
						de := as[*net.DNSError](t, r.err)
						if de != nil && (!de.IsNotFound || de.Name != host) {
							t.Errorf("DNSError = %#v, want IsNotFound for %s", de, host)
						}
						if dns.queries.Load() == 0 {
							t.Error("the local DNS server got no query")
						}
					},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leakcheck.Check(t)
			rig := tt.setup(t)
			deadline := tt.deadline
			if deadline == 0 {
				deadline = faultDeadline
			}
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			start := time.Now()
			out, err := rig.client.AssumeRoleForPodIdentity(ctx, input())
			r := faultResult{out: out, err: err, elapsed: time.Since(start)}
			t.Logf("%v: %v", r.elapsed.Round(time.Millisecond), err)
			if r.elapsed > deadline+faultSlack {
				t.Errorf("took %v, past the caller's deadline of %v", r.elapsed, deadline)
			}
			if err != nil {
				var oe *smithy.OperationError
				if !errors.As(err, &oe) || oe.OperationName != "AssumeRoleForPodIdentity" {
					t.Errorf("error %T %v: want a *smithy.OperationError", err, err)
				}
				for _, secret := range []string{testToken, testSecretKey, testSessionToken, "RESPONSE-SECRET-KEY", "RESPONSE-SESSION-TOKEN"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error text holds the secret %q: %v", secret, err)
					}
				}
			}
			if got := rig.attempts(); got != tt.attempts {
				t.Errorf("%d attempts reached the wire, want %d", got, tt.attempts)
			}
			rig.check(t, r)
		})
	}
}

// as returns the first error of type T in err's chain, failing t if none.
func as[T any](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Errorf("error %v: no %T in the chain", err, &target)
	}
	return target
}

func wantSuccess(t *testing.T, r faultResult) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("error %v, want success", r.err)
	}
	if c := r.out.Credentials; c == nil || c.AccessKeyId == nil || *c.AccessKeyId != "ASIARESPONSEKEY" {
		t.Errorf("credentials %+v, want the server's", c)
	}
}

func wantMaxAttempts(t *testing.T, err error, n int) {
	t.Helper()
	if mae := as[*retry.MaxAttemptsError](t, err); mae != nil && mae.Attempt != n {
		t.Errorf("MaxAttemptsError after %d attempts, want %d", mae.Attempt, n)
	}
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	if re := as[*awshttp.ResponseError](t, err); re != nil && re.HTTPStatusCode() != status {
		t.Errorf("error %v: status %d, want %d", err, re.HTTPStatusCode(), status)
	}
}

// wantBodyCapped checks that an oversized body was refused for its size
// after reading about eksauth.MaxResponseBodySize bytes of it.
func wantBodyCapped(t *testing.T, err error, stats *connStats) {
	t.Helper()
	as[*smithy.DeserializationError](t, err)
	wantStatus(t, err, 200)
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("error %v: want the size error", err)
	}
	// The transport reads ahead a buffer (4 KiB) beyond what was asked.
	if read := stats.read.Load(); read > eksauth.MaxResponseBodySize+64<<10 {
		t.Errorf("read %d bytes, want about the cap of %d", read, eksauth.MaxResponseBodySize)
	}
}

func dials(s *connStats) func() int { return func() int { return int(s.dials.Load()) } }

// skewedServer answers as EKS Auth does with a clock off by skew: a
// signature dated more than 5 minutes from its clock is refused with the
// emulator's (and AWS's) answer.
type skewedServer struct {
	*httptest.Server
	mu    sync.Mutex
	dates []time.Time
}

func newSkewedServer(t *testing.T, success string, skew time.Duration) *skewedServer {
	const amzDate = "20060102T150405Z"
	s := &skewedServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		now := time.Now().Add(skew).UTC()
		signedAt, err := time.Parse(amzDate, r.Header.Get("X-Amz-Date"))
		s.mu.Lock()
		s.dates = append(s.dates, signedAt)
		s.mu.Unlock()
		w.Header().Set("Date", now.Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/json")
		if err != nil || signedAt.Before(now.Add(-5*time.Minute)) || signedAt.After(now.Add(5*time.Minute)) {
			w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"message":"Signature expired: %s is now earlier than %s (%s - 5 min.)"}`,
				signedAt.Format(amzDate), now.Add(-5*time.Minute).Format(amzDate), now.Format(amzDate))
			return
		}
		io.WriteString(w, success)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *skewedServer) signedAt() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.dates...)
}

// newTLSServer starts a TLS server with httptest's self-signed certificate
// that answers success; served counts the requests it answered.
func newTLSServer(t *testing.T, success string) (ts *httptest.Server, served func() int) {
	var mu sync.Mutex
	n := 0
	ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, success)
	}))
	// The refused handshakes would be logged as server errors.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, func() int { mu.Lock(); defer mu.Unlock(); return n }
}
