package eksauth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/metrics"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/tracing"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/podidentity/podidentity/eksauth"
)

// seen records what middleware observed, step by step.
type seen struct {
	mu sync.Mutex
	m  map[string]any
}

func (s *seen) set(k string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]any{}
	}
	s.m[k] = v
}

func (s *seen) get(k string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[k]
}

// observe adds middleware at every step, as instrumentation does, and
// records the input, the output, the context values and the raw response.
func observe(s *seen) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("observeInit", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			s.set("params", in.Parameters)
			s.set("service", awsmiddleware.GetServiceID(ctx))
			s.set("operation", awsmiddleware.GetOperationName(ctx))
			s.set("region", awsmiddleware.GetRegion(ctx))
			out, md, err := next.HandleInitialize(ctx, in)
			s.set("result", out.Result)
			return out, md, err
		}), middleware.After); err != nil {
			return err
		}
		if err := stack.Build.Add(middleware.BuildMiddlewareFunc("customHeader", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
			in.Request.(*smithyhttp.Request).Header.Set("X-Custom", "yes")
			return next.HandleBuild(ctx, in)
		}), middleware.After); err != nil {
			return err
		}
		if err := stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("afterSigning", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			s.set("signingName", awsmiddleware.GetSigningName(ctx))
			s.set("signingRegion", awsmiddleware.GetSigningRegion(ctx))
			s.set("signed", in.Request.(*smithyhttp.Request).Header.Get("Authorization") != "")
			return next.HandleFinalize(ctx, in)
		}), "Signing", middleware.After); err != nil {
			return err
		}
		if err := stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("rawResponse", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
				s.set("status", resp.StatusCode)
			}
			return out, md, err
		}), "OperationDeserializer", middleware.After); err != nil {
			return err
		}
		return awsmiddleware.AddUserAgentKeyValue("instrumented", "1.0")(stack)
	}
}

func TestAPIOptionsSeeTheCall(t *testing.T) {
	ts := newTestServer(t, answer{Header: map[string]string{"X-Amzn-Requestid": "rid-mw"}, Body: successBody(t)})
	s := &seen{}
	c := newTestClient(ts, func(o *eksauth.Options) { o.APIOptions = append(o.APIOptions, observe(s)) })
	in := input()
	out, err := c.AssumeRoleForPodIdentity(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"params": in, "result": out, "service": "EKS Auth", "operation": "AssumeRoleForPodIdentity", "region": "us-west-2",
		"signingName": "eks-auth", "signingRegion": "us-west-2", "signed": true, "status": 200,
	}
	for k, v := range want {
		if got := s.get(k); got != v {
			t.Errorf("%s: middleware saw %v, want %v", k, got, v)
		}
	}
	r := ts.Requests()[0]
	if got := r.Header.Get("X-Custom"); got != "yes" {
		t.Errorf("X-Custom = %q: the Build middleware's header was not sent", got)
	}
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "instrumented/1.0") {
		t.Errorf("User-Agent %q lacks the key added with awsmiddleware.AddUserAgentKeyValue", ua)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != "rid-mw" {
		t.Errorf("request ID = %q, want rid-mw", id)
	}
	if at, ok := awsmiddleware.GetResponseAt(out.ResultMetadata); !ok || time.Since(at) > time.Minute {
		t.Errorf("response time = %v, %v; want now", at, ok)
	}
	if _, ok := awsmiddleware.GetServerTime(out.ResultMetadata); !ok {
		t.Error("no server time in the result metadata")
	}
	if res, ok := retry.GetAttemptResults(out.ResultMetadata); !ok || len(res.Results) != 1 {
		t.Errorf("attempt results = %+v, %v; want one attempt", res, ok)
	}
}

func TestAPIOptionsScope(t *testing.T) {
	ts := newTestServer(t, answer{Body: successBody(t)})
	var calls []string
	count := func(name string) func(*middleware.Stack) error {
		return func(s *middleware.Stack) error {
			calls = append(calls, name)
			return nil
		}
	}
	opts := eksauth.Options{APIOptions: make([]func(*middleware.Stack) error, 1, 4)}
	opts.APIOptions[0] = count("client")
	c := newTestClient(ts, func(o *eksauth.Options) { o.APIOptions = opts.APIOptions })

	// Copy copies the slice: appending to a copy leaves the original alone.
	cp := opts.Copy()
	cp.APIOptions = append(cp.APIOptions, count("copy"))
	_ = append(opts.APIOptions, count("spare capacity"))
	if len(cp.APIOptions) != 2 || len(c.Options().APIOptions) != 1 {
		t.Fatalf("copy has %d APIOptions, client %d; want 2 and 1", len(cp.APIOptions), len(c.Options().APIOptions))
	}
	for _, optFns := range [][]func(*eksauth.Options){{eksauth.WithAPIOptions(count("call"))}, nil} {
		if _, err := c.AssumeRoleForPodIdentity(context.Background(), input(), optFns...); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := strings.Join(calls, ","), "client,call,client"; got != want {
		t.Errorf("APIOptions ran as %s, want %s (a per-call option must not stay)", got, want)
	}
}

func TestNewFromConfigAppliesAPIOptions(t *testing.T) {
	ts := newTestServer(t, answer{Body: successBody(t)})
	s := &seen{}
	var serviceIDs []string
	cfg := aws.Config{
		Region: "us-west-2", BaseEndpoint: aws.String(ts.URL), Credentials: credentials(testCreds), HTTPClient: ts.Client(),
		APIOptions: []func(*middleware.Stack) error{observe(s)},
		ServiceOptions: []func(string, any){func(id string, o any) {
			serviceIDs = append(serviceIDs, id)
			o.(*eksauth.Options).AppID = "from-service-options"
		}},
	}
	if _, err := eksauth.NewFromConfig(cfg).AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	if s.get("operation") != "AssumeRoleForPodIdentity" {
		t.Error("cfg.APIOptions did not reach the call's stack")
	}
	if len(serviceIDs) != 1 || serviceIDs[0] != eksauth.ServiceID {
		t.Errorf("ServiceOptions called with %v, want [%s]", serviceIDs, eksauth.ServiceID)
	}
	if ua := ts.Requests()[0].Header.Get("User-Agent"); !strings.Contains(ua, "app/from-service-options") {
		t.Errorf("User-Agent %q: ServiceOptions' AppID not applied", ua)
	}
}

func TestSigningOverrides(t *testing.T) {
	ts := newTestServer(t, answer{Body: successBody(t)})
	c := newTestClient(ts)
	_, err := c.AssumeRoleForPodIdentity(context.Background(), input(), eksauth.WithSigV4SigningName("other-service"), eksauth.WithSigV4SigningRegion("eu-central-1"))
	if err != nil {
		t.Fatal(err)
	}
	auth := ts.Requests()[0].Header.Get("Authorization")
	if !strings.Contains(auth, "/eu-central-1/other-service/aws4_request") {
		t.Errorf("Authorization %q: not signed with the overrides", auth)
	}
}

// skewServer answers with a Date header skew ahead of the local clock and
// refuses, as the service does, a request signed more than 5 minutes away.
func skewServer(t *testing.T, skew time.Duration) *testServer {
	ts := newTestServer(t)
	ts.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed, _ := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		ts.mu.Lock()
		ts.requests = append(ts.requests, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()})
		ts.mu.Unlock()
		now := time.Now().Add(skew)
		w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
		if d := now.Sub(signed); d > 5*time.Minute || d < -5*time.Minute {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"message":"Signature expired"}`))
			return
		}
		w.Write([]byte(successBody(t)))
	})
	return ts
}

func TestClockOffsetAcrossCallsAndDisable(t *testing.T) {
	ts := skewServer(t, 20*time.Minute)
	c := newTestClient(ts)
	for i := range 2 {
		if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	// The first call learns the offset with a retry; the second signs with
	// it from its first attempt.
	if n := len(ts.Requests()); n != 3 {
		t.Errorf("%d requests, want 3 (2 for the first call, 1 for the second)", n)
	}

	ts = skewServer(t, 20*time.Minute)
	c = newTestClient(ts, func(o *eksauth.Options) { o.DisableClockSkewCorrection = true })
	if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err == nil || !strings.Contains(err.Error(), "InvalidSignatureException") {
		t.Errorf("with DisableClockSkewCorrection: %v, want the InvalidSignatureException", err)
	}
	if n := len(ts.Requests()); n != 1 {
		t.Errorf("with DisableClockSkewCorrection: %d requests, want 1", n)
	}
}

// Recording tracer and meter, with smithy-go's interfaces.
type (
	recTracer struct {
		mu    sync.Mutex
		spans []*recSpan
	}
	recSpan struct {
		tracing.Span
		name   string
		kind   tracing.SpanKind
		props  map[any]any
		status tracing.SpanStatus
		ended  bool
	}
	recMeter struct {
		metrics.NopMeter
		mu    sync.Mutex
		names map[string]int
	}
	recInstrument struct {
		m    *recMeter
		name string
	}
)

func (t *recTracer) Tracer(string, ...tracing.TracerOption) tracing.Tracer { return t }

func (t *recTracer) StartSpan(ctx context.Context, name string, opts ...tracing.SpanOption) (context.Context, tracing.Span) {
	var o tracing.SpanOptions
	for _, fn := range opts {
		fn(&o)
	}
	_, nop := tracing.NopTracerProvider{}.Tracer("").StartSpan(ctx, name)
	s := &recSpan{Span: nop, name: name, kind: o.Kind, props: map[any]any{}}
	for _, k := range []string{"rpc.system", "rpc.method", "rpc.service"} {
		if v := o.Properties.Get(k); v != nil {
			s.props[k] = v
		}
	}
	t.mu.Lock()
	t.spans = append(t.spans, s)
	t.mu.Unlock()
	return tracing.WithSpan(ctx, s), s
}

func (s *recSpan) SetStatus(st tracing.SpanStatus) { s.status = st }
func (s *recSpan) SetProperty(k, v any)            { s.props[k] = v }
func (s *recSpan) End()                            { s.ended = true }

func (m *recMeter) Meter(string, ...metrics.MeterOption) metrics.Meter { return m }

func (m *recMeter) record(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.names[name]++
}

func (m *recMeter) Int64Counter(name string, _ ...metrics.InstrumentOption) (metrics.Int64Counter, error) {
	return recInstrument{m: m, name: name}, nil
}

func (m *recMeter) Float64Histogram(name string, _ ...metrics.InstrumentOption) (metrics.Float64Histogram, error) {
	return recInstrument{m: m, name: name}, nil
}

func (i recInstrument) Add(context.Context, int64, ...metrics.RecordMetricOption) { i.m.record(i.name) }

func (i recInstrument) Record(context.Context, float64, ...metrics.RecordMetricOption) {
	i.m.record(i.name)
}

func TestTracingAndMetrics(t *testing.T) {
	ts := newTestServer(t,
		answer{Status: 500, Body: `{"code":"InternalServerException","message":"echo ` + testToken + `"}`},
		answer{Header: map[string]string{"X-Amzn-Requestid": "rid-tr"}, Body: successBody(t)},
		answer{Status: 400, Body: `{"code":"InvalidTokenException","message":"bad ` + testToken + `"}`},
	)
	tracer := &recTracer{}
	meter := &recMeter{names: map[string]int{}}
	c := newTestClient(ts, func(o *eksauth.Options) { o.TracerProvider = tracer; o.MeterProvider = meter })
	if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err == nil {
		t.Fatal("want the InvalidTokenException")
	}

	var ops []*recSpan
	names := map[string]bool{}
	for _, s := range tracer.spans {
		names[s.name] = true
		if !s.ended {
			t.Errorf("span %s not ended", s.name)
		}
		if s.name == "EKS Auth.AssumeRoleForPodIdentity" {
			ops = append(ops, s)
		}
		for k, v := range s.props {
			if str, ok := v.(string); ok && strings.Contains(str, testToken) {
				t.Errorf("span %s property %v holds the token: %s", s.name, k, str)
			}
		}
	}
	if len(ops) != 2 {
		t.Fatalf("%d operation spans, want 2 (one per call); spans: %v", len(ops), names)
	}
	ok, failed := ops[0], ops[1]
	if ok.kind != tracing.SpanKindClient || ok.status != tracing.SpanStatusOK || ok.props["rpc.system"] != "aws-api" ||
		ok.props["rpc.service"] != "EKS Auth" || ok.props["rpc.method"] != "AssumeRoleForPodIdentity" || ok.props["error"] != false {
		t.Errorf("successful call's span: kind %v, status %v, properties %v", ok.kind, ok.status, ok.props)
	}
	if failed.status != tracing.SpanStatusError || failed.props["api.error_code"] != "InvalidTokenException" || failed.props["error"] != true {
		t.Errorf("failed call's span: status %v, properties %v", failed.status, failed.props)
	}
	for _, n := range []string{"RetryLoop", "Attempt", "GetIdentity", "SignRequest", "DoHTTPRequest", "OperationDeserializer"} {
		if !names[n] {
			t.Errorf("no %s span; spans: %v", n, names)
		}
	}
	if got := meter.names["client.call.duration"]; got != 2 {
		t.Errorf("client.call.duration recorded %d times, want 2", got)
	}
	if got := meter.names["client.call.attempts"]; got != 3 {
		t.Errorf("client.call.attempts counted %d, want 3", got)
	}
}

// interceptor records the hooks smithy-go calls.
type interceptor struct {
	mu    sync.Mutex
	calls []string
}

func (i *interceptor) record(s string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.calls = append(i.calls, s)
}

func (i *interceptor) BeforeTransmit(_ context.Context, in *smithyhttp.InterceptorContext) error {
	i.record("BeforeTransmit " + in.Request.Header.Get("X-Custom"))
	return nil
}

func (i *interceptor) AfterExecution(_ context.Context, in *smithyhttp.InterceptorContext) error {
	_, isOutput := in.Output.(*eksauth.AssumeRoleForPodIdentityOutput)
	i.record(fmt.Sprintf("AfterExecution %t", isOutput))
	return nil
}

func TestInterceptorsFromConfig(t *testing.T) {
	ts := newTestServer(t, answer{Body: successBody(t)})
	rec := &interceptor{}
	cfg := aws.Config{Region: "us-west-2", BaseEndpoint: aws.String(ts.URL), Credentials: credentials(testCreds), HTTPClient: ts.Client()}
	cfg.Interceptors.AddBeforeTransmit(rec)
	cfg.Interceptors.AddAfterExecution(rec)
	c := eksauth.NewFromConfig(cfg, eksauth.WithAPIOptions(observe(&seen{})))
	if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(rec.calls, ", "), "BeforeTransmit yes, AfterExecution true"; got != want {
		t.Errorf("interceptors called: %s, want %s", got, want)
	}
}
