package eksauth

import (
	"runtime"
	"strings"
)

// Version is this library's version, sent in the User-Agent.
const Version = "0.1.0"

// userAgent is the User-Agent of every request, computed once per client:
// the library and its version, then the SDK's usual fields, then
// app/<AppID> when set. Characters a User-Agent token cannot hold become
// '-', as in the SDK.
func userAgent(appID string) []string {
	ua := "podidentity/" + Version +
		" ua/2.1 os/" + runtime.GOOS +
		" lang/go#" + uaToken(strings.TrimPrefix(runtime.Version(), "go")) +
		" md/GOOS#" + runtime.GOOS +
		" md/GOARCH#" + runtime.GOARCH +
		" api/eksauth#" + Version
	if appID != "" {
		ua += " app/" + uaToken(appID)
	}
	return []string{ua}
}

// uaToken replaces what an RFC 7230 token cannot hold (and '/', which
// separates name and version) with '-'.
func uaToken(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
			return r
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
			return r
		}
		return '-'
	}, s)
}
