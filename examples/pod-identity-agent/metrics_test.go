package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// scrape GETs a's /metrics from the probe server's mux and parses the text
// format, as Prometheus does.
func scrape(t *testing.T, a *testAgent) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	newProbeMux(&probes{metrics: a.MetricsHandler()}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metricsPath, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", metricsPath, rec.Code, rec.Body)
	}
	body := rec.Body.String()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", metricsPath, err)
	}
	return families, body
}

// value returns the value of the sample of family name whose labels are
// labels (name=value pairs), or -1 if there is none. For a histogram it is
// the sample count.
func value(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := families[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if got[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestMetrics(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.rate, o.burst = 1, 2 })
	now := ta.clock.Now()
	good := fakeToken(t, "uid-1", now, now.Add(time.Hour), "sig")
	gone := fakeToken(t, "uid-2", now, now.Add(time.Hour), "sig")
	echo := fakeToken(t, "uid-3", now, now.Add(time.Hour), "sig")
	ta.fake.answer = func(_ context.Context, token string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		switch token {
		case gone:
			return nil, responseError(404, &types.ResourceNotFoundException{Message: aws.String("no association")})
		case echo: // a code nobody knows, quoting the token: never a label
			return nil, responseError(403, &smithy.GenericAPIError{Code: "Weird" + token, Message: "x"})
		}
		return fakeOutput(0, time.Now().Add(6*time.Hour)), nil
	}
	for _, tc := range []struct {
		token  string
		status int
	}{
		{good, 200}, // first fetch, admitted
		{good, 200}, // hit
		{good, 429}, // hit, over the pod's rate
		{gone, 404}, // first fetch, refused
		{echo, 502},
		{"not-a-token", 400},
	} {
		if r := ta.get(t, credentialsPath, tc.token); r.status != tc.status {
			t.Fatalf("setup: %d %s, want %d", r.status, r.body, tc.status)
		}
	}
	ta.clock.Add(2 * time.Hour) // good's token has expired: the sweep sees it idle
	ta.cache.sweep(ta.clock.Now())

	families, body := scrape(t, ta)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"podidentity_agent_requests_total", []string{"status", "200"}, 2},
		{"podidentity_agent_requests_total", []string{"status", "429"}, 1},
		{"podidentity_agent_requests_total", []string{"status", "404"}, 1},
		{"podidentity_agent_requests_total", []string{"status", "502"}, 1},
		{"podidentity_agent_requests_total", []string{"status", "400"}, 1},
		{"podidentity_agent_cache_hits_total", nil, 2},
		{"podidentity_agent_cache_misses_total", nil, 4},
		{"podidentity_agent_cache_admissions_total", nil, 1},
		{"podidentity_agent_cache_evictions_total", []string{"reason", "idle"}, 1},
		{"podidentity_agent_eksauth_calls_total", []string{"kind", "first", "outcome", "success", "code", ""}, 1},
		{"podidentity_agent_eksauth_calls_total", []string{"kind", "first", "outcome", "error", "code", "ResourceNotFoundException"}, 1},
		{"podidentity_agent_eksauth_calls_total", []string{"kind", "first", "outcome", "error", "code", "UpstreamError"}, 1},
		{"podidentity_agent_eksauth_call_duration_seconds", []string{"kind", "first"}, 3},
		{"podidentity_agent_budget_wait_seconds", []string{"kind", "first"}, 3},
		{"podidentity_agent_tokens_cached", nil, 0},
		{"podidentity_agent_tokens_pending", nil, 0},
	} {
		if got := value(families, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes"} {
		if families[name] == nil {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
	for _, secret := range []string{good, gone, echo, "sig", fakeSecretKey, fakeSessionToken, "uid-1"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
	// Every metric the README documents is served, and only those.
	readme := readFile(t, "README.md")
	for name := range families {
		if strings.HasPrefix(name, "podidentity_") && !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("%s is not documented in README.md", name)
		}
	}
}

// TestMetricsRevocationAndRefresh: a refresh and a revocation are counted
// as such.
func TestMetricsRevocationAndRefresh(t *testing.T) {
	ta := newTestAgent(t, func(o *agentOptions) { o.rate = 0 })
	now := ta.clock.Now()
	token := fakeToken(t, "uid-1", now, now.Add(24*time.Hour), "sig")
	refuse := false
	ta.fake.answer = func(context.Context, string) (*eksauth.AssumeRoleForPodIdentityOutput, error) {
		if refuse {
			return nil, responseError(400, &types.AccessDeniedException{Message: aws.String("denied")})
		}
		return fakeOutput(0, ta.clock.Now().Add(time.Hour)), nil
	}
	ta.get(t, credentialsPath, token)
	ta.clock.Add(50 * time.Minute) // too close to expiry: the request waits for the refresh
	if r := ta.get(t, credentialsPath, token); r.status != 200 {
		t.Fatalf("refresh: %d %s", r.status, r.body)
	}
	ta.clock.Add(50 * time.Minute)
	refuse = true
	if r := ta.get(t, credentialsPath, token); r.status != 400 {
		t.Fatalf("revoked: %d %s", r.status, r.body)
	}
	families, _ := scrape(t, ta)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"podidentity_agent_eksauth_calls_total", []string{"kind", "refresh", "outcome", "success"}, 1},
		{"podidentity_agent_eksauth_calls_total", []string{"kind", "refresh", "outcome", "error", "code", "AccessDeniedException"}, 1},
		{"podidentity_agent_cache_evictions_total", []string{"reason", "revoked"}, 1},
		{"podidentity_agent_tokens_cached", nil, 0},
	} {
		if got := value(families, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}
