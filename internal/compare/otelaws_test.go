package compare_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/eksauth"
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// spanView is what a trace backend shows of a span.
type spanView struct {
	Name, Kind, Status string
	Attributes         []string
}

func spansOf(rec *tracetest.SpanRecorder) []spanView {
	var views []spanView
	for _, s := range rec.Ended() {
		v := spanView{Name: s.Name(), Kind: s.SpanKind().String(), Status: s.Status().Code.String() + " " + s.Status().Description}
		for _, a := range s.Attributes() {
			v.Attributes = append(v.Attributes, fmt.Sprintf("%s=%s", a.Key, a.Value.Emit()))
		}
		sort.Strings(v.Attributes)
		views = append(views, v)
	}
	return views
}

// TestOtelaws instruments both clients the usual way,
// otelaws.AppendMiddlewares(&cfg.APIOptions), and compares the spans a
// trace backend receives: one per call, same name, kind, attributes
// (request ID, region, HTTP status) and status.
func TestOtelaws(t *testing.T) {
	answers := map[string]*cannedDoer{
		"success":        newCannedDoer(),
		"InvalidToken":   {status: 400, header: http.Header{"X-Amzn-Errortype": {"InvalidTokenException"}, "X-Amzn-Requestid": {"rid-e"}}, body: []byte(`{"message":"bad token"}`)},
		"unknown code":   {status: 400, header: http.Header{"X-Amzn-Requestid": {"rid-u"}}, body: []byte(`{"code":"NewException","message":"new"}`)},
		"not found (ID)": {status: 404, header: http.Header{"X-Amzn-Requestid": {"rid-n"}}, body: []byte(`{"__type":"ResourceNotFoundException","message":"no association"}`)},
	}
	for name, canned := range answers {
		t.Run(name, func(t *testing.T) {
			trace := func(call func(aws.Config) error) []spanView {
				rec := tracetest.NewSpanRecorder()
				tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
				defer tp.Shutdown(context.Background())
				cfg := aws.Config{Region: region, Credentials: staticProvider, HTTPClient: &cannedDoer{status: canned.status, header: canned.header, body: canned.body}}
				otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
				call(cfg)
				return spansOf(rec)
			}
			ours := trace(func(cfg aws.Config) error {
				_, err := eksauth.NewFromConfig(cfg).AssumeRoleForPodIdentity(context.Background(), oursInput())
				return err
			})
			off := trace(func(cfg aws.Config) error {
				_, err := official.NewFromConfig(cfg).AssumeRoleForPodIdentity(context.Background(), officialInput())
				return err
			})
			if len(off) != 1 || off[0].Name != "EKS Auth.AssumeRoleForPodIdentity" {
				t.Fatalf("official spans: %+v, want one EKS Auth.AssumeRoleForPodIdentity", off)
			}
			if fmt.Sprint(ours) != fmt.Sprint(off) {
				t.Errorf("spans differ:\n ours     %+v\n official %+v", ours, off)
			}
		})
	}
}

// TestOtelawsNoSecrets: an answer that echoes the token and the session
// token puts them in the official client's span (its error text quotes the
// message); ours scrubs them from every attribute and the status.
func TestOtelawsNoSecrets(t *testing.T) {
	const session = "NODE-SESSION-TOKEN-in-spans"
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		c := nodeCreds
		c.SessionToken = session
		return c, nil
	})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	doer := &cannedDoer{status: 400, header: http.Header{"X-Amzn-Errortype": {"InvalidTokenException"}, "X-Amzn-Requestid": {session}},
		body: []byte(`{"message":"bad token ` + token + ` for ` + session + `"}`)}
	cfg := aws.Config{Region: region, Credentials: creds, HTTPClient: doer}
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp))
	if _, err := eksauth.NewFromConfig(cfg).AssumeRoleForPodIdentity(context.Background(), oursInput()); err == nil {
		t.Fatal("want an error")
	}
	spans := spansOf(rec)
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	dump := fmt.Sprintf("%+v", spans)
	for _, secret := range []string{token, session} {
		if strings.Contains(dump, secret) {
			t.Errorf("span holds a secret: %s", dump)
		}
	}
	if !strings.Contains(dump, "InvalidTokenException") {
		t.Errorf("span lacks the error: %s", dump)
	}
}
