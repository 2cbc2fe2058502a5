package eksauthtest_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// statuses sends n valid requests one after the other and returns the
// status of each (0 for a dropped connection).
func statuses(t *testing.T, srv *eksauthtest.Server, n int) []int {
	t.Helper()
	token := srv.Token(testPod, time.Hour)
	out := make([]int, n)
	for i := range out {
		resp, err := srv.Client().Do(buildRequest(t, srv, rawRequest{token: token}))
		if err != nil {
			continue // a Drop fault
		}
		resp.Body.Close()
		out[i] = resp.StatusCode
	}
	return out
}

func TestRandomFaultsRateAndChoice(t *testing.T) {
	const n, rate = 400, 0.3
	srv := newTestServer(t, eksauthtest.WithRandomFaults(rate, eksauthtest.Fault{Status: 500}, eksauthtest.Fault{Status: 429}),
		eksauthtest.WithFaultSeed(7))
	got := map[int]int{}
	for _, st := range statuses(t, srv, n) {
		got[st]++
	}
	// The seed fixes the draws; the bounds (4 standard deviations) say what
	// any seed must give.
	faults := got[500] + got[429]
	if sd := math.Sqrt(n * rate * (1 - rate)); math.Abs(float64(faults)-n*rate) > 4*sd {
		t.Errorf("faults = %d of %d, want about %v", faults, n, n*rate)
	}
	if got[500] < faults/4 || got[429] < faults/4 {
		t.Errorf("500s = %d, 429s = %d: want both drawn, about equally", got[500], got[429])
	}
	if got[200]+faults != n {
		t.Errorf("statuses = %v: want only 200, 500 and 429", got)
	}

	// The record marks exactly the faulted requests.
	reqs := srv.Requests()
	if len(reqs) != n {
		t.Fatalf("recorded %d requests, want %d", len(reqs), n)
	}
	for i, r := range reqs {
		if r.Fault != (r.Status != http.StatusOK) || !r.Done {
			t.Errorf("request %d: Status %d, Fault %v, Done %v", i, r.Status, r.Fault, r.Done)
		}
	}
}

func TestRandomFaultsBounds(t *testing.T) {
	t.Run("rate 0 is off", func(t *testing.T) {
		srv := newTestServer(t, eksauthtest.WithRandomFaults(0, eksauthtest.Fault{Status: 500}))
		for i, st := range statuses(t, srv, 50) {
			if st != http.StatusOK {
				t.Fatalf("request %d answered %d, want 200", i, st)
			}
		}
	})
	t.Run("rate 1 faults every request", func(t *testing.T) {
		srv := newTestServer(t, eksauthtest.WithRandomFaults(1, eksauthtest.Fault{Status: 503}, eksauthtest.Fault{Drop: true}))
		got := statuses(t, srv, 50)
		for i, st := range got {
			if st != http.StatusServiceUnavailable && st != 0 {
				t.Fatalf("request %d answered %d, want 503 or a drop", i, st)
			}
		}
		for i, r := range srv.Requests() {
			if !r.Fault || r.Dropped != (got[i] == 0) {
				t.Errorf("request %d: Fault %v, Dropped %v, status seen %d", i, r.Fault, r.Dropped, got[i])
			}
		}
	})
	t.Run("injected faults come first", func(t *testing.T) {
		srv := newTestServer(t, eksauthtest.WithRandomFaults(1, eksauthtest.Fault{Status: 503}))
		srv.Inject(eksauthtest.Fault{Status: 429}, eksauthtest.Fault{Status: 404})
		got := fmt.Sprint(statuses(t, srv, 4))
		if want := "[429 404 503 503]"; got != want {
			t.Errorf("statuses = %s, want %s", got, want)
		}
	})
}

func TestRandomFaultsSeedRepeats(t *testing.T) {
	run := func(seed uint64) string {
		srv := newTestServer(t, eksauthtest.WithRandomFaults(0.5, eksauthtest.Fault{Status: 500}, eksauthtest.Fault{Status: 429}),
			eksauthtest.WithFaultSeed(seed))
		return fmt.Sprint(statuses(t, srv, 40))
	}
	a, b, c := run(1), run(1), run(2)
	if a != b {
		t.Errorf("seed 1 gave %s, then %s", a, b)
	}
	if a == c {
		t.Errorf("seeds 1 and 2 both gave %s", a)
	}
}

func TestRandomFaultsPanicOnBadInput(t *testing.T) {
	f := eksauthtest.Fault{Status: 500}
	tests := map[string]eksauthtest.Option{
		"negative rate":  eksauthtest.WithRandomFaults(-0.1, f),
		"rate above 1":   eksauthtest.WithRandomFaults(1.5, f),
		"NaN rate":       eksauthtest.WithRandomFaults(math.NaN(), f),
		"infinite rate":  eksauthtest.WithRandomFaults(math.Inf(1), f),
		"rate no faults": eksauthtest.WithRandomFaults(0.2),
	}
	for name, opt := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewServer did not panic")
				}
			}()
			srv := eksauthtest.NewServer(opt)
			srv.Close()
		})
	}
}

// Random faults make the emulator unreliable for chaos and soak tests; a
// seed makes a run repeatable.
func ExampleWithRandomFaults() {
	srv := eksauthtest.NewServer(
		eksauthtest.WithRandomFaults(0.3,
			eksauthtest.Fault{Status: 503},
			eksauthtest.Fault{Status: 429},
			eksauthtest.Fault{Drop: true},
		),
		eksauthtest.WithFaultSeed(42),
	)
	defer srv.Close()
	srv.Associate(eksauthtest.Association{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", RoleARN: "arn:aws:iam::111122223333:role/cart"})
	input := &eksauth.AssumeRoleForPodIdentityInput{
		ClusterName: aws.String("prod"),
		Token:       aws.String(srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)),
	}
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) { o.RetryMaxAttempts = 1 })
	for range 10 {
		_, _ = client.AssumeRoleForPodIdentity(context.Background(), input)
	}
	var answers []string
	faults := 0
	for _, r := range srv.Requests() {
		if r.Fault {
			faults++
		}
		if r.Dropped {
			answers = append(answers, "drop")
		} else {
			answers = append(answers, strconv.Itoa(r.Status))
		}
	}
	fmt.Println(strings.Join(answers, " "))
	fmt.Println("faults:", faults)
	// Output:
	// 200 200 200 200 503 200 drop 200 200 200
	// faults: 2
}
