package protocol

import (
	"errors"
	"strings"

	"github.com/podidentity/podidentity/eksauth/types"
)

// CheckCredentials is the one check that an answer's credentials are
// complete: an access key, a secret, a session token and an expiration,
// none empty or zero. Its error names what is missing, never a value.
func CheckCredentials(c *types.Credentials) error {
	if c == nil {
		return errors.New("incomplete credentials: missing credentials (the answer has no credentials member)")
	}
	var missing []string
	for _, f := range [...]struct {
		name string
		v    *string
	}{{MemberAccessKeyId, c.AccessKeyId}, {MemberSecretAccessKey, c.SecretAccessKey}, {MemberSessionToken, c.SessionToken}} {
		if f.v == nil || *f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if c.Expiration == nil || c.Expiration.IsZero() {
		missing = append(missing, MemberExpiration)
	}
	if len(missing) > 0 {
		return errors.New("incomplete credentials: missing " + strings.Join(missing, ", "))
	}
	return nil
}
