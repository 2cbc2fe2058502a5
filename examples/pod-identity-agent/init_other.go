//go:build !linux

package main

import (
	"errors"
	"io"
)

// setUpLink needs Linux's netlink: the agent's link lives on a Linux node.
func setUpLink(io.Writer) error {
	return errors.New("init configures a Linux node's network (netlink): run it on Linux")
}
