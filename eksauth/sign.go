package eksauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/internal/protocol"
)

// ErrNoCredentials is returned, before anything is sent, when the client
// has no credentials provider, has aws.AnonymousCredentials, or the
// provider returns credentials without keys: EKS Auth only accepts signed
// requests.
var ErrNoCredentials = errors.New("eksauth: no credentials to sign the request with")

// retrieveCredentials gets the credentials that sign every attempt of one
// call, with the official client's error text ("get identity: get
// credentials: ..."), keeping the provider's error in the chain.
func (c *callConfig) retrieveCredentials(ctx context.Context) (aws.Credentials, error) {
	if c.options.Credentials == nil {
		return aws.Credentials{}, fmt.Errorf("get identity: %w (Options.Credentials is nil)", ErrNoCredentials)
	}
	if c.anonymous {
		return aws.Credentials{}, fmt.Errorf("get identity: %w (anonymous credentials)", ErrNoCredentials)
	}
	creds, err := c.options.Credentials.Retrieve(ctx)
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("get identity: get credentials: %w", err)
	}
	if !creds.HasKeys() {
		return aws.Credentials{}, fmt.Errorf("get identity: %w (no access key or secret key)", ErrNoCredentials)
	}
	return creds, nil
}

// sign signs req with SigV4 at now+skew, skew being the difference to the
// server's clock that the previous attempt measured. The signature covers
// the payload hash of the body; the signer adds X-Amz-Date, Authorization
// and, with a session token, X-Amz-Security-Token.
func (c *callConfig) sign(ctx context.Context, req *http.Request, op *operation, creds aws.Credentials, skew time.Duration) error {
	region := c.endpoint.SigningRegion
	if region == "" {
		return errors.New("sign request: sigv4 signing region is required")
	}
	var err error
	if c.options.ClientLogMode.IsSigning() {
		err = c.signer.SignHTTP(ctx, creds, req, op.payloadHash, protocol.SigningName, region, time.Now().Add(skew),
			func(so *v4.SignerOptions) {
				so.LogSigning = true
				so.Logger = redactingLogger{logger: logging.WithContext(ctx, c.options.Logger), secrets: []string{creds.SessionToken, creds.SecretAccessKey, op.token}}
			})
	} else {
		err = c.signer.SignHTTP(ctx, creds, req, op.payloadHash, protocol.SigningName, region, time.Now().Add(skew))
	}
	if err != nil {
		return fmt.Errorf("sign request: sign http: %w", err)
	}
	return nil
}
