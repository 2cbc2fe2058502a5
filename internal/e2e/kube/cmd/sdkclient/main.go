// Command sdkclient is the client image of the one-node cluster test: a
// program that gets its credentials the way any Go program on EKS does,
// through the AWS SDK's default chain (the container provider that
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
// select, as EKS's webhook injects them).
//
// It prints one JSON line per fetch on stdout: the attempt, whether it
// succeeded, the account of the credentials (which names the role in the
// test: each role has an account of its own), the error code, and how long
// the fetch took; the first line also says how long after the process
// started. Never a key or token. SDKCLIENT_INTERVAL (a duration) makes it
// fetch again and again, each time past the SDK's cache, so that the
// agent answers every one; without it, it fetches once and waits for
// SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// Line is what the client prints for each fetch.
type Line struct {
	N         int    `json:"n"`
	OK        bool   `json:"ok"`
	Account   string `json:"account,omitempty"`
	Code      string `json:"code,omitempty"`
	Error     string `json:"error,omitempty"`
	Millis    int64  `json:"ms"`
	SinceExec int64  `json:"sinceExecMs,omitempty"` // first fetch: from the process's start
	Expires   string `json:"expires,omitempty"`
}

func main() {
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	enc := json.NewEncoder(os.Stdout)

	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		_ = enc.Encode(Line{Error: "load config: " + err.Error()})
		os.Exit(1)
	}
	cache, _ := cfg.Credentials.(*aws.CredentialsCache)
	var interval time.Duration
	if v := os.Getenv("SDKCLIENT_INTERVAL"); v != "" {
		if interval, err = time.ParseDuration(v); err != nil {
			_ = enc.Encode(Line{Error: "SDKCLIENT_INTERVAL: " + err.Error()})
			os.Exit(1)
		}
	}
	for n := 0; ; n++ {
		if cache != nil {
			cache.Invalidate() // every fetch reaches the agent
		}
		t0 := time.Now()
		creds, err := cfg.Credentials.Retrieve(ctx)
		line := Line{N: n, OK: err == nil, Millis: time.Since(t0).Milliseconds()}
		if n == 0 {
			line.SinceExec = time.Since(start).Milliseconds()
		}
		if err == nil {
			line.Account, line.Expires = creds.AccountID, creds.Expires.UTC().Format(time.RFC3339)
		} else {
			var ae smithy.APIError
			if errors.As(err, &ae) {
				line.Code = ae.ErrorCode()
			}
			line.Error = err.Error()
		}
		if ctx.Err() != nil {
			return
		}
		_ = enc.Encode(line)
		if interval == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
	<-ctx.Done()
}
