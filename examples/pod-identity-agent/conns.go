package main

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Connection limits of the credentials listeners. Whatever one pod does with
// its connections (holds thousands open, trickles its headers, reopens each
// one closed), the agent's memory stays bounded and other pods are served:
// a connection beyond a limit is closed as soon as it is accepted, before
// the HTTP server gives it a goroutine and buffers.
//
// The per-source default fits host-network pods, which share the node's
// address (kube-proxy, the CNI, node exporters: tens of them, each SDK
// holding a connection or two while it refreshes); the total bounds the
// agent's memory (about 10 KiB of buffers and goroutine per open
// connection, so 4096 cost some 40 MiB at worst, within the chart's memory
// limit).
const (
	defaultMaxConnsPerSource = 256
	defaultMaxConns          = 4096
)

// Timeouts of the credentials server, sized for what the SDKs do: each sends
// its whole request at once and gives up on the answer long before these
// (botocore's container provider after 2 s, the JS SDK v3's after 1 s, the
// Go SDK's after its client's timeout); they refresh every few hours, so a
// connection kept alive longer than a few seconds serves nobody.
const (
	credentialsReadHeaderTimeout = 2 * time.Second
	credentialsIdleTimeout       = 5 * time.Second
)

// connLimiter counts the open connections of the listeners it wraps.
type connLimiter struct {
	perSource, total int
	refused          *prometheus.CounterVec // by reason: source_full, total_full

	mu    sync.Mutex
	open  int
	bySrc map[netip.Addr]int // guarded by mu
}

func newConnLimiter(perSource, total int) *connLimiter {
	return &connLimiter{
		perSource: perSource,
		total:     total,
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podidentity_agent_connections_refused_total",
			Help: "Credentials connections closed at once because their source address (source_full) or the agent (total_full) had as many open as allowed.",
		}, []string{"reason"}),
		bySrc: make(map[netip.Addr]int),
	}
}

// wrap returns l with its accepted connections counted and limited.
func (c *connLimiter) wrap(l net.Listener) net.Listener { return &limitedListener{l, c} }

func (c *connLimiter) take(src netip.Addr) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total > 0 && c.open >= c.total:
		return "total_full"
	case c.perSource > 0 && c.bySrc[src] >= c.perSource:
		return "source_full"
	}
	c.open++
	c.bySrc[src]++
	return ""
}

func (c *connLimiter) put(src netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.open--
	if c.bySrc[src]--; c.bySrc[src] <= 0 {
		delete(c.bySrc, src)
	}
}

type limitedListener struct {
	net.Listener
	c *connLimiter
}

// Accept returns the next connection within the limits, closing those
// beyond.
func (l *limitedListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		var src netip.Addr
		if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
			src = ap.Addr().Unmap()
		}
		if reason := l.c.take(src); reason != "" {
			l.c.refused.WithLabelValues(reason).Inc()
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0) // a reset: no TIME_WAIT kept for a flood
			}
			conn.Close()
			continue
		}
		return &limitedConn{Conn: conn, c: l.c, src: src}, nil
	}
}

type limitedConn struct {
	net.Conn
	c    *connLimiter
	src  netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.c.put(c.src) })
	return err
}
