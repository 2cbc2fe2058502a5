package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// assumer is the EKS Auth operation the agent calls: *eksauth.Client, the
// official client, or a fake in tests.
type assumer interface {
	AssumeRoleForPodIdentity(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, optFns ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error)
}

// upstream is the shared gate in front of EKS Auth: every call of every
// pod's provider passes through it. It bounds the calls in flight (so that a
// node full of starting pods does not burst into EKS Auth's throttling),
// puts a deadline on each call, adds the node's identity, and logs one line
// per call.
type upstream struct {
	client  assumer
	timeout time.Duration
	sem     chan struct{} // one slot per call in flight; nil means unbounded
	log     *slog.Logger

	// Optional node identity sent with each call (EKS Auth's 2026 fields).
	nodeName, instanceID, zone string
}

// forPod returns the client that pod's provider uses: the gate, labelled
// with the pod's claims for the log.
func (u *upstream) forPod(c claims) assumer { return podClient{u: u, c: c} }

type podClient struct {
	u *upstream
	c claims
}

func (p podClient) AssumeRoleForPodIdentity(ctx context.Context, in *eksauth.AssumeRoleForPodIdentityInput, optFns ...func(*eksauth.Options)) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
	u := p.u
	// The provider runs a shared fetch without the caller's cancellation;
	// this deadline (also the provider's Timeout) bounds it, the wait for a
	// slot included.
	if u.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, u.timeout)
		defer cancel()
	}
	start := time.Now()
	if u.sem != nil {
		select {
		case u.sem <- struct{}{}:
			defer func() { <-u.sem }()
		case <-ctx.Done():
			err := ctx.Err()
			u.logCall(ctx, p.c, start, nil, err, aws.ToString(in.Token))
			return nil, err
		}
	}
	in2 := *in
	if in2.EksNodeName == nil && u.nodeName != "" {
		in2.EksNodeName = &u.nodeName
	}
	if in2.InstanceId == nil && u.instanceID != "" {
		in2.InstanceId = &u.instanceID
	}
	if in2.Zone == nil && u.zone != "" {
		in2.Zone = &u.zone
	}
	out, err := u.client.AssumeRoleForPodIdentity(ctx, &in2, optFns...)
	u.logCall(ctx, p.c, start, out, err, aws.ToString(in.Token))
	return out, err
}

// logCall writes the one line per upstream call. It names the pod by its
// claims (unverified until the call succeeds); of the answer it logs only
// the role, the expiry and the request ID, never the token or a key
// (token is passed only to scrub it from messages).
func (u *upstream) logCall(ctx context.Context, c claims, start time.Time, out *eksauth.AssumeRoleForPodIdentityOutput, err error, token string) {
	attrs := []slog.Attr{
		slog.String("pod_uid", c.podUID),
		slog.String("pod", c.namespace+"/"+c.podName),
		slog.String("service_account", c.serviceAccount),
		slog.Duration("duration", time.Since(start).Round(time.Microsecond)),
	}
	if err != nil {
		ae := upstreamError(err)
		attrs = append(attrs, slog.Int("status", ae.status), slog.String("code", ae.Code))
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.ServiceRequestID() != "" {
			attrs = append(attrs, slog.String("request_id", re.ServiceRequestID()))
		}
		// EKS Auth's message; without one (unreachable, timeout, bad
		// configuration) the pod's answer, which says why.
		msg := ae.Message
		var apiErr smithy.APIError
		if errors.As(err, &apiErr) {
			msg = apiErr.ErrorMessage()
		}
		if token != "" {
			msg = strings.ReplaceAll(msg, token, "[token]")
		}
		attrs = append(attrs, slog.String("message", msg))
		u.log.LogAttrs(ctx, slog.LevelWarn, "eksauth call failed", attrs...)
		return
	}
	if out != nil {
		if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok {
			attrs = append(attrs, slog.String("request_id", id))
		}
		if out.AssumedRoleUser != nil && out.AssumedRoleUser.Arn != nil {
			attrs = append(attrs, slog.String("role", *out.AssumedRoleUser.Arn))
		}
		if out.Credentials != nil && out.Credentials.Expiration != nil {
			attrs = append(attrs, slog.Time("expires", out.Credentials.Expiration.UTC()))
		}
	}
	u.log.LogAttrs(ctx, slog.LevelInfo, "eksauth call", attrs...)
}
