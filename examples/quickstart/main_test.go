package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestRun runs the quickstart as `go run` would and checks that it shows
// what it promises, and no secret.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("the quickstart waits about 5 s for a background refresh")
	}
	var buf bytes.Buffer
	if err := run(context.Background(), &buf); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, buf.String())
	}
	out := buf.String()

	for _, want := range []string{
		"namespace        default\n",
		"service account  app\n",
		"role             arn:aws:iam::111122223333:role/quickstart-app\n",
		"account          111122223333\n",
		"session          arn:aws:sts::111122223333:assumed-role/quickstart-app/eks-demo-",
		"association      arn:aws:eks:us-west-2:111122223333:podidentityassociation/demo/a-",
		"first Retrieve: fetched ASIA…",
		"source EKSPodIdentityProvider, account 111122223333",
		"second Retrieve: same key ASIA…",
		"kubelet rotated the token file",
		"background refresh started",
		"WARN credentials: cluster demo: background refresh failed (1 in a row), keeping the credentials valid until",
		"ServiceUnavailableException",
		"background refresh done",
		"Retrieve returned a new key ASIA…",
		"the refresh re-read the token file and sent the rotated token",
		"No secret key, session token or service-account token was printed (checked).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q\noutput:\n%s", want, out)
		}
	}
	if started, done := strings.Index(out, "refresh started"), strings.Index(out, "new key"); started < 0 || done < started {
		t.Errorf("the new key should appear after the refresh started\noutput:\n%s", out)
	}

	// Independently of run's own check: nothing shaped like a secret.
	for name, re := range map[string]*regexp.Regexp{
		"access key ID":   regexp.MustCompile(`A[SK]IA[A-Z2-7]{16}`),
		"session token":   regexp.MustCompile(`IQoJb3JpZ2lu`),
		"JWT":             regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}`),
		"secret-like run": regexp.MustCompile(`[A-Za-z0-9+/]{40}`),
	} {
		if m := re.FindString(out); m != "" {
			t.Errorf("output contains what looks like a %s: %.8s…", name, m)
		}
	}
}

func TestMask(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"access key": {"ASIAABCDEFGHIJKLMNOP", "ASIA…MNOP"},
		"short":      {"ASIA123", "*******"},
		"empty":      {"", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := mask(tc.in); got != tc.want {
				t.Errorf("mask(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRoleFromSession(t *testing.T) {
	tests := map[string]struct{ arn, role, account string }{
		"assumed role": {"arn:aws:sts::111122223333:assumed-role/app/eks-demo-pod", "arn:aws:iam::111122223333:role/app", "111122223333"},
		"china":        {"arn:aws-cn:sts::444455556666:assumed-role/r/s", "arn:aws-cn:iam::444455556666:role/r", "444455556666"},
		"not an ARN":   {"nope", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			role, account := roleFromSession(tc.arn)
			if role != tc.role || account != tc.account {
				t.Errorf("roleFromSession(%q) = %q, %q; want %q, %q", tc.arn, role, account, tc.role, tc.account)
			}
		})
	}
}
