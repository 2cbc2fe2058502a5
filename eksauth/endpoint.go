package eksauth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/smithy-go/logging"

	"github.com/podidentity/podidentity/internal/endpoints"
	"github.com/podidentity/podidentity/internal/protocol"
)

// The endpoint is resolved once per client (internal/endpoints holds the
// partitions and the rules), so a call only appends the operation's path.

// endpointError gives a resolution error the official client's wording.
func endpointError(err error) error {
	var invalidRegion *endpoints.InvalidRegionError
	if errors.As(err, &invalidRegion) {
		return fmt.Errorf("failed to bind endpoint params, %w", err)
	}
	return fmt.Errorf("failed to resolve service endpoint, %w", err)
}

// requestURL returns the URL of the operation for clusterName below the
// endpoint, keeping the endpoint's path as a prefix. Cluster names are
// validated first, so they need no escaping.
func (c *callConfig) requestURL(clusterName string) *url.URL {
	u := c.endpoint.URL // a copy
	p := protocol.Path(clusterName)
	if u.RawPath != "" {
		u.RawPath += p
	}
	u.Path += p
	return &u
}

// warnIfPlaintext logs a warning for a plain-HTTP endpoint on another
// machine: the token goes out, and the credentials come back, readable by
// anyone on the path. Loopback is this machine (an emulator, a test).
func warnIfPlaintext(l logging.Logger, u *url.URL) {
	if u.Scheme != "http" {
		return
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return
	}
	l.Logf(logging.Warn, "eksauth: the endpoint %s is plain HTTP to another machine: the token and the credentials cross the network unencrypted; use https", u.Host)
}
