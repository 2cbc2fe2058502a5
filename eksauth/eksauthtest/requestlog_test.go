package eksauthtest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// recordedBytes is what the record holds: bodies, paths and headers.
func recordedBytes(reqs []eksauthtest.Request) int {
	n := 0
	for _, r := range reqs {
		n += len(r.Body) + len(r.Path) + len(r.Method)
		for k, vs := range r.Header {
			n += len(k)
			for _, v := range vs {
				n += len(v)
			}
		}
	}
	return n
}

// bigPost sends an unauthenticated 1 MiB body, which the server records
// before it refuses it.
func bigPost(t *testing.T, srv *eksauthtest.Server) {
	t.Helper()
	res := send(t, srv, rawRequest{unsigned: true, body: `{"token":"` + strings.Repeat("a", 1<<20-12) + `"}`})
	if res.status != http.StatusForbidden {
		t.Fatalf("unsigned post: %d %s, want 403", res.status, res.code)
	}
}

func TestRequestLogKeepsTheNewest(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithRequestLog(10, 3<<20))
	token := srv.Token(testPod, time.Hour)
	var ids []string
	for range 30 {
		res := send(t, srv, rawRequest{token: token})
		ids = append(ids, res.header.Get("X-Amzn-Requestid"))
	}
	got := srv.Requests()
	if len(got) != 10 {
		t.Fatalf("%d requests recorded, want the newest 10", len(got))
	}
	for i, r := range got {
		if r.RequestID != ids[20+i] {
			t.Errorf("record %d is request %s, want %s (the newest 10, oldest first)", i, r.RequestID, ids[20+i])
		}
	}

	for range 20 {
		bigPost(t, srv)
	}
	got = srv.Requests()
	if n := recordedBytes(got); n > 3<<20 || len(got) != 2 {
		t.Errorf("after 20 posts of 1 MiB the record holds %d requests, %d bytes; want 2, at most 3 MiB", len(got), n)
	}
}

// The issue this guards: 100 unauthenticated 1 MiB posts grew the record
// by over 100 MiB.
func TestRequestLogBoundedByDefault(t *testing.T) {
	srv := newTestServer(t)
	for range 100 {
		bigPost(t, srv)
	}
	got := srv.Requests()
	if n := recordedBytes(got); n > eksauthtest.DefaultRequestLogBytes {
		t.Errorf("100 posts of 1 MiB: %d requests, %d bytes recorded; want at most %d bytes", len(got), n, eksauthtest.DefaultRequestLogBytes)
	}
	if len(got) < 10 {
		t.Errorf("only %d requests recorded: the bound drops more than it must", len(got))
	}
}

func TestRequestLogOff(t *testing.T) {
	srv := newTestServer(t, eksauthtest.WithRequestLog(0, 0))
	res := send(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)})
	if res.status != http.StatusOK {
		t.Fatalf("status %d %s, want 200", res.status, res.code)
	}
	bigPost(t, srv)
	if got := srv.Requests(); len(got) != 0 {
		t.Errorf("WithRequestLog(0, 0) recorded %d requests", len(got))
	}
}
