package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// linkName is the dummy link that holds the agent's addresses, the official
// agent's name, so that either agent finds the other's link in place.
const linkName = "pod-id-link0"

// newAgentLink is the link init creates: a dummy one, which carries
// addresses and nothing else. (Tests on a kernel without the dummy driver
// make it a veth; everything else init does is the same.)
var newAgentLink = func(attrs netlink.LinkAttrs) netlink.Link { return &netlink.Dummy{LinkAttrs: attrs} }

// setUpLink is `init`: it puts 169.254.170.23/32 and fd00:ec2::23/128 on
// the dummy link pod-id-link0 (creating it), brings it up and routes both
// addresses to it in the main table. Each step is skipped when already
// done, so that an init container that runs again (a pod restart) changes
// nothing. IPv6 is optional: on a node without it, the IPv4 half is done
// and a warning printed, and the agent then serves IPv4 alone. A route to
// either address through another link is an error that says how to remove
// it: that route, not ours, would decide where pods' requests go.
func setUpLink(stdout io.Writer) error {
	h, err := netlink.NewHandle()
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer h.Close()
	link, err := h.LinkByName(linkName)
	if _, notFound := err.(netlink.LinkNotFoundError); notFound {
		attrs := netlink.NewLinkAttrs()
		attrs.Name = linkName
		if err := h.LinkAdd(newAgentLink(attrs)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("create %s link %s: %w (the init container needs NET_ADMIN; a dummy link needs the kernel's dummy driver)", newAgentLink(attrs).Type(), linkName, err)
		}
		fmt.Fprintf(stdout, "pod-identity-agent init: created %s link %s\n", newAgentLink(attrs).Type(), linkName)
		link, err = h.LinkByName(linkName)
	}
	if err != nil {
		return fmt.Errorf("find link %s: %w", linkName, err)
	}
	if want := newAgentLink(netlink.NewLinkAttrs()).Type(); link.Type() != want {
		// Only addresses and routes matter, and a kernel without the
		// dummy driver (some VMs') leaves the node's owner no other way
		// than creating the link beforehand, as another type.
		fmt.Fprintf(stdout, "pod-identity-agent init: %s exists as a %s link, not a %s one: using it\n", linkName, link.Type(), want)
	}

	families := []struct {
		family int
		addr   netip.Addr
		bits   int
		skip   bool
	}{
		{unix.AF_INET, linkLocalV4, 32, false},
		{unix.AF_INET6, linkLocalV6, 128, false},
	}
	for i := range families {
		f := &families[i]
		err := addAddr(h, link, f.family, f.addr, f.bits, stdout)
		if err != nil && f.family == unix.AF_INET6 && noIPv6Here(err) {
			fmt.Fprintf(stdout, "pod-identity-agent init: warning: no IPv6 on this node (%v): serving IPv4 only\n", err)
			f.skip = true
			continue
		}
		if err != nil {
			return err
		}
	}
	if link.Attrs().Flags&net.FlagUp == 0 {
		if err := h.LinkSetUp(link); err != nil {
			return fmt.Errorf("bring %s up: %w", linkName, err)
		}
		fmt.Fprintf(stdout, "pod-identity-agent init: %s is up\n", linkName)
	}
	for _, f := range families {
		if f.skip {
			continue
		}
		if err := addRoute(h, link, f.family, f.addr, f.bits, stdout); err != nil {
			return err
		}
	}
	return nil
}

func addAddr(h *netlink.Handle, link netlink.Link, family int, ip netip.Addr, bits int, stdout io.Writer) error {
	have, err := h.AddrList(link, family)
	if err != nil {
		return fmt.Errorf("list the addresses of %s: %w", linkName, err)
	}
	for _, a := range have {
		if a.IP.Equal(ip.AsSlice()) {
			return nil
		}
	}
	addr := &netlink.Addr{IPNet: ipNet(ip, bits)}
	if family == unix.AF_INET6 {
		// A dummy link never has a neighbour to collide with; without
		// NODAD the address stays tentative and the agent cannot bind it
		// for a second or so.
		addr.Flags = unix.IFA_F_NODAD
	}
	if err := h.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add %s to %s: %w", addr.IPNet, linkName, err)
	}
	fmt.Fprintf(stdout, "pod-identity-agent init: added %s to %s\n", addr.IPNet, linkName)
	return nil
}

func addRoute(h *netlink.Handle, link netlink.Link, family int, ip netip.Addr, bits int, stdout io.Writer) error {
	dst := ipNet(ip, bits)
	routes, err := h.RouteListFiltered(family, &netlink.Route{Dst: dst, Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_DST|netlink.RT_FILTER_TABLE)
	if err != nil {
		return fmt.Errorf("list the routes to %s: %w", dst, err)
	}
	for _, r := range routes {
		if r.LinkIndex == link.Attrs().Index && r.Gw == nil {
			return nil
		}
		via := fmt.Sprintf("link index %d", r.LinkIndex)
		if other, err := h.LinkByIndex(r.LinkIndex); err == nil {
			via = other.Attrs().Name
		}
		if r.Gw != nil {
			via = fmt.Sprintf("gateway %s on %s", r.Gw, via)
		}
		return fmt.Errorf("a route to %s already goes through %s, not %s: pods' requests would follow it; delete it (ip route del %s) and run init again", dst, via, linkName, dst)
	}
	route := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: dst, Table: unix.RT_TABLE_MAIN}
	if family == unix.AF_INET {
		route.Scope = netlink.SCOPE_LINK
	}
	if err := h.RouteAdd(route); err != nil {
		return fmt.Errorf("add the route to %s via %s: %w", dst, linkName, err)
	}
	fmt.Fprintf(stdout, "pod-identity-agent init: routed %s to %s\n", dst, linkName)
	return nil
}

func ipNet(ip netip.Addr, bits int) *net.IPNet {
	return &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(bits, ip.BitLen())}
}

// noIPv6Here reports whether err means the node has no IPv6 to give
// (disabled by sysctl or boot parameter).
func noIPv6Here(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EAFNOSUPPORT) ||
		errors.Is(err, syscall.EOPNOTSUPP) || errors.Is(err, syscall.EADDRNOTAVAIL)
}
