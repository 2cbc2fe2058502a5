package secretscan_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
)

// logModes are the client's log modes, one at a time and all at once.
var logModes = []struct {
	name string
	mode aws.ClientLogMode
}{
	{"LogSigning", aws.LogSigning},
	{"LogRetries", aws.LogRetries},
	{"LogRequest", aws.LogRequest},
	{"LogRequestWithBody", aws.LogRequestWithBody},
	{"LogResponse", aws.LogResponse},
	{"LogResponseWithBody", aws.LogResponseWithBody},
	{"all", aws.LogSigning | aws.LogRetries | aws.LogRequest | aws.LogRequestWithBody | aws.LogResponse | aws.LogResponseWithBody},
}

// apiCodes are the nine codes of the API.
var apiCodes = []string{
	"AccessDeniedException", "ExpiredTokenException", "InvalidParameterException",
	"InvalidRequestException", "InvalidTokenException", "ResourceNotFoundException",
	"ThrottlingException", "InternalServerException", "ServiceUnavailableException",
}

// clientCase is one call of the client.
type clientCase struct {
	name       string
	input      func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput // nil: the pod's token for its cluster
	faults     []eksauthtest.Fault
	echos      []echoKind
	attempts   int                                    // 0 means 1
	opts       func(em *emulator, o *eksauth.Options) // after the defaults
	timeout    time.Duration                          // 0 means 10 s
	ok         bool                                   // the call succeeds
	local      bool                                   // fails before a request is made: nothing to log
	noResponse bool                                   // no answer: the response modes log nothing
	retried    bool                                   // LogRetries must log
}

func str(s string) *string { return &s }

func clientCases(em *emulator) []clientCase {
	in := func(cluster, token string) func(*emulator) *eksauth.AssumeRoleForPodIdentityInput {
		return func(*emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: &cluster, Token: &token}
		}
	}
	cases := []clientCase{
		// Validation, field by field: the values must not be quoted.
		{name: "nil input", input: func(*emulator) *eksauth.AssumeRoleForPodIdentityInput { return nil }, local: true},
		{name: "no cluster name", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{Token: &em.token}
		}, local: true},
		{name: "empty cluster name", input: in("", em.token), local: true},
		{name: "cluster name too long", input: in(strings.Repeat("c", 101), em.token), local: true},
		{name: "the token as cluster name", input: in(em.token, em.token), local: true},
		{name: "cluster name with CR LF", input: in("demo\r\n", em.token), local: true},
		{name: "no token", input: func(*emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo")}
		}, local: true},
		{name: "empty token", input: in("demo", ""), local: true},
		{name: "token with a newline", input: in("demo", em.token+"\n"), local: true},
		{name: "token with a fourth part", input: in("demo", em.token+".x"), local: true},
		{name: "token with a Bearer prefix", input: in("demo", "Bearer "+em.token), local: true},
		{name: "node name not UTF-8", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: &em.token, EksNodeName: str("ip-\xff" + em.token)}
		}, local: true},
		{name: "instance ID not UTF-8", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: &em.token, InstanceId: str("i-\xff" + em.token)}
		}, local: true},
		{name: "zone not UTF-8", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: &em.token, Zone: str("\xfe" + em.token)}
		}, local: true},

		// Answers.
		{name: "success", ok: true},
		{name: "success with the node fields", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: &em.token, EksNodeName: str("ip-10-0-0-1.ec2.internal"), InstanceId: str("i-0123456789abcdef0"), Zone: str("us-west-2a")}
		}, ok: true},
		// JSON carries CR LF safely; the token inside must still not show.
		{name: "node name with CR LF and the token", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: &em.token, EksNodeName: str("node\r\n" + em.token)}
		}, ok: true},
		{name: "unknown code echoing", faults: []eksauthtest.Fault{{Status: 400, Code: "SecretScanException", Message: em.echoMessage()}}},
		{name: "status 418 with a text body echoing", faults: []eksauthtest.Fault{{Status: 418, Body: em.echoMessage()}}},
		{name: "HTML 502 echoing", faults: []eksauthtest.Fault{{Status: 502, Body: "<html><body>" + em.echoMessage() + "</body></html>"}}},
		{name: "HTML 403 echoing", faults: []eksauthtest.Fault{{Status: 403, Body: "<html><body>" + em.echoMessage() + "</body></html>"}}},
		{name: "HTML 200 echoing", faults: []eksauthtest.Fault{{Status: 200, Body: "<html><body>" + em.echoMessage() + "</body></html>"}}},
		{name: "oversized error echoing", faults: []eksauthtest.Fault{{Status: 400, Body: `{"message":"` + strings.Repeat(em.echoMessage()+" ", 2<<20/len(em.echoMessage())) + `"}`}}},
		{name: "truncated success", faults: []eksauthtest.Fault{{Truncate: true}}},
		{name: "truncated scripted credentials", faults: []eksauthtest.Fault{{Status: 200, Body: scriptedBody(false), Truncate: true}}},
		{name: "truncated error echoing", faults: []eksauthtest.Fault{{Code: "AccessDeniedException", Message: em.echoMessage(), Truncate: true}}},
		{name: "dropped", faults: []eksauthtest.Fault{{Drop: true}}, noResponse: true},
		{name: "timed out", faults: []eksauthtest.Fault{{Delay: time.Minute}}, timeout: 100 * time.Millisecond, noResponse: true},
		{name: "2xx not decodable, with scripted credentials", faults: []eksauthtest.Fault{{Status: 200, Body: scriptedBody(true)}}},
		{name: "2xx truncated JSON with scripted credentials", faults: []eksauthtest.Fault{{Status: 200, Body: scriptedBody(false)[:len(scriptedBody(false))-30]}}},
		{name: "2xx without a session token", faults: []eksauthtest.Fault{{Status: 200, Body: `{"credentials":{"accessKeyId":"ASIAFAKEISSUED000001","secretAccessKey":"` + fakeIssuedSecret + `"}}`}}},
		{name: "2xx echoing the token", faults: []eksauthtest.Fault{{Status: 200, Body: `{"credentials":{"accessKeyId":"` + em.token + `","secretAccessKey":"` + node.SessionToken + `"}}`}}},
		{name: "echo in the message", echos: []echoKind{echoInMessage}},
		{name: "echo in the code and request ID", echos: []echoKind{echoInCode}},
		{name: "echo in an HTML page", echos: []echoKind{echoInHTML}},
		{name: "echo in a broken 2xx", echos: []echoKind{echoInBadSucces}},
		{name: "retried, then success", faults: []eksauthtest.Fault{{Code: "InternalServerException", Message: em.echoMessage()}, {Code: "ThrottlingException", Message: em.echoMessage()}}, attempts: 3, ok: true, retried: true},
		{name: "retries exhausted", faults: []eksauthtest.Fault{{Code: "ServiceUnavailableException", Message: em.echoMessage()}, {Status: 502, Body: "<html>" + em.echoMessage() + "</html>"}}, attempts: 2, retried: true},
		{name: "retried echo", echos: []echoKind{echoInHTML, echoInHTML}, attempts: 2, retried: true},

		// The node's credentials refused, and the network failing.
		{name: "wrong node secret key", opts: func(em *emulator, o *eksauth.Options) {
			c := node
			c.SecretAccessKey = "wrongNodeSecretKey/ScAn+0123456789abcdefghij"
			em.sc.add("wrong node secret key", c.SecretAccessKey)
			o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
		}},
		{name: "unknown node session token", opts: func(em *emulator, o *eksauth.Options) {
			c := node
			c.SessionToken = "IQoJb3JpZ2luX2VjWRONG-SESSION/secretscan+abcdefghijklmnopqrstuvwxyz0123456789=="
			em.sc.add("wrong node session token", c.SessionToken)
			o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
		}},
		{name: "connection refused", opts: func(em *emulator, o *eksauth.Options) { o.BaseEndpoint = str(closedURL(em.sc.t)) }, noResponse: true},
		// A transport error as net/http makes them (the library cannot
		// scrub an HTTPClient's own errors without breaking their chain).
		{name: "transport error", opts: func(em *emulator, o *eksauth.Options) {
			o.HTTPClient = doerFunc(func(r *http.Request) (*http.Response, error) {
				return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: errors.New("proxyconnect tcp: EOF")}
			})
		}, noResponse: true},
	}
	for _, code := range apiCodes {
		c := clientCase{name: code + " echoing", faults: []eksauthtest.Fault{{Code: code, Message: em.echoMessage()}}}
		cases = append(cases, c)
	}
	// Tokens the emulator refuses by itself.
	other := eksauthtest.Pod{Cluster: "other", Namespace: "default", ServiceAccount: "app", Name: "x"}
	cases = append(cases,
		clientCase{name: "token of another cluster", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: str(em.mint(other))}
		}},
		clientCase{name: "token without an association", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			p := pod
			p.ServiceAccount = "nobody"
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: str(em.mint(p))}
		}},
		clientCase{name: "forged token", input: func(em *emulator) *eksauth.AssumeRoleForPodIdentityInput {
			forged := em.token[:strings.LastIndex(em.token, ".")+1] + "Zm9yZ2VkLXNpZ25hdHVyZS1zZWNyZXRzY2FuLTAxMjM0NTY3ODk"
			em.sc.add("forged token", forged)
			return &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str("demo"), Token: &forged}
		}},
	)
	return cases
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// closedURL returns the URL of a port nothing listens on any more.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

// lineLogger records log lines, for the client and the Provider.
type lineLogger struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{} // receives (without blocking) after each line
}

func newLineLogger() *lineLogger { return &lineLogger{changed: make(chan struct{}, 1)} }

func (l *lineLogger) Logf(c logging.Classification, format string, v ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, string(c)+" "+fmt.Sprintf(format, v...))
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *lineLogger) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// testClient runs every case under every log mode against one emulator
// per mode.
func testClient(t *testing.T) {
	for _, m := range logModes {
		t.Run(m.name, func(t *testing.T) {
			sc := newScanner(t)
			em := newEmulator(t, sc)
			for _, tc := range clientCases(em) {
				t.Run(tc.name, func(t *testing.T) { runClientCase(t, em, m.mode, tc) })
			}
		})
	}
}

func runClientCase(t *testing.T, em *emulator, mode aws.ClientLogMode, tc clientCase) {
	sc := em.sc
	logger := newLineLogger()
	attempts := max(tc.attempts, 1)
	client := eksauth.NewFromConfig(em.Config(), func(o *eksauth.Options) {
		o.Logger = logger
		o.ClientLogMode = mode
		o.RetryMaxAttempts = attempts
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = attempts
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
		if tc.opts != nil {
			tc.opts(em, o)
		}
	})
	input := &eksauth.AssumeRoleForPodIdentityInput{ClusterName: str(pod.Cluster), Token: &em.token}
	if tc.input != nil {
		input = tc.input(em)
	}
	faultsBefore := countFaults(em)
	em.Inject(tc.faults...)
	em.echo(tc.echos...)

	timeout := tc.timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var (
		out *eksauth.AssumeRoleForPodIdentityOutput
		err error
	)
	if p := catch(func() { out, err = client.AssumeRoleForPodIdentity(ctx, input) }); p != nil {
		sc.check(t, "the panic", fmt.Sprint(p))
		t.Fatalf("panicked: %s", sc.show(fmt.Sprint(p)))
	}

	// The case drove the path it names.
	if (err == nil) != tc.ok {
		t.Errorf("err = %s, want an error: %v", sc.show(fmt.Sprint(err)), !tc.ok)
	}
	if n := countFaults(em) - faultsBefore; n != len(tc.faults) {
		t.Errorf("%d of the %d scripted faults answered", n, len(tc.faults))
	}
	if n := em.pendingEchos(); n > 0 {
		t.Errorf("%d echo answers not used", n)
	}
	log := logger.String()
	switch {
	case mode == aws.LogRetries && tc.retried && !strings.Contains(log, "retrying request"):
		t.Errorf("LogRetries logged no retry:\n%s", sc.show(log))
	case mode != aws.LogRetries && !tc.local && log == "" &&
		!(tc.noResponse && mode&(aws.LogResponse|aws.LogResponseWithBody) == mode):
		t.Error("nothing logged")
	case tc.local && log != "":
		t.Errorf("logged for a call that sent nothing:\n%s", sc.show(log))
	}
	if out != nil && out.Credentials != nil {
		sc.add("issued secret key", aws.ToString(out.Credentials.SecretAccessKey))
		sc.add("issued session token", aws.ToString(out.Credentials.SessionToken))
	}

	sc.check(t, "the log", log)
	sc.checkValue(t, "the error", err)
	if out != nil {
		// Printed only: the output's fields hold the credentials on purpose.
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			sc.check(t, "the output printed with "+verb, fmt.Sprintf(verb, out))
		}
	}
}

func countFaults(em *emulator) int {
	n := 0
	for _, r := range em.Requests() {
		if r.Fault {
			n++
		}
	}
	return n
}

// testProvider drives the Provider's logger through a first fetch, a
// background refresh, a failed background refresh and a failed
// foreground refresh, the client logging everything too.
func testProvider(t *testing.T) {
	sc := newScanner(t)
	// Credentials of 3 s, refreshed once 1% of their life has passed, so a
	// background refresh is due within tens of milliseconds.
	em := newEmulator(t, sc, eksauthtest.WithCredentialLifetime(3*time.Second))
	clientLog, provLog := newLineLogger(), newLineLogger()
	client := eksauth.NewFromConfig(em.Config(), func(o *eksauth.Options) {
		o.Logger, o.ClientLogMode, o.RetryMaxAttempts = clientLog, logModes[len(logModes)-1].mode, 1
	})
	p := credentials.New(client, pod.Cluster, credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return em.token, nil }),
		func(o *credentials.Options) {
			o.ExpiryWindow, o.RefreshFraction, o.RefreshJitter, o.RetryBackoff = -1, 0.99, -1, time.Millisecond
			o.Logger = provLog
		})
	ctx := context.Background()
	retrieve := func() (aws.Credentials, error) {
		var (
			c   aws.Credentials
			err error
		)
		if pv := catch(func() { c, err = p.Retrieve(ctx) }); pv != nil {
			t.Fatalf("Retrieve panicked: %s", sc.show(fmt.Sprint(pv)))
		}
		if err == nil {
			sc.add("issued secret key", c.SecretAccessKey)
			sc.add("issued session token", c.SessionToken)
		}
		return c, err
	}
	// awaitLine retrieves until the Provider logs a line containing want:
	// the background refresh it starts is due after a few milliseconds.
	awaitLine := func(want string) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for !strings.Contains(provLog.String(), want) {
			if _, err := retrieve(); err != nil {
				t.Fatalf("Retrieve: %s", sc.show(err.Error()))
			}
			select {
			case <-provLog.changed:
			case <-time.After(2 * time.Millisecond): // the refresh point is a time, not an event
			case <-deadline:
				t.Fatalf("no %q line:\n%s", want, sc.show(provLog.String()))
			}
		}
	}

	if _, err := retrieve(); err != nil {
		t.Fatalf("first Retrieve: %s", sc.show(err.Error()))
	}
	awaitLine("background refresh done")
	em.Inject(eksauthtest.Fault{Code: "InternalServerException", Message: em.echoMessage()})
	awaitLine("background refresh failed")

	p.Invalidate()
	em.Inject(eksauthtest.Fault{Code: "AccessDeniedException", Message: em.echoMessage()})
	_, err := retrieve()
	var denied interface{ ErrorCode() string }
	if !errors.As(err, &denied) || denied.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("Retrieve after Invalidate = %s, want AccessDeniedException", sc.show(fmt.Sprint(err)))
	}
	if !strings.Contains(provLog.String(), "cluster demo: refresh failed (1 in a row)") {
		t.Errorf("no failed refresh line:\n%s", sc.show(provLog.String()))
	}

	sc.checkValue(t, "the Retrieve error", err)
	sc.check(t, "the Provider's log", provLog.String())
	sc.check(t, "the client's log under the Provider", clientLog.String())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		sc.check(t, "the Provider printed with "+verb, fmt.Sprintf(verb, p))
	}
}
