package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

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

// upstream is the shared gate in front of EKS Auth: every call, first
// fetch or refresh, goes through call. It bounds the calls in flight (so
// that a node full of starting pods does not burst into EKS Auth's
// throttling), puts a deadline on each call, adds the node's identity, and
// logs and counts each call.
type upstream struct {
	client  assumer
	cluster string
	timeout time.Duration // > 0
	budget  *budget       // the calls in flight and their rate (budget.go)
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time // the clock of the grants' schedule

	// Optional node identity sent with each call (EKS Auth's 2026 fields).
	nodeName, instanceID, zone string
}

// call exchanges token (of a pod with claims c) with EKS Auth and returns
// the answer's credentials. kind is kindFirst or kindRefresh. ctx bounds
// the wait for a slot and the call; the upstream timeout applies on top.
func (u *upstream) call(ctx context.Context, kind string, c claims, token string) (*grant, error) {
	ctx, cancel := context.WithTimeout(ctx, u.timeout)
	defer cancel()
	start := time.Now()
	release, err := u.budget.acquire(ctx, kind == kindFirst)
	u.metrics.budgetWait.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	if err != nil {
		u.record(ctx, kind, c, start, nil, err, token)
		return nil, err
	}
	defer release()
	in := &eksauth.AssumeRoleForPodIdentityInput{ClusterName: &u.cluster, Token: &token}
	if u.nodeName != "" {
		in.EksNodeName = &u.nodeName
	}
	if u.instanceID != "" {
		in.InstanceId = &u.instanceID
	}
	if u.zone != "" {
		in.Zone = &u.zone
	}
	out, err := u.client.AssumeRoleForPodIdentity(ctx, in, u.budget.attempts())
	var g *grant
	if err == nil {
		g, err = newGrant(out, u.now())
	}
	u.record(ctx, kind, c, start, out, err, token)
	return g, err
}

// record writes the one log line per upstream call and counts it. It
// names the pod by its claims (unverified until the call succeeds); of the
// answer it logs only the role, the expiry and the request ID, never the
// token or a key (token is passed only to scrub it from messages).
func (u *upstream) record(ctx context.Context, kind string, c claims, start time.Time, out *eksauth.AssumeRoleForPodIdentityOutput, err error, token string) {
	d := time.Since(start)
	attrs := []slog.Attr{
		slog.String("pod_uid", c.podUID),
		slog.String("pod", c.namespace+"/"+c.podName),
		slog.String("service_account", c.serviceAccount),
		slog.String("kind", kind),
		slog.Duration("duration", d.Round(time.Microsecond)),
	}
	if err != nil {
		ae := upstreamError(err)
		outcome := "error"
		if errors.Is(err, context.Canceled) {
			outcome = "canceled" // every waiting pod left
		}
		u.metrics.call(kind, outcome, metricCode(ae.Code), d)
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
	u.metrics.call(kind, "success", "", d)
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); ok {
		attrs = append(attrs, slog.String("request_id", id))
	}
	if out.AssumedRoleUser != nil && out.AssumedRoleUser.Arn != nil {
		attrs = append(attrs, slog.String("role", *out.AssumedRoleUser.Arn))
	}
	attrs = append(attrs, slog.Time("expires", out.Credentials.Expiration.UTC()))
	u.log.LogAttrs(ctx, slog.LevelInfo, "eksauth call", attrs...)
}

// metricCode is the code label of a failed call: EKS Auth's nine and the
// agent's own codes as they are, anything else (an unknown code EKS Auth
// or a proxy sent, which could be anything, even an echo of the request)
// as UpstreamError.
func metricCode(code string) string {
	if c, _, ok := canonicalCode(code); ok {
		return c
	}
	switch code {
	case codeUpstreamTimeout, codeUpstreamError:
		return code
	}
	return codeUpstreamError
}
