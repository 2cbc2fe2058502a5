package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/types"
)

// callPrinted makes n one-attempt calls with the printed setup and returns
// their errors.
func callPrinted(t *testing.T, e *emulator, n int) []error {
	t.Helper()
	vars, tokens := e.env(), e.tokens()
	if len(tokens) != 1 {
		t.Fatalf("printed %d tokens, want 1:\n%s", len(tokens), e.stdout.String())
	}
	endpoint := vars["AWS_ENDPOINT_URL_EKS_AUTH"]
	client := eksauth.New(eksauth.Options{
		Region:       vars["AWS_REGION"],
		BaseEndpoint: &endpoint,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: vars["AWS_ACCESS_KEY_ID"], SecretAccessKey: vars["AWS_SECRET_ACCESS_KEY"], SessionToken: vars["AWS_SESSION_TOKEN"]}, nil
		}),
		RetryMaxAttempts: 1,
	})
	errs := make([]error, n)
	for i := range errs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, errs[i] = client.AssumeRoleForPodIdentity(ctx, &eksauth.AssumeRoleForPodIdentityInput{
			ClusterName: aws.String("prod"), Token: aws.String(tokens[0]),
		})
		cancel()
	}
	return errs
}

func TestFaultRate(t *testing.T) {
	const assoc = "prod/shop/cart=arn:aws:iam::111122223333:role/cart"

	t.Run("every request", func(t *testing.T) {
		e := startEmulator(t, "-associate", assoc, "-fault-rate", "1")
		if !strings.Contains(e.stdout.String(), "# 100% of API requests fail at random") {
			t.Errorf("the setup does not announce the faults:\n%s", e.stdout.String())
		}
		retryable := retry.NewStandard()
		for i, err := range callPrinted(t, e, 20) {
			if err == nil || !retryable.IsErrorRetryable(err) {
				t.Errorf("call %d: %v, want an error the standard retryer retries", i, err)
			}
		}
	})

	t.Run("a fraction, repeatable", func(t *testing.T) {
		outcomes := func() string {
			e := startEmulator(t, "-associate", assoc, "-fault-rate", "0.5", "-fault-seed", "7", "-quiet")
			var b strings.Builder
			for _, err := range callPrinted(t, e, 30) {
				if err == nil {
					b.WriteByte('.')
				} else {
					b.WriteByte('x')
				}
			}
			return b.String()
		}
		first, second := outcomes(), outcomes()
		if first != second {
			t.Errorf("seed 7 gave %s, then %s", first, second)
		}
		if ok, failed := strings.Count(first, "."), strings.Count(first, "x"); ok < 5 || failed < 5 {
			t.Errorf("outcomes %s: want both successes and faults at rate 0.5", first)
		}
	})

	t.Run("off by default", func(t *testing.T) {
		e := startEmulator(t, "-associate", assoc, "-quiet")
		for i, err := range callPrinted(t, e, 20) {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
	})
}

func TestBadFaultFlags(t *testing.T) {
	tests := map[string][]string{
		"rate above 1":          {"-fault-rate", "1.5"},
		"negative rate":         {"-fault-rate", "-0.1"},
		"NaN rate":              {"-fault-rate", "NaN"},
		"rate not a number":     {"-fault-rate", "often"},
		"seed without the rate": {"-fault-seed", "1"},
		"negative throttle":     {"-throttle-rate", "-1"},
		"NaN throttle":          {"-throttle-rate", "NaN"},
		"infinite throttle":     {"-throttle-rate", "+Inf"},
		"burst without a rate":  {"-throttle-burst", "5"},
		"burst of 0":            {"-throttle-rate", "5", "-throttle-burst", "0"},
		"negative request log":  {"-request-log", "-1"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			// Canceled: were the flags wrongly accepted, run would return
			// at once rather than serve.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run(%q) = nil, want an error", args)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed a setup despite the error: %q", stdout.String())
			}
		})
	}
}

func TestThrottleFlags(t *testing.T) {
	const assoc = "prod/shop/cart=arn:aws:iam::111122223333:role/cart"
	// A rate that does not refill during the test: exactly the burst passes.
	e := startEmulator(t, "-associate", assoc, "-throttle-rate", "0.001", "-throttle-burst", "4", "-quiet")
	if !strings.Contains(e.stdout.String(), "# API requests beyond 0.001/s (burst 4), account-wide, get ThrottlingException.") {
		t.Errorf("the setup does not announce the throttling:\n%s", e.stdout.String())
	}
	var outcomes strings.Builder
	for _, err := range callPrinted(t, e, 7) {
		var te *types.ThrottlingException
		switch {
		case err == nil:
			outcomes.WriteByte('.')
		case errors.As(err, &te) && strings.Contains(err.Error(), "StatusCode: 429"):
			outcomes.WriteByte('T')
		default:
			t.Fatalf("call: %v, want success or ThrottlingException", err)
		}
	}
	if got, want := outcomes.String(), "....TTT"; got != want {
		t.Errorf("outcomes %s, want %s", got, want)
	}

	t.Run("burst defaults to the rate", func(t *testing.T) {
		s, err := parseSettings([]string{"-throttle-rate", "2.5"}, io.Discard)
		if err != nil || s.throttleBurst != 3 {
			t.Errorf("-throttle-rate 2.5: burst %d, err %v; want 3", s.throttleBurst, err)
		}
		s, err = parseSettings([]string{"-throttle-rate", "0.2"}, io.Discard)
		if err != nil || s.throttleBurst != 1 {
			t.Errorf("-throttle-rate 0.2: burst %d, err %v; want 1", s.throttleBurst, err)
		}
	})
}
