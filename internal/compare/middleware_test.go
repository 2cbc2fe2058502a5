package compare_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
)

// observation is what instrumentation written for the official client sees
// of one call; the same code runs on both clients.
type observation struct {
	mu    sync.Mutex
	steps map[string]string
	stack string
}

func (o *observation) set(k, format string, v ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.steps == nil {
		o.steps = map[string]string{}
	}
	o.steps[k] = fmt.Sprintf(format, v...)
}

// instrument is middleware as programs add it to every AWS client: at each
// step it reads the SDK's context values, the input, the output, the raw
// response and the metadata; it adds a header and a User-Agent key.
func instrument(o *observation) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		o.stack = stack.String()
		return errorsJoin(
			stack.Initialize.Add(middleware.InitializeMiddlewareFunc("test.init", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				o.set("init.context", "%s %s %s", awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), awsmiddleware.GetRegion(ctx))
				o.set("init.params", "%T", in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				o.set("init.result", "%T", out.Result)
				id, _ := awsmiddleware.GetRequestIDMetadata(md)
				o.set("init.requestID", "%s", id)
				_, hasAt := awsmiddleware.GetResponseAt(md)
				o.set("init.responseAt", "%v", hasAt)
				o.set("init.err", "%v", err)
				return out, md, err
			}), middleware.After),
			stack.Build.Add(middleware.BuildMiddlewareFunc("test.header", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				in.Request.(*smithyhttp.Request).Header.Set("X-Test", "1")
				return next.HandleBuild(ctx, in)
			}), middleware.After),
			awsmiddleware.AddUserAgentKeyValue("test", "2.0")(stack),
			stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("test.signed", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				req := in.Request.(*smithyhttp.Request)
				o.set("finalize.signing", "%s %s %v", awsmiddleware.GetSigningName(ctx), awsmiddleware.GetSigningRegion(ctx), req.Header.Get("Authorization") != "")
				o.set("finalize.url", "%s %s", req.Method, req.URL)
				return next.HandleFinalize(ctx, in)
			}), "Signing", middleware.After),
			stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("test.raw", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				resp := out.RawResponse.(*smithyhttp.Response)
				o.set("deserialize.raw", "%d %s", resp.StatusCode, resp.Header.Get("X-Amzn-Requestid"))
				return out, md, err
			}), "OperationDeserializer", middleware.Before),
		)
	}
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestAPIOptionsSourceCompatible runs the same instrumentation, set the three
// ways a program sets it (Options.APIOptions, WithAPIOptions per call,
// aws.Config.APIOptions through NewFromConfig), on both clients, for a
// success and an API error, and compares what it saw and what was sent.
func TestAPIOptionsSourceCompatible(t *testing.T) {
	answers := map[string]*cannedDoer{
		"success": newCannedDoer(),
		"error":   {status: 400, header: http.Header{"X-Amzn-Errortype": {"InvalidTokenException"}, "X-Amzn-Requestid": {"rid-e"}}, body: []byte(`{"message":"bad token"}`)},
	}
	ways := map[string]struct {
		ours     func(*cannedDoer, *observation) (*eksauth.Client, []func(*eksauth.Options))
		official func(*cannedDoer, *observation) (*official.Client, []func(*official.Options))
	}{
		"Options.APIOptions": {
			ours: func(d *cannedDoer, o *observation) (*eksauth.Client, []func(*eksauth.Options)) {
				return newOurs(d, "", func(opts *eksauth.Options) { opts.APIOptions = append(opts.APIOptions, instrument(o)) }), nil
			},
			official: func(d *cannedDoer, o *observation) (*official.Client, []func(*official.Options)) {
				return newOfficial(d, "", func(opts *official.Options) { opts.APIOptions = append(opts.APIOptions, instrument(o)) }), nil
			},
		},
		"WithAPIOptions per call": {
			ours: func(d *cannedDoer, o *observation) (*eksauth.Client, []func(*eksauth.Options)) {
				return newOurs(d, ""), []func(*eksauth.Options){eksauth.WithAPIOptions(instrument(o))}
			},
			official: func(d *cannedDoer, o *observation) (*official.Client, []func(*official.Options)) {
				return newOfficial(d, ""), []func(*official.Options){official.WithAPIOptions(instrument(o))}
			},
		},
		"aws.Config.APIOptions": {
			ours: func(d *cannedDoer, o *observation) (*eksauth.Client, []func(*eksauth.Options)) {
				cfg := aws.Config{Region: region, Credentials: staticProvider, HTTPClient: d, APIOptions: []func(*middleware.Stack) error{instrument(o)}}
				return eksauth.NewFromConfig(cfg), nil
			},
			official: func(d *cannedDoer, o *observation) (*official.Client, []func(*official.Options)) {
				cfg := aws.Config{Region: region, Credentials: staticProvider, HTTPClient: d, APIOptions: []func(*middleware.Stack) error{instrument(o)}}
				return official.NewFromConfig(cfg), nil
			},
		},
	}
	for way, w := range ways {
		for name, canned := range answers {
			t.Run(way+"/"+name, func(t *testing.T) {
				oursDoer := &cannedDoer{status: canned.status, header: canned.header, body: canned.body}
				offDoer := &cannedDoer{status: canned.status, header: canned.header, body: canned.body}
				var oursSaw, offSaw observation
				c, oursOpts := w.ours(oursDoer, &oursSaw)
				oc, offOpts := w.official(offDoer, &offSaw)
				_, oursErr := c.AssumeRoleForPodIdentity(context.Background(), oursInput(), oursOpts...)
				_, offErr := oc.AssumeRoleForPodIdentity(context.Background(), officialInput(), offOpts...)
				if (oursErr == nil) != (offErr == nil) {
					t.Fatalf("errors differ: ours %v, official %v", oursErr, offErr)
				}
				if len(offSaw.steps) == 0 {
					t.Fatal("the official client ran no instrumentation")
				}
				for k, want := range offSaw.steps {
					got := oursSaw.steps[k]
					// Type names differ only by package.
					got = strings.ReplaceAll(got, "eksauth.", "official.")
					want = strings.ReplaceAll(want, "eksauth.", "official.")
					// The official client keeps the signing name and region
					// in its auth scheme's properties, out of the context;
					// ours also puts them where awsmiddleware reads them.
					if k == "finalize.signing" && want == "  true" {
						want = "eks-auth " + region + " true"
					}
					if got != want {
						t.Errorf("%s: ours saw %q, official %q", k, got, want)
					}
				}
				for _, d := range []*cannedDoer{oursDoer, offDoer} {
					req := d.last.Load()
					if req.Header.Get("X-Test") != "1" || !strings.Contains(req.Header.Get("User-Agent"), "test/2.0") {
						t.Errorf("sent headers lack the instrumentation's: X-Test %q, User-Agent %q", req.Header.Get("X-Test"), req.Header.Get("User-Agent"))
					}
				}
			})
		}
	}
}

// stackIDs returns the middleware IDs of each step of a stack's String().
func stackIDs(s string) map[string][]string {
	steps := map[string][]string{}
	var step string
	for _, line := range strings.Split(s, "\n") {
		switch trimmed := strings.TrimSpace(line); {
		case strings.HasSuffix(trimmed, " stack step"):
			step = strings.TrimSuffix(trimmed, " stack step")
		case step != "" && trimmed != "" && !strings.HasPrefix(trimmed, "test."):
			steps[step] = append(steps[step], trimmed)
		}
	}
	return steps
}

// TestStackMatchesOfficial checks that our stack has the official client's
// middleware IDs, in its order, at its steps, so that APIOptions that
// Insert relative to one of them find it, except those that exist for
// features the client does not have.
func TestStackMatchesOfficial(t *testing.T) {
	var ours, off observation
	newOurs(newCannedDoer(), "").AssumeRoleForPodIdentity(context.Background(), oursInput(), eksauth.WithAPIOptions(instrument(&ours)))
	newOfficial(newCannedDoer(), "").AssumeRoleForPodIdentity(context.Background(), officialInput(), official.WithAPIOptions(instrument(&off)))
	// Legacy endpoint resolvers, auth scheme selection among one scheme,
	// DisableHTTPS and the operation input key have no counterpart here.
	absent := []string{"legacyEndpointContextSetter", "setOperationInput", "ResolveEndpoint", "ResolveAuthScheme", "disableHTTPS", "setLegacyContextSigningOptions"}
	oursIDs, offIDs := stackIDs(ours.stack), stackIDs(off.stack)
	for step, ids := range offIDs {
		var want []string
		for _, id := range ids {
			// v1.1.0 retries after GetIdentity; the current official
			// client, like ours, retries first: each attempt gets fresh
			// credentials.
			if !slices.Contains(absent, id) && id != "Retry" {
				want = append(want, id)
			}
		}
		var got []string
		for _, id := range oursIDs[step] {
			if slices.Contains(want, id) {
				got = append(got, id)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s step: ours %v, official %v", step, oursIDs[step], ids)
		}
	}
	if f := oursIDs["Finalize"]; len(f) == 0 || f[0] != "Retry" {
		t.Errorf("Finalize step %v: want Retry first", f)
	}
}
