package credentials_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	"github.com/podidentity/podidentity/credentials"
	"github.com/podidentity/podidentity/eksauth"
	"github.com/podidentity/podidentity/eksauth/eksauthtest"
	"github.com/podidentity/podidentity/internal/leakcheck"
)

// The soak: many goroutines share one Provider over the real client while
// the emulator fails a fifth of the requests in every way it can and the
// credentials expire every few seconds. Bounded in count (soakCalls)
// and time (soakRun, paced), so that CI runs it always.
const (
	soakWorkers = 50
	soakCalls   = 20_000
	soakRun     = 8 * time.Second
	// Credentials last 3 s (the emulator's minimum is 1 s), in whole epoch
	// seconds, so 2-3 s from issue; less the window, each generation is
	// usable for 0.1-1.1 s: some refreshes outlast that and callers wait.
	soakLifetime = 3 * time.Second
	soakWindow   = 1900 * time.Millisecond
	soakFaults   = 0.2
	soakSeed     = 20260808
	// soakCallTimeout bounds each caller's wait; a refresh takes well under it.
	soakCallTimeout = time.Second
	// After the run, with everything closed and collected, the heap may be
	// this much above its baseline (allocator and runtime bookkeeping);
	// what the run allocates is several times more.
	soakHeapSlack = 1 << 20
)

// soakFaultMix is what the emulator answers instead, each equally likely:
// every retryable kind, and one that is not (a 400 the Provider must
// surface, typed, to callers that wait, while it keeps serving cached
// credentials to the others).
var soakFaultMix = []eksauthtest.Fault{
	{Status: http.StatusInternalServerError},
	{Status: http.StatusServiceUnavailable},
	{Status: http.StatusTooManyRequests},
	{Drop: true},
	{Truncate: true},
	{Delay: 200 * time.Millisecond},
	{Status: http.StatusBadGateway, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"},
	{Status: http.StatusBadRequest, Code: "InvalidRequestException", Message: "soak: refused"},
}

// issuedCreds records the credentials the emulator sent in full, by access
// key ID, read from its answers on their way out.
type issuedCreds struct {
	mu   sync.Mutex
	byID map[string]soakIssued
}

type soakIssued struct {
	secret, session string
	expires         time.Time
}

func (ic *issuedCreds) get(id string) (soakIssued, bool) {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	c, ok := ic.byID[id]
	return c, ok
}

func (ic *issuedCreds) all() []soakIssued {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	out := make([]soakIssued, 0, len(ic.byID))
	for _, c := range ic.byID {
		out = append(out, c)
	}
	return out
}

// middleware captures each complete success body before it is written, so
// that the record exists before the client can read the answer. A
// truncated answer carries half a body, which does not parse.
func (ic *issuedCreds) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&captureWriter{ResponseWriter: w, ic: ic}, r)
	})
}

type captureWriter struct {
	http.ResponseWriter
	ic     *issuedCreds
	status int
}

func (w *captureWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == http.StatusOK {
		var body struct {
			Credentials struct {
				AccessKeyID     string `json:"accessKeyId"`
				SecretAccessKey string `json:"secretAccessKey"`
				SessionToken    string `json:"sessionToken"`
				Expiration      int64  `json:"expiration"`
			} `json:"credentials"`
		}
		if json.Unmarshal(b, &body) == nil && body.Credentials.AccessKeyID != "" {
			c := body.Credentials
			w.ic.mu.Lock()
			w.ic.byID[c.AccessKeyID] = soakIssued{c.SecretAccessKey, c.SessionToken, time.Unix(c.Expiration, 0)}
			w.ic.mu.Unlock()
		}
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through: truncated answers flush before dropping.
func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// soakCall is one Retrieve as a worker saw it.
type soakCall struct {
	start, end time.Time
	key        string    // the access key returned, if no error
	expires    time.Time // its Expires
	kind       string    // the error's type, if any
	msg        string    // the error's text
}

// soakLog counts the Provider's log lines and keeps them for the secret check.
type soakLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *soakLog) Logf(_ logging.Classification, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, v...))
}

// soakErrorKind names a Retrieve error by the most specific known type in
// its chain, or returns "" if it has none.
func soakErrorKind(err error) string {
	var (
		ae       smithy.APIError
		maxTries *retry.MaxAttemptsError
		canceled *aws.RequestCanceledError
		op       *smithy.OperationError
	)
	prefix := ""
	if errors.As(err, &maxTries) {
		prefix = "MaxAttempts/"
	}
	switch {
	case errors.As(err, &ae):
		return prefix + strings.TrimPrefix(fmt.Sprintf("%T", ae), "*")
	case errors.As(err, &canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return prefix + "canceled"
	case errors.As(err, &op):
		// A transport failure (dropped or truncated answer) after the retries.
		return prefix + "OperationError"
	}
	return ""
}

func TestSoakProviderUnderFaultsAndExpiry(t *testing.T) {
	if testing.Short() {
		t.Skipf("the soak runs for %v; CI runs it (without -short)", soakRun)
	}
	leakcheck.Check(t)

	// Warm the process-wide state a first server creates (the cluster's RSA
	// key is cached for the process), so that the baseline includes it.
	warm := eksauthtest.NewServer()
	warm.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart"}, time.Hour)
	warm.Close()

	goroutinesBefore := runtime.NumGoroutine()
	heapBefore := soakHeap()

	fig := runSoak(t)

	// Back to the baseline: every goroutine ends and, runSoak's state being
	// unreachable, the heap is released.
	goroutinesAfter := goroutinesBefore
	for deadline := time.Now().Add(5 * time.Second); ; {
		goroutinesAfter = runtime.NumGoroutine()
		if goroutinesAfter <= goroutinesBefore || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if goroutinesAfter > goroutinesBefore {
		t.Errorf("goroutines: %d before, %d after", goroutinesBefore, goroutinesAfter)
	}
	heapAfter := soakHeap()
	if heapAfter.alloc > heapBefore.alloc+soakHeapSlack || heapAfter.inuse > heapBefore.inuse+soakHeapSlack {
		t.Errorf("heap after the run: alloc %s (before %s), in use %s (before %s): more than %s above",
			mib(heapAfter.alloc), mib(heapBefore.alloc), mib(heapAfter.inuse), mib(heapBefore.inuse), mib(soakHeapSlack))
	}

	t.Logf("soak: %s, goroutines %d→%d, heap alloc %s→%s in use %s→%s",
		fig, goroutinesBefore, goroutinesAfter, mib(heapBefore.alloc), mib(heapAfter.alloc), mib(heapBefore.inuse), mib(heapAfter.inuse))
}

// runSoak runs the soak, checks each call and the run, closes the
// emulator and returns the figures. Nothing it made outlives it.
func runSoak(t *testing.T) string {
	ic := &issuedCreds{byID: map[string]soakIssued{}}
	srv := eksauthtest.NewServer(
		eksauthtest.WithCredentialLifetime(soakLifetime),
		eksauthtest.WithRandomFaults(soakFaults, soakFaultMix...),
		eksauthtest.WithFaultSeed(soakSeed),
		eksauthtest.WithMiddleware(ic.middleware),
	)
	defer srv.Close()
	srv.Associate(eksauthtest.Association{
		Cluster: "prod", Namespace: "shop", ServiceAccount: "cart",
		RoleARN: "arn:aws:iam::111122223333:role/cart",
	})
	token := srv.Token(eksauthtest.Pod{Cluster: "prod", Namespace: "shop", ServiceAccount: "cart", Name: "cart-0"}, time.Hour)

	// The standard retryer (3 attempts, the retry quota), with its backoff
	// capped to suit credentials usable for a second: uncapped, a
	// throttled retry may wait seconds.
	client := eksauth.NewFromConfig(srv.Config(), func(o *eksauth.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) { so.MaxBackoff = 100 * time.Millisecond })
	})
	logs := &soakLog{}
	p := credentials.New(client, "prod", credentials.TokenRetrieverFunc(func(context.Context) (string, error) { return token, nil }),
		func(o *credentials.Options) {
			o.ExpiryWindow = soakWindow
			// Refresh early (after 1-20% of the usable lifetime), so that the
			// run makes enough upstream calls for the faults to matter.
			o.RefreshFraction = 0.9
			// After a failed background refresh, wait long enough that the
			// credentials may reach their expiry first: callers then wait,
			// and a failure reaches them.
			o.RetryBackoff = 500 * time.Millisecond
			o.MaxRetryBackoff = time.Second
			o.Timeout = soakCallTimeout
			o.Logger = logs
		})

	// The workers: call i of worker w is due at begin + (i*workers+w) of
	// soakCalls equal slots; a worker behind schedule calls at once.
	calls := make([][]soakCall, soakWorkers)
	var (
		wg       sync.WaitGroup
		failures atomic.Int64 // checks failed; the first is reported
		firstBad sync.Once
	)
	fail := func(format string, v ...any) {
		failures.Add(1)
		firstBad.Do(func() { t.Errorf(format, v...) })
	}
	perWorker := soakCalls / soakWorkers
	begin := time.Now()
	for w := range soakWorkers {
		calls[w] = make([]soakCall, 0, perWorker)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				due := begin.Add(soakRun * time.Duration(i*soakWorkers+w) / soakCalls)
				time.Sleep(time.Until(due))

				ctx, cancel := context.WithTimeout(context.Background(), soakCallTimeout)
				start := time.Now()
				c, err := p.Retrieve(ctx)
				end := time.Now()
				cancel()

				call := soakCall{start: start, end: end}
				if err != nil {
					call.kind = soakErrorKind(err)
					if call.kind == "" {
						fail("Retrieve returned an error of no known type: %T: %v", err, err)
						call.kind = fmt.Sprintf("untyped %T", err)
					}
					msg := err.Error()
					call.msg = msg
					if !strings.HasPrefix(msg, "credentials: refresh: ") && !strings.HasPrefix(msg, "credentials: retrieve: ") {
						fail("error text %q: want the Provider's prefix", msg)
					}
					if strings.Contains(msg, token) {
						fail("an error contains the token")
					}
				} else {
					call.key, call.expires = c.AccessKeyID, c.Expires
					issued, ok := ic.get(c.AccessKeyID)
					switch {
					case !c.HasKeys() || c.SessionToken == "":
						fail("Retrieve returned credentials without keys")
					case !ok:
						fail("Retrieve returned access key %s, which the emulator never issued in full", c.AccessKeyID)
					case c.SecretAccessKey != issued.secret || c.SessionToken != issued.session:
						fail("credentials %s: secret or session token differ from what the emulator issued", c.AccessKeyID)
					case !c.Expires.Equal(issued.expires.Add(-soakWindow)):
						fail("credentials %s: Expires %v, want the emulator's %v minus the window", c.AccessKeyID, c.Expires, issued.expires)
					case c.Source != credentials.ProviderName || !c.CanExpire || c.AccountID != "111122223333":
						fail("credentials %s: Source %q, CanExpire %v, AccountID %q", c.AccessKeyID, c.Source, c.CanExpire, c.AccountID)
					// The Provider looks at its clock once, after start: Expires
					// is after that look. The real expiry, ExpiryWindow later,
					// must not have passed by the time the caller has them.
					case !c.Expires.After(start):
						fail("credentials %s: Expires %v, before the call began at %v", c.AccessKeyID, c.Expires.Format(time.StampMicro), start.Format(time.StampMicro))
					case !issued.expires.After(end):
						fail("credentials %s returned at %v had really expired at %v", c.AccessKeyID, end.Format(time.StampMicro), issued.expires.Format(time.StampMicro))
					}
				}
				calls[w] = append(calls[w], call)
			}
		}()
	}
	wg.Wait()
	runTime := time.Since(begin)
	<-p.RefreshDone() // a background refresh a late call started

	all := slices.Concat(calls...)
	if failures.Load() > 0 {
		t.Errorf("%d of %d retrievals failed the checks (the first is reported above)", failures.Load(), len(all))
	}

	// Figures.
	errKinds := map[string]int{}
	keys := map[string]bool{}
	lat := make([]time.Duration, 0, len(all))
	var successes []soakCall
	for _, c := range all {
		lat = append(lat, c.end.Sub(c.start))
		if c.kind != "" {
			errKinds[c.kind]++
			continue
		}
		keys[c.key] = true
		successes = append(successes, c)
	}
	slices.Sort(lat)
	p99, maxLat := lat[len(lat)*99/100], lat[len(lat)-1]
	nErrors := len(all) - len(successes)

	reqs := srv.Requests()
	var faulted, ok200 int
	for _, r := range reqs {
		if r.Fault {
			faulted++
		}
		if r.Status == http.StatusOK && !r.Dropped {
			ok200++
		}
	}

	// An error is only allowed when no credentials valid for the whole call
	// were in service: no success that ended before the error's call began
	// may carry an Expires after the error's call ended.
	sort.Slice(successes, func(i, j int) bool { return successes[i].end.Before(successes[j].end) })
	bestUntil := make([]time.Time, len(successes)) // latest Expires among successes[:i+1]
	for i, s := range successes {
		bestUntil[i] = s.expires
		if i > 0 && bestUntil[i-1].After(s.expires) {
			bestUntil[i] = bestUntil[i-1]
		}
	}
	var errWhileValid int
	for _, c := range all {
		if c.kind == "" {
			continue
		}
		i := sort.Search(len(successes), func(i int) bool { return !successes[i].end.Before(c.start) })
		if i > 0 && bestUntil[i-1].After(c.end) {
			errWhileValid++
		}
	}
	if errWhileValid > 0 {
		t.Errorf("%d errors were returned while credentials valid for the whole call were in service", errWhileValid)
	}

	// No secret of any generation in an error or a log line (the token was
	// checked in each error above).
	logs.mu.Lock()
	logLines := logs.lines
	logs.mu.Unlock()
	texts := slices.Clone(logLines)
	for _, c := range all {
		if c.msg != "" {
			texts = append(texts, c.msg)
		}
	}
	issuedAll := ic.all()
	for _, text := range slices.Compact(slices.Sorted(slices.Values(texts))) {
		if strings.Contains(text, token) {
			t.Errorf("an error or a log line holds the token")
		}
		for _, c := range issuedAll {
			if strings.Contains(text, c.secret) || strings.Contains(text, c.session) {
				t.Errorf("an error or a log line holds an issued secret or session token")
			}
		}
	}

	// The run must have been what it claims: every call made, faults at
	// about the rate asked, credentials expiring and replaced many times,
	// and the cache doing its job.
	if len(all) != soakCalls {
		t.Errorf("made %d retrievals, want %d", len(all), soakCalls)
	}
	n := float64(len(reqs))
	if sd := math.Sqrt(n * soakFaults * (1 - soakFaults)); len(reqs) < 50 || math.Abs(float64(faulted)-n*soakFaults) > 4*sd+1 {
		t.Errorf("%d of %d upstream requests faulted, want about %v of at least 50", faulted, len(reqs), soakFaults)
	}
	// Each generation is usable for at most lifetime - window.
	if minGens := int(soakRun / (soakLifetime - soakWindow)); len(keys) < minGens {
		t.Errorf("saw %d credential generations, want at least %d in %v of %v credentials", len(keys), minGens, soakRun, soakLifetime)
	}
	if len(reqs) > soakCalls/10 {
		t.Errorf("%d upstream requests for %d retrievals: the cache is not serving", len(reqs), soakCalls)
	}
	if maxLat > soakCallTimeout+500*time.Millisecond {
		t.Errorf("a Retrieve took %v, beyond its context's %v", maxLat, soakCallTimeout)
	}
	if nErrors > soakCalls/20 {
		t.Errorf("%d of %d retrievals failed; the retries and the cache should keep that rare", nErrors, soakCalls)
	}

	nWarn := 0
	for _, line := range logLines {
		if strings.Contains(line, "failed") {
			nWarn++
		}
	}

	kinds := make([]string, 0, len(errKinds))
	for k, n := range errKinds {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	return fmt.Sprintf("%d retrievals by %d goroutines in %v, %d errors {%s}, %d upstream requests (%d answered 200, %d faulted), "+
		"%d credential generations of %v, %d refresh failures logged, Retrieve p99 %v max %v",
		len(all), soakWorkers, runTime.Round(time.Millisecond), nErrors, strings.Join(kinds, " "), len(reqs), ok200, faulted,
		len(keys), soakLifetime, nWarn, p99.Round(time.Microsecond), maxLat.Round(time.Microsecond))
}

type heapStats struct{ alloc, inuse uint64 }

// soakHeap returns the live heap after a full collection.
func soakHeap() heapStats {
	runtime.GC()
	runtime.GC() // a second cycle frees what finalizers and sync.Pools released
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return heapStats{m.HeapAlloc, m.HeapInuse}
}

func mib(b uint64) string { return fmt.Sprintf("%.2fMiB", float64(b)/(1<<20)) }
