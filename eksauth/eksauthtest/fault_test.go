package eksauthtest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

func TestFaultAnswers(t *testing.T) {
	tests := map[string]struct {
		fault       eksauthtest.Fault
		status      int
		code        string
		message     string
		contentType string
	}{
		"status 429":       {fault: eksauthtest.Fault{Status: 429}, status: 429, code: "ThrottlingException", message: "Rate exceeded"},
		"status 500":       {fault: eksauthtest.Fault{Status: 500}, status: 500, code: "InternalServerException", message: "An internal error occurred. Try again."},
		"status 503":       {fault: eksauthtest.Fault{Status: 503}, status: 503, code: "ServiceUnavailableException", message: "The service is unavailable. Try again later."},
		"status 404":       {fault: eksauthtest.Fault{Status: 404}, status: 404, code: "ResourceNotFoundException", message: "Not Found"},
		"status 400":       {fault: eksauthtest.Fault{Status: 400}, status: 400, code: "InvalidRequestException", message: "Bad Request"},
		"bare status 504":  {fault: eksauthtest.Fault{Status: 504}, status: 504, code: "", message: "Gateway Timeout"},
		"code only":        {fault: eksauthtest.Fault{Code: "ThrottlingException"}, status: 429, code: "ThrottlingException", message: "Rate exceeded"},
		"client code only": {fault: eksauthtest.Fault{Code: "AccessDeniedException", Message: "no"}, status: 400, code: "AccessDeniedException", message: "no"},
		"unmodeled code":   {fault: eksauthtest.Fault{Status: 400, Code: "SomethingNewException", Message: "new"}, status: 400, code: "SomethingNewException", message: "new"},
		"status and code":  {fault: eksauthtest.Fault{Status: 500, Code: "ExpiredTokenException", Message: "odd"}, status: 500, code: "ExpiredTokenException", message: "odd"},
		"raw body":         {fault: eksauthtest.Fault{Body: "<html>bad gateway</html>"}, status: 502, contentType: "text/html; charset=utf-8"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t)
			token := srv.Token(testPod, time.Hour)
			srv.Inject(tc.fault)
			req := buildRequest(t, srv, rawRequest{token: token})
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if got := resp.Header.Get("X-Amzn-Errortype"); got != tc.code {
				t.Errorf("X-Amzn-ErrorType = %q, want %q", got, tc.code)
			}
			if tc.contentType != "" {
				if got := resp.Header.Get("Content-Type"); got != tc.contentType {
					t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
				}
				if string(body) != tc.fault.Body {
					t.Errorf("body = %q, want %q", body, tc.fault.Body)
				}
			} else if want := `{"message":"` + tc.message + `"}`; string(body) != want {
				t.Errorf("body = %s, want %s", body, want)
			}
			if resp.Header.Get("X-Amzn-Requestid") == "" || resp.Header.Get("Date") == "" {
				t.Errorf("headers = %v, want X-Amzn-Requestid and Date", resp.Header)
			}

			// The fault is used up: the next request is answered normally.
			if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusOK {
				t.Errorf("next request: status = %d (%s), want 200", res.status, res.message)
			}
			reqs := srv.Requests()
			if len(reqs) != 2 || !reqs[0].Fault || reqs[0].Status != tc.status || reqs[0].Code != tc.code || reqs[1].Fault {
				t.Errorf("Requests() = %+v, want the fault then a normal answer", reqs)
			}
		})
	}
}

func TestFaultsAreFIFO(t *testing.T) {
	srv := newTestServer(t)
	token := srv.Token(testPod, time.Hour)
	srv.Inject(eksauthtest.Fault{Status: 500}, eksauthtest.Fault{Status: 503})
	srv.Inject(eksauthtest.Fault{Status: 429})
	var got []int
	for range 4 {
		got = append(got, send(t, srv, rawRequest{token: token}).status)
	}
	if want := []int{500, 503, 429, 200}; !equalInts(got, want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaultDrop(t *testing.T) {
	srv := newTestServer(t)
	token := srv.Token(testPod, time.Hour)
	srv.Inject(eksauthtest.Fault{Drop: true})
	req := buildRequest(t, srv, rawRequest{token: token})
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a dropped connection answered %d", resp.StatusCode)
	}
	if res := send(t, srv, rawRequest{token: token}); res.status != http.StatusOK {
		t.Errorf("after the drop: status = %d, want 200", res.status)
	}
	if reqs := srv.Requests(); len(reqs) != 2 || reqs[0].Status != 0 || !reqs[0].Fault || !reqs[0].Dropped || !reqs[1].Done || reqs[1].Dropped {
		t.Errorf("Requests() = %+v, want a dropped request (status 0) first", reqs)
	}
}

func TestFaultTruncate(t *testing.T) {
	tests := map[string]struct {
		fault  eksauthtest.Fault
		status int
	}{
		"success body": {fault: eksauthtest.Fault{Truncate: true}, status: 200},
		"error body":   {fault: eksauthtest.Fault{Truncate: true, Status: 503}, status: 503},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t)
			srv.Inject(tc.fault)
			req := buildRequest(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)})
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			body, err := io.ReadAll(resp.Body)
			if !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("reading the body: err = %v, want unexpected EOF", err)
			}
			if len(body) == 0 || int64(len(body)) >= resp.ContentLength {
				t.Errorf("read %d bytes of %d, want a part", len(body), resp.ContentLength)
			}
		})
	}
}

func TestFaultDelayThenNormalAnswer(t *testing.T) {
	srv := newTestServer(t)
	srv.Inject(eksauthtest.Fault{Delay: time.Millisecond})
	res := send(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)})
	if res.status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200 after the delay", res.status, res.message)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || !reqs[0].Fault || reqs[0].Status != 200 {
		t.Errorf("Requests() = %+v, want one delayed success", reqs)
	}
}

func TestFaultDelayEndsWhenClientGivesUp(t *testing.T) {
	srv := newTestServer(t)
	srv.Inject(eksauthtest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		req := buildRequest(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)}).WithContext(ctx)
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool { return len(srv.Requests()) == 1 })
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("canceled request succeeded")
	}
	// The handler leaves the hour-long delay as soon as the client is gone.
	waitFor(t, "the delay to end", func() bool { return srv.Requests()[0].Done })
	if r := srv.Requests()[0]; !r.Dropped || r.Status != 0 || !r.Fault {
		t.Errorf("request = %+v, want a dropped fault without status", r)
	}
}

func TestCloseEndsDelays(t *testing.T) {
	srv := newTestServer(t)
	srv.Inject(eksauthtest.Fault{Delay: time.Hour})
	errc := make(chan error, 1)
	go func() {
		req := buildRequest(t, srv, rawRequest{token: srv.Token(testPod, time.Hour)})
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	waitFor(t, "the request to arrive", func() bool { return len(srv.Requests()) == 1 })
	srv.Close() // would wait for an hour if the delay ignored Close
	if err := <-errc; err == nil {
		t.Error("request during Close succeeded, want a dropped connection")
	}
	if r := srv.Requests()[0]; !r.Done || !r.Dropped {
		t.Errorf("request = %+v, want it dropped", r)
	}
}

// waitFor polls cond until it holds, failing the test after a long while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRequestsRecord(t *testing.T) {
	srv := newTestServer(t)
	token := srv.Token(testPod, time.Hour)
	send(t, srv, rawRequest{token: token, before: func(r *http.Request) { r.Header.Set("X-Trace", "t-1") }})
	send(t, srv, rawRequest{token: token, cluster: "nope"})
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("len(Requests()) = %d, want 2", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/clusters/prod/assume-role-for-pod-identity" || r.Cluster() != "prod" {
		t.Errorf("first = %s %s (cluster %q)", r.Method, r.Path, r.Cluster())
	}
	if r.Header.Get("X-Trace") != "t-1" || !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		t.Errorf("first headers = %v", r.Header)
	}
	if !strings.Contains(string(r.Body), token) || r.Status != 200 || r.Code != "" || r.RequestID == "" || r.Time.IsZero() {
		t.Errorf("first = %+v", r)
	}
	if reqs[1].Status != 404 || reqs[1].Code != "ResourceNotFoundException" || reqs[1].Cluster() != "nope" {
		t.Errorf("second = status %d code %q cluster %q", reqs[1].Status, reqs[1].Code, reqs[1].Cluster())
	}

	// Requests returns copies.
	reqs[0].Header.Set("X-Trace", "changed")
	reqs[0].Body[0] = 'X'
	if again := srv.Requests()[0]; again.Header.Get("X-Trace") != "t-1" || again.Body[0] != '{' {
		t.Error("changing what Requests returned changed the record")
	}
	srv.ResetRequests()
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("after ResetRequests: %d requests", n)
	}
}
