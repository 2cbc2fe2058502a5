package compare_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// BenchmarkCall is one AssumeRoleForPodIdentity call against an in-memory
// HTTP client: the client's own cost, without a network.
func BenchmarkCall(b *testing.B) {
	benchCalls(b, func(b *testing.B) (caller, func()) {
		return newCannedDoer(), func() {}
	}, "")
}

// BenchmarkLoopback is one call over loopback against the same httptest
// server, each side with its own awshttp.BuildableClient (the default of
// both clients).
func BenchmarkLoopback(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		for k, v := range successHeader {
			w.Header()[k] = v
		}
		_, _ = w.Write(successAnswer)
	}))
	b.Cleanup(srv.Close)
	benchCalls(b, func(b *testing.B) (caller, func()) {
		c := awshttp.NewBuildableClient()
		return c, func() { c.GetTransport().CloseIdleConnections() }
	}, srv.URL)
}

// caller is what the three sides send with.
type caller interface {
	Do(*http.Request) (*http.Response, error)
}

func benchCalls(b *testing.B, newDoer func(*testing.B) (caller, func()), baseEndpoint string) {
	ep := endpoint
	if baseEndpoint != "" {
		ep = baseEndpoint
	}
	ctx := context.Background()
	// Whichever side runs first in the process would otherwise pay for the
	// process's warm-up (heap growth, first use of net/http and the
	// signer): call both a few times first, untimed.
	warmOurs, warmOff := newOurs(newCannedDoer(), ""), newOfficial(newCannedDoer(), "")
	for range 200 {
		warmOurs.AssumeRoleForPodIdentity(ctx, oursInput())
		warmOff.AssumeRoleForPodIdentity(ctx, officialInput())
	}
	b.Run("ours", func(b *testing.B) {
		doer, done := newDoer(b)
		defer done()
		c := newOurs(doer, baseEndpoint)
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.AssumeRoleForPodIdentity(ctx, oursInput())
			if err != nil || out.Credentials == nil {
				b.Fatalf("ours: %v", err)
			}
		}
	})
	b.Run("official", func(b *testing.B) {
		doer, done := newDoer(b)
		defer done()
		c := newOfficial(doer, baseEndpoint)
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.AssumeRoleForPodIdentity(ctx, officialInput())
			if err != nil || out.Credentials == nil {
				b.Fatalf("official: %v", err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		doer, done := newDoer(b)
		defer done()
		f := newFloor(ep, doer)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.call(ctx, cluster, token); err != nil {
				b.Fatalf("floor: %v", err)
			}
		}
	})
}

// TestSidesDoTheSameWork checks that the three sides of BenchmarkCall send
// the same request (method, URL, body, signing scope) and get the same
// credentials from the canned answer, so that the benchmark compares like
// with like.
func TestSidesDoTheSameWork(t *testing.T) {
	ctx := context.Background()
	type work struct {
		Method, URL, Body, Scope, AccessKey string
	}
	seen := func(d *cannedDoer, key string) work {
		req := d.last.Load()
		if req == nil {
			return work{}
		}
		var body string
		if b := d.lastBody.Load(); b != nil {
			body = string(*b)
		}
		return work{Method: req.Method, URL: req.URL.String(), Body: body, Scope: sentOf(req).SigningRegion, AccessKey: key}
	}

	oursDoer, offDoer, floorDoer := newCannedDoer(), newCannedDoer(), newCannedDoer()
	oursDoer.keep, offDoer.keep, floorDoer.keep = true, true, true
	oursOut, err := newOurs(oursDoer, "").AssumeRoleForPodIdentity(ctx, oursInput())
	if err != nil {
		t.Fatalf("ours: %v", err)
	}
	offOut, err := newOfficial(offDoer, "").AssumeRoleForPodIdentity(ctx, officialInput())
	if err != nil {
		t.Fatalf("official: %v", err)
	}
	floorOut, err := newFloor(endpoint, floorDoer).call(ctx, cluster, token)
	if err != nil {
		t.Fatalf("floor: %v", err)
	}

	want := work{Method: http.MethodPost, URL: endpoint + "/clusters/demo/assume-role-for-pod-identity",
		Body: `{"token":"` + token + `"}`, Scope: region, AccessKey: "ASIAEXAMPLE123456789"}
	sides := map[string]work{
		"ours":     seen(oursDoer, *oursOut.Credentials.AccessKeyId),
		"official": seen(offDoer, *offOut.Credentials.AccessKeyId),
		"floor":    seen(floorDoer, floorOut.Credentials.AccessKeyId),
	}
	for name, got := range sides {
		if got != want {
			t.Errorf("%s did %+v, want %+v", name, got, want)
		}
	}
	for name, d := range map[string]*cannedDoer{"ours": oursDoer, "official": offDoer, "floor": floorDoer} {
		if n := d.calls.Load(); n != 1 {
			t.Errorf("%s sent %d requests, want 1", name, n)
		}
	}
}
