// Command goclient is a pod that uses the AWS SDK for Go v2 as programs do:
// config.LoadDefaultConfig, then the default chain's credentials. For each
// line "get" on stdin it retrieves credentials and prints one JSON line:
// what the SDK returned, or the error code, HTTP status and message the SDK
// reports. The node-in-a-box suite runs it in a fresh process with only
// what EKS injects into a pod.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

type result struct {
	OK              bool   `json:"ok"`
	AccessKeyID     string `json:"accessKeyId,omitempty"`
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
	SessionToken    string `json:"sessionToken,omitempty"`
	AccountID       string `json:"accountId,omitempty"`
	Expiration      string `json:"expiration,omitempty"` // RFC 3339, as the SDK holds it
	Status          int    `json:"status,omitempty"`
	Code            string `json:"code,omitempty"`
	Message         string `json:"message,omitempty"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(version())
		return
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		if err != nil {
			_ = out.Encode(failure(err))
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		creds, rerr := cfg.Credentials.Retrieve(ctx)
		cancel()
		if rerr != nil {
			_ = out.Encode(failure(rerr))
			continue
		}
		_ = out.Encode(result{
			OK:              true,
			AccessKeyID:     creds.AccessKeyID,
			SecretAccessKey: creds.SecretAccessKey,
			SessionToken:    creds.SessionToken,
			AccountID:       creds.AccountID,
			Expiration:      creds.Expires.UTC().Format(time.RFC3339),
		})
	}
}

// failure is what a program can learn from the SDK's error: the code of
// the first smithy.APIError and the HTTP status of the answer.
func failure(err error) result {
	r := result{Message: err.Error()}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		r.Code = ae.ErrorCode()
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		r.Status = st.HTTPStatusCode()
	}
	return r
}

// version names the SDK modules this binary was built with.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "aws-sdk-go-v2 (unknown versions)"
	}
	var mods []string
	for _, m := range bi.Deps {
		switch m.Path {
		case "github.com/aws/aws-sdk-go-v2", "github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/credentials":
			mods = append(mods, strings.TrimPrefix(m.Path, "github.com/aws/")+"@"+m.Version)
		}
	}
	return strings.Join(mods, " ") + " (" + bi.GoVersion + ")"
}
