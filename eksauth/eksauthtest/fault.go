package eksauthtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/podidentity/podidentity/internal/protocol"
)

// Fault scripts the answer to one request; see [Server.Inject]. The zero
// Fault answers normally.
//
//   - Delay alone holds the request for Delay, then answers normally. The
//     delay ends early, dropping the connection, when the client gives up
//     or the server closes.
//   - Status and/or Code answer with that error instead: a missing Status
//     is the code's (ThrottlingException 429, InternalServerException 500,
//     ServiceUnavailableException 503, ResourceNotFoundException 404, else
//     400); a missing Code is the status's (429, 500, 503, 404 as above,
//     400 InvalidRequestException; none for other statuses). Message
//     defaults to a message like the service's.
//   - Body, if set, is sent verbatim instead of the JSON error body (a
//     proxy's HTML page, say), with Status (default 502).
//   - Drop closes the connection without answering.
//   - Truncate sends the headers and half of the body (of the error, or of
//     the normal answer), then closes the connection.
type Fault struct {
	Status   int
	Code     string
	Message  string
	Body     string
	Delay    time.Duration
	Drop     bool
	Truncate bool
}

// Request is a request the server received, as [Server.Requests] returns
// it. Body holds the token and Header the signature and session token:
// keep them out of logs.
type Request struct {
	Time      time.Time // when it arrived, by the wall clock
	Method    string
	Path      string // as sent: escaped (a cluster name with a slash has %2F)
	Header    http.Header
	Body      []byte // up to 1 MiB + 1 byte
	RequestID string // the X-Amzn-Requestid answered

	Status    int    // the status answered; 0 if none (yet)
	Code      string // the error code answered; "" for a success or a bare status
	Fault     bool   // answered (or delayed) by an injected or random Fault, or throttled
	Throttled bool   // answered ThrottlingException by WithThrottling (Fault is set too)
	Done      bool   // answered, or dropped; false while in flight
	Dropped   bool   // the connection was closed without a (complete) answer
}

// Cluster returns the cluster name of the request's path, or "".
func (r Request) Cluster() string {
	name, _ := clusterFromPath(r.Path)
	return name
}

// faultError returns the error answer of a fault that sets Status, Code
// or Body, or nil for a fault that leaves the answer to normal handling.
func faultError(f Fault) *apiError {
	if f.Status == 0 && f.Code == "" && f.Body == "" {
		return nil
	}
	e := &apiError{status: f.Status, code: f.Code, msg: f.Message}
	if e.status == 0 {
		if e.code == "" {
			e.status = http.StatusBadGateway
		} else {
			e.status = statusOf(e.code)
		}
	}
	if e.code == "" && f.Body == "" {
		e.code = codeOfStatus(e.status)
	}
	if e.msg == "" {
		switch e.code {
		case protocol.CodeThrottling:
			e.msg = "Rate exceeded"
		case protocol.CodeInternalServer:
			e.msg = "An internal error occurred. Try again."
		case protocol.CodeServiceUnavailable:
			e.msg = "The service is unavailable. Try again later."
		default:
			e.msg = http.StatusText(e.status)
		}
	}
	return e
}

// codeOfStatus is the modeled code that a fault's bare status stands
// for: the one code with that status, or InvalidRequestException for the
// 400 that five codes share; "" for other statuses.
func codeOfStatus(status int) string {
	if status == http.StatusBadRequest {
		return protocol.CodeInvalidRequest
	}
	for _, e := range protocol.ModeledErrors() {
		if e.Status == status {
			return e.Code
		}
	}
	return ""
}

// dropConn closes the client's connection without an answer (or, once
// headers were flushed, without the rest): net/http closes the connection
// when a handler panics with http.ErrAbortHandler, and logs nothing.
func dropConn() {
	panic(http.ErrAbortHandler)
}

// writeTruncated sends the answer's headers, announcing the full length,
// and half of its body, then drops the connection.
func writeTruncated(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body[:len(body)/2])
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	dropConn()
}

// WithRandomFaults makes the server unreliable, for chaos and soak tests:
// each request that no [Server.Inject]-ed fault claims is answered, with
// probability rate, by one of faults drawn uniformly at random (list a
// fault twice to make it twice as likely), and otherwise normally. Such
// requests are recorded with Fault set, like injected ones. rate must be
// in [0, 1] and, if above 0, come with at least one fault; NewServer
// panics otherwise. Rate 0 turns random faults off.
func WithRandomFaults(rate float64, faults ...Fault) Option {
	return func(s *Server) {
		s.random.rate = rate
		s.random.faults = append([]Fault(nil), faults...)
	}
}

// WithFaultSeed seeds the draws of [WithRandomFaults], so that a run can be
// repeated: the n-th request the server receives gets the same answer
// each time (which request is n-th is up to the client's concurrency).
// Default: a random seed.
func WithFaultSeed(seed uint64) Option {
	return func(s *Server) { s.random.seed, s.random.seeded = seed, true }
}

// randomFaults is the state of WithRandomFaults, guarded by Server.mu.
type randomFaults struct {
	rate   float64
	faults []Fault
	seed   uint64
	seeded bool
	rng    *rand.Rand // nil while rate is 0
}

// init checks the options and seeds the source.
func (r *randomFaults) init() error {
	if !(r.rate >= 0 && r.rate <= 1) { // also NaN
		return fmt.Errorf("invalid random fault rate %v: want a probability in [0, 1]", r.rate)
	}
	if r.rate == 0 {
		return nil
	}
	if len(r.faults) == 0 {
		return errors.New("WithRandomFaults needs at least one fault with a rate above 0")
	}
	if !r.seeded {
		r.seed = rand.Uint64()
	}
	r.rng = rand.New(rand.NewPCG(r.seed, r.seed))
	return nil
}

// next draws whether a request gets a fault, and which.
func (r *randomFaults) next() (Fault, bool) {
	if r.rng == nil || r.rng.Float64() >= r.rate {
		return Fault{}, false
	}
	return r.faults[r.rng.IntN(len(r.faults))], true
}
