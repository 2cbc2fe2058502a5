package compare_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/podidentity/podidentity/eksauth"
)

// skewedServer answers like a service whose clock runs ahead by skew: a
// request signed more than 5 minutes off its clock gets code (status 400 or
// 403), a request signed close enough succeeds. It records the X-Amz-Date
// of each request.
type skewedServer struct {
	skew   time.Duration
	status int
	code   string

	mu    sync.Mutex
	dates []time.Time
}

func (s *skewedServer) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
	}
	signed, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.dates = append(s.dates, signed)
	s.mu.Unlock()
	serverNow := time.Now().Add(s.skew)
	h := http.Header{"Date": {serverNow.UTC().Format(http.TimeFormat)}, "Content-Type": {"application/json"}, "X-Amzn-Requestid": {"rid"}}
	status, body := http.StatusOK, successAnswer
	if d := serverNow.Sub(signed); d > 5*time.Minute || d < -5*time.Minute {
		h.Set("X-Amzn-Errortype", s.code)
		status, body = s.status, []byte(`{"message":"Signature expired"}`)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// TestClockSkew checks that both clients learn the server's clock from the
// Date header of an answer refused for clock skew, retry, and sign the
// retry at the server's time; and that neither retries such an error when
// the clocks agree.
func TestClockSkew(t *testing.T) {
	tests := map[string]struct {
		skew     time.Duration
		status   int
		code     string
		attempts int
		ok       bool
	}{
		"server 10 min ahead, InvalidSignatureException": {skew: 10 * time.Minute, status: 403, code: "InvalidSignatureException", attempts: 2, ok: true},
		"server 10 min behind, AccessDeniedException":    {skew: -10 * time.Minute, status: 400, code: "AccessDeniedException", attempts: 2, ok: true},
		"server 1 h ahead, InvalidSignatureException":    {skew: time.Hour, status: 403, code: "InvalidSignatureException", attempts: 2, ok: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			oursSrv := &skewedServer{skew: tt.skew, status: tt.status, code: tt.code}
			offSrv := &skewedServer{skew: tt.skew, status: tt.status, code: tt.code}
			ours := newOurs(oursSrv, "", func(o *eksauth.Options) { o.Retryer = instantRetryer() })
			off := newOfficial(offSrv, "", func(o *official.Options) { o.Retryer = instantRetryer() })
			_, oursErr := ours.AssumeRoleForPodIdentity(context.Background(), oursInput())
			_, offErr := off.AssumeRoleForPodIdentity(context.Background(), officialInput())
			if (oursErr == nil) != (offErr == nil) || (offErr == nil) != tt.ok {
				t.Fatalf("errors: ours %v, official %v; want success %v", oursErr, offErr, tt.ok)
			}
			if got, want := len(oursSrv.dates), len(offSrv.dates); got != want || want != tt.attempts {
				t.Fatalf("attempts: ours %d, official %d, want %d", got, want, tt.attempts)
			}
			// The retry is signed at the server's clock, within a few seconds.
			last := oursSrv.dates[len(oursSrv.dates)-1]
			offLast := offSrv.dates[len(offSrv.dates)-1]
			for side, d := range map[string]time.Time{"ours": last, "official": offLast} {
				if off := time.Until(d) - tt.skew; off > 5*time.Second || off < -5*time.Second {
					t.Errorf("%s: retry signed %v away from the server's clock", side, off)
				}
			}
		})
	}
	t.Run("clocks agree: an AccessDeniedException is not retried", func(t *testing.T) {
		answer := &cannedDoer{status: 400, header: http.Header{"X-Amzn-Errortype": {"AccessDeniedException"}, "Date": {time.Now().UTC().Format(http.TimeFormat)}}, body: []byte(`{"message":"no"}`)}
		answer2 := &cannedDoer{status: 400, header: answer.header, body: answer.body}
		ours := newOurs(answer, "", func(o *eksauth.Options) { o.Retryer = instantRetryer() })
		off := newOfficial(answer2, "", func(o *official.Options) { o.Retryer = instantRetryer() })
		ours.AssumeRoleForPodIdentity(context.Background(), oursInput())
		off.AssumeRoleForPodIdentity(context.Background(), officialInput())
		if got, want := answer.calls.Load(), answer2.calls.Load(); got != want || want != 1 {
			t.Errorf("attempts: ours %d, official %d, want 1", got, want)
		}
	})
}
