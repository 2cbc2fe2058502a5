package eksauth_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/eksauth"
)

// recordingLogger keeps every line logged.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %s", c, fmt.Sprintf(format, v...)))
}

func (l *recordingLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestLoggingRedactsSecrets(t *testing.T) {
	const (
		respSecret  = "RESPONSE-SECRET-KEY-abcdef"
		respSession = "RESPONSE-SESSION-TOKEN-xyz"
	)
	all := aws.LogRetries | aws.LogSigning | aws.LogRequest | aws.LogRequestWithBody | aws.LogResponse | aws.LogResponseWithBody
	tests := map[string]struct {
		mode aws.ClientLogMode
		want []string // substrings the log must contain
	}{
		"retries":             {mode: aws.LogRetries, want: []string{"retrying request EKS Auth/AssumeRoleForPodIdentity, attempt 2"}},
		"signing":             {mode: aws.LogSigning, want: []string{"CANONICAL STRING", "x-amz-security-token:<redacted>"}},
		"request":             {mode: aws.LogRequest, want: []string{"POST " + testBasePath + "/clusters/" + testCluster + "/assume-role-for-pod-identity HTTP/1.1", "Signature=<redacted>", "X-Amz-Security-Token: <redacted>"}},
		"request with body":   {mode: aws.LogRequestWithBody, want: []string{`{"token":"<redacted>"}`}},
		"response":            {mode: aws.LogResponse, want: []string{"HTTP/1.1 200 OK", "X-Amzn-Requestid: rid-log"}},
		"response with body":  {mode: aws.LogResponseWithBody, want: []string{`"secretAccessKey":"<redacted>"`, `"sessionToken":"<redacted>"`, `"accessKeyId":"ASIARESPONSEKEY"`}},
		"error response body": {mode: aws.LogResponseWithBody, want: []string{`"code":"InternalServerException"`}},
		"everything at once":  {mode: all},
		"nothing":             {mode: 0},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ts := newTestServer(t,
				answer{Status: 500, Body: `{"code":"InternalServerException","message":"echo ` + testToken + ` ` + testSessionToken + `"}`},
				answer{Header: map[string]string{"X-Amzn-Requestid": "rid-log"}, Body: successBody(t)},
			)
			logger := &recordingLogger{}
			c := newTestClient(ts, func(o *eksauth.Options) { o.Logger = logger; o.ClientLogMode = tt.mode })
			if _, err := c.AssumeRoleForPodIdentity(context.Background(), input()); err != nil {
				t.Fatal(err)
			}
			log := logger.String()
			if tt.mode == 0 && log != "" {
				t.Errorf("logged without a log mode:\n%s", log)
			}
			for _, w := range tt.want {
				if !strings.Contains(log, w) {
					t.Errorf("log lacks %q:\n%s", w, log)
				}
			}
			secrets := []string{testToken, testSecretKey, testSessionToken, respSecret, respSession}
			for _, r := range ts.Requests() {
				sig := regexp.MustCompile(`Signature=([0-9a-f]{64})`).FindStringSubmatch(r.Header.Get("Authorization"))
				secrets = append(secrets, sig[1])
			}
			for _, s := range secrets {
				if strings.Contains(log, s) {
					t.Errorf("log contains the secret %q:\n%s", s, log)
				}
			}
		})
	}
}
