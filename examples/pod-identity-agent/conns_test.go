package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// dialFrom opens a TCP connection to addr from the loopback address src.
func dialFrom(t testing.TB, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// closedByAgent reports whether the agent closes c within a second,
// without a request.
func closedByAgent(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := c.Read(make([]byte, 1))
	return err != nil && !isTimeout(err)
}

// refusedFrom reports whether the agent closes, within a second and
// without a request, a new connection from src: a close so quick that the
// reset reaches the dial counts too.
func refusedFrom(t testing.TB, src, addr string) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: time.Second}
	c, err := d.Dial("tcp", addr)
	if errors.Is(err, syscall.ECONNRESET) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return closedByAgent(c)
}

func isTimeout(err error) bool { ne, ok := err.(net.Error); return ok && ne.Timeout() }

// getFromSource sends one credentials-path request from src and returns the
// status.
func getFromSource(t testing.TB, src, addr string) int {
	t.Helper()
	c := dialFrom(t, src, addr)
	defer c.Close()
	io.WriteString(c, "GET /v1/credentials HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n")
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	b, _ := io.ReadAll(c)
	if len(b) < 12 || !strings.HasPrefix(string(b), "HTTP/1.1 ") {
		return 0
	}
	switch string(b[9:12]) {
	case "200":
		return 200
	default:
		return -1
	}
}

// TestConnLimits: a source holding its share of connections has the next
// one closed at once, other sources are served until the total is
// reached, and every refusal is counted by reason.
func TestConnLimits(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := newConnLimiter(2, 3)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), ReadHeaderTimeout: time.Minute}
	go srv.Serve(c.wrap(l))
	t.Cleanup(func() { srv.Close() })
	addr := l.Addr().String()

	held := []net.Conn{dialFrom(t, "127.0.0.2", addr), dialFrom(t, "127.0.0.2", addr)}
	waitFor(t, "two connections counted", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.open == 2 })
	if !refusedFrom(t, "127.0.0.2", addr) {
		t.Error("a third connection from the same source was kept")
	}
	if got := getFromSource(t, "127.0.0.3", addr); got != 200 {
		t.Errorf("another source: %d, want 200", got)
	}
	held = append(held, dialFrom(t, "127.0.0.3", addr))
	waitFor(t, "three connections counted", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.open == 3 })
	if !refusedFrom(t, "127.0.0.4", addr) {
		t.Error("a connection beyond the total was kept")
	}
	held[0].Close()
	waitFor(t, "a slot freed", func() bool { c.mu.Lock(); defer c.mu.Unlock(); return c.open == 2 })
	if got := getFromSource(t, "127.0.0.4", addr); got != 200 {
		t.Errorf("after a slot freed: %d, want 200", got)
	}
	for reason, want := range map[string]float64{"source_full": 1, "total_full": 1} {
		if got := testutil.ToFloat64(c.refused.WithLabelValues(reason)); got != want {
			t.Errorf("refused{%s} = %g, want %g", reason, got, want)
		}
	}
	for _, h := range held {
		h.Close()
	}
}
