package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// probes answer the kubelet on their own port, bound to loopback (the
// chart's probes go to 127.0.0.1), so that what they tell of the agent
// (pods served, why it is not ready) never reaches pods, which only see
// the credentials port.
//
// /healthz is 200 while the process runs. /readyz is 200 when the agent
// serves on every address it listens on (each answers a request, so a
// listener that died or an address that went away shows) and EKS Auth
// accepts the node's credentials; 503, with the reason, otherwise and
// during shutdown. An address the agent was asked for by default but
// could not have (fd00:ec2::23 on a node without IPv6) is listed as
// not_serving without failing readiness: such a node should run, IPv4 only.
type probes struct {
	serving    []string          // listening addresses
	notServing map[string]string // default addresses not served, and why
	nodeAuth   func() error      // nil once EKS Auth accepts the node's credentials
	stats      func() (tokens, pods int)
	metrics    http.Handler // served at /metrics when set

	stopping atomic.Bool // set when shutdown starts
	client   *http.Client
}

// newProbeMux routes the probe port: every operator endpoint is here, none
// on the credentials port.
func newProbeMux(p *probes) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", p.serveHealth)
	mux.HandleFunc("GET /readyz", p.serveReady)
	if p.metrics != nil {
		mux.Handle("GET /metrics", p.metrics)
	}
	return mux
}

func (p *probes) serveHealth(w http.ResponseWriter, r *http.Request) {
	writeProbeStatus(w, http.StatusOK, map[string]any{"status": "ok", "version": versionString()})
}

func (p *probes) serveReady(w http.ResponseWriter, r *http.Request) {
	body := map[string]any{"serving": p.serving}
	if len(p.notServing) > 0 {
		body["not_serving"] = p.notServing
	}
	var reasons []string
	if p.stopping.Load() {
		reasons = append(reasons, "the agent is shutting down")
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		reasons = append(reasons, p.checkListeners(ctx)...)
		cancel()
		if p.nodeAuth != nil {
			if err := p.nodeAuth(); err != nil {
				reasons = append(reasons, err.Error())
			}
		}
	}
	if p.stats != nil {
		body["tokens"], body["pods"] = p.stats()
	}
	if len(reasons) > 0 {
		body["status"], body["reasons"] = "not ready", reasons
		writeProbeStatus(w, http.StatusServiceUnavailable, body)
		return
	}
	body["status"] = "ready"
	writeProbeStatus(w, http.StatusOK, body)
}

// checkListeners asks each listening address for a path that does not
// exist: any answer shows the address is served.
func (p *probes) checkListeners(ctx context.Context) []string {
	var (
		mu      sync.Mutex
		reasons []string
		wg      sync.WaitGroup
	)
	for _, addr := range p.serving {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/probe", nil)
			if err == nil {
				var resp *http.Response
				if resp, err = p.client.Do(req); err == nil {
					resp.Body.Close()
				}
			}
			if err != nil {
				mu.Lock()
				reasons = append(reasons, fmt.Sprintf("not serving on %s: %v", addr, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(reasons)
	return reasons
}

func writeProbeStatus(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// probeClient talks to the agent's own listeners, never through a proxy
// (HTTP_PROXY would send 169.254.170.23 elsewhere).
func probeClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:             nil,
		DialContext:       (&net.Dialer{Timeout: time.Second}).DialContext,
		DisableKeepAlives: true,
	}}
}
