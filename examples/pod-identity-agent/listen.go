package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
)

// The addresses EKS injects into pods and the SDKs trust for plain http
// (besides loopback and ECS's 169.254.170.2).
var (
	linkLocalV4 = netip.MustParseAddr("169.254.170.23")
	linkLocalV6 = netip.MustParseAddr("fd00:ec2::23")
)

// defaultListen is where a node agent serves: what EKS injects as
// AWS_CONTAINER_CREDENTIALS_FULL_URI, on port 80 (the URI has no port).
const defaultListen = "169.254.170.23:80,[fd00:ec2::23]:80"

// checkListen refuses what would expose credentials beyond the node's pods.
// The listener is the agent's only locality control: whoever can connect to
// it and present a pod's token gets that pod's role. A wildcard would
// answer the whole network; another address would answer whoever reaches
// it. Both need allowAny, on purpose.
func checkListen(addr string, allowAny bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return errors.New("want host:port, such as 169.254.170.23:80 or 127.0.0.1:8023")
	}
	if host == "" {
		return wildcardError()
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if strings.EqualFold(host, "localhost") {
			return errors.New("want an IP address: 127.0.0.1 or [::1] rather than localhost, which may resolve elsewhere")
		}
		return errors.New("want an IP address (a name resolves to addresses the agent cannot vouch for)")
	}
	ip = ip.Unmap()
	switch {
	case allowAny:
		return nil
	case ip.IsUnspecified():
		return wildcardError()
	case ip.IsLoopback(), ip == linkLocalV4, ip == linkLocalV6:
		return nil
	}
	return fmt.Errorf("%s is neither loopback nor one of the link-local addresses pods are given (169.254.170.23, fd00:ec2::23): whoever reaches it could ask for credentials with a pod's token; pass -allow-any-listen-address if that is what you want", ip)
}

func wildcardError() error {
	return errors.New("a wildcard address listens on every interface of the node, so anything on the network that holds a pod's token could get its credentials; " +
		"listen on 169.254.170.23:80 and [fd00:ec2::23]:80 (the default) or on loopback, or pass -allow-any-listen-address")
}

// listenAll opens a listener on each address. When the addresses are the
// default and the IPv6 one cannot be had because the node has no IPv6 (or
// init could not put fd00:ec2::23 on it), the agent serves IPv4 alone
// rather than crash-loop, warns once, and says so on /readyz: missing
// holds what was not served, and why.
func listenAll(addrs []string, isDefault bool, log *slog.Logger) (ls []net.Listener, missing map[string]string, err error) {
	for _, addr := range addrs {
		l, err := net.Listen("tcp", addr)
		if err == nil {
			ls = append(ls, l)
			continue
		}
		if isDefault && addr == "[fd00:ec2::23]:80" && noIPv6(err) {
			log.Warn("serving IPv4 only: fd00:ec2::23 is not on this node (no IPv6, or init could not add it); pods given the IPv6 URI cannot reach the agent", "error", err)
			missing = map[string]string{addr: err.Error()}
			continue
		}
		for _, l := range ls {
			l.Close()
		}
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			return nil, nil, fmt.Errorf("%w (another agent running? choose the address with -listen)", err)
		case errors.Is(err, syscall.EADDRNOTAVAIL) && isLinkLocal(addr):
			return nil, nil, fmt.Errorf("%w (the address is not on this node: run `pod-identity-agent init` first, as the chart's init container does)", err)
		}
		return nil, nil, err // "listen tcp <addr>: ..."
	}
	return ls, missing, nil
}

// noIPv6 reports whether err says the node cannot have the IPv6 address.
func noIPv6(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT) || errors.Is(err, syscall.EPROTONOSUPPORT)
}

func isLinkLocal(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	return err == nil && (ap.Addr() == linkLocalV4 || ap.Addr() == linkLocalV6)
}

// hostCheck answers 403 to a request whose Host is not the address the
// connection arrived on, as the official agent does: a page that rebinds
// its own name to 169.254.170.23 (DNS rebinding) makes a browser on the
// node send its name as Host, and never gets credentials. The SDKs send
// the address from AWS_CONTAINER_CREDENTIALS_FULL_URI. On loopback,
// "localhost" is accepted too, for local runs.
func hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !hostMatches(r.Host, local) {
			writeError(w, newError(http.StatusForbidden, codeForbiddenHost,
				"the Host header must be the address the agent listens on (such as 169.254.170.23), as in AWS_CONTAINER_CREDENTIALS_FULL_URI"), "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// codeForbiddenHost is the code of a request refused by hostCheck.
const codeForbiddenHost = "ForbiddenHost"

func hostMatches(hostHeader string, local net.Addr) bool {
	tcp, ok := local.(*net.TCPAddr)
	if !ok || hostHeader == "" {
		return false
	}
	localIP := tcp.AddrPort().Addr().Unmap()
	host, port := hostHeader, ""
	if h, p, err := net.SplitHostPort(hostHeader); err == nil {
		host, port = h, p
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1] // an IPv6 literal without a port
	}
	// The port, when the client names one, is the one it connected to
	// (absent means the scheme's, 80, which is the node agent's).
	if port != "" && port != fmt.Sprint(tcp.Port) {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return localIP.IsLoopback()
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap() == localIP
}
