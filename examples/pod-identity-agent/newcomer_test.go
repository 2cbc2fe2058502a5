package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
	"github.com/podidentity/podidentity/eksauth"
)

// TestAMistakeIsOneLine: a wrong flag gets flag's line and a hint, not the
// whole usage after it; -h still gets the usage.
func TestAMistakeIsOneLine(t *testing.T) {
	for _, args := range [][]string{{"-cluster", "c1", "-nope"}, {"init", "-nope"}, {"-cluster"}} {
		var stderr bytes.Buffer
		if err := run(context.Background(), args, io.Discard, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
		out := strings.TrimSpace(stderr.String())
		if n := strings.Count(out, "\n") + 1; n > 2 || !strings.Contains(out, "-h' for the flags") {
			t.Errorf("%q: %d lines, want the mistake and a hint:\n%s", args, n, out)
		}
	}
	var stderr bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, io.Discard, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "-upstream-timeout") {
		t.Errorf("-h: %v, usage:\n%s", err, &stderr)
	}
}

func TestOnEC2(t *testing.T) {
	for name, tc := range map[string]struct {
		files map[string]string
		want  bool
	}{
		"laptop":       {map[string]string{"devices/virtual/dmi/id/sys_vendor": "LENOVO\n", "devices/virtual/dmi/id/board_asset_tag": "Not Specified\n"}, false},
		"no sysfs":     {nil, false},
		"nitro":        {map[string]string{"devices/virtual/dmi/id/board_asset_tag": "i-0af01c0123456789a\n"}, true},
		"nitro vendor": {map[string]string{"devices/virtual/dmi/id/sys_vendor": "Amazon EC2\n"}, true},
		"xen pv":       {map[string]string{"hypervisor/uuid": "ec2e1916-9099-7caf-fd21-012345abcdef\n"}, true},
		"xen hvm":      {map[string]string{"devices/virtual/dmi/id/product_uuid": "EC2E1916-9099-7CAF-FD21-012345ABCDEF\n"}, true},
		"other uuid":   {map[string]string{"hypervisor/uuid": "45e12aec-dcd1-b213-94ed-012345abcdef\n"}, false},
	} {
		sys := t.TempDir()
		for name, content := range tc.files {
			p := filepath.Join(sys, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := onEC2(sys); got != tc.want {
			t.Errorf("%s: onEC2 = %v, want %v", name, got, tc.want)
		}
	}
}

// TestRunAsksIMDSOnlyOnEC2: with -imds auto (the default) an agent off
// EC2 sends IMDS nothing, whatever the SDK's chain would try; -imds on
// asks it, -imds off never. The IMDS is a local fake, at the SDK's own
// endpoint setting.
func TestRunAsksIMDSOnlyOnEC2(t *testing.T) {
	for _, mode := range []string{imdsOff, imdsOn, imdsAuto} {
		t.Run(mode, func(t *testing.T) {
			srv := emulatorForRun(t)
			var asked atomic.Int32
			fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				if r.Method == http.MethodPut {
					io.WriteString(w, "imds-token")
					return
				}
				io.WriteString(w, "value")
			}))
			t.Cleanup(fake.Close)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "")
			t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fake.URL)
			ctx, cancel := context.WithCancel(context.Background())
			out := make(lines, 10)
			stderr := &syncBuffer{}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"-cluster", e2eCluster, "-endpoint", srv.URL, "-listen", "127.0.0.1:0", "-probe-port", "0", "-imds", mode}, out, stderr)
			}()
			probes := regexp.MustCompile(`probes on `)
			for started := false; !started; {
				select {
				case line := <-out:
					started = probes.MatchString(line)
				case err := <-done:
					t.Fatalf("run returned early: %v\n%s", err, stderr)
				case <-time.After(10 * time.Second):
					t.Fatalf("no start:\n%s", stderr)
				}
			}
			cancel()
			<-done
			want := mode == imdsOn || mode == imdsAuto && onEC2("/sys")
			if got := asked.Load() > 0; got != want {
				t.Errorf("-imds %s on a machine where onEC2 is %v: IMDS asked %d times, want asked %v\n%s", mode, onEC2("/sys"), asked.Load(), want, stderr)
			}
		})
	}
}

// TestNoNodeCredentialsSaysSo: a call that could not be signed tells the
// pod the node has no credentials, not that EKS Auth failed.
func TestNoNodeCredentialsSaysSo(t *testing.T) {
	srv := emulatorForRun(t)
	cfg := srv.Config()
	cfg.Credentials = nodeCredentials{aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no EC2 IMDS role found")
	})}
	_, err := eksauth.NewFromConfig(cfg).AssumeRoleForPodIdentity(context.Background(),
		&eksauth.AssumeRoleForPodIdentityInput{ClusterName: aws.String(e2eCluster), Token: aws.String(srv.Token(e2ePod, time.Hour))})
	ae := upstreamError(err)
	if ae.status != http.StatusBadGateway || !strings.Contains(ae.Message, "the node has no AWS credentials") || !strings.Contains(ae.Message, "no EC2 IMDS role found") {
		t.Errorf("upstreamError = %v, want 502 saying the node has no credentials, and why", ae)
	}
	for _, c := range srv.Requests() {
		if isCall(c) {
			t.Error("a call reached EKS Auth unsigned")
		}
	}
}

// TestUnknownCodeMessage: an error code EKS Auth does not give pods is
// passed on as 502, saying it is about the node, not that it is not passed on.
func TestUnknownCodeMessage(t *testing.T) {
	ae := upstreamError(responseError(403, &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}))
	if ae.status != http.StatusBadGateway || ae.Code != "UnrecognizedClientException" || strings.Contains(ae.Message, "not pass") || !strings.Contains(ae.Message, "about the node") {
		t.Errorf("upstreamError = %v", ae)
	}
}
