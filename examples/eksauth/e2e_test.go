package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

func TestSuccessAgainstEmulator(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	tokenFile := sb.file("token", em.token)
	for name, token := range map[string]string{"inline": em.token, "file://": "file://" + tokenFile} {
		t.Run(name, func(t *testing.T) {
			r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", token, "--endpoint-url", em.URL)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			var got struct {
				Subject     struct{ Namespace, ServiceAccount string }
				Audience    string
				Credentials struct {
					AccessKeyID string `json:"accessKeyId"`
					Expiration  string
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			if got.Subject.Namespace != "default" || got.Subject.ServiceAccount != "app" || got.Audience != "pods.eks.amazonaws.com" {
				t.Errorf("got subject %+v audience %q", got.Subject, got.Audience)
			}
			exp, err := time.Parse("2006-01-02T15:04:05-07:00", got.Credentials.Expiration)
			if err != nil || !strings.HasSuffix(got.Credentials.Expiration, "+00:00") || time.Until(exp) < 5*time.Hour {
				t.Errorf("expiration %q: want ISO 8601 with +00:00, about 6 h ahead (%v)", got.Credentials.Expiration, err)
			}
			if !strings.HasPrefix(got.Credentials.AccessKeyID, "ASIA") {
				t.Errorf("accessKeyId %q", got.Credentials.AccessKeyID)
			}
		})
	}
}

// The "eks-auth" service word is accepted, so `alias aws=eksauth` works.
func TestServiceWord(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	r := sb.run("", "eks-auth", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL, "--query", "audience", "--output", "text")
	if r.code != 0 || r.stdout != "pods.eks.amazonaws.com\n" {
		t.Fatalf("exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestOptionalRequestFields(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL,
		"--eks-node-name", "ip-10-0-0-1.ec2.internal", "--instance-id", "i-0123456789abcdef0", "--zone", "us-west-2a")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	reqs := em.Requests()
	var body map[string]string
	if err := json.Unmarshal(reqs[len(reqs)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"eksNodeName": "ip-10-0-0-1.ec2.internal", "instanceId": "i-0123456789abcdef0", "zone": "us-west-2a"} {
		if body[k] != want {
			t.Errorf("request %s = %q, want %q", k, body[k], want)
		}
	}
}

// TestServiceErrors checks every error the emulator can be made to answer:
// the AWS CLI's one-line report on stderr and exit status 254.
func TestServiceErrors(t *testing.T) {
	type setup func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string
	cases := map[string]struct {
		setup   setup
		code    string
		message string // a part of the message, or "" to skip
		status  int
	}{
		"ExpiredTokenException": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				tok := em.Token(em.pod, 10*time.Minute)
				clock.advance(time.Hour)
				return []string{"--cluster-name", "demo", "--token", tok}
			},
			code: "ExpiredTokenException",
		},
		"InvalidTokenException": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				return []string{"--cluster-name", "demo", "--token", "aaaa.bbbb.cccc"}
			},
			code: "InvalidTokenException",
		},
		"ResourceNotFoundException": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				return []string{"--cluster-name", "other", "--token", em.token}
			},
			code: "ResourceNotFoundException", message: "other",
		},
		"wrong secret key": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				sb.set("AWS_SECRET_ACCESS_KEY", "wrongSecretKeyEXAMPLEwrongSecretKeyEXAMP")
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "InvalidSignatureException",
		},
		"unknown access key": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				sb.set("AWS_ACCESS_KEY_ID", "AKIDUNKNOWNEXAMPLE01")
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "UnrecognizedClientException",
		},
		"AccessDeniedException": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				em.Inject(eksauthtest.Fault{Code: "AccessDeniedException", Message: "not allowed"})
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "AccessDeniedException", message: "not allowed",
		},
		"--no-sign-request": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				return []string{"--cluster-name", "demo", "--token", em.token, "--no-sign-request"}
			},
			code: "MissingAuthenticationTokenException", message: "Missing Authentication Token",
		},
		"an answer without a code or a body": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				em.Inject(eksauthtest.Fault{Status: 418, Body: " "})
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "418",
		},
		"a proxy's HTML page (5xx)": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				sb.set("AWS_MAX_ATTEMPTS", "1")
				em.Inject(eksauthtest.Fault{Status: 502, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"})
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "502", message: "Bad Gateway",
		},
		"a proxy's HTML page (4xx)": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				em.Inject(eksauthtest.Fault{Status: 403, Body: "<html><body>Access denied by proxy</body></html>"})
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "403", message: "Forbidden",
		},
		"throttled until retries run out": {
			setup: func(t *testing.T, sb *sandbox, em *emulator, clock *fakeClock) []string {
				sb.set("AWS_MAX_ATTEMPTS", "2")
				em.Inject(eksauthtest.Fault{Code: "ThrottlingException", Message: "Rate exceeded"}, eksauthtest.Fault{Code: "ThrottlingException", Message: "Rate exceeded"})
				return []string{"--cluster-name", "demo", "--token", em.token}
			},
			code: "ThrottlingException", message: "Rate exceeded",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sb := newSandbox(t)
			clock := &fakeClock{now: time.Now()}
			em := sb.emulator(eksauthtest.WithClock(clock.Now))
			args := append([]string{"assume-role-for-pod-identity", "--endpoint-url", em.URL}, tc.setup(t, sb, em, clock)...)
			r := sb.run("", args...)
			op := "AssumeRoleForPodIdentity operation"
			if name == "throttled until retries run out" {
				op = "AssumeRoleForPodIdentity operation (reached max retries: 1)"
			}
			prefix := "\nAn error occurred (" + tc.code + ") when calling the " + op + ": "
			if r.code != exitService || !strings.HasPrefix(r.stderr, prefix) || !strings.HasSuffix(r.stderr, "\n") || strings.Count(r.stderr, "\n") != 2 {
				t.Fatalf("got exit %d stderr %q, want 254 and %q...", r.code, r.stderr, prefix)
			}
			if !strings.Contains(r.stderr, tc.message) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.message)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if name == "--no-sign-request" {
				reqs := em.Requests()
				h := reqs[len(reqs)-1].Header
				for _, k := range []string{"Authorization", "X-Amz-Security-Token", "X-Amz-Date"} {
					if h.Get(k) != "" {
						t.Errorf("unsigned request carries %s", k)
					}
				}
			}
		})
	}
}

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// TestConfigurationErrors: missing region or credentials end with the AWS
// CLI's words and status 253, before anything is sent.
func TestConfigurationErrors(t *testing.T) {
	t.Run("no region", func(t *testing.T) {
		sb := newSandbox(t)
		em := sb.emulator()
		sb.set("AWS_REGION", "")
		r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL)
		want := "\nYou must specify a region. You can also configure your region by running \"aws configure\".\n"
		if r.code != exitConfig || r.stderr != want {
			t.Fatalf("got %d %q, want 253 %q", r.code, r.stderr, want)
		}
		if n := len(em.Requests()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		sb := newSandbox(t)
		em := sb.emulator()
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
			sb.set(k, "")
		}
		r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL)
		want := "\nUnable to locate credentials. You can configure credentials by running \"aws configure\".\n"
		if r.code != exitConfig || r.stderr != want {
			t.Fatalf("got %d %q, want 253 %q", r.code, r.stderr, want)
		}
		if n := len(em.Requests()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
	t.Run("region and credentials from a profile", func(t *testing.T) {
		sb := newSandbox(t)
		em := sb.emulator()
		node := em.NodeCredentials()
		for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"} {
			sb.set(k, "")
		}
		sb.set("AWS_CONFIG_FILE", sb.file("config", "[profile node]\nregion = us-west-2\noutput = text\n"))
		sb.set("AWS_SHARED_CREDENTIALS_FILE", sb.file("credentials", "[node]\naws_access_key_id = "+node.AccessKeyID+"\naws_secret_access_key = "+node.SecretAccessKey+"\naws_session_token = "+node.SessionToken+"\n"))
		r := sb.run("", "assume-role-for-pod-identity", "--profile", "node", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL, "--query", "subject")
		if r.code != 0 || r.stdout != "default\tapp\n" {
			t.Fatalf("got %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("bad AWS_ENDPOINT_URL_EKS_AUTH", func(t *testing.T) {
		sb := newSandbox(t)
		em := sb.emulator()
		sb.set("AWS_ENDPOINT_URL_EKS_AUTH", "not a url")
		r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token)
		if want := "\nInvalid endpoint: not a url\n"; r.code != exitGeneral || r.stderr != want {
			t.Fatalf("got %d %q, want 255 %q", r.code, r.stderr, want)
		}
	})
	t.Run("FIPS with a custom endpoint", func(t *testing.T) {
		sb := newSandbox(t)
		em := sb.emulator()
		sb.set("AWS_USE_FIPS_ENDPOINT", "true")
		r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL)
		if want := "\nInvalid Configuration: FIPS and custom endpoint are not supported\n"; r.code != exitGeneral || r.stderr != want {
			t.Fatalf("got %d %q, want 255 %q", r.code, r.stderr, want)
		}
		if n := len(em.Requests()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
	t.Run("unknown profile", func(t *testing.T) {
		sb := newSandbox(t)
		em := sb.emulator()
		r := sb.run("", "assume-role-for-pod-identity", "--profile", "nope", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL)
		if want := "\nThe config profile (nope) could not be found\n"; r.code != exitGeneral || r.stderr != want {
			t.Fatalf("got %d %q, want 255 %q", r.code, r.stderr, want)
		}
	})
}

// TestDebugRedactsSecrets scans the whole --debug trace of a success and
// of a failure for every secret: the pod's token, the caller's secret key
// and session token, and the secret key and session token answered.
func TestDebugRedactsSecrets(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	node := em.NodeCredentials()
	tokenFile := sb.file("token", em.token)
	for name, args := range map[string][]string{
		"success":          {"--token", em.token},
		"token from file":  {"--token", "file://" + tokenFile},
		"cli-input-json":   {"--cli-input-json", `{"clusterName":"demo","token":"` + em.token + `"}`},
		"service error":    {"--token", em.Token(em.pod, time.Second), "--cluster-name", "nothere"},
		"validation error": {"--token", em.token + "\n"},
	} {
		t.Run(name, func(t *testing.T) {
			all := append([]string{"assume-role-for-pod-identity", "--cluster-name", "demo", "--endpoint-url", em.URL, "--debug"}, args...)
			r := sb.run("", all...)
			if !strings.Contains(r.stderr, " - DEBUG - ") {
				t.Fatalf("no debug trace on stderr:\n%s", r.stderr)
			}
			if name != "validation error" {
				// A full trace: the signing, the request and the answer.
				for _, part := range []string{"eksauth.clidriver - DEBUG - Arguments entered to CLI: ", "eksauth.client - DEBUG - Request Signature:", "eksauth.client - DEBUG - Request\nPOST /clusters/", "eksauth.client - DEBUG - Response\nHTTP/1.1 "} {
					if !strings.Contains(r.stderr, part) {
						t.Errorf("the trace lacks %q", part)
					}
				}
			}
			secrets := map[string]string{"token": strings.TrimSpace(em.token), "node secret key": node.SecretAccessKey, "node session token": node.SessionToken}
			if r.code == 0 {
				var out struct {
					Credentials struct{ SecretAccessKey, SessionToken string }
				}
				if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
					t.Fatal(err)
				}
				secrets["answered secret key"] = out.Credentials.SecretAccessKey
				secrets["answered session token"] = out.Credentials.SessionToken
				if !strings.Contains(r.stderr, "RequestId: ") {
					t.Errorf("no RequestId line in the trace")
				}
			}
			for what, s := range secrets {
				if s == "" {
					t.Fatalf("%s is empty", what)
				}
				if strings.Contains(r.stderr, s) {
					t.Errorf("the %s appears in the --debug trace", what)
				}
				// Parts of a secret long enough to be useful must not leak
				// either (a line split, a truncated dump).
				if len(s) > 40 && strings.Contains(r.stderr, s[len(s)/2:len(s)/2+20]) {
					t.Errorf("a part of the %s appears in the --debug trace", what)
				}
			}
		})
	}
}

// TestInterrupt: a cancelled run (Ctrl-C) ends with status 130 and a
// newline on stdout, as the AWS CLI does.
func TestInterrupt(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	em.Inject(eksauthtest.Fault{Delay: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(em.Requests()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	var out, errb bytes.Buffer
	code := run(ctx, []string{"assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL}, strings.NewReader(""), &out, &errb, sb.environ())
	if code != exitInterrupt || out.String() != "\n" {
		t.Fatalf("got %d stdout %q stderr %q, want 130 and a newline", code, out.String(), errb.String())
	}
}

func TestReadTimeout(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	sb.set("AWS_MAX_ATTEMPTS", "1")
	em.Inject(eksauthtest.Fault{Delay: 5 * time.Second})
	r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL, "--cli-read-timeout", "1")
	want := "\nRead timeout on endpoint URL: \"" + em.URL + "/clusters/demo/assume-role-for-pod-identity\"\n"
	if r.code != exitGeneral || r.stderr != want {
		t.Fatalf("got %d %q, want 255 %q", r.code, r.stderr, want)
	}
}

func TestConnectionRefused(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	url := em.URL
	em.Close()
	sb.set("AWS_MAX_ATTEMPTS", "1")
	r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", url)
	want := "\nCould not connect to the endpoint URL: \"" + url + "/clusters/demo/assume-role-for-pod-identity\"\n"
	if r.code != exitGeneral || r.stderr != want {
		t.Fatalf("got %d %q, want 255 %q", r.code, r.stderr, want)
	}
}

// TestCommandLineOverridesInput: an option on the command line wins over
// the same member in --cli-input-json or --cli-input-yaml.
func TestCommandLineOverridesInput(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	for name, in := range map[string][]string{
		"json": {"--cli-input-json", `{"clusterName": "other", "token": "` + em.token + `"}`},
		"yaml": {"--cli-input-yaml", "clusterName: other\ntoken: " + em.token + "\n"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"assume-role-for-pod-identity", "--endpoint-url", em.URL, "--cluster-name", "demo", "--query", "subject.serviceAccount", "--output", "text", "--cli-binary-format", "raw-in-base64-out", "--no-paginate"}, in...)
			r := sb.run("", args...)
			if r.code != 0 || r.stdout != "app\n" {
				t.Fatalf("exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
			}
			reqs := em.Requests()
			if got := reqs[len(reqs)-1].Cluster(); got != "demo" {
				t.Errorf("request for cluster %q, want demo", got)
			}
		})
	}
}

// TestHugeTimeouts: a timeout too long to matter (more seconds than a
// time.Duration holds) is no limit, not one that has already passed.
func TestHugeTimeouts(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	for _, opt := range []string{"--cli-read-timeout", "--cli-connect-timeout"} {
		t.Run(opt, func(t *testing.T) {
			r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL, opt, "10000000000")
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q, want 0", r.code, r.stderr)
			}
		})
	}
}

// TestQueryErrorHidesTheAnswer: a --query that fails on a value of the wrong
// type must not print that value, which can be the whole answer with its
// secret key and session token (the JMESPath library quotes it).
func TestQueryErrorHidesTheAnswer(t *testing.T) {
	const (
		secret  = "querySecretKeyEXAMPLEquerySecretKeyEXAMP"
		session = "QueryFakeSessionTokenEXAMPLE0123456789abcdefghij"
	)
	answer := `{"subject":{"namespace":"default","serviceAccount":"app"},"audience":"pods.eks.amazonaws.com",` +
		`"credentials":{"sessionToken":"` + session + `","secretAccessKey":"` + secret + `","accessKeyId":"ASIAQUERYEXAMPLE0001","expiration":1795928297}}`
	for name, tc := range map[string]struct{ query, want string }{
		"whole answer":   {"sort_by(@, &x)", "\nIn function sort_by(), invalid type for value: <not shown>, expected one of: ['array']\n"},
		"one secret":     {"abs(credentials.secretAccessKey)", "\nIn function abs(), invalid type for value: <not shown>, expected one of: ['number']\n"},
		"list of values": {"join(',', [credentials.sessionToken, `1`])", "\nIn function join(), invalid type for value: <not shown>, expected one of: ['array-string']\n"},
	} {
		t.Run(name, func(t *testing.T) {
			sb := newSandbox(t)
			em := sb.emulator()
			em.Inject(eksauthtest.Fault{Status: 200, Body: answer})
			r := sb.run("", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", em.token, "--endpoint-url", em.URL, "--query", tc.query)
			if r.code != exitGeneral || r.stderr != tc.want {
				t.Errorf("got exit %d stderr %q, want 255 %q", r.code, r.stderr, tc.want)
			}
			for _, s := range []string{secret, session} {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr shows a secret of the answer: %q", r.stderr)
				}
			}
		})
	}
}

// TestValueStartingWithADash: argparse takes an argument that starts with
// "-" but holds a space as a value, so a YAML document that begins with
// its "---" marker, or a list, can be given inline.
func TestValueStartingWithADash(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	for name, tc := range map[string]struct {
		in, stdout, stderr string
		code               int
	}{
		"document marker": {in: "---\nclusterName: demo\ntoken: " + em.token + "\n", stdout: "pods.eks.amazonaws.com\n"},
		"list":            {in: "- clusterName: demo\n", code: exitUsage, stderr: "\nError parsing parameter '--cli-input-yaml': Invalid type: expecting map, received <class 'list'>\n"},
	} {
		t.Run(name, func(t *testing.T) {
			r := sb.run("", "assume-role-for-pod-identity", "--endpoint-url", em.URL, "--cli-input-yaml", tc.in, "--query", "audience", "--output", "text")
			if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderr {
				t.Errorf("got exit %d stdout %q stderr %q, want %d %q %q", r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestPatternsLeftToTheService: as the AWS CLI, the CLI checks only what
// botocore checks and sends a cluster name or token outside the API's
// patterns; the service's InvalidParameterException is the answer.
func TestPatternsLeftToTheService(t *testing.T) {
	sb := newSandbox(t)
	em := sb.emulator()
	tokenNL := sb.file("token-nl", em.token+"\n")
	for name, args := range map[string][]string{
		"cluster name with a space": {"--cluster-name", "bad name", "--token", em.token},
		"cluster name too long":     {"--cluster-name", strings.Repeat("c", 101), "--token", em.token},
		"token not a JWT":           {"--cluster-name", "demo", "--token", "garbage"},
		"token with a newline":      {"--cluster-name", "demo", "--token", "file://" + tokenNL},
	} {
		t.Run(name, func(t *testing.T) {
			r := sb.run("", append([]string{"assume-role-for-pod-identity", "--endpoint-url", em.URL}, args...)...)
			want := "\nAn error occurred (InvalidParameterException) when calling the AssumeRoleForPodIdentity operation: 1 validation error detected: "
			if r.code != exitService || !strings.HasPrefix(r.stderr, want) {
				t.Errorf("exit %d stderr %q, want %d and %q...", r.code, r.stderr, exitService, want)
			}
		})
	}
}

// TestClusterNameEscaped: the cluster name is percent-encoded in the path,
// "/" included, as botocore encodes it, so that no name reaches another
// path.
func TestClusterNameEscaped(t *testing.T) {
	sb := newSandbox(t)
	var mu sync.Mutex
	var got string
	em := sb.emulator(eksauthtest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = r.RequestURI
			mu.Unlock()
			next.ServeHTTP(w, r)
		})
	}))
	sb.run("", "assume-role-for-pod-identity", "--endpoint-url", em.URL, "--cluster-name", "../a b/c?d#e%", "--token", em.token)
	mu.Lock()
	defer mu.Unlock()
	if want := "/clusters/..%2Fa%20b%2Fc%3Fd%23e%25/assume-role-for-pod-identity"; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}
