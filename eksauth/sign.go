package eksauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/tracing"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/internal/endpoints"
	"github.com/podidentity/podidentity/internal/protocol"
	"github.com/podidentity/podidentity/internal/redact"
)

// ErrNoCredentials is returned, before anything is sent, when the client
// has no credentials provider, has aws.AnonymousCredentials, or the
// provider returns credentials without keys: EKS Auth only accepts signed
// requests.
var ErrNoCredentials = errors.New("eksauth: no credentials to sign the request with")

// getIdentity is the Finalize middleware that retrieves the credentials of
// each attempt, with the official client's error text. Unlike the official
// client, it refuses to send an unsigned request.
type getIdentity struct{ provider aws.CredentialsProvider }

func (getIdentity) ID() string { return "GetIdentity" }

type credentialsKey struct{}

func (m getIdentity) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	innerCtx, span := tracing.StartSpan(ctx, "GetIdentity")
	defer span.End()
	var err error
	var creds aws.Credentials
	switch {
	case m.provider == nil:
		err = fmt.Errorf("get identity: %w (Options.Credentials is nil)", ErrNoCredentials)
	case aws.IsCredentialsProvider(m.provider, (*aws.AnonymousCredentials)(nil)):
		err = fmt.Errorf("get identity: %w (anonymous credentials)", ErrNoCredentials)
	default:
		if creds, err = m.provider.Retrieve(innerCtx); err != nil {
			err = fmt.Errorf("get identity: get credentials: %w", err)
		} else if !creds.HasKeys() {
			err = fmt.Errorf("get identity: %w (no access key or secret key)", ErrNoCredentials)
		}
	}
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, err
	}
	span.End()
	ctx = middleware.WithStackValue(ctx, credentialsKey{}, creds) // the session token is a header: an answer may echo it
	return next.HandleFinalize(withSecrets(ctx, creds.SecretAccessKey, creds.SessionToken), in)
}

// resolveEndpointV2 is the Finalize middleware that puts the request below
// the resolved endpoint, and records the signing name and region unless an
// option such as WithSigV4SigningRegion has set them.
type resolveEndpointV2 struct {
	endpoint endpoints.Endpoint
	err      error // a configuration error, reported by every call
}

func (*resolveEndpointV2) ID() string { return "ResolveEndpointV2" }

func (m *resolveEndpointV2) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	if m.err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, m.err
	}
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("unknown transport type %T", in.Request)
	}
	u := m.endpoint.URL
	req.URL.Scheme, req.URL.Host = u.Scheme, u.Host
	req.URL.RawPath = smithyhttp.JoinPath(u.EscapedPath(), req.URL.EscapedPath())
	req.URL.Path = smithyhttp.JoinPath(u.Path, req.URL.Path)
	if awsmiddleware.GetSigningName(ctx) == "" {
		ctx = awsmiddleware.SetSigningName(ctx, protocol.SigningName)
	}
	if awsmiddleware.GetSigningRegion(ctx) == "" {
		ctx = awsmiddleware.SetSigningRegion(ctx, m.endpoint.SigningRegion)
	}
	return next.HandleFinalize(ctx, in)
}

// sign is the Finalize middleware that signs each attempt with SigV4 at the
// service's clock, as the last answer's Date header showed it. The signer's
// debug log shows the session token: it goes through a redacting logger.
type sign struct {
	skew        int64 // nanoseconds; per call, updated after each attempt
	disableSkew bool
	logSigning  bool
	signer      *v4.Signer
}

func (*sign) ID() string { return "Signing" }

func (m *sign) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	_, span := tracing.StartSpan(ctx, "SignRequest")
	defer span.End()
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("unexpected transport type %T", in.Request)
	}
	creds, _ := middleware.GetStackValue(ctx, credentialsKey{}).(aws.Credentials)
	region := awsmiddleware.GetSigningRegion(ctx)
	if region == "" {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, errors.New("sign request: sigv4 signing region is required")
	}
	err := m.signer.SignHTTP(ctx, creds, req.Request, v4.GetPayloadHash(ctx), awsmiddleware.GetSigningName(ctx), region,
		time.Now().Add(time.Duration(m.skew)), func(so *v4.SignerOptions) {
			so.LogSigning = m.logSigning
			so.Logger = redact.Logger{Logger: middleware.GetLogger(ctx), Secrets: secretsOf(ctx)}
		})
	if err != nil {
		return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("sign request: sign http: %w", err)
	}
	span.End()
	_, signature, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	out, metadata, err := next.HandleFinalize(withSecrets(ctx, signature), in) // an answer may echo it

	if !m.disableSkew {
		// As the retry middleware does: no measure means no offset.
		skew, _ := awsmiddleware.GetAttemptSkew(metadata)
		m.skew = int64(skew)
	}
	return out, metadata, err
}
