package secretscan_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The node's credentials, known so that they can be looked for. The
// secret key is never sent; the session token is (X-Amz-Security-Token).
var node = aws.Credentials{
	AccessKeyID:     "ASIASECRETSCANNODE01",
	SecretAccessKey: "nodeSecretKey/ScAn+K7MDENG/bPxRfiCYzzEXAMPLE",
	SessionToken:    "IQoJb3JpZ2luX2VjNODE-SESSION-TOKEN/secretscan+0123456789abcdefghijklmnopqrstuvwxyz==",
}

// Secrets of answers the tests script (a 2xx that fails to decode, say):
// the client sees them, so they must not come out either.
const (
	fakeIssuedSecret  = "fakeIssuedSecretKey/ScAn+wJalrXUtnFEMIK7MDENG"
	fakeIssuedSession = "IQoJb3JpZ2luX2VjFAKE-ISSUED-SESSION/secretscan+9876543210zyxwvutsrqponm=="
)

// TestNoSecretLeaks is the repository's secret scan; doc.go says what it
// covers. Every subtest registers the secrets it makes (tokens minted,
// credentials issued, SigV4 signatures sent) with one scanner, and scans
// every text it gets: log lines, error strings and their fmt forms, the
// strings reachable inside error values, panics, and the binaries' stdout
// and stderr.
func TestNoSecretLeaks(t *testing.T) {
	t.Run("scanner", testScanner)
	t.Run("client", testClient)
	t.Run("provider", testProvider)
	bins := buildBinaries(t)
	t.Run("cli", func(t *testing.T) { testCLI(t, bins["eksauth"]) })
	t.Run("agent", func(t *testing.T) { testAgent(t, bins["pod-identity-agent"]) })
}

// testScanner makes sure the scan can fail: known leaks, whole or in part,
// are found, and a clean text is not flagged.
func testScanner(t *testing.T) {
	sc := newScanner(t)
	em := newEmulator(t, sc)
	sig := em.token[strings.LastIndex(em.token, ".")+1:]
	leaks := map[string]string{
		"the token":                     "Authorization: " + em.token,
		"the JWT's signature part":      "token=eyJhbGciOi...." + sig,
		"the middle of the signature":   "…" + sig[len(sig)/2-8:len(sig)/2+8] + "…",
		"the node secret key":           `{"secretAccessKey":"` + node.SecretAccessKey + `"}`,
		"the middle of the session key": "X-Amz-Security-Token: …" + node.SessionToken[len(node.SessionToken)/2-8:len(node.SessionToken)/2+8],
		"a scripted issued secret":      fakeIssuedSecret,
	}
	for what, text := range leaks {
		if found := sc.find(text, nil); len(found) == 0 {
			t.Errorf("the scanner misses %s", what)
		}
		if shown := sc.show(text); strings.Contains(shown, node.SecretAccessKey) || strings.Contains(shown, sig) {
			t.Errorf("the scanner's report shows the secret it found: %s", shown)
		}
	}
	clean := "eksauth call pod=default/app access_key=" + node.AccessKeyID + " header=" + em.token[:strings.Index(em.token, ".")]
	if found := sc.find(clean, nil); len(found) > 0 {
		t.Errorf("the scanner flags a clean text: %v", found)
	}
	if found := sc.find(fakeIssuedSecret, []string{fakeIssuedSecret}); len(found) > 0 {
		t.Errorf("the scanner flags an allowed value: %v", found)
	}
}

// scanner holds secrets by name, with distinctive parts of each, and finds
// them in text. Its reports never print a secret.
type scanner struct {
	t      *testing.T
	mu     sync.Mutex
	values map[string]string // value -> name
}

func newScanner(t *testing.T) *scanner {
	sc := &scanner{t: t, values: map[string]string{}}
	sc.add("node secret key", node.SecretAccessKey)
	sc.add("node session token", node.SessionToken)
	sc.add("scripted issued secret key", fakeIssuedSecret)
	sc.add("scripted issued session token", fakeIssuedSession)
	return sc
}

var jwtShape = regexp.MustCompile(`^[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+$`)

// add registers a secret and its distinctive parts: for a JWT its claims
// and signature and the middle of the signature (its header is the same
// for every token of a cluster, not secret), for anything else of 32 or
// more characters its middle 16.
func (sc *scanner) add(name, v string) {
	sc.t.Helper()
	if len(v) < 12 {
		sc.t.Fatalf("secret %s is too short to scan for", name)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	put := func(n, v string) {
		if _, ok := sc.values[v]; !ok {
			sc.values[v] = n
		}
	}
	put(name, v)
	if jwtShape.MatchString(v) {
		parts := strings.Split(v, ".")
		put(name+" (claims and signature)", parts[1]+"."+parts[2])
		put(name+" (signature)", parts[2])
		v = parts[2]
	}
	if len(v) >= 32 {
		put(name+" (a part)", v[len(v)/2-8:len(v)/2+8])
	}
}

// find returns the names of the secrets in text, ignoring those contained
// in an allowed value (the credentials a CLI prints on purpose, say).
func (sc *scanner) find(text string, allowed []string) []string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var found []string
	for v, name := range sc.values {
		if !strings.Contains(text, v) {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.Contains(a, v)
		}
		if !ok {
			found = append(found, name)
		}
	}
	sort.Strings(found)
	return found
}

// show returns text with every secret replaced by its name, longest
// first, for a failure report.
func (sc *scanner) show(text string) string {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	vals := make([]string, 0, len(sc.values))
	for v := range sc.values {
		vals = append(vals, v)
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		text = strings.ReplaceAll(text, v, "«"+sc.values[v]+"»")
	}
	if len(text) > 3000 {
		text = text[:3000] + "…"
	}
	return text
}

// check fails t if text holds a secret not in allowed.
func (sc *scanner) check(t *testing.T, where, text string, allowed ...string) {
	t.Helper()
	if found := sc.find(text, allowed); len(found) > 0 {
		t.Errorf("%s shows %s:\n%s", where, strings.Join(found, ", "), sc.show(text))
	}
}

// checkValue fails t if v, printed with the usual verbs or walked as a
// reflection-based dumper would (unexported fields and all), holds a
// secret.
func (sc *scanner) checkValue(t *testing.T, where string, v any) {
	t.Helper()
	if v == nil || reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil() {
		return
	}
	if err, ok := v.(error); ok {
		sc.check(t, where+".Error()", err.Error())
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		sc.check(t, where+" printed with "+verb, fmt.Sprintf(verb, v))
	}
	for _, s := range reachableStrings(v) {
		sc.check(t, where+" (inside, at "+s.path+")", s.value)
	}
}

type reachable struct{ path, value string }

var contextType = reflect.TypeFor[context.Context]()

// reachableStrings returns the strings and byte slices reachable from v.
// It does not enter contexts (a request's): the transport's goroutines
// change them, and they hold nothing of the call's.
func reachableStrings(v any) []reachable {
	var out []reachable
	seen := map[uintptr]bool{}
	var walk func(v reflect.Value, path string, depth int)
	walk = func(v reflect.Value, path string, depth int) {
		if depth > 40 || !v.IsValid() || v.Kind() != reflect.Interface && v.Type().Implements(contextType) {
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() || seen[v.Pointer()] {
				return
			}
			seen[v.Pointer()] = true
			walk(v.Elem(), path, depth+1)
		case reflect.Interface:
			walk(v.Elem(), path, depth+1)
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name, depth+1)
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(k, path+"[key]", depth+1)
				walk(v.MapIndex(k), path+"[]", depth+1)
			}
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				if v.Kind() == reflect.Slice {
					out = append(out, reachable{path, string(v.Bytes())})
				}
				return
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path+"[]", depth+1)
			}
		case reflect.String:
			out = append(out, reachable{path, v.String()})
		}
	}
	walk(reflect.ValueOf(v), "", 0)
	return out
}

// catch runs fn and returns what it panicked with, if it did.
func catch(fn func()) (panicked any) {
	defer func() { panicked = recover() }()
	fn()
	return nil
}

// emulator is an EKS Auth emulator accepting the known node credentials,
// with an association for the pod, a token for it, and in front a
// middleware that records every SigV4 signature (into the scanner) and
// can answer with an echo of the request instead of the emulator.
type emulator struct {
	*eksauthtest.Server
	sc    *scanner
	token string // the pod's token, registered with the scanner

	mu    sync.Mutex
	echos []echoKind
}

var pod = eksauthtest.Pod{Cluster: "demo", Namespace: "default", ServiceAccount: "app", Name: "app-7d4b9c6f5-x2x9q"}

func newEmulator(t *testing.T, sc *scanner, opts ...eksauthtest.Option) *emulator {
	t.Helper()
	em := &emulator{sc: sc}
	opts = append([]eksauthtest.Option{eksauthtest.WithNodeCredentials(node), eksauthtest.WithMiddleware(em.wrap)}, opts...)
	em.Server = eksauthtest.NewServer(opts...)
	t.Cleanup(em.Close)
	em.Associate(eksauthtest.Association{Cluster: pod.Cluster, Namespace: pod.Namespace, ServiceAccount: pod.ServiceAccount, RoleARN: "arn:aws:iam::111122223333:role/app"})
	em.token = em.mint(pod)
	return em
}

// mint returns a new token for p, registered with the scanner.
func (em *emulator) mint(p eksauthtest.Pod) string {
	tok := em.Token(p, time.Hour)
	em.sc.add("token of "+p.Cluster+"/"+p.Namespace+"/"+p.ServiceAccount+"/"+p.Name, tok)
	return tok
}

// echoKind is how a hostile or broken server echoes the request.
type echoKind int

const (
	echoInMessage   echoKind = iota // 400 InvalidRequestException, the request in the message
	echoInCode                      // the token as the error code, the session token as the request ID
	echoInHTML                      // a proxy's 502 HTML page quoting the request
	echoInBadSucces                 // a 200 whose body is broken JSON quoting the request
)

func (em *emulator) echo(kinds ...echoKind) {
	em.mu.Lock()
	defer em.mu.Unlock()
	em.echos = append(em.echos, kinds...)
}

func (em *emulator) pendingEchos() int {
	em.mu.Lock()
	defer em.mu.Unlock()
	return len(em.echos)
}

var sigV4 = regexp.MustCompile(`Signature=([0-9a-f]{64})`)

func (em *emulator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := sigV4.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			em.sc.add("SigV4 signature", m[1])
		}
		em.mu.Lock()
		var kind echoKind
		ok := len(em.echos) > 0
		if ok {
			kind, em.echos = em.echos[0], em.echos[1:]
		}
		em.mu.Unlock()
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var dump strings.Builder
		fmt.Fprintf(&dump, "%s %s\n", r.Method, r.URL.Path)
		for k, v := range r.Header {
			fmt.Fprintf(&dump, "%s: %s\n", k, strings.Join(v, ", "))
		}
		dump.Write(body)
		quoted, _ := json.Marshal(dump.String())
		switch kind {
		case echoInMessage:
			w.Header().Set("X-Amzn-Errortype", "InvalidRequestException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":%s}`, quoted)
		case echoInCode:
			var in struct{ Token string }
			_ = json.Unmarshal(body, &in)
			w.Header().Set("X-Amzn-Errortype", in.Token)
			w.Header().Set("X-Amzn-Requestid", r.Header.Get("X-Amz-Security-Token"))
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"code":%q,"message":%q}`, in.Token, r.Header.Get("Authorization"))
		case echoInHTML:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><body><h1>502 Bad Gateway</h1><pre>%s</pre></body></html>", dump.String())
		case echoInBadSucces:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"credentials":{"secretAccessKey":%s,"sessionToken":`, quoted)
		}
	})
}

// echoMessage is what scripted faults say: the token and the session
// token, as a server that quotes its input would.
func (em *emulator) echoMessage() string {
	return "echo: token " + em.token + " session " + node.SessionToken
}

// scriptedBody is a 2xx body with the scripted issued secrets; broken
// makes its expiration a string, so that it fails to decode.
func scriptedBody(broken bool) string {
	exp := fmt.Sprint(time.Now().Add(time.Hour).Unix())
	if broken {
		exp = `"tomorrow"`
	}
	return `{"subject":{"namespace":"default","serviceAccount":"app"},"audience":"pods.eks.amazonaws.com",` +
		`"podIdentityAssociation":{"associationArn":"arn:aws:eks:us-west-2:111122223333:podidentityassociation/demo/a-0123456789abcdefg","associationId":"a-0123456789abcdefg"},` +
		`"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/app/eks-demo-app","assumeRoleId":"AROAEXAMPLE:eks-demo-app"},` +
		`"credentials":{"sessionToken":"` + fakeIssuedSession + `","secretAccessKey":"` + fakeIssuedSecret + `","accessKeyId":"ASIAFAKEISSUED000001","expiration":` + exp + `}}`
}

// buildBinaries builds the CLI and the agent once, into a temporary
// directory, with the go command that runs the test (and its build cache).
func buildBinaries(t *testing.T) map[string]string {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	start := time.Now()
	cmd := exec.Command(goCmd, "build", "-o", dir+string(filepath.Separator),
		"github.com/podidentity/podidentity/examples/eksauth",
		"github.com/podidentity/podidentity/examples/pod-identity-agent")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the CLI and the agent in %v", time.Since(start).Round(time.Millisecond))
	bins := map[string]string{}
	for _, name := range []string{"eksauth", "pod-identity-agent"} {
		p := filepath.Join(dir, name)
		if runtime.GOOS == "windows" {
			p += ".exe"
		}
		if _, err := os.Stat(p); err != nil {
			t.Fatal(err)
		}
		bins[name] = p
	}
	return bins
}
