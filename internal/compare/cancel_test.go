package compare_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	official "github.com/aws/aws-sdk-go-v2/service/eksauth"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// blockingDoer answers like a transport whose request never completes: it
// waits for the request's context and returns its error, as net/http does.
type blockingDoer struct{ calls atomic.Int64 }

func (d *blockingDoer) Do(req *http.Request) (*http.Response, error) {
	d.calls.Add(1)
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// cancelView is what a caller can test of a cancelled call.
type cancelView struct {
	Text                           string
	IsCanceled, IsDeadline         bool
	CanceledError, RequestCanceled bool
}

func cancelViewOf(err error) cancelView {
	var ce *smithy.CanceledError
	var rce *aws.RequestCanceledError
	return cancelView{
		Text:            err.Error(),
		IsCanceled:      errors.Is(err, context.Canceled),
		IsDeadline:      errors.Is(err, context.DeadlineExceeded),
		CanceledError:   errors.As(err, &ce),
		RequestCanceled: errors.As(err, &rce),
	}
}

// TestCancellation checks that both clients honour the caller's context the
// same way: before the call, during a request and during a retry backoff.
func TestCancellation(t *testing.T) {
	slowBackoff := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Hour, nil })
		})
	}
	type doer interface {
		eksauth.HTTPClient
		count() int64
	}
	tests := map[string]struct {
		ctx      func() (context.Context, context.CancelFunc)
		newDoer  func() doer
		retryer  func() aws.Retryer
		attempts int64
	}{
		"cancelled before the call": {
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx, cancel
			},
			newDoer:  func() doer { return &countingCanned{cannedDoer: newCannedDoer()} },
			attempts: 0,
		},
		"deadline during the request": {
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 20*time.Millisecond)
			},
			newDoer:  func() doer { return &countingBlocking{} },
			attempts: 1,
		},
		"deadline during the backoff": {
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			},
			newDoer: func() doer {
				return &countingCanned{cannedDoer: &cannedDoer{status: 503, header: http.Header{"X-Amzn-Errortype": {"ServiceUnavailableException"}}, body: []byte(`{"message":"later"}`)}}
			},
			retryer:  slowBackoff,
			attempts: 1,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			oursDoer, offDoer := tt.newDoer(), tt.newDoer()
			ours := newOurs(oursDoer, "", func(o *eksauth.Options) {
				if tt.retryer != nil {
					o.Retryer = tt.retryer()
				}
			})
			off := newOfficial(offDoer, "", func(o *official.Options) {
				if tt.retryer != nil {
					o.Retryer = tt.retryer()
				}
			})
			ctx, cancel := tt.ctx()
			defer cancel()
			_, oursErr := ours.AssumeRoleForPodIdentity(ctx, oursInput())
			ctx2, cancel2 := tt.ctx()
			defer cancel2()
			_, offErr := off.AssumeRoleForPodIdentity(ctx2, officialInput())
			if oursErr == nil || offErr == nil {
				t.Fatalf("errors: ours %v, official %v; want both", oursErr, offErr)
			}
			if got, want := cancelViewOf(oursErr), cancelViewOf(offErr); got != want {
				t.Errorf("ours and official differ:\n ours     %+v\n official %+v", got, want)
			}
			if got, want := oursDoer.count(), offDoer.count(); got != want || want != tt.attempts {
				t.Errorf("attempts: ours %d, official %d, want %d", got, want, tt.attempts)
			}
		})
	}
}

type countingCanned struct{ *cannedDoer }

func (d *countingCanned) count() int64 { return d.calls.Load() }

type countingBlocking struct{ blockingDoer }

func (d *countingBlocking) count() int64 { return d.calls.Load() }
