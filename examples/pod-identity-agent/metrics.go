package main

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsPath is where the probe server serves the agent's metrics.
const metricsPath = "/metrics"

// Kinds of EKS Auth call, a label of the call metrics: a token's first
// fetch (a pod waits for it) or the refresh of an admitted token.
const (
	kindFirst   = "first"
	kindRefresh = "refresh"
)

// metrics are the agent's Prometheus metrics, on a registry of its own (so
// that tests can make many agents). The README lists them. Labels carry no
// pod, token or credential: only statuses, EKS Auth's nine codes and the
// agent's own.
type metrics struct {
	registry *prometheus.Registry

	requests   *prometheus.CounterVec // by status
	hits       prometheus.Counter
	misses     prometheus.Counter
	admissions prometheus.Counter
	evictions  *prometheus.CounterVec   // by reason
	calls      *prometheus.CounterVec   // by kind, outcome, code
	duration   *prometheus.HistogramVec // by kind
	budgetWait *prometheus.HistogramVec // by kind
	refused    *prometheus.CounterVec   // first fetches refused, by reason

	// The status counters of the answers the agent gives most, looked up
	// once: a cached answer then costs no label hashing.
	ok, throttled prometheus.Counter
}

func newMetrics(cached, pending func() int) *metrics {
	r := prometheus.NewRegistry()
	m := &metrics{
		registry: r,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podidentity_agent_requests_total",
			Help: "Credentials requests answered, by HTTP status.",
		}, []string{"status"}),
		hits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "podidentity_agent_cache_hits_total",
			Help: "Credentials requests whose token was cached.",
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "podidentity_agent_cache_misses_total",
			Help: "Credentials requests whose token was not cached.",
		}),
		admissions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "podidentity_agent_cache_admissions_total",
			Help: "Tokens admitted to the cache, after EKS Auth accepted them.",
		}),
		evictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podidentity_agent_cache_evictions_total",
			Help: "Tokens removed from the cache, by reason: capacity, idle, rotated, revoked.",
		}, []string{"reason"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podidentity_agent_eksauth_calls_total",
			Help: "EKS Auth calls, by kind (first, refresh), outcome (success, error, canceled) and error code.",
		}, []string{"kind", "outcome", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "podidentity_agent_eksauth_call_duration_seconds",
			Help:    "Duration of EKS Auth calls, retries included, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		budgetWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "podidentity_agent_budget_wait_seconds",
			Help:    "Time an EKS Auth call waited for the node's budget (a slot of -max-inflight) before it was sent, by kind.",
			Buckets: []float64{.001, .005, .01, .05, .1, .5, 1, 2.5, 5, 10},
		}, []string{"kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "podidentity_agent_first_fetches_refused_total",
			Help: "New tokens refused before any EKS Auth call, by reason: table_full (503), source_full (429).",
		}, []string{"reason"}),
	}
	r.MustRegister(m.requests, m.hits, m.misses, m.admissions, m.evictions, m.calls, m.duration, m.budgetWait, m.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "podidentity_agent_tokens_cached",
			Help: "Tokens whose credentials are cached (about one per pod).",
		}, func() float64 { return float64(cached()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "podidentity_agent_tokens_pending",
			Help: "Tokens whose first EKS Auth exchange is under way.",
		}, func() float64 { return float64(pending()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m.ok = m.requests.WithLabelValues("200")
	m.throttled = m.requests.WithLabelValues("429")
	return m
}

// handler serves the metrics in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *metrics) answered(status int) {
	switch status {
	case http.StatusOK:
		m.ok.Inc()
	case http.StatusTooManyRequests:
		m.throttled.Inc()
	default:
		m.requests.WithLabelValues(strconv.Itoa(status)).Inc()
	}
}

// call records one EKS Auth call. code is "" for a success, else the code
// of the pod's answer (EKS Auth's nine or the agent's own: never a code
// EKS Auth made up, which could be anything).
func (m *metrics) call(kind, outcome, code string, d time.Duration) {
	m.calls.WithLabelValues(kind, outcome, code).Inc()
	m.duration.WithLabelValues(kind).Observe(d.Seconds())
}

// MetricsHandler is the agent's /metrics, served by the probe server
// (probes.go), never on the credentials port.
func (a *agent) MetricsHandler() http.Handler { return a.metrics.handler() }
